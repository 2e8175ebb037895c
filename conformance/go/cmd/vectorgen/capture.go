package main

// Frames that Go rpcx produces on its own code paths: a real server.Server
// answering requests written on a raw TCP connection, and a real client.Client
// writing requests to a listener that only records.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/rpcx-ts/conformance/internal/protoschema"
	"github.com/smallnest/rpcx/client"
	"github.com/smallnest/rpcx/server"
	"github.com/smallnest/rpcx/share"
)

const ioTimeout = 5 * time.Second

// readRawFrame reads one frame's bytes (16-byte prefix plus totalLen bytes)
// without interpreting anything else.
func readRawFrame(conn net.Conn) ([]byte, error) {
	if err := conn.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	if _, err := io.ReadFull(conn, head); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head[12:16]))
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, err
	}
	return append(head, body...), nil
}

// captureServer is a real rpcx server on 127.0.0.1 with Arith and Echo
// registered, plus one raw TCP connection to it.
type captureServer struct {
	srv  *server.Server
	conn net.Conn
}

func startCaptureServer() (*captureServer, error) {
	srv := server.NewServer()
	if err := srv.RegisterName("Arith", new(Arith), ""); err != nil {
		return nil, err
	}
	if err := srv.RegisterName("Echo", new(Echo), ""); err != nil {
		return nil, err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve("tcp", "127.0.0.1:0") }()
	select {
	case <-srv.Started:
	case err := <-serveErr:
		return nil, err
	case <-time.After(ioTimeout):
		return nil, errors.New("rpcx server did not start")
	}
	conn, err := net.DialTimeout("tcp", srv.Address().String(), ioTimeout)
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &captureServer{srv: srv, conn: conn}, nil
}

func (c *captureServer) close() {
	c.conn.Close()
	c.srv.Close()
}

// roundTrip writes one request frame and returns the server's next frame.
func (c *captureServer) roundTrip(frame []byte) ([]byte, error) {
	if _, err := c.conn.Write(frame); err != nil {
		return nil, err
	}
	return readRawFrame(c.conn)
}

// send writes a frame that must not be answered (oneway) and checks that
// nothing arrives for a while.
func (c *captureServer) send(frame []byte) error {
	if _, err := c.conn.Write(frame); err != nil {
		return err
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		return err
	}
	var one [1]byte
	n, err := c.conn.Read(one[:])
	if n > 0 {
		return errors.New("server answered a oneway request")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return fmt.Errorf("waiting for silence: %w", err)
}

// push makes the server call SendMessage on our connection and returns the
// frame it wrote.
func (c *captureServer) push(servicePath, serviceMethod string, meta map[string]string, data []byte) ([]byte, error) {
	conns := c.srv.ActiveClientConn()
	if len(conns) != 1 {
		return nil, fmt.Errorf("want 1 active connection, have %d", len(conns))
	}
	if err := c.srv.SendMessage(conns[0], servicePath, serviceMethod, meta, data); err != nil {
		return nil, err
	}
	return readRawFrame(c.conn)
}

// realClientFrames dials a recording listener with a real rpcx client, makes
// the calls one after another (so the client's seq counter, which starts at
// 0, numbers them 0, 1, 2, ...) and returns the frames the client wrote.
// Calls never get an answer; the client is closed at the end.
func realClientFrames(opt client.Option, calls []call) ([][]byte, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()

	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- conn
	}()

	cl := client.NewClient(opt)
	if err := cl.Connect("tcp", ln.Addr().String()); err != nil {
		return nil, err
	}
	defer cl.Close()
	conn, ok := <-accepted
	if !ok {
		return nil, errors.New("accept failed")
	}
	defer conn.Close()

	var frames [][]byte
	for _, c := range calls {
		ctx := context.Background()
		if c.metadata != nil {
			ctx = context.WithValue(ctx, share.ReqMetaDataKey, c.metadata)
		}
		var reply any = new(struct{})
		if c.oneway {
			reply = nil
		}
		cl.Go(ctx, c.servicePath, c.serviceMethod, c.args, reply, make(chan *client.Call, 1))
		frame, err := readRawFrame(conn)
		if err != nil {
			return nil, err
		}
		frames = append(frames, frame)
	}
	return frames, nil
}

// crossCheckClient proves that requestMessage builds the very bytes a real
// rpcx client writes, for each serialize type, gzip, oneway, metadata and
// heartbeat (heartbeat: the same Call("", "", &unixNanos, &reply) that
// client.heartbeat makes, with a fixed time).
func crossCheckClient() error {
	hb := heartbeatNanos
	argsPB := protoschema.NewArithArgs(10, 20)
	bench, _, err := newBenchMessage()
	if err != nil {
		return err
	}
	groups := []struct {
		serialize uint8
		calls     []call
	}{
		{0, []call{{servicePath: "Echo", serviceMethod: "Raw", args: rawPayload}}},
		{1, []call{
			{servicePath: "Arith", serviceMethod: "Mul", args: &Args{10, 20}},
			{servicePath: "Echo", serviceMethod: "Echo", args: &bigBlob},
			{servicePath: "Arith", serviceMethod: "Mul", args: &Args{10, 20}, metadata: map[string]string{"__AUTH": "abc"}},
			{args: &hb}, // heartbeat: forced to MsgPack
		}},
		{2, []call{
			{servicePath: "Arith", serviceMethod: "Mul", args: argsPB},
			{servicePath: "Hello", serviceMethod: "Say", args: bench},
		}},
		{3, []call{
			{servicePath: "Arith", serviceMethod: "Mul", args: &Args{10, 20}},
			{servicePath: "Arith", serviceMethod: "Mul", args: &Args{10, 20}, oneway: true},
		}},
	}
	checked := 0
	for _, g := range groups {
		opt := client.DefaultOption
		opt.SerializeType = serializeType(g.serialize)
		opt.CompressType = gzip
		frames, err := realClientFrames(opt, g.calls)
		if err != nil {
			return fmt.Errorf("real client (serialize %d): %w", g.serialize, err)
		}
		for i, c := range g.calls {
			c.seq = uint64(i)
			c.serialize = opt.SerializeType
			c.compress = opt.CompressType
			req, err := requestMessage(c)
			if err != nil {
				return err
			}
			if built := req.Encode(); !bytes.Equal(built, frames[i]) {
				return fmt.Errorf("serialize %d call %d: real client wrote %x, builder %x", g.serialize, i, frames[i], built)
			}
			checked++
		}
	}
	fmt.Fprintf(os.Stderr, "vectorgen: %d request frames byte-identical to a real rpcx client\n", checked)
	return nil
}
