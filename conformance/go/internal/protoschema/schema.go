// Package protoschema holds the protobuf schemas of the conformance programs.
//
// There is no protoc on this machine, so the messages are built at run time:
// a hand-written table becomes a descriptorpb.FileDescriptorProto, protodesc
// turns it into a real descriptor, and dynamicpb gives proto.Messages for it.
// The same tables render the .proto files the TypeScript side loads, so the
// schema exists in one place only.
package protoschema

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Field is one field of a proto3 message.
type Field struct {
	Name     string
	Number   int32
	Kind     descriptorpb.FieldDescriptorProto_Type
	Repeated bool
}

// Message is one proto3 message: its name and fields in declaration order.
type Message struct {
	Name   string
	Fields []Field
}

// File is a proto3 file of messages without imports.
type File struct {
	Name     string // e.g. "bench.proto"
	Package  string
	Messages []Message

	once sync.Once
	fd   protoreflect.FileDescriptor
	err  error
}

// Field kinds used by the tables.
const (
	String  = descriptorpb.FieldDescriptorProto_TYPE_STRING
	Bool    = descriptorpb.FieldDescriptorProto_TYPE_BOOL
	Int32   = descriptorpb.FieldDescriptorProto_TYPE_INT32
	Int64   = descriptorpb.FieldDescriptorProto_TYPE_INT64
	Fixed64 = descriptorpb.FieldDescriptorProto_TYPE_FIXED64
)

// Arith is conformance/proto/arith.proto: the ArithArgs of the protobuf
// vectors plus the messages of the ArithPB interop service.
var Arith = &File{
	Name: "arith.proto", Package: "arith",
	Messages: []Message{
		{"ArithArgs", []Field{{"a", 1, Int32, false}, {"b", 2, Int32, false}}},
		{"ArithReply", []Field{{"c", 1, Int32, false}}},
		{"EchoMessage", []Field{{"text", 1, String, false}}},
	},
}

// Bench is rpcx-benchmark's BenchmarkMessage, fields in declaration order
// (see shared/bench-message.md).
var Bench = &File{
	Name: "bench.proto", Package: "bench",
	Messages: []Message{{"BenchmarkMessage", []Field{
		{"field1", 1, String, false}, {"field9", 9, String, false},
		{"field18", 18, String, false}, {"field80", 80, Bool, false},
		{"field81", 81, Bool, false}, {"field2", 2, Int32, false},
		{"field3", 3, Int32, false}, {"field280", 280, Int32, false},
		{"field6", 6, Int32, false}, {"field22", 22, Int64, false},
		{"field4", 4, String, false}, {"field5", 5, Fixed64, true},
		{"field59", 59, Bool, false}, {"field7", 7, String, false},
		{"field16", 16, Int32, false}, {"field130", 130, Int32, false},
		{"field12", 12, Bool, false}, {"field17", 17, Bool, false},
		{"field13", 13, Bool, false}, {"field14", 14, Bool, false},
		{"field104", 104, Int32, false}, {"field100", 100, Int32, false},
		{"field101", 101, Int32, false}, {"field102", 102, String, false},
		{"field103", 103, String, false}, {"field29", 29, Int32, false},
		{"field30", 30, Bool, false}, {"field60", 60, Int32, false},
		{"field271", 271, Int32, false}, {"field272", 272, Int32, false},
		{"field150", 150, Int32, false}, {"field23", 23, Int32, false},
		{"field24", 24, Bool, false}, {"field25", 25, Int32, false},
		{"field78", 78, Bool, false}, {"field67", 67, Int32, false},
		{"field68", 68, Int32, false}, {"field128", 128, Int32, false},
		{"field129", 129, String, false}, {"field131", 131, Int32, false},
	}}},
}

// Files are all schema files, in the order they are written.
var Files = []*File{Arith, Bench}

// Descriptor builds (once) the file descriptor from the table.
func (f *File) Descriptor() (protoreflect.FileDescriptor, error) {
	f.once.Do(func() {
		fdp := &descriptorpb.FileDescriptorProto{
			Name:    proto.String(f.Name),
			Package: proto.String(f.Package),
			Syntax:  proto.String("proto3"),
		}
		for _, m := range f.Messages {
			msg := &descriptorpb.DescriptorProto{Name: proto.String(m.Name)}
			for _, fl := range m.Fields {
				label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
				if fl.Repeated {
					label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
				}
				msg.Field = append(msg.Field, &descriptorpb.FieldDescriptorProto{
					Name:     proto.String(fl.Name),
					Number:   proto.Int32(fl.Number),
					Label:    label.Enum(),
					Type:     fl.Kind.Enum(),
					JsonName: proto.String(fl.Name),
				})
			}
			fdp.MessageType = append(fdp.MessageType, msg)
		}
		f.fd, f.err = protodesc.NewFile(fdp, nil)
	})
	return f.fd, f.err
}

// MessageDescriptor returns the descriptor of the named message of f.
func (f *File) MessageDescriptor(name string) (protoreflect.MessageDescriptor, error) {
	fd, err := f.Descriptor()
	if err != nil {
		return nil, err
	}
	md := fd.Messages().ByName(protoreflect.Name(name))
	if md == nil {
		return nil, fmt.Errorf("%s: no message %s", f.Name, name)
	}
	return md, nil
}

// mustMessageDescriptor is MessageDescriptor for the fixed tables above, where
// an error is a programming error.
func (f *File) mustMessageDescriptor(name string) protoreflect.MessageDescriptor {
	md, err := f.MessageDescriptor(name)
	if err != nil {
		panic(err)
	}
	return md
}

// ProtoText renders the table as a .proto file.
func (f *File) ProtoText() string {
	var b strings.Builder
	b.WriteString("// Written by conformance/go/cmd/vectorgen from the same table that builds the\n")
	b.WriteString("// descriptor used for the protobuf vectors. Do not edit by hand.\n")
	fmt.Fprintf(&b, "syntax = \"proto3\";\n\npackage %s;\n", f.Package)
	for _, m := range f.Messages {
		fmt.Fprintf(&b, "\nmessage %s {\n", m.Name)
		for _, fl := range m.Fields {
			typ := strings.ToLower(strings.TrimPrefix(fl.Kind.String(), "TYPE_"))
			if fl.Repeated {
				typ = "repeated " + typ
			}
			fmt.Fprintf(&b, "  %s %s = %d;\n", typ, fl.Name, fl.Number)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// WriteProtoFiles writes every file of Files into dir.
func WriteProtoFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), []byte(f.ProtoText()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
