package main

// The interop services (see internal/interop and conformance/README.md),
// implemented as ordinary rpcx struct services.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/rpcx-ts/conformance/internal/protoschema"
	"github.com/smallnest/rpcx/server"
	"github.com/smallnest/rpcx/share"
)

// echoMetadata copies every request metadata pair k=v (k not starting with
// "__") into the response metadata as echo-k=v.
func echoMetadata(ctx context.Context) {
	req, _ := ctx.Value(share.ReqMetaDataKey).(map[string]string)
	res, _ := ctx.Value(share.ResMetaDataKey).(map[string]string)
	if res == nil {
		return
	}
	for k, v := range interop.EchoMetadata(req) {
		res[k] = v
	}
}

// Arith: JSON/MsgPack arithmetic.
type Arith struct{}

// Mul sets C = A*B.
func (Arith) Mul(_ context.Context, args *interop.Args, reply *interop.Reply) error {
	reply.C = args.A * args.B
	return nil
}

// Div sets C = A/B (Go integer division, truncated toward zero).
func (Arith) Div(_ context.Context, args *interop.Args, reply *interop.Reply) error {
	if args.B == 0 {
		return errors.New(interop.ErrDivideByZero)
	}
	reply.C = args.A / args.B
	return nil
}

// ArithPB: the same arithmetic on protobuf messages, plus Echo.
type ArithPB struct{}

// Mul sets c = a*b.
func (ArithPB) Mul(_ context.Context, args *protoschema.ArithArgs, reply *protoschema.ArithReply) error {
	reply.SetC(args.A() * args.B())
	return nil
}

// Div sets c = a/b.
func (ArithPB) Div(_ context.Context, args *protoschema.ArithArgs, reply *protoschema.ArithReply) error {
	if args.B() == 0 {
		return errors.New(interop.ErrDivideByZero)
	}
	reply.SetC(args.A() / args.B())
	return nil
}

// Echo returns the text and echoes the metadata.
func (ArithPB) Echo(ctx context.Context, args *protoschema.EchoMessage, reply *protoschema.EchoMessage) error {
	reply.SetText(args.Text())
	echoMetadata(ctx)
	return nil
}

// Echo: text echo with metadata echo.
type Echo struct{}

// Text returns the text and echoes the metadata.
func (Echo) Text(ctx context.Context, args *interop.EchoArgs, reply *interop.EchoReply) error {
	reply.Text = args.Text
	echoMetadata(ctx)
	return nil
}

// Raw: SerializeNone (type 0) byte echo.
type Raw struct{}

// Echo returns the same bytes and echoes the metadata.
func (Raw) Echo(ctx context.Context, args *[]byte, reply *[]byte) error {
	*reply = append([]byte(nil), *args...)
	echoMetadata(ctx)
	return nil
}

// Slow: deadlines.
type Slow struct{}

// Sleep reports the remaining time of the context deadline (set by the
// server from __ServerTimeout) at entry, or -1, then sleeps Ms or until the
// context is done.
func (Slow) Sleep(ctx context.Context, args *interop.SleepArgs, reply *interop.SleepReply) error {
	reply.DeadlineMs = -1
	if d, ok := ctx.Deadline(); ok {
		reply.DeadlineMs = int(time.Until(d).Milliseconds())
	}
	if err := interop.Sleep(ctx, args.Ms); err != nil {
		return err
	}
	reply.Slept = true
	return nil
}

// Push: server-to-client messages on the calling connection.
type Push struct{ srv *server.Server }

// Subscribe sends Count messages Push.Event (metadata i=<index>, payload
// Text), then replies C=Count.
func (p *Push) Subscribe(ctx context.Context, args *interop.PushArgs, reply *interop.Reply) error {
	conn, ok := ctx.Value(server.RemoteConnContextKey).(net.Conn)
	if !ok {
		return errors.New("no connection in context")
	}
	for i := 0; i < args.Count; i++ {
		meta := map[string]string{interop.PushIndexKey: strconv.Itoa(i)}
		if err := p.srv.SendMessage(conn, interop.PushPath, interop.PushMethod, meta, []byte(args.Text)); err != nil {
			return fmt.Errorf("push %d: %w", i, err)
		}
	}
	reply.C = args.Count
	return nil
}

// Oneway: a oneway setter and a getter.
type Oneway struct {
	mu   sync.Mutex
	last string
}

// Notify stores Text (clients send it oneway).
func (o *Oneway) Notify(_ context.Context, args *interop.EchoArgs, _ *interop.EchoReply) error {
	o.mu.Lock()
	o.last = args.Text
	o.mu.Unlock()
	return nil
}

// Last returns the last stored Text ("" if none).
func (o *Oneway) Last(_ context.Context, _ *interop.EchoArgs, reply *interop.EchoReply) error {
	o.mu.Lock()
	reply.Text = o.last
	o.mu.Unlock()
	return nil
}

// register registers every interop service on srv; Fleet answers with id.
func register(srv *server.Server, id string) error {
	services := []struct {
		name string
		rcvr any
	}{
		{"Arith", new(Arith)},
		{"ArithPB", new(ArithPB)},
		{"Echo", new(Echo)},
		{"Raw", new(Raw)},
		{"Slow", new(Slow)},
		{"Push", &Push{srv: srv}},
		{"Oneway", new(Oneway)},
		{"Fleet", interop.NewFleet(id)},
	}
	for _, s := range services {
		if err := srv.RegisterName(s.name, s.rcvr, ""); err != nil {
			return fmt.Errorf("register %s: %w", s.name, err)
		}
	}
	return nil
}
