// Command regxclient is a Go rpcx v1.9.4 XClient that finds its servers
// through a registry's Go discovery, for the TS <-> Go registry interop tests
// (conformance/tests/registry-interop.spec.ts).
//
//	regxclient -registry etcd|zookeeper|consul|mdns [-addr 127.0.0.1:2379[,...]]
//	           [-base /rpcx_test] [-service Fleet] [-expect 1] [-wait 20s]
//	           [-n 20] [-method Who|Mul] [-timeout 5s] [-codec json|msgpack]
//	           [-failmode failover|failfast|failtry|failbackup]
//	           [-browse-timeout 500ms] [-interval 1s]
//
// It creates the discovery (internal/registries, where each discovery's
// quirks are), waits at most -wait until it lists at least -expect servers
// (and goes on with fewer: the test judges), then makes -n calls of -method
// with FleetArgs{A: 6, B: 7}, one after another, through
// client.NewXClient(service, failmode, RoundRobin, discovery, option), and
// prints one JSON line:
//
//	{"discovered":[{"key":"tcp@..","value":".."}],"calls":20,"failed":0,
//	 "servers":{"go1":10,"ts1":10},"errors":[]}
//
// "discovered" is what the discovery listed when calling started, sorted by
// key; "servers" counts the answers per Fleet id. It exits 0, also when calls
// failed. When the discovery cannot be created it prints the same line with
// "error" set and exits 1. With -registry mdns it refuses to run outside the
// tests' network namespace (internal/netguard).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/modes"
	"github.com/rpcx-ts/conformance/internal/netguard"
	"github.com/rpcx-ts/conformance/internal/registries"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
)

type pair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type result struct {
	Discovered []pair         `json:"discovered"`
	Calls      int            `json:"calls"`
	Failed     int            `json:"failed"`
	Servers    map[string]int `json:"servers"`
	Errors     []string       `json:"errors"`
	Error      string         `json:"error,omitempty"`
}

func main() {
	name := flag.String("registry", "", "etcd, zookeeper, consul or mdns")
	addrs := flag.String("addr", "", "the registry's addresses, comma-separated host:port (unused for mdns)")
	base := flag.String("base", "/rpcx_test", "the discovery's base path (unused for mdns)")
	service := flag.String("service", "Fleet", "the service path")
	expect := flag.Int("expect", 1, "wait until the discovery lists at least this many servers")
	wait := flag.Duration("wait", 20*time.Second, "how long to wait for -expect servers")
	n := flag.Int("n", 20, "calls to make")
	method := flag.String("method", "Who", "the Fleet method to call (Who or Mul)")
	timeout := flag.Duration("timeout", 5*time.Second, "timeout of each call")
	codec := flag.String("codec", "json", "json or msgpack")
	failMode := flag.String("failmode", "failover", "failover, failfast, failtry or failbackup")
	browseTimeout := flag.Duration("browse-timeout", 500*time.Millisecond, "mdns: how long one browse listens (MDNSDiscovery timeout)")
	interval := flag.Duration("interval", time.Second, "mdns: the browse interval (MDNSDiscovery watchInterval)")
	flag.Parse()

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))
	reg, err := registries.Lookup(*name)
	if err != nil {
		usage(err)
	}
	option := client.DefaultOption
	if option.SerializeType, err = modes.Codec(*codec); err != nil {
		usage(err)
	}
	mode, err := modes.FailMode(*failMode)
	if err != nil {
		usage(err)
	}
	if reg.Multicast {
		netguard.MustCheck("regxclient")
	}

	res := result{Discovered: []pair{}, Servers: map[string]int{}, Errors: []string{}}
	config := registries.DiscoveryConfig{
		BasePath:      *base,
		Service:       *service,
		BrowseTimeout: *browseTimeout,
		WatchInterval: *interval,
	}
	if *addrs != "" {
		config.Addrs = strings.Split(*addrs, ",")
	}
	d, err := reg.Discovery(config)
	if err != nil {
		res.Error = err.Error()
		printResult(res)
		os.Exit(1)
	}

	deadline := time.Now().Add(*wait)
	for len(d.GetServices()) < *expect && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, kv := range d.GetServices() {
		res.Discovered = append(res.Discovered, pair{Key: kv.Key, Value: kv.Value})
	}
	sort.Slice(res.Discovered, func(i, j int) bool { return res.Discovered[i].Key < res.Discovered[j].Key })

	xc := client.NewXClient(*service, mode, client.RoundRobin, d, option)
	for i := 0; i < *n; i++ {
		res.Calls++
		reply := &interop.FleetMul{}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		err := xc.Call(ctx, *method, &interop.FleetArgs{A: 6, B: 7}, reply)
		cancel()
		if err != nil {
			res.Failed++
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		res.Servers[reply.Id]++
	}
	_ = xc.Close()
	d.Close()
	printResult(res)
}

func printResult(res result) {
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	os.Stdout.Sync()
}

func usage(err error) {
	fmt.Fprintln(os.Stderr, "regxclient:", err)
	os.Exit(2)
}
