// Command vectorgen writes golden rpcx frames, produced by Go rpcx v1.9.4's
// own encoder and server, as JSON files (one per vector) for the TypeScript
// conformance tests. It also writes the .proto files of the protobuf vectors.
//
//	go run ./cmd/vectorgen -out ../vectors -proto-out ../proto
package main

import (
	"flag"
	"fmt"
	stdlog "log"
	"os"

	"github.com/rpcx-ts/conformance/internal/protoschema"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
)

const gzip = protocol.Gzip

func serializeType(n uint8) protocol.SerializeType { return protocol.SerializeType(n) }

func main() {
	out := flag.String("out", "../vectors", "directory for the <name>.json vector files")
	protoOut := flag.String("proto-out", "../proto", "directory for arith.proto and bench.proto (empty: skip)")
	flag.Parse()

	// rpcx logs to stdout by default; keep stdout clean.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	if err := run(*out, *protoOut); err != nil {
		fmt.Fprintln(os.Stderr, "vectorgen:", err)
		os.Exit(1)
	}
}

func run(out, protoOut string) error {
	if err := crossCheckClient(); err != nil {
		return fmt.Errorf("builder does not match the real client: %w", err)
	}
	vectors, err := allVectors()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, v := range vectors {
		if err := v.write(out); err != nil {
			return err
		}
		fmt.Printf("%-28s %4d bytes\n", v.Name, len(v.Hex)/2)
	}
	fmt.Printf("wrote %d vectors to %s\n", len(vectors), out)
	if protoOut != "" {
		if err := protoschema.WriteProtoFiles(protoOut); err != nil {
			return err
		}
		fmt.Printf("wrote arith.proto, bench.proto to %s\n", protoOut)
	}
	return nil
}
