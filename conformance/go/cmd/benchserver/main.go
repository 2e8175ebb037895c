// Command benchserver is the Go rpcx v1.9.4 server of the peer benchmark
// (pnpm bench:peers): rpcx-benchmark's Hello.Say on the 581-byte
// BenchmarkMessage, for every codec, plus a codec-free echo.
//
//	benchserver [-addr 127.0.0.1:0]
//
// Services:
//
//	Hello.Say   serialize type 1 (JSON), 3 (MsgPack) or 2 (Protobuf): one
//	            method, one Go type (protoschema.BenchmarkMessage); rpcx picks
//	            the codec from each request's header. JSON and MsgPack carry
//	            the message as an object keyed by Go field names
//	            ({"Field1":...,"Field9":...,"Field5":null,...}), Protobuf as
//	            bench.BenchmarkMessage. The reply is the request with
//	            Field1 = "OK" and Field2 = 100.
//	Hello.Echo  serialize type 0 (raw bytes): the payload back as it came.
//
// Once it serves it prints exactly one stdout line
// "LISTENING tcp@127.0.0.1:<port>". Then it reads stdin, one command a line:
//
//	stats -> STATS {"cpuUs":<user+system CPU µs so far>,"rssBytes":<VmRSS>}
//
// EOF on stdin (or SIGTERM, SIGINT) shuts it down gracefully, exit 0. An
// unknown command is reported on stderr and ends it with exit 1. Nothing else
// goes to stdout; rpcx logs to stderr at warn level.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/procstat"
	"github.com/rpcx-ts/conformance/internal/protoschema"
	"github.com/rpcx-ts/conformance/internal/serving"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/server"
)

// Hello is rpcx-benchmark's service.
type Hello struct{}

// Say returns the message with Field1 = "OK" and Field2 = 100, as
// rpcx-benchmark's server does.
func (Hello) Say(_ context.Context, args *protoschema.BenchmarkMessage, reply *protoschema.BenchmarkMessage) error {
	*reply = *args
	reply.Field1 = "OK"
	reply.Field2 = 100
	return nil
}

// Echo returns the raw payload.
func (Hello) Echo(_ context.Context, args *[]byte, reply *[]byte) error {
	*reply = *args
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address host:port (loopback only)")
	flag.Parse()

	// rpcx logs to stdout by default; stdout carries only the protocol lines.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))

	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	if err := interop.CheckLoopback(addr); err != nil {
		return err
	}
	srv := server.NewServer()
	if err := srv.RegisterName("Hello", new(Hello), ""); err != nil {
		return err
	}
	serveErr, err := serving.Start(srv, "tcp", addr)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "LISTENING tcp@%s\n", srv.Address().String())
	if err := out.Flush(); err != nil {
		return err
	}

	stop := make(chan error, 3)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "benchserver: %s, shutting down\n", s)
		stop <- nil
	}()
	go func() { stop <- commands(out) }()
	go func() { stop <- fmt.Errorf("serve: %w", <-serveErr) }()
	runErr := <-stop

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver: shutdown:", err)
	}
	return runErr
}

// commands answers the stdin commands until EOF (nil) or a bad command.
func commands(out *bufio.Writer) error {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch cmd := strings.TrimSpace(in.Text()); cmd {
		case "":
		case "stats":
			stats, err := procstat.Read()
			if err != nil {
				return err
			}
			line, _ := json.Marshal(stats)
			fmt.Fprintf(out, "STATS %s\n", line)
			if err := out.Flush(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown command %q (want stats)", cmd)
		}
	}
	if err := in.Err(); err != nil {
		return err
	}
	return nil // EOF: a graceful stop
}
