package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/rpcx-ts/conformance/internal/wire"
)

// Vector is one golden frame file.
type Vector struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Hex         string      `json:"hex"`
	Expect      wire.Expect `json:"expect"`
	// Value is the Go value the payload encodes, in JSON: integers beyond
	// ±2^53 as decimal strings, []byte as {"$hex": "..."}.
	Value any `json:"value,omitempty"`
}

// newVector decodes frame with Go rpcx's decoder and fills in the expectation
// from what rpcx decoded. If intended is non-nil (a message we built), the
// decoded description must equal it.
func newVector(name, description string, frame []byte, value any, intended *wire.Expect) (Vector, error) {
	r := bytes.NewReader(frame)
	msg, raw, layout, err := wire.ReadFrame(r)
	if err != nil {
		return Vector{}, fmt.Errorf("%s: %w", name, err)
	}
	if r.Len() != 0 || len(raw) != len(frame) {
		return Vector{}, fmt.Errorf("%s: %d bytes left after the frame", name, r.Len())
	}
	exp := wire.FromMessage(msg)
	if intended != nil && !reflect.DeepEqual(exp, *intended) {
		return Vector{}, fmt.Errorf("%s: decoded %+v, built %+v", name, exp, *intended)
	}
	wpl := layout.WirePayloadLength
	exp.WirePayloadLength = &wpl
	return Vector{
		Name:        name,
		Description: description,
		Hex:         hex.EncodeToString(frame),
		Expect:      exp,
		Value:       value,
	}, nil
}

// write stores the vector as <dir>/<name>.json, pretty-printed. encoding/json
// writes map keys sorted, so metadata is stable.
func (v Vector) write(dir string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, v.Name+".json"), buf.Bytes(), 0o644)
}
