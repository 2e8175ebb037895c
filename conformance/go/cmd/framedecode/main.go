// Command framedecode decodes a stream of rpcx frames with Go rpcx v1.9.4's own
// decoder (protocol.Read) and prints one JSON line per frame in the vector
// "expect" schema (payloadHex after decompression, plus wirePayloadLength).
//
//	framedecode < frames.bin
//	framedecode -listen 127.0.0.1:0   # prints "LISTENING <addr>", serves one connection
//
// On a decode error it prints {"error":"<text>"} and exits with code 2. It is
// stricter than Go in one way: a frame whose length fields are inconsistent
// (which Go's Decode recovers from and half-decodes) is an error here too.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"os"

	"github.com/rpcx-ts/conformance/internal/wire"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
)

func main() {
	listen := flag.String("listen", "", "accept one TCP connection on this loopback address (e.g. 127.0.0.1:0) instead of reading stdin")
	flag.Parse()

	// rpcx logs to stdout by default; stdout carries our JSON lines.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))
	// No limit on frame size (v1.9.4 has no decompressed-size limit at all).
	protocol.MaxMessageLength = 0

	out := bufio.NewWriter(os.Stdout)
	var in io.Reader = os.Stdin
	if *listen != "" {
		conn, err := acceptOne(*listen, out)
		if err != nil {
			fail(out, err)
		}
		defer conn.Close()
		in = conn
	}
	os.Exit(decodeAll(bufio.NewReader(in), out))
}

// acceptOne listens on a loopback address, announces it and accepts one
// connection.
func acceptOne(addr string, out *bufio.Writer) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("refusing to listen on non-loopback address %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	fmt.Fprintf(out, "LISTENING %s\n", ln.Addr())
	out.Flush()
	return ln.Accept()
}

// decodeAll prints a line per frame until EOF; it returns the exit code.
func decodeAll(r io.Reader, out *bufio.Writer) int {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		msg, _, layout, err := wire.ReadFrame(r)
		if errors.Is(err, io.EOF) {
			out.Flush()
			return 0
		}
		if err != nil {
			fail(out, err)
		}
		e := wire.FromMessage(msg)
		e.WirePayloadLength = &layout.WirePayloadLength
		if err := enc.Encode(e); err != nil {
			fail(out, err)
		}
		out.Flush() // live consumers see each frame at once
	}
}

// fail prints {"error": ...} and exits with code 2.
func fail(out *bufio.Writer, err error) {
	line, _ := json.Marshal(map[string]string{"error": err.Error()})
	out.Write(append(line, '\n'))
	out.Flush()
	os.Exit(2)
}
