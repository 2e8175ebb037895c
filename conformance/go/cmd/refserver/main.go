// Command refserver is a real Go rpcx v1.9.4 server with the interop services
// (internal/interop, conformance/README.md) registered, for live tests of the
// TypeScript client.
//
//	refserver [-network tcp|unix] [-addr 127.0.0.1:0|/path/to.sock] [-auth token]
//	          [-tls-cert cert.pem -tls-key key.pem] [-id NAME]
//
// Once it accepts connections it prints exactly one stdout line
// "LISTENING <network>@<address>". It serves until SIGTERM, SIGINT or EOF on
// stdin, then shuts down gracefully and exits with 0. Every heartbeat it
// receives is logged as a "HEARTBEAT" line on stderr.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"os"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/serving"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
	"github.com/smallnest/rpcx/server"
)

func main() {
	network := flag.String("network", "tcp", "tcp or unix")
	addr := flag.String("addr", "", "listen address: host:port on loopback for tcp (default 127.0.0.1:0), a socket path for unix (required)")
	auth := flag.String("auth", "", "if set, every request must carry this __AUTH token (else error \"invalid token\" and the connection is closed)")
	tlsCert := flag.String("tls-cert", "", "PEM certificate (chain) file: serve TLS (tcp only); needs -tls-key")
	tlsKey := flag.String("tls-key", "", "PEM private key file for -tls-cert")
	id := flag.String("id", "go-refserver", "the id Fleet.Who and the other Fleet methods answer with")
	stdinEOF := flag.Bool("exit-on-stdin-eof", true, "shut down when stdin reaches EOF (pass false to run with stdin closed, e.g. </dev/null)")
	flag.Parse()

	// rpcx logs to stdout by default; stdout carries only the LISTENING line.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	if err := run(*network, *addr, *auth, *tlsCert, *tlsKey, *id, *stdinEOF); err != nil {
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(1)
	}
}

// heartbeatLogger is a server.HeartbeatPlugin that logs every heartbeat.
type heartbeatLogger struct{}

func (heartbeatLogger) HeartbeatRequest(context.Context, *protocol.Message) error {
	fmt.Fprintln(os.Stderr, "HEARTBEAT")
	return nil
}

func run(network, addr, auth, tlsCert, tlsKey, id string, stdinEOF bool) error {
	switch network {
	case "tcp":
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if err := interop.CheckLoopback(addr); err != nil {
			return err
		}
	case "unix":
		if addr == "" {
			return errors.New("-network unix needs -addr <socket path>")
		}
	default:
		return fmt.Errorf("unsupported -network %q (want tcp or unix)", network)
	}

	var opts []server.OptionFn
	if tlsCert != "" || tlsKey != "" {
		if tlsCert == "" || tlsKey == "" {
			return errors.New("-tls-cert and -tls-key go together")
		}
		if network != "tcp" {
			return errors.New("TLS is served on tcp only (rpcx's unix listener ignores TLS)")
		}
		cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
		if err != nil {
			return err
		}
		opts = append(opts, server.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	}

	srv := server.NewServer(opts...)
	if err := register(srv, id); err != nil {
		return err
	}
	if auth != "" {
		srv.AuthFunc = func(_ context.Context, _ *protocol.Message, token string) error {
			if token != auth {
				return errors.New(interop.ErrInvalidToken)
			}
			return nil
		}
	}
	srv.Plugins.Add(heartbeatLogger{})

	serveErr, err := serving.Start(srv, network, addr)
	if err != nil {
		return err
	}
	fmt.Printf("LISTENING %s@%s\n", network, srv.Address().String())
	os.Stdout.Sync()

	return serving.StopOnSignal("refserver", srv, serveErr, stdinEOF)
}
