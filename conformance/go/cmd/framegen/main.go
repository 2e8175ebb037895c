// Command framegen encodes messages with Go rpcx v1.9.4's encoder. It reads
// JSON lines from stdin, each a message in the vector "expect" schema
// (payloadHex is the plain payload; compressType 1 makes rpcx gzip it;
// wirePayloadLength is ignored), and writes the raw frames to stdout.
//
//	framegen < messages.jsonl > frames.bin
//	framegen -hex < messages.jsonl     # one lowercase hex frame per line
//
// Metadata pairs are written in Go's (random) map order. On bad input it
// prints the error to stderr and exits with code 2.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/rpcx-ts/conformance/internal/wire"
)

func main() {
	asHex := flag.Bool("hex", false, "write each frame as a lowercase hex line instead of raw bytes")
	flag.Parse()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30) // allow large payloads
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		frame, err := encodeLine(text)
		if err != nil {
			out.Flush()
			fmt.Fprintf(os.Stderr, "framegen: line %d: %v\n", line, err)
			os.Exit(2)
		}
		if *asHex {
			fmt.Fprintln(out, hex.EncodeToString(frame))
		} else {
			out.Write(frame)
		}
	}
	if err := sc.Err(); err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, "framegen:", err)
		os.Exit(2)
	}
}

// encodeLine parses one message description and encodes it with
// protocol.Message.Encode.
func encodeLine(text []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var e wire.Expect
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	msg, err := e.ToMessage()
	if err != nil {
		return nil, err
	}
	return msg.Encode(), nil
}
