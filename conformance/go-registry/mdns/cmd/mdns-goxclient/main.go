// Command mdns-goxclient is a Go rpcx v1.9.4 XClient over rpcx's built-in
// mDNS discovery (client.NewMDNSDiscovery, grandcat/zeroconf), for the
// TS <-> Go mDNS interop tests. It runs only inside the tests' network
// namespace (it refuses otherwise, see internal/netguard).
//
//	mdns-goxclient [-service Fleet] [-expect 2] [-calls 20] [-timeout 500ms]
//	               [-interval 1s] [-wait 15s] [-codec json|msgpack]
//
// It creates the discovery (whose constructor browses once for -timeout),
// waits (at most -wait) until it lists at least -expect servers, builds
// client.NewXClient(service, Failover, RoundRobin, discovery, option), calls
// Who -calls times, and prints one JSON line:
//
//	{"servers":[{"key":"tcp@127.0.0.1:1","value":"weight=1"}],
//	 "calls":20,"failed":0,"answers":{"go-1":10,"ts-1":10},"errors":[]}
//
// "servers" is what the discovery listed when calling started. [Go quirk]
// MDNSDiscovery does not compare an element's "service" with the service
// path: it lists every rpcx server on the network, whatever it serves.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"sort"
	"time"

	"github.com/rpcx-ts/conformance-registry-mdns/internal/netguard"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
)

type pair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type result struct {
	Servers []pair         `json:"servers"`
	Calls   int            `json:"calls"`
	Failed  int            `json:"failed"`
	Answers map[string]int `json:"answers"`
	Errors  []string       `json:"errors"`
}

func main() {
	service := flag.String("service", "Fleet", "service path")
	expect := flag.Int("expect", 1, "wait until the discovery lists at least this many servers")
	calls := flag.Int("calls", 20, "calls of Who to make")
	timeout := flag.Duration("timeout", 500*time.Millisecond, "browse timeout (MDNSDiscovery Timeout)")
	interval := flag.Duration("interval", time.Second, "browse interval (MDNSDiscovery WatchInterval)")
	wait := flag.Duration("wait", 15*time.Second, "the longest to wait for -expect servers")
	codec := flag.String("codec", "json", "json or msgpack")
	flag.Parse()

	netguard.MustCheck("mdns-goxclient")
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	d, err := client.NewMDNSDiscovery(*service, *timeout, *interval, "")
	if err != nil {
		fail(err)
	}
	deadline := time.Now().Add(*wait)
	for len(d.GetServices()) < *expect && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	res := result{Answers: map[string]int{}, Errors: []string{}}
	for _, kv := range d.GetServices() {
		res.Servers = append(res.Servers, pair{Key: kv.Key, Value: kv.Value})
	}
	sort.Slice(res.Servers, func(i, j int) bool { return res.Servers[i].Key < res.Servers[j].Key })

	option := client.DefaultOption
	if *codec == "json" {
		option.SerializeType = protocol.JSON
	}
	xc := client.NewXClient(*service, client.Failover, client.RoundRobin, d, option)
	for i := 0; i < *calls; i++ {
		res.Calls++
		var reply map[string]any
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := xc.Call(ctx, "Who", map[string]any{}, &reply)
		cancel()
		if err != nil {
			res.Failed++
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		id, _ := reply["Id"].(string)
		res.Answers[id]++
	}
	_ = xc.Close()
	d.Close()

	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mdns-goxclient:", err)
	os.Exit(1)
}
