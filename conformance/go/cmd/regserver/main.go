// Command regserver is a Go rpcx v1.9.4 server registered in a registry by
// that registry's Go plugin, for the TS <-> Go registry interop tests
// (conformance/tests/registry-interop.spec.ts).
//
//	regserver -registry etcd|zookeeper|consul|mdns [-addr 127.0.0.1:2379[,...]]
//	          [-base /rpcx_test] [-service Fleet] [-id go] [-interval 1s]
//	          [-metadata weight=1] [-metrics] [-session-timeout 10s]
//	regserver -registry mdns -print-txt '[{"service":"A","meta":"x=1","service_address":"tcp@h:1"}]'
//
// It serves Fleet (internal/interop: Who -> {Id}, Mul {A,B} -> {Id,C}, ...)
// on a free loopback port, starts the registry's plugin
// (internal/registries, where each plugin's quirks are) with ServiceAddress
// tcp@127.0.0.1:<port>, registers -service through it and prints
// "READY tcp@127.0.0.1:<port>". SIGTERM, SIGINT or EOF on stdin shut it down
// gracefully: Server.Shutdown (which unregisters every service), the plugin's
// Stop, then "STOPPED". After SIGKILL the registration stays until the
// registry expires it (etcd lease, ZooKeeper or Consul session, mDNS TTL), or
// for good (ZooKeeper with -interval 0: a persistent node).
// rpcx's own log goes to stderr.
//
// With -registry mdns it refuses to run outside the tests' network namespace
// (internal/netguard). -print-txt prints the TXT string Go's mDNS plugin
// writes for those services (a test vector) and exits; it needs no network.
package main

import (
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"strings"
	"time"

	metrics "github.com/rcrowley/go-metrics"
	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/netguard"
	"github.com/rpcx-ts/conformance/internal/registries"
	"github.com/rpcx-ts/conformance/internal/serving"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/server"
)

type options struct {
	registry string
	addrs    []string
	base     string
	service  string
	id       string
	interval string
	metadata string
	metrics  bool
	session  time.Duration
}

func main() {
	var o options
	var addrs, printTxt string
	flag.StringVar(&o.registry, "registry", "", "etcd, zookeeper, consul or mdns")
	flag.StringVar(&addrs, "addr", "", "the registry's addresses, comma-separated host:port (unused for mdns)")
	flag.StringVar(&o.base, "base", "/rpcx_test", "the plugin's BasePath (unused for mdns)")
	flag.StringVar(&o.service, "service", "Fleet", "the service path to register Fleet under")
	flag.StringVar(&o.id, "id", "go", "the id Fleet answers with")
	flag.StringVar(&o.interval, "interval", "", "the plugin's UpdateInterval (default: the registry's; etcd and zookeeper 1s, consul 10s, mdns 0)")
	flag.StringVar(&o.metadata, "metadata", "", "the metadata registered with the service (URL query)")
	flag.BoolVar(&o.metrics, "metrics", false, "give the plugin a metrics registry (calls/connections rates in the metadata)")
	flag.DurationVar(&o.session, "session-timeout", 10*time.Second, "zookeeper: the session timeout (store.Config.ConnectionTimeout)")
	flag.StringVar(&printTxt, "print-txt", "", "mdns: print Go's TXT string for this JSON array of {service,meta,service_address} and exit")
	flag.Parse()
	if addrs != "" {
		o.addrs = strings.Split(addrs, ",")
	}

	if printTxt != "" {
		if o.registry != "mdns" {
			fail(errors.New("-print-txt needs -registry mdns"))
		}
		txt, err := registries.MDNSTxt(printTxt)
		if err != nil {
			fail(err)
		}
		fmt.Println(txt)
		return
	}

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))
	if err := run(o); err != nil {
		fail(err)
	}
}

func run(o options) error {
	reg, err := registries.Lookup(o.registry)
	if err != nil {
		return err
	}
	if reg.Multicast {
		netguard.MustCheck("regserver")
	}
	interval := reg.DefaultInterval
	if o.interval != "" {
		if interval, err = time.ParseDuration(o.interval); err != nil {
			return fmt.Errorf("-interval: %w", err)
		}
	}

	srv := server.NewServer()
	serveErr, err := serving.Start(srv, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	address := "tcp@" + srv.Address().String()

	config := registries.PluginConfig{
		Addrs:          o.addrs,
		BasePath:       o.base,
		ServiceAddress: address,
		UpdateInterval: interval,
		SessionTimeout: o.session,
	}
	if o.metrics {
		config.Metrics = metrics.NewRegistry()
	}
	plugin, err := reg.Plugin(config)
	if err != nil {
		return err
	}
	if err := plugin.Start(); err != nil {
		return fmt.Errorf("%s plugin start: %w", o.registry, err)
	}
	srv.Plugins.Add(plugin)
	if err := srv.RegisterName(o.service, interop.NewFleet(o.id), o.metadata); err != nil {
		return fmt.Errorf("register %s: %w", o.service, err)
	}
	fmt.Printf("READY %s\n", address)
	os.Stdout.Sync()

	if err := serving.StopOnSignal("regserver", srv, serveErr, true); err != nil {
		return err
	}
	if err := plugin.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "regserver: plugin stop:", err)
	}
	fmt.Println("STOPPED")
	os.Stdout.Sync()
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "regserver:", err)
	os.Exit(1)
}
