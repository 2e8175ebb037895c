// Command mdns-goserver is a Go rpcx v1.9.4 server registered with rpcx's
// built-in mDNS plugin (serverplugin.MDNSRegisterPlugin, grandcat/zeroconf),
// for the TS <-> Go mDNS interop tests. It runs only inside the tests'
// network namespace (it refuses otherwise, see internal/netguard).
//
//	mdns-goserver -id go-1 [-service Fleet] [-metadata weight=1] [-update-interval 0s]
//
// It listens on 127.0.0.1:<free port>, builds the plugin with ServiceAddress
// tcp@127.0.0.1:<port>, registers the service, serves, and prints
// "LISTENING tcp@127.0.0.1:<port>". Service methods (JSON or MsgPack):
//
//	Who(any) -> {"Id": id}
//	Mul({"A":a,"B":b}) -> {"Id": id, "C": a*b}
//
// It shuts down on SIGTERM, SIGINT or EOF on stdin: Server.Shutdown (which
// unregisters: the TXT becomes "[]"), then the zeroconf goodbye. [Go quirk]
// MDNSRegisterPlugin.Stop blocks forever when UpdateInterval is 0 (nothing
// closes its done channel) after it sent the goodbye, so with
// -update-interval 0 the program waits 300 ms for Stop and then exits anyway.
//
//	mdns-goserver -print-txt '[{"service":"A","meta":"x=1","service_address":"tcp@h:1"}]'
//
// prints the TXT string Go's plugin writes for those services (a test vector)
// and exits; it needs no network.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rpcx-ts/conformance-registry-mdns/internal/netguard"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/server"
	"github.com/smallnest/rpcx/serverplugin"
)

// FleetArgs is the argument of every method.
type FleetArgs struct {
	A int
	B int
}

// FleetWho is Who's reply.
type FleetWho struct{ Id string }

// FleetMul is Mul's reply.
type FleetMul struct {
	Id string
	C  int
}

// Fleet answers with the server's id.
type Fleet struct{ id string }

// Who names the server.
func (f *Fleet) Who(_ context.Context, _ *FleetArgs, reply *FleetWho) error {
	reply.Id = f.id
	return nil
}

// Mul multiplies and names the server.
func (f *Fleet) Mul(_ context.Context, args *FleetArgs, reply *FleetMul) error {
	reply.Id = f.id
	reply.C = args.A * args.B
	return nil
}

type element struct {
	Service        string `json:"service,omitempty"`
	Meta           string `json:"meta,omitempty"`
	ServiceAddress string `json:"service_address,omitempty"`
}

func main() {
	id := flag.String("id", "go-mdns", "the id Who and Mul answer with")
	service := flag.String("service", "Fleet", "service path to register")
	metadata := flag.String("metadata", "", "metadata to register the service with")
	updateInterval := flag.Duration("update-interval", 0, "MDNSRegisterPlugin UpdateInterval (periodic TXT rewrite)")
	printTxt := flag.String("print-txt", "", "print Go's TXT string for this JSON array of {service,meta,service_address} and exit")
	flag.Parse()

	if *printTxt != "" {
		var services []*element
		if err := json.Unmarshal([]byte(*printTxt), &services); err != nil {
			fmt.Fprintln(os.Stderr, "mdns-goserver:", err)
			os.Exit(2)
		}
		// What MDNSRegisterPlugin.initMDNS / Register do with p.Services.
		data, _ := json.Marshal(services)
		fmt.Println(url.QueryEscape(string(data)))
		return
	}

	netguard.MustCheck("mdns-goserver")
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	address := "tcp@" + ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port

	srv := server.NewServer()
	plugin := serverplugin.NewMDNSRegisterPlugin(address, port, nil, *updateInterval, "")
	if err := plugin.Start(); err != nil {
		fail(err)
	}
	srv.Plugins.Add(plugin)
	if err := srv.RegisterName(*service, &Fleet{id: *id}, *metadata); err != nil {
		fail(err)
	}
	go func() { _ = srv.ServeListener("tcp", ln) }()
	fmt.Printf("LISTENING %s\n", address)
	_ = os.Stdout.Sync()

	stop := make(chan struct{}, 2)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		stop <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop <- struct{}{}
	}()
	<-stop

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	// Stop shuts the zeroconf server down (goodbye, TTL 0) and then waits for the
	// update loop. [Go quirk] With UpdateInterval 0 there is no loop and Stop
	// blocks forever after the goodbye: give it a moment, then exit anyway.
	stopped := make(chan struct{})
	go func() {
		_ = plugin.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(300 * time.Millisecond):
	}
	fmt.Println("STOPPED")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mdns-goserver:", err)
	os.Exit(1)
}
