package main

import (
	"context"
	"strings"

	"github.com/rpcx-ts/conformance/internal/interop"
)

// Args and Reply are the interop contract's Arith types: Go's JSON and msgpack
// codecs key Args by the Go field names "A" and "B".
type (
	Args  = interop.Args
	Reply = interop.Reply
)

// Arith is the example service registered on the capture server.
type Arith struct{}

// Mul multiplies.
func (Arith) Mul(_ context.Context, args *Args, reply *Reply) error {
	reply.C = args.A * args.B
	return nil
}

// Blob carries a large, compressible text; used to trigger gzip.
type Blob struct {
	Text string
}

// Echo is registered on the capture server; it returns its argument, so a
// large gzip request yields a large (and therefore gzip) response.
type Echo struct{}

// Echo returns the argument unchanged.
func (Echo) Echo(_ context.Context, args *Blob, reply *Blob) error {
	*reply = *args
	return nil
}

// bigBlob is the payload of the gzip vectors: its JSON encoding is well above
// rpcx's 1024-byte compression threshold.
var bigBlob = Blob{Text: strings.Repeat("rpcx gzip conformance vector. ", 48)}

// Rich exercises the msgpack encodings Go uses for common field types. The
// codec (vmihailenco/msgpack/v5, defaults) writes a struct as a map keyed by
// the exact Go field name, in declaration order.
type Rich struct {
	Big    int64             // int64 is always 0xd3 + 8 bytes
	Neg    int64             // negative int64, also 0xd3
	U64    uint64            // uint64 is always 0xcf + 8 bytes
	Small  int               // int uses the compact encodings (fixint here)
	Name   string            // str
	Ratio  float64           // 0xcb + IEEE 754 double
	Ok     bool              // 0xc3
	Data   []byte            // bin 8 (0xc4)
	Nested map[string]string // map; key order follows Go's map iteration
}

var richValue = Rich{
	Big:    9007199254740993, // 2^53 + 1: not representable as a JS number
	Neg:    -9007199254740993,
	U64:    18446744073709551615,
	Small:  7,
	Name:   "rpcx 你好 ✓",
	Ratio:  3.14159,
	Ok:     true,
	Data:   []byte{0x00, 0x01, 0x02, 0xfe, 0xff},
	Nested: map[string]string{"k1": "v1", "k2": "值"},
}

// richJSON is richValue in the vector "value" convention: integers beyond
// ±2^53 as decimal strings, []byte as {"$hex": "..."}.
var richJSON = map[string]any{
	"Big":    "9007199254740993",
	"Neg":    "-9007199254740993",
	"U64":    "18446744073709551615",
	"Small":  7,
	"Name":   "rpcx 你好 ✓",
	"Ratio":  3.14159,
	"Ok":     true,
	"Data":   map[string]string{"$hex": "000102feff"},
	"Nested": map[string]string{"k1": "v1", "k2": "值"},
}
