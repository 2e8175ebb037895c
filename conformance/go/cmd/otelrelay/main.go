// Command otelrelay is the Go middle hop of the TS -> Go -> TS trace test
// (conformance/tests/otel-trace.spec.ts): a Go rpcx v1.9.4 server traced by
// rpcx-plugins' OpenTelemetry server plugin, whose Relay.Call calls Arith.Mul
// on the next server through an XClient traced by rpcx-plugins' client
// plugin. Both plugins use the W3C propagator (propagation.TraceContext), so
// the span context travels in the request metadata as traceparent/tracestate.
//
//	otelrelay -next 127.0.0.1:<port> (-spans <file> | -otlp <url>) [-pass-handler-ctx]
//
// It serves on a free loopback port (JSON args {A, B}, reply {C}) and prints
// "READY tcp@127.0.0.1:<port>". EOF on stdin (or SIGTERM, SIGINT) stops it:
// the server shuts down, the tracer provider is flushed, and "STOPPED" is
// printed. Every span ends up in -spans as one JSON object per line
// (the SDK's stdouttrace exporter, synchronous: written when the span ends),
// or, with -otlp, is sent when it ends to that OTLP/HTTP traces URL (a
// loopback collector, conformance/tests/otel-collector-trace.spec.ts).
//
// The handler calls on with share.NewContext(ctx), not ctx itself: rpcx's
// XClient does not wrap a *share.Context it is given, and the client plugin
// then stores its span in the server's context, so the server plugin's
// PostWriteResponse ends the client span a second time and the server span
// is never ended (never exported). -pass-handler-ctx passes ctx as most Go
// code would, to show that.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"strings"
	"time"

	"github.com/rpcx-ts/conformance/internal/serving"
	clientotel "github.com/rpcxio/rpcx-plugins/client/otel"
	serverotel "github.com/rpcxio/rpcx-plugins/server/otel"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
	"github.com/smallnest/rpcx/server"
	"github.com/smallnest/rpcx/share"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Args and Reply are Arith.Mul's, in JSON.
type Args struct{ A, B int }
type Reply struct{ C int }

// Relay is the service: Call passes its arguments on to Arith.Mul.
type Relay struct {
	next           client.XClient
	passHandlerCtx bool
}

func (r *Relay) Call(ctx context.Context, args *Args, reply *Reply) error {
	onward := ctx
	if !r.passHandlerCtx {
		onward = share.NewContext(ctx)
	}
	return r.next.Call(onward, "Mul", args, reply)
}

func main() {
	next := flag.String("next", "", "host:port of the server with Arith.Mul")
	spans := flag.String("spans", "", "file the spans are written to, one JSON object per line")
	otlp := flag.String("otlp", "", "OTLP/HTTP traces URL the spans are sent to instead (loopback)")
	passHandlerCtx := flag.Bool("pass-handler-ctx", false, "call on with the handler's ctx itself (see the package comment)")
	flag.Parse()
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))
	if err := run(*next, *spans, *otlp, *passHandlerCtx); err != nil {
		fmt.Fprintln(os.Stderr, "otelrelay:", err)
		os.Exit(1)
	}
}

func run(next, spansPath, otlpURL string, passHandlerCtx bool) error {
	if next == "" || (spansPath == "") == (otlpURL == "") {
		return errors.New("-next and one of -spans and -otlp are required")
	}
	if !strings.HasPrefix(next, "127.") {
		return fmt.Errorf("-next %s: only loopback addresses", next)
	}
	exporter, closeExporter, err := newExporter(spansPath, otlpURL)
	if err != nil {
		return err
	}
	defer closeExporter()
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exporter),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "otelrelay"))),
	)
	tracer := provider.Tracer("otelrelay")
	propagator := propagation.TraceContext{}

	discovery, err := client.NewPeer2PeerDiscovery("tcp@"+next, "")
	if err != nil {
		return err
	}
	option := client.DefaultOption
	option.SerializeType = protocol.JSON
	xclient := client.NewXClient("Arith", client.Failfast, client.RandomSelect, discovery, option)
	xclient.GetPlugins().Add(clientotel.NewOpenTelemetryPlugin(tracer, propagator))

	srv := server.NewServer()
	srv.Plugins.Add(serverotel.NewOpenTelemetryPlugin(tracer, propagator))
	if err := srv.RegisterName("Relay", &Relay{next: xclient, passHandlerCtx: passHandlerCtx}, ""); err != nil {
		return err
	}
	serveErr, err := serving.Start(srv, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("READY tcp@%s\n", srv.Address().String())
	os.Stdout.Sync()

	if err := serving.StopOnSignal("otelrelay", srv, serveErr, true); err != nil {
		return err
	}
	xclient.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracer provider shutdown: %w", err)
	}
	fmt.Println("STOPPED")
	os.Stdout.Sync()
	return nil
}

// newExporter writes spans to spansPath (stdouttrace) or sends them to
// otlpURL (OTLP/HTTP, protobuf); only loopback URLs are accepted.
func newExporter(spansPath, otlpURL string) (sdktrace.SpanExporter, func(), error) {
	if otlpURL != "" {
		if !strings.HasPrefix(otlpURL, "http://127.") {
			return nil, nil, fmt.Errorf("-otlp %s: only http://127.x loopback URLs", otlpURL)
		}
		exporter, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(otlpURL))
		return exporter, func() {}, err
	}
	out, err := os.Create(spansPath)
	if err != nil {
		return nil, nil, err
	}
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithoutTimestamps())
	if err != nil {
		out.Close()
		return nil, nil, err
	}
	return exporter, func() { out.Close() }, nil
}
