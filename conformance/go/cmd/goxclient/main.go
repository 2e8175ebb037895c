// Command goxclient drives a real Go rpcx v1.9.4 XClient over a fleet of
// servers, for mixed-fleet tests (a Go XClient in front of TypeScript and Go
// servers).
//
//	goxclient -servers tcp@127.0.0.1:1,tcp@127.0.0.1:2[?weight=3] [-service Fleet]
//	          [-failmode failover|failfast|failtry|failbackup]
//	          [-selectmode roundrobin|random|weighted|consistenthash]
//	          [-codec json|msgpack] [-retries 3] [-retry-interval 0s]
//	          [-backup-latency 10ms] [-connect-timeout 1s] [-timeout 5s]
//
// It builds client.NewXClient(service, failMode, selectMode,
// client.NewMultipleServersDiscovery(pairs), option) and then runs a script of
// operations, one JSON object per stdin line, strictly one after another. For
// every line it writes exactly one JSON line to stdout (flushed at once), so
// a test can drive it interactively. It exits with 0 when stdin closes (after
// closing the XClient), and with 2 on a usage error before reading stdin.
//
// Operations (an optional "tag" is echoed back in the result):
//
//	{"op":"call","method":"Mul","args":{"A":6,"B":7},"timeoutMs":5000}
//	   -> {"op":"call","ok":true,"reply":{...}}
//	   -> {"op":"call","ok":false,"error":"...","serviceError":true|false}
//	{"op":"broadcast"|"fork", ...same fields}
//	   -> as call; a MultiError adds "errors":["...",...]. [Go quirk] A failed
//	      Broadcast returns at the first failure and cancels the calls still in
//	      flight, which then add "context canceled" to the same MultiError; the
//	      result is read 50 ms later, so it lists them too.
//	{"op":"inform", ...same fields}
//	   -> {"op":"inform","ok":bool,"error":..,"errors":[..],
//	       "receipts":[{"address":"127.0.0.1:1","reply":...,"error":"..."}]}
//	      receipts sorted by address. [Go quirk] a receipt's error is the
//	      shared aggregate MultiError of the whole Inform (not that server's
//	      own error); a server that failed has reply null.
//	{"op":"update","servers":["tcp@127.0.0.1:1","tcp@127.0.0.1:2?weight=2"]}
//	   -> {"op":"update","ok":true}   (MultipleServersDiscovery.Update; the
//	      XClient applies it asynchronously, so follow it with a short sleep)
//	{"op":"sleep","ms":100} -> {"op":"sleep","ok":true}
//
// A line that cannot be parsed gets {"ok":false,"error":"bad op: ..."}.
// Replies are decoded generically (into an `any`: map[string]any for
// JSON/MsgPack objects). Arguments are JSON objects; integral numbers are sent
// as int64 and others as float64, so MsgPack servers with Go int fields
// accept them. rpcx's own log goes to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/modes"
	"github.com/smallnest/rpcx/client"
	ex "github.com/smallnest/rpcx/errors"
	rpcxlog "github.com/smallnest/rpcx/log"
)

type config struct {
	servers    []*client.KVPair
	service    string
	failMode   client.FailMode
	selectMode client.SelectMode
	option     client.Option
	timeout    time.Duration
}

func main() {
	servers := flag.String("servers", "", "comma-separated network@address[?metadata] keys (loopback only)")
	service := flag.String("service", "Fleet", "service path")
	failMode := flag.String("failmode", "failover", "failover, failfast, failtry or failbackup")
	selectMode := flag.String("selectmode", "roundrobin", "roundrobin, random, weighted or consistenthash")
	codec := flag.String("codec", "json", "json or msgpack")
	retries := flag.Int("retries", 3, "Option.Retries (Failover/Failtry: attempts = retries + 1)")
	retryInterval := flag.Duration("retry-interval", 0, "Option.RetryInterval")
	backupLatency := flag.Duration("backup-latency", 10*time.Millisecond, "Option.BackupLatency (Failbackup)")
	connectTimeout := flag.Duration("connect-timeout", time.Second, "Option.ConnectTimeout")
	timeout := flag.Duration("timeout", 5*time.Second, "default deadline of each operation (timeoutMs overrides)")
	flag.Parse()

	// rpcx logs to stdout by default; stdout carries only the result lines.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	cfg, err := parseConfig(*servers, *service, *failMode, *selectMode, *codec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goxclient:", err)
		os.Exit(2)
	}
	cfg.option.Retries = *retries
	cfg.option.RetryInterval = *retryInterval
	cfg.option.BackupLatency = *backupLatency
	cfg.option.ConnectTimeout = *connectTimeout
	cfg.timeout = *timeout

	if err := run(cfg, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "goxclient:", err)
		os.Exit(1)
	}
}

func parseConfig(servers, service, failMode, selectMode, codec string) (*config, error) {
	cfg := &config{service: service, option: client.DefaultOption}
	var list []string
	for _, s := range strings.Split(servers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		return nil, errors.New("-servers is required")
	}
	pairs, err := parsePairs(list)
	if err != nil {
		return nil, err
	}
	cfg.servers = pairs

	if cfg.failMode, err = modes.FailMode(failMode); err != nil {
		return nil, err
	}
	if cfg.selectMode, err = modes.SelectMode(selectMode); err != nil {
		return nil, err
	}
	if cfg.option.SerializeType, err = modes.Codec(codec); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parsePairs turns "tcp@127.0.0.1:1?weight=2" into KVPair{Key, Value}; every
// address must stay on this machine.
func parsePairs(list []string) ([]*client.KVPair, error) {
	pairs := make([]*client.KVPair, 0, len(list))
	for _, s := range list {
		key, meta, _ := strings.Cut(s, "?")
		if _, _, err := interop.SplitAddr(key); err != nil {
			return nil, err
		}
		pairs = append(pairs, &client.KVPair{Key: key, Value: meta})
	}
	return pairs, nil
}

// broadcastSettle is how long a failed Broadcast's cancelled calls get to finish
// appending to the returned MultiError before it is read.
const broadcastSettle = 50 * time.Millisecond

// op is one script line.
type op struct {
	Op        string          `json:"op"`
	Tag       json.RawMessage `json:"tag,omitempty"`
	Method    string          `json:"method"`
	Args      json.RawMessage `json:"args"`
	TimeoutMs int             `json:"timeoutMs"`
	Servers   []string        `json:"servers"`
	Ms        int             `json:"ms"`
}

// receipt is one Inform receipt as printed.
type receipt struct {
	Address string `json:"address"`
	Reply   any    `json:"reply"`
	Error   string `json:"error,omitempty"`
}

// result is one output line.
type result struct {
	Op           string          `json:"op"`
	Tag          json.RawMessage `json:"tag,omitempty"`
	OK           bool            `json:"ok"`
	Reply        any             `json:"reply,omitempty"`
	Error        string          `json:"error,omitempty"`
	ServiceError *bool           `json:"serviceError,omitempty"`
	Errors       []string        `json:"errors,omitempty"`
	Receipts     []receipt       `json:"receipts,omitempty"`
}

func run(cfg *config, in io.Reader, out io.Writer) error {
	discovery, err := client.NewMultipleServersDiscovery(cfg.servers)
	if err != nil {
		return err
	}
	xc := client.NewXClient(cfg.service, cfg.failMode, cfg.selectMode, discovery, cfg.option)
	defer xc.Close()

	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		res := execute(cfg, xc, discovery, line)
		if err := enc.Encode(sanitize(res)); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

func execute(cfg *config, xc client.XClient, discovery *client.MultipleServersDiscovery, line []byte) result {
	var o op
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return result{Op: "?", Error: "bad op: " + err.Error()}
	}
	res := result{Op: o.Op, Tag: o.Tag}

	switch o.Op {
	case "sleep":
		time.Sleep(time.Duration(o.Ms) * time.Millisecond)
		res.OK = true
		return res
	case "update":
		pairs, err := parsePairs(o.Servers)
		if err != nil {
			res.Error = "bad op: " + err.Error()
			return res
		}
		discovery.Update(pairs)
		res.OK = true
		return res
	case "call", "broadcast", "fork", "inform":
	default:
		res.Error = fmt.Sprintf("bad op: unknown op %q", o.Op)
		return res
	}

	if o.Method == "" {
		res.Error = "bad op: method is required"
		return res
	}
	args, err := decodeArgs(o.Args)
	if err != nil {
		res.Error = "bad op: args: " + err.Error()
		return res
	}
	timeout := cfg.timeout
	if o.TimeoutMs > 0 {
		timeout = time.Duration(o.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	var reply any
	switch o.Op {
	case "call":
		err = xc.Call(ctx, o.Method, args, &reply)
	case "broadcast":
		err = xc.Broadcast(ctx, o.Method, args, &reply)
		if err != nil {
			// [Go quirk] Broadcast returns at the first failure and cancels its context on
			// return; the calls still in flight then append "context canceled" to the very
			// MultiError it returned, from their goroutines and without a lock we can take.
			// Let them settle before reading it (they return at once on cancellation).
			time.Sleep(broadcastSettle)
		}
	case "fork":
		err = xc.Fork(ctx, o.Method, args, &reply)
	case "inform":
		var receipts []client.Receipt
		receipts, err = xc.Inform(ctx, o.Method, args, &reply)
		res.Receipts = make([]receipt, 0, len(receipts))
		for _, r := range receipts {
			pr := receipt{Address: r.Address, Reply: deref(r.Reply)}
			if r.Error != nil {
				// The shared *MultiError: non-nil even when empty.
				var me *ex.MultiError
				if !errors.As(r.Error, &me) || len(me.Errors) > 0 {
					pr.Error = r.Error.Error()
				}
			}
			res.Receipts = append(res.Receipts, pr)
		}
		sort.Slice(res.Receipts, func(i, j int) bool { return res.Receipts[i].Address < res.Receipts[j].Address })
	}
	if err != nil {
		res.Error = err.Error()
		var se client.ServiceError
		isService := errors.As(err, &se) && se.IsServiceError()
		res.ServiceError = &isService
		var me *ex.MultiError
		if errors.As(err, &me) {
			for _, e := range me.Errors {
				res.Errors = append(res.Errors, e.Error())
			}
			sort.Strings(res.Errors)
		}
		return res
	}
	res.OK = true
	res.Reply = reply
	return res
}

// decodeArgs decodes a JSON object (or null/absent = {}) with integral
// numbers as int64 and the rest as float64.
func decodeArgs(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
		return x
	default:
		return v
	}
}

// deref turns the *any of a cloned Inform reply into its value (nil when the
// call failed and nothing was decoded).
func deref(v any) any {
	if p, ok := v.(*any); ok {
		if p == nil {
			return nil
		}
		return *p
	}
	return v
}

// sanitize makes decoded MsgPack values printable as JSON: maps with
// non-string keys get their keys formatted with %v.
func sanitize(res result) result {
	res.Reply = printable(res.Reply)
	for i := range res.Receipts {
		res.Receipts[i].Reply = printable(res.Receipts[i].Reply)
	}
	return res
}

func printable(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = printable(e)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = printable(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = printable(e)
		}
		return x
	default:
		return v
	}
}
