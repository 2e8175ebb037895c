package main

// There is no protoc on this machine, so the protobuf messages are built at
// run time: a hand-written descriptorpb.FileDescriptorProto is turned into a
// real descriptor with protodesc, and dynamicpb gives a proto.Message for it.
// The same tables render the .proto files the TypeScript side loads.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// protoField is one field of a proto3 message.
type protoField struct {
	name     string
	number   int32
	kind     descriptorpb.FieldDescriptorProto_Type
	repeated bool
}

// protoSchema is a proto3 file with exactly one message.
type protoSchema struct {
	file    string // e.g. "bench.proto"
	pkg     string
	message string
	fields  []protoField
}

const (
	tString  = descriptorpb.FieldDescriptorProto_TYPE_STRING
	tBool    = descriptorpb.FieldDescriptorProto_TYPE_BOOL
	tInt32   = descriptorpb.FieldDescriptorProto_TYPE_INT32
	tInt64   = descriptorpb.FieldDescriptorProto_TYPE_INT64
	tFixed64 = descriptorpb.FieldDescriptorProto_TYPE_FIXED64
)

var arithSchema = protoSchema{
	file: "arith.proto", pkg: "arith", message: "ArithArgs",
	fields: []protoField{{"a", 1, tInt32, false}, {"b", 2, tInt32, false}},
}

// benchSchema is rpcx-benchmark's BenchmarkMessage, fields in declaration order
// (see shared/bench-message.md).
var benchSchema = protoSchema{
	file: "bench.proto", pkg: "bench", message: "BenchmarkMessage",
	fields: []protoField{
		{"field1", 1, tString, false}, {"field9", 9, tString, false},
		{"field18", 18, tString, false}, {"field80", 80, tBool, false},
		{"field81", 81, tBool, false}, {"field2", 2, tInt32, false},
		{"field3", 3, tInt32, false}, {"field280", 280, tInt32, false},
		{"field6", 6, tInt32, false}, {"field22", 22, tInt64, false},
		{"field4", 4, tString, false}, {"field5", 5, tFixed64, true},
		{"field59", 59, tBool, false}, {"field7", 7, tString, false},
		{"field16", 16, tInt32, false}, {"field130", 130, tInt32, false},
		{"field12", 12, tBool, false}, {"field17", 17, tBool, false},
		{"field13", 13, tBool, false}, {"field14", 14, tBool, false},
		{"field104", 104, tInt32, false}, {"field100", 100, tInt32, false},
		{"field101", 101, tInt32, false}, {"field102", 102, tString, false},
		{"field103", 103, tString, false}, {"field29", 29, tInt32, false},
		{"field30", 30, tBool, false}, {"field60", 60, tInt32, false},
		{"field271", 271, tInt32, false}, {"field272", 272, tInt32, false},
		{"field150", 150, tInt32, false}, {"field23", 23, tInt32, false},
		{"field24", 24, tBool, false}, {"field25", 25, tInt32, false},
		{"field78", 78, tBool, false}, {"field67", 67, tInt32, false},
		{"field68", 68, tInt32, false}, {"field128", 128, tInt32, false},
		{"field129", 129, tString, false}, {"field131", 131, tInt32, false},
	},
}

// benchString fills every string field of the benchmark message.
const benchString = "许多往事在眼前一幕一幕，变的那麼模糊"

// descriptor builds the message descriptor from the schema table.
func (s protoSchema) descriptor() (protoreflect.MessageDescriptor, error) {
	msg := &descriptorpb.DescriptorProto{Name: proto.String(s.message)}
	for _, f := range s.fields {
		label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		if f.repeated {
			label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		}
		msg.Field = append(msg.Field, &descriptorpb.FieldDescriptorProto{
			Name:     proto.String(f.name),
			Number:   proto.Int32(f.number),
			Label:    label.Enum(),
			Type:     f.kind.Enum(),
			JsonName: proto.String(f.name),
		})
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String(s.file),
		Package:     proto.String(s.pkg),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{msg},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		return nil, err
	}
	return fd.Messages().Get(0), nil
}

// protoText renders the schema as a .proto file.
func (s protoSchema) protoText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Written by conformance/go/cmd/vectorgen from the same table that builds the\n")
	fmt.Fprintf(&b, "// descriptor used for the protobuf vectors. Do not edit by hand.\n")
	fmt.Fprintf(&b, "syntax = \"proto3\";\n\npackage %s;\n\nmessage %s {\n", s.pkg, s.message)
	for _, f := range s.fields {
		typ := strings.ToLower(strings.TrimPrefix(f.kind.String(), "TYPE_"))
		if f.repeated {
			typ = "repeated " + typ
		}
		fmt.Fprintf(&b, "  %s %s = %d;\n", typ, f.name, f.number)
	}
	b.WriteString("}\n")
	return b.String()
}

// writeProtoFiles writes arith.proto and bench.proto into dir.
func writeProtoFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range []protoSchema{arithSchema, benchSchema} {
		if err := os.WriteFile(filepath.Join(dir, s.file), []byte(s.protoText()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// pbMessage is a dynamic protobuf message handed to rpcx's PBCodec. It
// implements gogo's proto.Marshaler, which PBCodec tries first, and marshals
// deterministically: fields in field-number order, the order generated Go code
// and protobufjs both write. (PBCodec's other path, proto.Marshal of a bare
// dynamicpb message, writes fields in random Go map order.)
type pbMessage struct{ *dynamicpb.Message }

// Marshal implements github.com/gogo/protobuf/proto.Marshaler.
func (m pbMessage) Marshal() ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m.Message)
}

// newArithArgs builds ArithArgs{a: a, b: b}.
func newArithArgs(a, b int32) (pbMessage, error) {
	md, err := arithSchema.descriptor()
	if err != nil {
		return pbMessage{}, err
	}
	m := dynamicpb.NewMessage(md)
	m.Set(md.Fields().ByName("a"), protoreflect.ValueOfInt32(a))
	m.Set(md.Fields().ByName("b"), protoreflect.ValueOfInt32(b))
	return pbMessage{m}, nil
}

// newBenchMessage fills BenchmarkMessage the way rpcx-benchmark does: every
// int32/int64 = 100000, every bool = true, every string = benchString,
// repeated field5 empty.
func newBenchMessage() (pbMessage, map[string]any, error) {
	md, err := benchSchema.descriptor()
	if err != nil {
		return pbMessage{}, nil, err
	}
	m := dynamicpb.NewMessage(md)
	value := map[string]any{}
	for _, f := range benchSchema.fields {
		fd := md.Fields().ByName(protoreflect.Name(f.name))
		switch {
		case f.repeated:
			value[f.name] = []any{}
		case f.kind == tString:
			m.Set(fd, protoreflect.ValueOfString(benchString))
			value[f.name] = benchString
		case f.kind == tBool:
			m.Set(fd, protoreflect.ValueOfBool(true))
			value[f.name] = true
		case f.kind == tInt32:
			m.Set(fd, protoreflect.ValueOfInt32(100000))
			value[f.name] = 100000
		case f.kind == tInt64:
			m.Set(fd, protoreflect.ValueOfInt64(100000))
			value[f.name] = 100000
		default:
			return pbMessage{}, nil, fmt.Errorf("unhandled field %s", f.name)
		}
	}
	return pbMessage{m}, value, nil
}

// checkFieldOrder verifies that b is a flat protobuf encoding whose field
// numbers strictly increase, and that it parses back into a message equal to
// want (so the gogo Marshaler path and proto.Marshal agree on content).
func checkFieldOrder(b []byte, want pbMessage) error {
	last := protowire.Number(0)
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return protowire.ParseError(n)
		}
		if num <= last {
			return fmt.Errorf("field %d after field %d", num, last)
		}
		last = num
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		rest = rest[n+m:]
	}
	got := dynamicpb.NewMessage(want.Descriptor())
	if err := proto.Unmarshal(b, got); err != nil {
		return err
	}
	plain, err := proto.Marshal(want.Message)
	if err != nil {
		return err
	}
	if len(plain) != len(b) || !proto.Equal(got, want.Message) {
		return fmt.Errorf("deterministic encoding differs from proto.Marshal")
	}
	return nil
}
