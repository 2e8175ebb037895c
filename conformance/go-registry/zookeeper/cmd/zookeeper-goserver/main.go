// Command zookeeper-goserver is a Go rpcx v1.9.4 server registered in ZooKeeper by the Go plugin
// (github.com/rpcxio/rpcx-zookeeper serverplugin.ZooKeeperRegisterPlugin), for the TS ↔ Go
// registry tests (conformance/tests/registry-zookeeper-interop.spec.ts).
//
//	zookeeper-goserver -zk 127.0.0.1:2181 [-base /rpcx] [-service Fleet] [-id go-1]
//	                   [-metadata weight=1] [-update-interval 1s] [-session-timeout 2s]
//
// It serves `Fleet` (Who → {Id}, Mul({A,B}) → {Id, C}) on a free loopback port, then starts
// the plugin with ServiceAddress tcp@127.0.0.1:<port>, registers the service through it and
// prints `READY tcp@127.0.0.1:<port>` on stdout. On SIGTERM, SIGINT or stdin EOF it shuts down
// gracefully (Server.Shutdown unregisters the node), stops the plugin and exits 0.
//
// [Go quirk] the plugin makes the node EPHEMERAL only when -update-interval > 0; with 0 the node
// is persistent and outlives a crash. rpcx's own log goes to stderr.
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

	"github.com/rpcxio/libkv/store"
	zkplugin "github.com/rpcxio/rpcx-zookeeper/serverplugin"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/server"
)

// FleetArgs, FleetWho and FleetMul are the JSON shapes of the Fleet service of the conformance
// suite (conformance/go/internal/interop, which another module cannot import).
type FleetArgs struct {
	A   int
	B   int
	Ms  int
	Ids []string
}

type FleetWho struct {
	Id string
}

type FleetMul struct {
	Id string
	C  int
}

// Fleet answers with the server's id.
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
	zk := flag.String("zk", "127.0.0.1:2181", "ZooKeeper servers, comma separated")
	base := flag.String("base", "/rpcx", "the plugin's BasePath")
	service := flag.String("service", "Fleet", "the service path to register Fleet under")
	id := flag.String("id", "go-zk-server", "the id Fleet answers with")
	metadata := flag.String("metadata", "", "the metadata registered with the service")
	interval := flag.Duration("update-interval", time.Second, "the plugin's UpdateInterval (0: persistent node)")
	session := flag.Duration("session-timeout", 10*time.Second, "store.Config.ConnectionTimeout (the ZooKeeper session timeout)")
	flag.Parse()

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))
	if err := run(strings.Split(*zk, ","), *base, *service, *id, *metadata, *interval, *session); err != nil {
		fmt.Fprintln(os.Stderr, "zookeeper-goserver:", err)
		os.Exit(1)
	}
}

func run(zk []string, base, service, id, metadata string, interval, session time.Duration) error {
	s := server.NewServer()
	served := make(chan error, 1)
	go func() { served <- s.Serve("tcp", "127.0.0.1:0") }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Address() == nil {
		select {
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	address := "tcp@" + s.Address().String()

	plugin := &zkplugin.ZooKeeperRegisterPlugin{
		ServiceAddress:   address,
		ZooKeeperServers: zk,
		BasePath:         base,
		UpdateInterval:   interval,
		Options:          &store.Config{ConnectionTimeout: session},
	}
	if err := plugin.Start(); err != nil {
		return fmt.Errorf("plugin start: %w", err)
	}
	s.Plugins.Add(plugin)
	if err := s.RegisterName(service, &Fleet{id: id}, metadata); err != nil {
		return fmt.Errorf("register %s: %w", service, err)
	}
	fmt.Printf("READY %s\n", address)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-stop:
	case <-eof:
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx) // unregisters every service (UnregisterAll)
	return plugin.Stop()
}
