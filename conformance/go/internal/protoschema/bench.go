package protoschema

// BenchmarkMessage as a plain Go struct, for the benchmark programs
// (cmd/benchserver, cmd/benchclient). One value serves every rpcx codec:
//
//   - JSON and MsgPack: rpcx's JSONCodec (encoding/json) and MsgpackCodec
//     (vmihailenco/msgpack/v5, JSON tags off) encode the exported fields under
//     their Go names, in declaration order: {"Field1":"...","Field9":...}. The
//     struct has no tags, so both codecs agree (a protoc-gen-go struct would
//     have lowercase json tags, which only encoding/json honours).
//   - Protobuf: rpcx's PBCodec tries gogo's proto.Marshaler/Unmarshaler first;
//     Marshal and Unmarshal below implement them with protowire, driven by the
//     Bench table (numbers and kinds live there only).
//
// The struct's fields must be the table's fields in declaration order, named
// like protoc-gen-go names them (field22 → Field22); init checks it.

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// BenchString is the value rpcx-benchmark puts in every string field
// (18 characters, 54 bytes of UTF-8).
const BenchString = "许多往事在眼前一幕一幕，变的那麼模糊"

// BenchInt is the value rpcx-benchmark puts in every int32 and int64 field.
const BenchInt = 100000

// BenchProtobufSize is the protobuf size of NewBenchmarkMessage().
const BenchProtobufSize = 581

// BenchmarkMessage is bench.BenchmarkMessage (conformance/proto/bench.proto).
type BenchmarkMessage struct {
	Field1   string
	Field9   string
	Field18  string
	Field80  bool
	Field81  bool
	Field2   int32
	Field3   int32
	Field280 int32
	Field6   int32
	Field22  int64
	Field4   string
	Field5   []uint64
	Field59  bool
	Field7   string
	Field16  int32
	Field130 int32
	Field12  bool
	Field17  bool
	Field13  bool
	Field14  bool
	Field104 int32
	Field100 int32
	Field101 int32
	Field102 string
	Field103 string
	Field29  int32
	Field30  bool
	Field60  int32
	Field271 int32
	Field272 int32
	Field150 int32
	Field23  int32
	Field24  bool
	Field25  int32
	Field78  bool
	Field67  int32
	Field68  int32
	Field128 int32
	Field129 string
	Field131 int32
}

// benchField is one field of the table with the index of its struct field.
type benchField struct {
	num   protowire.Number
	kind  reflect.Kind // of the struct field: String, Bool, Int32, Int64, Slice ([]uint64)
	index int
}

var (
	// benchByNumber lists the fields in field-number order, the order
	// generated Go code (and protoschema's Deterministic) writes them.
	benchByNumber []benchField
	// benchLookup maps a field number to 1 + its index in benchByNumber (0: unknown).
	benchLookup []int
)

func init() {
	fields, err := benchPlan()
	if err != nil {
		panic(err)
	}
	benchByNumber = fields
	benchLookup = make([]int, fields[len(fields)-1].num+1)
	for i, f := range fields {
		benchLookup[f.num] = i + 1
	}
}

// benchPlan checks BenchmarkMessage against the Bench table and returns the
// fields sorted by number.
func benchPlan() ([]benchField, error) {
	table := Bench.Messages[0].Fields
	st := reflect.TypeFor[BenchmarkMessage]()
	if st.NumField() != len(table) {
		return nil, fmt.Errorf("protoschema: BenchmarkMessage has %d fields, the table %d", st.NumField(), len(table))
	}
	want := map[string]reflect.Kind{"STRING": reflect.String, "BOOL": reflect.Bool, "INT32": reflect.Int32, "INT64": reflect.Int64}
	fields := make([]benchField, len(table))
	for i, f := range table {
		sf := st.Field(i)
		kind := want[strings.TrimPrefix(f.Kind.String(), "TYPE_")]
		if f.Repeated && f.Kind == Fixed64 {
			kind = reflect.Slice
		}
		goName := strings.ToUpper(f.Name[:1]) + f.Name[1:]
		if kind == reflect.Invalid || sf.Name != goName || sf.Type.Kind() != kind ||
			(kind == reflect.Slice && sf.Type.Elem().Kind() != reflect.Uint64) {
			return nil, fmt.Errorf("protoschema: BenchmarkMessage field %d is %s %s, the table says %s %s", i, sf.Name, sf.Type, goName, f.Kind)
		}
		fields[i] = benchField{num: protowire.Number(f.Number), kind: kind, index: i}
	}
	slices.SortFunc(fields, func(a, b benchField) int { return int(a.num - b.num) })
	return fields, nil
}

// NewBenchmarkMessage returns the message filled as rpcx-benchmark fills it:
// every string BenchString, every bool true, every int32/int64 BenchInt,
// Field5 nil. Its protobuf encoding is BenchProtobufSize bytes.
func NewBenchmarkMessage() *BenchmarkMessage {
	m := new(BenchmarkMessage)
	v := reflect.ValueOf(m).Elem()
	for _, f := range benchByNumber {
		switch fv := v.Field(f.index); f.kind {
		case reflect.String:
			fv.SetString(BenchString)
		case reflect.Bool:
			fv.SetBool(true)
		case reflect.Int32, reflect.Int64:
			fv.SetInt(BenchInt)
		}
	}
	return m
}

// Reset zeroes the message; rpcx's server pools values that have Reset.
func (m *BenchmarkMessage) Reset() { *m = BenchmarkMessage{} }

// Size returns the length of the protobuf encoding.
func (m *BenchmarkMessage) Size() int {
	v := reflect.ValueOf(m).Elem()
	n := 0
	for _, f := range benchByNumber {
		fv := v.Field(f.index)
		switch f.kind {
		case reflect.String:
			if s := fv.String(); s != "" {
				n += protowire.SizeTag(f.num) + protowire.SizeBytes(len(s))
			}
		case reflect.Bool:
			if fv.Bool() {
				n += protowire.SizeTag(f.num) + 1
			}
		case reflect.Int32, reflect.Int64:
			if x := fv.Int(); x != 0 {
				n += protowire.SizeTag(f.num) + protowire.SizeVarint(uint64(x))
			}
		case reflect.Slice:
			if l := fv.Len(); l > 0 {
				n += protowire.SizeTag(f.num) + protowire.SizeBytes(8*l)
			}
		}
	}
	return n
}

// Marshal implements github.com/gogo/protobuf/proto.Marshaler: proto3 binary,
// zero values omitted, fields in number order, Field5 packed.
func (m *BenchmarkMessage) Marshal() ([]byte, error) {
	v := reflect.ValueOf(m).Elem()
	b := make([]byte, 0, m.Size())
	for _, f := range benchByNumber {
		fv := v.Field(f.index)
		switch f.kind {
		case reflect.String:
			if s := fv.String(); s != "" {
				b = protowire.AppendTag(b, f.num, protowire.BytesType)
				b = protowire.AppendString(b, s)
			}
		case reflect.Bool:
			if fv.Bool() {
				b = protowire.AppendTag(b, f.num, protowire.VarintType)
				b = append(b, 1)
			}
		case reflect.Int32, reflect.Int64:
			// A negative int32 is sign-extended to 10 bytes, as proto3 requires.
			if x := fv.Int(); x != 0 {
				b = protowire.AppendTag(b, f.num, protowire.VarintType)
				b = protowire.AppendVarint(b, uint64(x))
			}
		case reflect.Slice:
			if l := fv.Len(); l > 0 {
				b = protowire.AppendTag(b, f.num, protowire.BytesType)
				b = protowire.AppendVarint(b, uint64(8*l))
				for _, x := range *uint64s(fv) {
					b = protowire.AppendFixed64(b, x)
				}
			}
		}
	}
	return b, nil
}

var errBenchTruncated = errors.New("protoschema: BenchmarkMessage: truncated or malformed protobuf")

// Unmarshal implements github.com/gogo/protobuf/proto.Unmarshaler; it
// replaces the whole content. Unknown fields, and known ones with another wire
// type, are skipped (Go's protobuf keeps them as unknown fields).
func (m *BenchmarkMessage) Unmarshal(b []byte) error {
	m.Reset()
	v := reflect.ValueOf(m).Elem()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errBenchTruncated
		}
		b = b[n:]
		var f *benchField
		if int(num) < len(benchLookup) && benchLookup[num] != 0 {
			f = &benchByNumber[benchLookup[num]-1]
		}
		known := f != nil
		if known {
			switch fv := v.Field(f.index); {
			case f.kind == reflect.String && typ == protowire.BytesType:
				var s []byte
				if s, n = protowire.ConsumeBytes(b); n >= 0 {
					fv.SetString(string(s))
				}
			case f.kind == reflect.Bool && typ == protowire.VarintType:
				var x uint64
				if x, n = protowire.ConsumeVarint(b); n >= 0 {
					fv.SetBool(x != 0)
				}
			case f.kind == reflect.Int32 && typ == protowire.VarintType:
				var x uint64
				if x, n = protowire.ConsumeVarint(b); n >= 0 {
					fv.SetInt(int64(int32(x)))
				}
			case f.kind == reflect.Int64 && typ == protowire.VarintType:
				var x uint64
				if x, n = protowire.ConsumeVarint(b); n >= 0 {
					fv.SetInt(int64(x))
				}
			case f.kind == reflect.Slice && typ == protowire.Fixed64Type:
				var x uint64
				if x, n = protowire.ConsumeFixed64(b); n >= 0 {
					p := uint64s(fv)
					*p = append(*p, x)
				}
			case f.kind == reflect.Slice && typ == protowire.BytesType:
				var packed []byte
				if packed, n = protowire.ConsumeBytes(b); n >= 0 {
					if len(packed)%8 != 0 {
						return errBenchTruncated
					}
					p := uint64s(fv)
					for ; len(packed) > 0; packed = packed[8:] {
						x, _ := protowire.ConsumeFixed64(packed)
						*p = append(*p, x)
					}
				}
			default:
				known = false
			}
		}
		if !known { // an unknown field, or a known one with another wire type: skip it
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errBenchTruncated
		}
		b = b[n:]
	}
	return nil
}

// uint64s is the address of the []uint64 struct field fv.
func uint64s(fv reflect.Value) *[]uint64 { return fv.Addr().Interface().(*[]uint64) }
