// Command zookeeper-goxclient is a Go rpcx v1.9.4 XClient that finds its servers through the Go
// ZooKeeper discovery (github.com/rpcxio/rpcx-zookeeper client.NewZookeeperDiscovery), for the
// TS ↔ Go registry tests (conformance/tests/registry-zookeeper-interop.spec.ts).
//
//	zookeeper-goxclient -zk 127.0.0.1:2181 [-base /rpcx] [-service Fleet] [-n 20]
//	                    [-expect 2] [-wait 10s] [-timeout 2s]
//
// It waits (up to -wait) until the discovery lists at least -expect servers, then calls
// Fleet.Who -n times, one after another, with FailTry and RoundRobin, and prints one JSON object:
//
//	{"discovered":[{"key":"tcp@…","value":"…"}],"calls":20,"failed":0,"servers":{"go-1":10,"ts-1":10},"errors":[]}
//
// and exits 0. If the discovery cannot be created it prints {"error":"…"} and exits 1.
// [Go quirk] NewZookeeperDiscovery fails when the service's znode does not exist yet.
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

	"github.com/rpcxio/libkv/store"
	zkclient "github.com/rpcxio/rpcx-zookeeper/client"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
)

type FleetArgs struct {
	A   int
	B   int
	Ms  int
	Ids []string
}

type FleetWho struct {
	Id string
}

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
}

func main() {
	zk := flag.String("zk", "127.0.0.1:2181", "ZooKeeper servers, comma separated")
	base := flag.String("base", "/rpcx", "the discovery's base path")
	service := flag.String("service", "Fleet", "the service path")
	n := flag.Int("n", 20, "how many calls")
	expect := flag.Int("expect", 1, "wait until the discovery lists at least this many servers")
	wait := flag.Duration("wait", 10*time.Second, "how long to wait for -expect servers")
	timeout := flag.Duration("timeout", 2*time.Second, "per-call timeout")
	flag.Parse()

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))
	out := json.NewEncoder(os.Stdout)

	d, err := zkclient.NewZookeeperDiscovery(*base, *service, strings.Split(*zk, ","), &store.Config{ConnectionTimeout: 5 * time.Second})
	if err != nil {
		_ = out.Encode(map[string]string{"error": err.Error()})
		os.Exit(1)
	}
	deadline := time.Now().Add(*wait)
	for len(d.GetServices()) < *expect && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	res := result{Servers: map[string]int{}, Errors: []string{}, Discovered: []pair{}}
	for _, p := range d.GetServices() {
		res.Discovered = append(res.Discovered, pair{Key: p.Key, Value: p.Value})
	}
	sort.Slice(res.Discovered, func(i, j int) bool { return res.Discovered[i].Key < res.Discovered[j].Key })

	xc := client.NewXClient(*service, client.Failtry, client.RoundRobin, d, client.DefaultOption)
	for i := 0; i < *n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		reply := &FleetWho{}
		err := xc.Call(ctx, "Who", &FleetArgs{}, reply)
		cancel()
		res.Calls++
		if err != nil {
			res.Failed++
			if len(res.Errors) < 5 {
				res.Errors = append(res.Errors, err.Error())
			}
			continue
		}
		res.Servers[reply.Id]++
	}
	_ = xc.Close()
	_ = out.Encode(res)
	fmt.Fprintln(os.Stderr, "zookeeper-goxclient: done")
	os.Exit(0)
}
