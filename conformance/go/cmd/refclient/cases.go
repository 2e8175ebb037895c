package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/protoschema"
	"github.com/smallnest/rpcx/client"
	"github.com/smallnest/rpcx/protocol"
	"github.com/smallnest/rpcx/share"
)

// testCase is one scripted interop case. run must honour ctx (the case
// deadline) and return nil on success or an error saying what differed.
type testCase struct {
	name       string
	needsToken bool
	run        func(ctx context.Context, e *env) error
}

// codec is one serialize type and the interop methods used to exercise it.
type codec struct {
	name       string
	serialize  protocol.SerializeType
	arithPath  string // "" when the codec has no arithmetic service (raw)
	echoPath   string
	echoMethod string
	arith      func(ctx context.Context, xc client.XClient, method string, a, b int) (int, error)
	echo       func(ctx context.Context, xc client.XClient, method string, data []byte) ([]byte, error)
	big        func() []byte
}

const bigSize = 1 << 20 // 1 MiB

var codecs = []codec{
	{"json", protocol.JSON, "Arith", "Echo", "Text", structArith, structEcho, bigText},
	{"msgpack", protocol.MsgPack, "Arith", "Echo", "Text", structArith, structEcho, bigText},
	{"protobuf", protocol.ProtoBuffer, "ArithPB", "ArithPB", "Echo", pbArith, pbEcho, bigText},
	{"raw", protocol.SerializeNone, "", "Raw", "Echo", nil, rawEcho, bigBytes},
}

func structArith(ctx context.Context, xc client.XClient, method string, a, b int) (int, error) {
	var r interop.Reply
	err := xc.Call(ctx, method, &interop.Args{A: a, B: b}, &r)
	return r.C, err
}

func structEcho(ctx context.Context, xc client.XClient, method string, data []byte) ([]byte, error) {
	var r interop.EchoReply
	err := xc.Call(ctx, method, &interop.EchoArgs{Text: string(data)}, &r)
	return []byte(r.Text), err
}

func pbArith(ctx context.Context, xc client.XClient, method string, a, b int) (int, error) {
	r := new(protoschema.ArithReply)
	err := xc.Call(ctx, method, protoschema.NewArithArgs(int32(a), int32(b)), r)
	return int(r.C()), err
}

func pbEcho(ctx context.Context, xc client.XClient, method string, data []byte) ([]byte, error) {
	r := new(protoschema.EchoMessage)
	err := xc.Call(ctx, method, protoschema.NewEchoMessage(string(data)), r)
	return []byte(r.Text()), err
}

func rawEcho(ctx context.Context, xc client.XClient, method string, data []byte) ([]byte, error) {
	var r []byte
	err := xc.Call(ctx, method, data, &r)
	return r, err
}

// bigText is exactly 1 MiB of valid UTF-8 with multi-byte characters (2, 3
// and 4 bytes, i.e. also UTF-16 surrogate pairs), characters Go's JSON
// encoder escapes (<, >, &, U+2028) and control characters.
var bigText = sync.OnceValue(func() []byte {
	const unit = " rpcx interop echo — ключ=значение 你好 😀 <&> \"q\" \\ \u2028\t\n"
	var b strings.Builder
	for i := 0; b.Len() < bigSize; i++ {
		fmt.Fprintf(&b, "%07d%s", i, unit)
	}
	s := b.String()[:bigSize]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return []byte(s + strings.Repeat(".", bigSize-len(s)))
})

// bigBytes is 1 MiB of fixed pseudo-random bytes.
var bigBytes = sync.OnceValue(func() []byte {
	r := mrand.NewChaCha8([32]byte{'r', 'p', 'c', 'x'})
	b := make([]byte, bigSize)
	r.Read(b)
	return b
})

// rawSmall is the payload of raw/echo: every kind of byte that a text
// conversion would break.
var rawSmall = []byte{0x00, 0x01, 0x7f, 0x80, 0xc3, 0x28, 0xfe, 0xff, 'r', 'p', 'c', 'x'}

func allCases() []testCase {
	var cs []testCase
	for _, c := range codecs {
		for _, gz := range []bool{false, true} {
			cs = append(cs, codecCases(c, gz)...)
		}
	}
	return append(cs,
		testCase{"oneway/notify", false, onewayNotify},
		testCase{"heartbeat/keepalive", false, heartbeatKeepalive},
		testCase{"auth/ok", true, authOK},
		testCase{"auth/fail", true, authFail},
		testCase{"timeout/deadline", false, timeoutDeadline},
		testCase{"timeout/propagated", false, timeoutPropagated},
		testCase{"push/subscribe", false, pushSubscribe},
		testCase{"errors/unknown-service", false, func(ctx context.Context, e *env) error {
			return unknown(ctx, e, "Nope", "Mul", "rpcx: can't find service Nope")
		}},
		testCase{"errors/unknown-method", false, func(ctx context.Context, e *env) error {
			return unknown(ctx, e, "Arith", "Nope", "rpcx: can't find method Nope")
		}},
	)
}

// codecCases are the cases of one serialize type with (gz) or without gzip:
// <group>/mul, /div, /div-by-zero (arithmetic codecs), /echo (raw),
// /big-echo, /metadata.
func codecCases(c codec, gz bool) []testCase {
	group := c.name
	if gz {
		group += "+gzip"
	}
	configure := func(o *client.Option) {
		o.SerializeType = c.serialize
		if gz {
			o.CompressType = protocol.Gzip
		}
	}
	var cs []testCase
	add := func(name string, run func(ctx context.Context, e *env) error) {
		cs = append(cs, testCase{group + "/" + name, false, run})
	}

	if c.arithPath != "" {
		add("mul", func(ctx context.Context, e *env) error {
			xc, _ := e.xclient(c.arithPath, configure)
			defer xc.Close()
			return checkArith(ctx, xc, c, "Mul", [][3]int{{7, 6, 42}, {-12, 12345, -148140}, {0, 99, 0}})
		})
		add("div", func(ctx context.Context, e *env) error {
			xc, _ := e.xclient(c.arithPath, configure)
			defer xc.Close()
			// Go's integer division truncates toward zero: -17/5 = -3.
			return checkArith(ctx, xc, c, "Div", [][3]int{{17, 5, 3}, {-17, 5, -3}, {0, 7, 0}})
		})
	} else {
		add("echo", func(ctx context.Context, e *env) error {
			xc, _ := e.xclient(c.echoPath, configure)
			defer xc.Close()
			got, err := c.echo(ctx, xc, c.echoMethod, rawSmall)
			if err != nil {
				return fmt.Errorf("%s.%s: %v", c.echoPath, c.echoMethod, err)
			}
			if !bytes.Equal(got, rawSmall) {
				return fmt.Errorf("%s.%s returned %s, want %s", c.echoPath, c.echoMethod, quote(got), quote(rawSmall))
			}
			return nil
		})
	}

	add("big-echo", func(ctx context.Context, e *env) error {
		xc, w := e.xclient(c.echoPath, configure)
		defer xc.Close()
		data := c.big()
		got, err := c.echo(ctx, xc, c.echoMethod, data)
		if err != nil {
			return fmt.Errorf("%s.%s with %d bytes: %v", c.echoPath, c.echoMethod, len(data), err)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("%s.%s echoed different data: %s", c.echoPath, c.echoMethod, firstDiff(got, data))
		}
		want := protocol.None
		if gz {
			want = protocol.Gzip
		}
		req, res, ok := w.lastExchange(c.echoPath, c.echoMethod)
		if !ok {
			return errors.New("no request/response pair seen on the wire")
		}
		if req.compress != want {
			return fmt.Errorf("the Go client sent the request with compress type %d, want %d", req.compress, want)
		}
		if res.compress != want {
			return fmt.Errorf("response compress type %d, want %d (a reply > 1024 bytes to a gzip request is gzipped; otherwise never)", res.compress, want)
		}
		return nil
	})

	add("metadata", func(ctx context.Context, e *env) error {
		xc, _ := e.xclient(c.echoPath, configure)
		defer xc.Close()
		reqMeta := map[string]string{"k1": "v1", "ключ": "значение"}
		resMeta := map[string]string{}
		ctx = context.WithValue(ctx, share.ReqMetaDataKey, reqMeta)
		ctx = context.WithValue(ctx, share.ResMetaDataKey, resMeta)
		payload := []byte("metadata")
		got, err := c.echo(ctx, xc, c.echoMethod, payload)
		if err != nil {
			return fmt.Errorf("%s.%s: %v", c.echoPath, c.echoMethod, err)
		}
		if !bytes.Equal(got, payload) {
			return fmt.Errorf("%s.%s returned %s, want %s", c.echoPath, c.echoMethod, quote(got), quote(payload))
		}
		echoed := map[string]string{}
		for k, v := range resMeta {
			if strings.HasPrefix(k, interop.EchoPrefix) {
				echoed[k] = v
			}
		}
		want := map[string]string{"echo-k1": "v1", "echo-ключ": "значение"}
		if !maps.Equal(echoed, want) {
			return fmt.Errorf("response metadata echo-* = %v, want %v (whole response metadata: %v)", echoed, want, resMeta)
		}
		return nil
	})

	if c.arithPath != "" {
		add("div-by-zero", func(ctx context.Context, e *env) error {
			xc, w := e.xclient(c.arithPath, configure)
			defer xc.Close()
			_, err := c.arith(ctx, xc, "Div", 7, 0)
			return checkServiceError(err, interop.ErrDivideByZero, w)
		})
	}
	return cs
}

// checkArith calls method for each {a, b, want}.
func checkArith(ctx context.Context, xc client.XClient, c codec, method string, calls [][3]int) error {
	for _, t := range calls {
		got, err := c.arith(ctx, xc, method, t[0], t[1])
		if err != nil {
			return fmt.Errorf("%s.%s(%d, %d): %v", c.arithPath, method, t[0], t[1], err)
		}
		if got != t[2] {
			return fmt.Errorf("%s.%s(%d, %d) = %d, want %d", c.arithPath, method, t[0], t[1], got, t[2])
		}
	}
	return nil
}

// checkServiceError checks that err is a server error (rpcx ServiceError,
// i.e. from an error response) with exactly the text want, and that the
// XClient made one attempt only (service errors are not retried).
func checkServiceError(err error, want string, w *wireLog) error {
	if err == nil {
		return fmt.Errorf("call succeeded, want error %q", want)
	}
	if err.Error() != want {
		return fmt.Errorf("error %q, want %q", err.Error(), want)
	}
	var se client.ServiceError
	if !errors.As(err, &se) || !se.IsServiceError() {
		return fmt.Errorf("error %q is a %T, not a ServiceError from an error response", err.Error(), err)
	}
	if _, _, attempts, _, _ := w.snapshot(); attempts != 1 {
		return fmt.Errorf("the call was attempted %d times, want 1 (service errors are not retried)", attempts)
	}
	return nil
}

func unknown(ctx context.Context, e *env, servicePath, method, want string) error {
	xc, w := e.xclient(servicePath, nil)
	defer xc.Close()
	var r interop.Reply
	err := xc.Call(ctx, method, &interop.Args{A: 1, B: 2}, &r)
	return checkServiceError(err, want, w)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func onewayNotify(ctx context.Context, e *env) error {
	xc, w := e.xclient("Oneway", nil)
	defer xc.Close()
	text := "oneway-" + randomHex(8)
	if err := xc.Oneshot(ctx, "Notify", &interop.EchoArgs{Text: text}); err != nil {
		return fmt.Errorf("Oneshot Oneway.Notify: %v", err)
	}
	// A oneway call has no completion, so poll Last for up to 2 s.
	deadline := time.Now().Add(2 * time.Second)
	for {
		var r interop.EchoReply
		if err := xc.Call(ctx, "Last", &interop.EchoArgs{}, &r); err != nil {
			return fmt.Errorf("Oneway.Last: %v", err)
		}
		if r.Text == text {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Oneway.Last returned %q for 2 s, want %q (sent by Oneshot Oneway.Notify)", r.Text, text)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	// The server must not answer a oneway request.
	if err := sleep(ctx, 100*time.Millisecond); err != nil {
		return err
	}
	sent, received, _, _, _ := w.snapshot()
	for _, s := range sent {
		if s.serviceMethod != "Notify" {
			continue
		}
		if !s.oneway {
			return errors.New("the Go client did not set the oneway flag on Oneway.Notify")
		}
		for _, r := range received {
			if r.seq == s.seq {
				return fmt.Errorf("the server answered the oneway Oneway.Notify request (seq %d)", s.seq)
			}
		}
	}
	return nil
}

func heartbeatKeepalive(ctx context.Context, e *env) error {
	xc, w := e.xclient("Arith", func(o *client.Option) {
		o.Heartbeat = true
		o.HeartbeatInterval = 100 * time.Millisecond
		o.MaxWaitForHeartbeat = time.Second
	})
	defer xc.Close()
	mul := func(when string) error {
		var r interop.Reply
		if err := xc.Call(ctx, "Mul", &interop.Args{A: 6, B: 7}, &r); err != nil {
			return fmt.Errorf("Arith.Mul %s: %v", when, err)
		}
		if r.C != 42 {
			return fmt.Errorf("Arith.Mul %s = %d, want 42", when, r.C)
		}
		return nil
	}
	if err := mul("before the heartbeats"); err != nil {
		return err
	}
	if err := sleep(ctx, 600*time.Millisecond); err != nil {
		return err
	}
	if err := mul("after 600 ms of heartbeats"); err != nil {
		return err
	}
	sent, received, _, dials, closes := w.snapshot()
	if dials != 1 || closes != 0 {
		return fmt.Errorf("the connection did not survive: %d dials, %d closes (the Go client closes it when a heartbeat is not echoed within 1 s)", dials, closes)
	}
	pings := map[uint64][]byte{}
	for _, f := range sent {
		if f.heartbeat {
			pings[f.seq] = f.payload
		}
	}
	pongs := 0
	for _, f := range received {
		if !f.heartbeat {
			continue
		}
		ping, ok := pings[f.seq]
		switch {
		case !f.response:
			return fmt.Errorf("heartbeat frame seq %d from the server is not a response", f.seq)
		case !ok:
			return fmt.Errorf("heartbeat response seq %d matches no heartbeat request", f.seq)
		case !bytes.Equal(f.payload, ping):
			return fmt.Errorf("heartbeat response seq %d payload %x, want the request's %x", f.seq, f.payload, ping)
		}
		pongs++
	}
	if pongs < 3 {
		return fmt.Errorf("%d heartbeat responses to %d heartbeats in 600 ms, want at least 3", pongs, len(pings))
	}
	return nil
}

func authOK(ctx context.Context, e *env) error {
	xc, _ := e.xclient("Arith", nil) // Auth(-token) is set by xclient
	defer xc.Close()
	var r interop.Reply
	if err := xc.Call(ctx, "Mul", &interop.Args{A: 6, B: 7}, &r); err != nil {
		return fmt.Errorf("Arith.Mul with the right token: %v", err)
	}
	if r.C != 42 {
		return fmt.Errorf("Arith.Mul = %d, want 42", r.C)
	}
	return nil
}

func authFail(ctx context.Context, e *env) error {
	xc, w := e.xclient("Arith", nil)
	defer xc.Close()
	xc.Auth("wrong-" + e.token)
	var r interop.Reply
	err := xc.Call(ctx, "Mul", &interop.Args{A: 6, B: 7}, &r)
	if err := checkServiceError(err, interop.ErrInvalidToken, w); err != nil {
		return err
	}
	select {
	case <-w.closed:
		return nil
	case <-time.After(2 * time.Second):
		return errors.New("the server did not close the connection within 2 s after the auth failure")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func timeoutDeadline(ctx context.Context, e *env) error {
	xc, _ := e.xclient("Slow", nil)
	defer xc.Close()
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	var r interop.SleepReply
	err := xc.Call(ctx, "Sleep", &interop.SleepArgs{Ms: 5000}, &r)
	elapsed := time.Since(start)
	// Two outcomes are right. Usually the client's own deadline fires and
	// Call returns ctx.Err(). But the XClient sends the remaining time
	// truncated to whole ms as __ServerTimeout, so the server's context can
	// expire first; its handler then returns ctx.Err() and the error
	// response (a ServiceError "context deadline exceeded") can win the race.
	var se client.ServiceError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
	case errors.As(err, &se) && se.Error() == context.DeadlineExceeded.Error():
	default:
		return fmt.Errorf("Slow.Sleep{Ms:5000} with a 300 ms deadline: error %v (%T), want context.DeadlineExceeded", err, err)
	}
	if elapsed < 250*time.Millisecond || elapsed > time.Second {
		return fmt.Errorf("the call returned after %v, want about 300 ms", elapsed.Round(time.Millisecond))
	}
	return nil
}

func timeoutPropagated(ctx context.Context, e *env) error {
	xc, _ := e.xclient("Slow", nil)
	defer xc.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var r interop.SleepReply
	if err := xc.Call(ctx, "Sleep", &interop.SleepArgs{Ms: 1}, &r); err != nil {
		return fmt.Errorf("Slow.Sleep{Ms:1}: %v", err)
	}
	if !r.Slept {
		return fmt.Errorf("Slow.Sleep{Ms:1} = %+v, want Slept true", r)
	}
	if r.DeadlineMs <= 3000 || r.DeadlineMs > 5000 {
		return fmt.Errorf("DeadlineMs = %d, want in (3000, 5000] (the XClient sends the 5 s deadline as __ServerTimeout)", r.DeadlineMs)
	}
	return nil
}

func pushSubscribe(ctx context.Context, e *env) error {
	const count, text = 3, "hello push"
	ch := make(chan *protocol.Message, 16)
	// Failfast: a retried Subscribe would push again.
	xc, _ := e.newXClient("Push", client.Failfast, nil, ch)
	defer xc.Close()
	var r interop.Reply
	if err := xc.Call(ctx, "Subscribe", &interop.PushArgs{Count: count, Text: text}, &r); err != nil {
		return fmt.Errorf("Push.Subscribe: %v", err)
	}
	// The Go client reads frames in order and queues pushes before it
	// completes the call, so pushes written before the reply are queued now.
	beforeReply := len(ch)
	if r.C != count {
		return fmt.Errorf("Push.Subscribe returned C=%d, want %d", r.C, count)
	}
	for i := 0; i < count; i++ {
		select {
		case m := <-ch:
			if err := checkPush(m, i, text); err != nil {
				return err
			}
		case <-time.After(2 * time.Second):
			return fmt.Errorf("received %d of %d push messages", i, count)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case m := <-ch:
		return fmt.Errorf("unexpected extra push message %s.%s metadata %v payload %s", m.ServicePath, m.ServiceMethod, m.Metadata, quote(m.Payload))
	case <-time.After(200 * time.Millisecond):
	}
	if beforeReply < count {
		return fmt.Errorf("only %d of the %d push messages arrived before the reply, want all (they are written before replying)", beforeReply, count)
	}
	return nil
}

func checkPush(m *protocol.Message, i int, text string) error {
	if m.MessageStatusType() == protocol.Error {
		return fmt.Errorf("push %d: got the client's connection-lost message %v", i, m.Metadata)
	}
	if m.MessageType() != protocol.Request || !m.IsOneway() || m.IsHeartbeat() {
		return fmt.Errorf("push %d: response=%v oneway=%v heartbeat=%v, want a oneway request", i,
			m.MessageType() == protocol.Response, m.IsOneway(), m.IsHeartbeat())
	}
	if m.ServicePath != interop.PushPath || m.ServiceMethod != interop.PushMethod {
		return fmt.Errorf("push %d: %s.%s, want %s.%s", i, m.ServicePath, m.ServiceMethod, interop.PushPath, interop.PushMethod)
	}
	if m.SerializeType() != protocol.SerializeNone || m.CompressType() != protocol.None {
		return fmt.Errorf("push %d: serialize type %d compress type %d, want 0 and 0", i, m.SerializeType(), m.CompressType())
	}
	want := map[string]string{interop.PushIndexKey: strconv.Itoa(i)}
	if !maps.Equal(m.Metadata, want) {
		return fmt.Errorf("push %d: metadata %v, want %v (in order 0, 1, 2)", i, m.Metadata, want)
	}
	if string(m.Payload) != text {
		return fmt.Errorf("push %d: payload %s, want %q", i, quote(m.Payload), text)
	}
	return nil
}
