// Command benchclient is the Go rpcx v1.9.4 client of the peer benchmark
// (pnpm bench:peers): a closed loop of N goroutines sharing one
// client.Client (one connection), as our TypeScript client row does.
//
//	benchclient -addr tcp@127.0.0.1:<port> -codec json|msgpack|protobuf|raw
//	            -method Say|Echo -concurrency N
//
// Say (codec json, msgpack or protobuf) sends rpcx-benchmark's 581-byte
// BenchmarkMessage (protoschema.NewBenchmarkMessage; JSON and MsgPack carry it
// keyed by Go field names) to Hello.Say; a call is good when the reply's
// Field1 is "OK". Echo (codec raw, serialize type 0) sends the message's 581
// protobuf bytes to Hello.Echo; a call is good when the same bytes come back.
// The arguments are built once and shared; rpcx encodes them on every call,
// as any rpcx client does (raw bytes go out as they are).
//
// After connecting it makes one call, checks the reply (for Say also
// Field2 == 100) and prints "READY gomaxprocs=<GOMAXPROCS>". Then it reads
// stdin, one command a line, and answers each with one stdout line:
//
//	warmup <ms> -> DONE  (runs the closed loop for ms)
//	slice <ms>  -> SLICE {"requests":n,"errors":e,"seconds":s,"cpuUs":c,
//	               "rssBytes":r,"latencyUs":{"<µs>":count,...}}
//
// A slice runs the closed loop for ms: each goroutine calls, waits for the
// reply, calls again, until the time is up; calls in flight then finish and
// count. requests are the good calls, errors the failed or wrong ones,
// seconds the wall time until the last goroutine stopped, cpuUs this
// process's user+system CPU during the slice, rssBytes VmRSS at its end, and
// latencyUs the histogram of every good call's latency in whole microseconds
// (floor), keys in ascending order.
//
// EOF on stdin closes the client, exit 0. A start-up failure (usage, cannot
// connect, bad first reply) or an unknown command: a message on stderr, exit
// 1. rpcx logs to stderr at warn level; the first error of a slice is
// reported on stderr too.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	stdlog "log"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/procstat"
	"github.com/rpcx-ts/conformance/internal/protoschema"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
)

var codecs = map[string]protocol.SerializeType{
	"json":     protocol.JSON,
	"msgpack":  protocol.MsgPack,
	"protobuf": protocol.ProtoBuffer,
	"raw":      protocol.SerializeNone,
}

func main() {
	addr := flag.String("addr", "", "server network@address, e.g. tcp@127.0.0.1:8972 (loopback only)")
	codec := flag.String("codec", "", "json, msgpack, protobuf (with -method Say) or raw (with -method Echo)")
	method := flag.String("method", "", "Say or Echo")
	concurrency := flag.Int("concurrency", 1, "goroutines in the closed loop, sharing one connection")
	flag.Parse()

	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvWarn))

	b, err := start(*addr, *codec, *method, *concurrency)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchclient:", err)
		os.Exit(1)
	}
	err = b.commands()
	b.client.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchclient:", err)
		os.Exit(1)
	}
}

// bench is the connected client and its workers.
type bench struct {
	client  *client.Client
	method  string
	say     bool
	args    any    // boxed once: *BenchmarkMessage for Say, []byte for Echo
	payload []byte // Echo: what must come back
	workers []*worker
	out     *bufio.Writer
}

// worker is one goroutine's state, kept across slices; only that goroutine
// touches it while a loop runs.
type worker struct {
	reply    protoschema.BenchmarkMessage
	echo     []byte
	replyArg any // boxed once: &reply or &echo
	good     int64
	bad      int64
	firstErr error
	hist     map[int64]int64 // µs → good calls
}

func start(addr, codecName, method string, concurrency int) (*bench, error) {
	network, address, err := interop.SplitAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("-addr: %w", err)
	}
	st, ok := codecs[codecName]
	if !ok {
		return nil, fmt.Errorf("-codec %q: want json, msgpack, protobuf or raw", codecName)
	}
	if concurrency < 1 {
		return nil, fmt.Errorf("-concurrency %d: want at least 1", concurrency)
	}
	msg := protoschema.NewBenchmarkMessage()
	pb, err := msg.Marshal()
	if err != nil {
		return nil, err
	}
	if len(pb) != protoschema.BenchProtobufSize {
		return nil, fmt.Errorf("the benchmark message encodes in %d bytes, not %d", len(pb), protoschema.BenchProtobufSize)
	}

	b := &bench{method: method, out: bufio.NewWriter(os.Stdout)}
	switch {
	case method == "Say" && st != protocol.SerializeNone:
		b.say, b.args = true, msg
	case method == "Echo" && st == protocol.SerializeNone:
		b.payload = pb
		b.args = pb
	default:
		return nil, fmt.Errorf("-method %q with -codec %q: want Say with json, msgpack or protobuf, or Echo with raw", method, codecName)
	}
	b.workers = make([]*worker, concurrency)
	for i := range b.workers {
		w := &worker{hist: make(map[int64]int64)}
		if b.say {
			w.replyArg = &w.reply
		} else {
			w.replyArg = &w.echo
		}
		b.workers[i] = w
	}

	opt := client.DefaultOption
	opt.SerializeType = st
	b.client = client.NewClient(opt)
	if err := b.client.Connect(network, address); err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	if err := b.firstCall(); err != nil {
		b.client.Close()
		return nil, err
	}
	fmt.Fprintf(b.out, "READY gomaxprocs=%d\n", runtime.GOMAXPROCS(0))
	return b, b.out.Flush()
}

// firstCall makes one call and checks the reply more strictly than the loop.
func (b *bench) firstCall() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := b.workers[0]
	if err := b.client.Call(ctx, "Hello", b.method, b.args, w.replyArg); err != nil {
		return fmt.Errorf("first call Hello.%s: %w", b.method, err)
	}
	if err := b.check(w); err != nil {
		return fmt.Errorf("first call Hello.%s: %w", b.method, err)
	}
	if b.say && w.reply.Field2 != 100 {
		return fmt.Errorf("first call Hello.Say: reply Field2 = %d, want 100", w.reply.Field2)
	}
	return nil
}

// check returns why w's reply is wrong, or nil.
func (b *bench) check(w *worker) error {
	if b.say {
		if w.reply.Field1 != "OK" {
			return fmt.Errorf("reply Field1 = %q, want \"OK\"", w.reply.Field1)
		}
	} else if !bytes.Equal(w.echo, b.payload) {
		return fmt.Errorf("echo returned %d different bytes", len(w.echo))
	}
	return nil
}

func (b *bench) commands() error {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		cmd, arg, _ := strings.Cut(line, " ")
		ms, err := strconv.Atoi(strings.TrimSpace(arg))
		if (cmd != "warmup" && cmd != "slice") || err != nil || ms <= 0 {
			return fmt.Errorf("bad command %q (want \"warmup <ms>\" or \"slice <ms>\")", line)
		}
		if cmd == "warmup" {
			b.loop(time.Duration(ms) * time.Millisecond)
			b.out.WriteString("DONE\n")
		} else if err := b.slice(time.Duration(ms) * time.Millisecond); err != nil {
			return err
		}
		if err := b.out.Flush(); err != nil {
			return err
		}
	}
	return in.Err()
}

// loop runs the closed loop for d and returns the wall time it took.
func (b *bench) loop(d time.Duration) time.Duration {
	for _, w := range b.workers {
		w.good, w.bad, w.firstErr = 0, 0, nil
		clear(w.hist)
	}
	var wg sync.WaitGroup
	begin := time.Now()
	deadline := begin.Add(d)
	for _, w := range b.workers {
		wg.Go(func() { b.run(w, deadline) })
	}
	wg.Wait()
	return time.Since(begin)
}

// run is one goroutine of the closed loop.
func (b *bench) run(w *worker, deadline time.Time) {
	ctx := context.Background()
	for {
		start := time.Now()
		if !start.Before(deadline) {
			return
		}
		if b.say {
			w.reply.Reset() // decoding JSON or MsgPack leaves absent fields as they were
		} else {
			w.echo = nil
		}
		err := b.client.Call(ctx, "Hello", b.method, b.args, w.replyArg)
		latency := time.Since(start)
		if err == nil {
			err = b.check(w)
		}
		if err != nil {
			w.bad++
			if w.firstErr == nil {
				w.firstErr = err
			}
			continue
		}
		w.good++
		w.hist[latency.Microseconds()]++
	}
}

func (b *bench) slice(d time.Duration) error {
	cpu0, err := procstat.CPUMicros()
	if err != nil {
		return err
	}
	wall := b.loop(d)
	cpu1, err := procstat.CPUMicros()
	if err != nil {
		return err
	}
	rss, err := procstat.RSSBytes()
	if err != nil {
		return err
	}

	var good, bad int64
	var firstErr error
	hist := make(map[int64]int64)
	for _, w := range b.workers {
		good += w.good
		bad += w.bad
		if firstErr == nil {
			firstErr = w.firstErr
		}
		for us, n := range w.hist {
			hist[us] += n
		}
	}
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "benchclient: %d errors in the slice, first: %v\n", bad, firstErr)
	}

	o := b.out
	fmt.Fprintf(o, `SLICE {"requests":%d,"errors":%d,"seconds":%s,"cpuUs":%d,"rssBytes":%d,"latencyUs":{`,
		good, bad, strconv.FormatFloat(wall.Seconds(), 'f', 6, 64), cpu1-cpu0, rss)
	for i, us := range slices.Sorted(maps.Keys(hist)) {
		if i > 0 {
			o.WriteByte(',')
		}
		fmt.Fprintf(o, `"%d":%d`, us, hist[us])
	}
	o.WriteString("}}\n")
	return nil
}
