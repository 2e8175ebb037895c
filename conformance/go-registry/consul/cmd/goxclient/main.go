// Command goxclient is a Go rpcx v1.9.4 XClient (Failover, RoundRobin, JSON)
// discovering its servers in Consul through the Go discovery
// (github.com/rpcxio/rpcx-consul v0.1.1, client.NewConsulDiscovery), for the
// TS <-> Go registry tests.
//
//	goxclient -consul 127.0.0.1:8500 [-base /rpcx_test] [-service Fleet]
//	          [-expect 2] [-wait 20s] [-n 20] [-method Who] [-timeout 5s]
//
// It waits (at most -wait) until the discovery lists at least -expect servers,
// then makes -n calls of -method one after another and prints one JSON line:
//
//	{"discovered":[{"key":"tcp@..","value":".."}],"calls":20,"failed":0,
//	 "servers":{"go1":10,"ts1":10},"errors":["..."]}
//
// and exits 0 (also when calls failed: the test judges), or 1 when the
// discovery cannot be created or never lists -expect servers.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"time"

	consulclient "github.com/rpcxio/rpcx-consul/client"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
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
}

func main() {
	consul := flag.String("consul", "127.0.0.1:8500", "Consul HTTP address")
	base := flag.String("base", "/rpcx_test", "basePath")
	service := flag.String("service", "Fleet", "service path")
	expect := flag.Int("expect", 1, "servers the discovery must list before calling")
	wait := flag.Duration("wait", 20*time.Second, "how long to wait for -expect servers")
	n := flag.Int("n", 20, "calls to make")
	method := flag.String("method", "Who", "method to call (Who or Mul)")
	timeout := flag.Duration("timeout", 5*time.Second, "timeout of each call")
	flag.Parse()

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))

	d, err := consulclient.NewConsulDiscovery(*base, *service, []string{*consul}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goxclient: discovery:", err)
		os.Exit(1)
	}
	defer d.Close()

	deadline := time.Now().Add(*wait)
	for len(d.GetServices()) < *expect {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "goxclient: %d servers listed after %v, want %d\n", len(d.GetServices()), *wait, *expect)
			os.Exit(1)
		}
		time.Sleep(50 * time.Millisecond)
	}

	res := result{Servers: map[string]int{}, Errors: []string{}}
	for _, p := range d.GetServices() {
		res.Discovered = append(res.Discovered, pair{Key: p.Key, Value: p.Value})
	}

	option := client.DefaultOption
	option.SerializeType = protocol.JSON
	xc := client.NewXClient(*service, client.Failover, client.RoundRobin, d, option)
	defer xc.Close()

	for i := 0; i < *n; i++ {
		res.Calls++
		reply := map[string]any{}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		err := xc.Call(ctx, *method, map[string]any{"A": 6, "B": 7}, &reply)
		cancel()
		if err != nil {
			res.Failed++
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		id, _ := reply["Id"].(string)
		res.Servers[id]++
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
