package main

// The protobuf messages of the vectors are dynamicpb messages built from the
// tables in internal/protoschema, which also renders the .proto files the
// TypeScript side loads.

import (
	"fmt"

	"github.com/rpcx-ts/conformance/internal/protoschema"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// benchString fills every string field of the benchmark message.
const benchString = "许多往事在眼前一幕一幕，变的那麼模糊"

// newBenchMessage fills BenchmarkMessage the way rpcx-benchmark does: every
// int32/int64 = 100000, every bool = true, every string = benchString,
// repeated field5 empty.
func newBenchMessage() (protoschema.Deterministic, map[string]any, error) {
	md, err := protoschema.Bench.MessageDescriptor("BenchmarkMessage")
	if err != nil {
		return protoschema.Deterministic{}, nil, err
	}
	m := dynamicpb.NewMessage(md)
	value := map[string]any{}
	for _, f := range protoschema.Bench.Messages[0].Fields {
		fd := md.Fields().ByName(protoreflect.Name(f.Name))
		switch {
		case f.Repeated:
			value[f.Name] = []any{}
		case f.Kind == protoschema.String:
			m.Set(fd, protoreflect.ValueOfString(benchString))
			value[f.Name] = benchString
		case f.Kind == protoschema.Bool:
			m.Set(fd, protoreflect.ValueOfBool(true))
			value[f.Name] = true
		case f.Kind == protoschema.Int32:
			m.Set(fd, protoreflect.ValueOfInt32(100000))
			value[f.Name] = 100000
		case f.Kind == protoschema.Int64:
			m.Set(fd, protoreflect.ValueOfInt64(100000))
			value[f.Name] = 100000
		default:
			return protoschema.Deterministic{}, nil, fmt.Errorf("unhandled field %s", f.Name)
		}
	}
	return protoschema.Deterministic{Message: m}, value, nil
}

// checkFieldOrder verifies that b is a flat protobuf encoding whose field
// numbers strictly increase, and that it parses back into a message equal to
// want (so the gogo Marshaler path and proto.Marshal agree on content).
func checkFieldOrder(b []byte, want *dynamicpb.Message) error {
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
	plain, err := proto.Marshal(want)
	if err != nil {
		return err
	}
	if len(plain) != len(b) || !proto.Equal(got, want) {
		return fmt.Errorf("deterministic encoding differs from proto.Marshal")
	}
	return nil
}
