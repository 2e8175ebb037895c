package main

import (
	"context"
	"net"
	"sync"

	"github.com/smallnest/rpcx/protocol"
)

// frame is what wireLog remembers of one frame.
type frame struct {
	seq           uint64
	response      bool
	heartbeat     bool
	oneway        bool
	compress      protocol.CompressType
	servicePath   string
	serviceMethod string
	payload       []byte // heartbeats only
}

func frameOf(m *protocol.Message) frame {
	f := frame{
		seq:           m.Seq(),
		response:      m.MessageType() == protocol.Response,
		heartbeat:     m.IsHeartbeat(),
		oneway:        m.IsOneway(),
		compress:      m.CompressType(),
		servicePath:   m.ServicePath,
		serviceMethod: m.ServiceMethod,
	}
	if f.heartbeat {
		f.payload = append([]byte(nil), m.Payload...)
	}
	return f
}

// wireLog is a client plugin that records what the Go client writes and reads
// on its connections, counts call attempts (PreCall fires once per attempt,
// so retries show up) and dials, and notices connection closes.
//
// The compress type recorded for a request is the one the client put in the
// header (it compresses while encoding); for an incoming frame it is the one
// in the header as received (rpcx decompresses the payload but keeps the
// header).
type wireLog struct {
	mu       sync.Mutex
	sent     []frame
	received []frame
	attempts int
	dials    int
	closes   int
	closed   chan struct{} // closed at the first connection close
}

func newWireLog() *wireLog { return &wireLog{closed: make(chan struct{})} }

func (w *wireLog) ClientBeforeEncode(m *protocol.Message) error {
	w.mu.Lock()
	w.sent = append(w.sent, frameOf(m))
	w.mu.Unlock()
	return nil
}

func (w *wireLog) ClientAfterDecode(m *protocol.Message) error {
	w.mu.Lock()
	w.received = append(w.received, frameOf(m))
	w.mu.Unlock()
	return nil
}

func (w *wireLog) PreCall(context.Context, string, string, any) error {
	w.mu.Lock()
	w.attempts++
	w.mu.Unlock()
	return nil
}

func (w *wireLog) ConnCreated(conn net.Conn) (net.Conn, error) {
	w.mu.Lock()
	w.dials++
	w.mu.Unlock()
	return conn, nil
}

func (w *wireLog) ClientConnectionClose(net.Conn) error {
	w.mu.Lock()
	if w.closes == 0 {
		close(w.closed)
	}
	w.closes++
	w.mu.Unlock()
	return nil
}

// snapshot returns copies of the counters and frames.
func (w *wireLog) snapshot() (sent, received []frame, attempts, dials, closes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]frame(nil), w.sent...), append([]frame(nil), w.received...), w.attempts, w.dials, w.closes
}

// lastExchange returns the last request to servicePath.serviceMethod and the
// response with its seq.
func (w *wireLog) lastExchange(servicePath, serviceMethod string) (req, res frame, ok bool) {
	sent, received, _, _, _ := w.snapshot()
	found := false
	for i := len(sent) - 1; i >= 0; i-- {
		if f := sent[i]; !f.heartbeat && f.servicePath == servicePath && f.serviceMethod == serviceMethod {
			req, found = f, true
			break
		}
	}
	if !found {
		return req, res, false
	}
	for _, f := range received {
		if f.response && !f.heartbeat && f.seq == req.seq {
			return req, f, true
		}
	}
	return req, res, false
}
