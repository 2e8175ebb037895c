// Command etcd-goserver is a Go rpcx v1.9.4 server registered in etcd by the Go
// plugin (github.com/rpcxio/rpcx-etcd v0.5.0, serverplugin.EtcdV3RegisterPlugin),
// for the TS <-> Go registry tests.
//
//	etcd-goserver -etcd 127.0.0.1:2379[,127.0.0.1:2381] [-base /rpcx_test]
//	              [-service Fleet] [-id go1] [-interval 1s] [-metadata weight=1]
//	              [-metrics]
//
// It listens on a free loopback port, registers -service (methods Who -> {Id},
// Mul {A,B} -> {Id,C}) and prints "READY tcp@127.0.0.1:<port>" once
// RegisterName returned. [Go quirk] The plugin writes the server's key only at
// its first UpdateInterval tick (Register writes the paths of the previous
// Register call, i.e. none for the first service), so the key appears about
// -interval later. SIGTERM, SIGINT or EOF on stdin shut it down gracefully
// (Server.Shutdown unregisters, then plugin.Stop()) and print "STOPPED";
// SIGKILL leaves its keys to the plugin's etcd lease (30 s). rpcx's own log
// goes to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	metrics "github.com/rcrowley/go-metrics"
	"github.com/rpcxio/rpcx-etcd/serverplugin"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/server"
)

type FleetArgs struct {
	A int
	B int
}

type FleetWho struct {
	Id string
}

type FleetMul struct {
	Id string
	C  int
}

// Fleet answers with the id of the server.
type Fleet struct{ id string }

func (f *Fleet) Who(_ context.Context, _ *FleetArgs, reply *FleetWho) error {
	reply.Id = f.id
	return nil
}

func (f *Fleet) Mul(_ context.Context, args *FleetArgs, reply *FleetMul) error {
	reply.Id = f.id
	reply.C = args.A * args.B
	return nil
}

func main() {
	etcd := flag.String("etcd", "127.0.0.1:2379", "etcd client endpoints, comma-separated host:port")
	base := flag.String("base", "/rpcx_test", "BasePath")
	service := flag.String("service", "Fleet", "service path to register")
	id := flag.String("id", "go", "what Who answers")
	interval := flag.Duration("interval", time.Second, "UpdateInterval (the key is first written at the first tick)")
	metadata := flag.String("metadata", "", "registration metadata (URL query)")
	withMetrics := flag.Bool("metrics", false, "give the plugin a metrics registry (calls/connections in the metadata)")
	flag.Parse()

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))
	if err := run(strings.Split(*etcd, ","), *base, *service, *id, *interval, *metadata, *withMetrics); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-goserver:", err)
		os.Exit(1)
	}
}

func run(etcd []string, base, service, id string, interval time.Duration, metadata string, withMetrics bool) error {
	srv := server.NewServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve("tcp", "127.0.0.1:0") }()
	select {
	case <-srv.Started:
	case err := <-serveErr:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("rpcx server did not start")
	}
	address := "tcp@" + srv.Address().String()

	plugin := &serverplugin.EtcdV3RegisterPlugin{
		ServiceAddress: address,
		EtcdServers:    etcd,
		BasePath:       base,
		UpdateInterval: interval,
	}
	if withMetrics {
		plugin.Metrics = metrics.NewRegistry()
	}
	if err := plugin.Start(); err != nil {
		return fmt.Errorf("etcd plugin start: %w", err)
	}
	srv.Plugins.Add(plugin)
	if err := srv.RegisterName(service, &Fleet{id: id}, metadata); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	fmt.Printf("READY %s\n", address)
	os.Stdout.Sync()

	stop := make(chan string, 2)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { stop <- (<-sig).String() }()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop <- "stdin EOF"
	}()
	select {
	case why := <-stop:
		fmt.Fprintf(os.Stderr, "etcd-goserver: %s, shutting down\n", why)
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-goserver: shutdown:", err)
	}
	if err := plugin.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-goserver: plugin stop:", err)
	}
	fmt.Println("STOPPED")
	os.Stdout.Sync()
	return nil
}
