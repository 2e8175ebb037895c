// Command redisrate is the Go side of the distributed rate limit tests
// (conformance/tests/redis-rate-limit.spec.ts): Go rpcx v1.9.4's
// RedisRateLimitingPlugin (server and client) and go-redis/redis_rate v10
// itself, on a Redis the test started, so the TS limiter can be shown to draw
// from the same budget.
//
//	redisrate -redis 127.0.0.1:P -mode server [-id go] [-rate 5 -burst 5 -period 1h]
//	    A Go rpcx server with the Fleet service (Who, Mul, ...) and
//	    serverplugin.NewRedisRateLimitingPlugin([]string{redis}, rate, burst,
//	    period) on 127.0.0.1:0. Prints "LISTENING tcp@127.0.0.1:<port>", serves
//	    until SIGTERM/SIGINT or EOF on stdin, then shuts down.
//	redisrate -redis 127.0.0.1:P -mode client -server tcp@127.0.0.1:Q -n 3 [-method Who]
//	    A Go XClient (Fleet, Failfast, JSON) with
//	    clientplugin.NewRedisRateLimitingPlugin(...) makes n calls one after
//	    another and prints one line per call: {"ok":true,"id":"..."} or
//	    {"ok":false,"error":"..."}.
//	redisrate -redis 127.0.0.1:P -mode allow -key K -n 3
//	    redis_rate.NewLimiter(client).Allow(ctx, key, limit) n times, one line
//	    each: {"allowed":1,"remaining":4,"retryAfterMs":-1,"resetAfterMs":720000}.
//
// rpcx's plugins make a go-redis ClusterClient, so the Redis must be a cluster
// (the launcher's one-node cluster owning every slot); -mode allow uses a
// ClusterClient too. Only loopback addresses are accepted. Exit codes: 0 done,
// 1 failure, 2 usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"os"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/serving"
	"github.com/smallnest/rpcx/client"
	"github.com/smallnest/rpcx/clientplugin"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
	"github.com/smallnest/rpcx/server"
	"github.com/smallnest/rpcx/serverplugin"
)

type config struct {
	redis, mode, id, server, method, key string
	rate, burst, n                       int
	period                               time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.redis, "redis", "", "Redis (cluster) address host:port, loopback only")
	flag.StringVar(&c.mode, "mode", "", "server, client or allow")
	flag.StringVar(&c.id, "id", "go", "server: the id Fleet answers with")
	flag.StringVar(&c.server, "server", "", "client: tcp@127.0.0.1:PORT")
	flag.StringVar(&c.method, "method", "Who", "client: the Fleet method to call")
	flag.StringVar(&c.key, "key", "", "allow: the limit's key (redis_rate adds its rate: prefix)")
	flag.IntVar(&c.rate, "rate", 5, "events per period")
	flag.IntVar(&c.burst, "burst", 5, "burst")
	flag.DurationVar(&c.period, "period", time.Hour, "period")
	flag.IntVar(&c.n, "n", 1, "client, allow: how many")
	flag.Parse()

	// rpcx logs to stdout by default; stdout carries only the result lines.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	if err := interop.CheckLoopback(c.redis); err != nil {
		fmt.Fprintln(os.Stderr, "redisrate: -redis:", err)
		os.Exit(2)
	}
	var err error
	switch c.mode {
	case "server":
		err = serve(c)
	case "client":
		err = calls(c)
	case "allow":
		err = allow(c)
	default:
		fmt.Fprintln(os.Stderr, "redisrate: -mode must be server, client or allow")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "redisrate:", err)
		os.Exit(1)
	}
}

func serve(c config) error {
	srv := server.NewServer()
	srv.Plugins.Add(serverplugin.NewRedisRateLimitingPlugin([]string{c.redis}, c.rate, c.burst, c.period))
	if err := srv.RegisterName("Fleet", interop.NewFleet(c.id), ""); err != nil {
		return err
	}
	serveErr, err := serving.Start(srv, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("LISTENING tcp@%s\n", srv.Address().String())
	return serving.StopOnSignal("redisrate", srv, serveErr, true)
}

type callResult struct {
	OK    bool   `json:"ok"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error,omitempty"`
}

func calls(c config) error {
	network, address, err := interop.SplitAddr(c.server)
	if err != nil {
		return err
	}
	discovery, err := client.NewPeer2PeerDiscovery(network+"@"+address, "")
	if err != nil {
		return err
	}
	option := client.DefaultOption
	option.SerializeType = protocol.JSON
	xclient := client.NewXClient("Fleet", client.Failfast, client.RandomSelect, discovery, option)
	defer xclient.Close()
	plugins := client.NewPluginContainer()
	plugins.Add(clientplugin.NewRedisRateLimitingPlugin([]string{c.redis}, c.rate, c.burst, c.period))
	xclient.SetPlugins(plugins)

	out := json.NewEncoder(os.Stdout)
	for i := 0; i < c.n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		reply := &interop.FleetWho{}
		err := xclient.Call(ctx, c.method, &interop.FleetArgs{}, reply)
		cancel()
		result := callResult{OK: err == nil, ID: reply.Id}
		if err != nil {
			result.Error = err.Error()
		}
		if err := out.Encode(result); err != nil {
			return err
		}
	}
	return nil
}

type allowResult struct {
	Allowed      int     `json:"allowed"`
	Remaining    int     `json:"remaining"`
	RetryAfterMs float64 `json:"retryAfterMs"`
	ResetAfterMs float64 `json:"resetAfterMs"`
}

func allow(c config) error {
	if c.key == "" {
		return errors.New("-mode allow needs -key")
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.redis}})
	defer rdb.Close()
	limiter := redis_rate.NewLimiter(rdb)
	limit := redis_rate.Limit{Rate: c.rate, Burst: c.burst, Period: c.period}
	out := json.NewEncoder(os.Stdout)
	for i := 0; i < c.n; i++ {
		res, err := limiter.Allow(context.Background(), c.key, limit)
		if err != nil {
			return err
		}
		if err := out.Encode(allowResult{
			Allowed:      res.Allowed,
			Remaining:    res.Remaining,
			RetryAfterMs: ms(res.RetryAfter),
			ResetAfterMs: ms(res.ResetAfter),
		}); err != nil {
			return err
		}
	}
	return nil
}

// ms is a redis_rate duration in milliseconds; -1 (none) stays -1.
func ms(d time.Duration) float64 {
	if d == -1 {
		return -1
	}
	return float64(d) / float64(time.Millisecond)
}
