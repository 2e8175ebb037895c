package main

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/rpcx-ts/conformance/internal/protoschema"
	"github.com/rpcx-ts/conformance/internal/wire"
	"github.com/smallnest/rpcx/protocol"
)

// heartbeatNanos is the fixed "current time" of the heartbeat vectors
// (2023-11-14T22:13:20Z in Unix nanoseconds); Go's client uses time.Now().
const heartbeatNanos int64 = 1700000000000000000

// rawPayload is the argument of the SerializeNone vector.
var rawPayload = []byte("\x00\x01\x7f\x80\xfe\xffraw bytes")

// clientNote is appended to descriptions of request vectors.
const clientNote = "Built as rpcx v1.9.4 client.send builds requests (protocol.NewMessage, setters, codec from share.Codecs, EncodeSlicePointer); vectorgen checks that this builder writes the same bytes as a real client.Client."

// built encodes a request made like client.send. If wantPayload is set, it
// rebuilds until the codec's output equals it (Go map order is random).
func built(name, description string, c call, value any, wantPayload []byte) (Vector, []byte, error) {
	var req *protocol.Message
	for i := 0; ; i++ {
		var err error
		if req, err = requestMessage(c); err != nil {
			return Vector{}, nil, fmt.Errorf("%s: %w", name, err)
		}
		if wantPayload == nil || bytes.Equal(req.Payload, wantPayload) {
			break
		}
		if i == 10000 {
			return Vector{}, nil, fmt.Errorf("%s: codec never produced the sorted-map encoding", name)
		}
	}
	intended := wire.FromMessage(req)
	frame, err := encodeSortedMeta(req)
	if err != nil {
		return Vector{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	v, err := newVector(name, description+" "+clientNote, frame, value, &intended)
	return v, frame, err
}

// allVectors produces every vector, starting a real rpcx server for the
// response and push frames.
func allVectors() ([]Vector, error) {
	var vs []Vector
	var firstErr error
	add := func(v Vector, frame []byte, err error) []byte {
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if err == nil {
			vs = append(vs, v)
		}
		return frame
	}
	argsValue := map[string]any{"A": 10, "B": 20}
	mul := func(seq uint64, st protocol.SerializeType) call {
		return call{seq: seq, servicePath: "Arith", serviceMethod: "Mul", args: &Args{10, 20}, serialize: st, compress: gzip}
	}

	// --- requests, one per serialize type ---
	add(built("request-raw",
		"Request Echo.Raw, seq 2, SerializeNone (0): the payload is the argument []byte, passed through by codec.ByteCodec.",
		call{seq: 2, servicePath: "Echo", serviceMethod: "Raw", args: rawPayload, serialize: protocol.SerializeNone},
		map[string]string{"$hex": fmt.Sprintf("%x", rawPayload)}, nil))
	reqJSON := add(built("request-json",
		"Request Arith.Mul(Args{A:10,B:20}), seq 1, JSON (1) via codec.JSONCodec (encoding/json). Same bytes as example 1 of rpcx-spec.md 1.16.",
		mul(1, protocol.JSON), argsValue, nil))

	argsPB := protoschema.NewArithArgs(10, 20)
	pbVec, _, err := built("request-protobuf",
		"Request Arith.Mul(arith.ArithArgs{a:10,b:20}), seq 3, ProtoBuffer (2) via codec.PBCodec; message built with dynamicpb from conformance/proto/arith.proto, fields in field-number order as generated Go code writes them.",
		call{seq: 3, servicePath: "Arith", serviceMethod: "Mul", args: argsPB, serialize: protocol.ProtoBuffer, compress: gzip},
		map[string]any{"a": 10, "b": 20}, nil)
	if err == nil {
		err = checkFieldOrder(mustHex(pbVec.Expect.PayloadHex), argsPB.Proto())
	}
	add(pbVec, nil, err)
	bench, benchValue, err := newBenchMessage()
	if err != nil {
		return nil, err
	}
	benchVec, _, err := built("request-protobuf-bench",
		"Request Hello.Say(bench.BenchmarkMessage), seq 4, ProtoBuffer (2): rpcx-benchmark's message (every int32/int64 100000, every bool true, every string \""+benchString+"\", field5 empty), 581-byte payload, fields in field-number order; schema conformance/proto/bench.proto.",
		call{seq: 4, servicePath: "Hello", serviceMethod: "Say", args: bench, serialize: protocol.ProtoBuffer, compress: gzip},
		benchValue, nil)
	if err == nil {
		if n := *benchVec.Expect.WirePayloadLength; n != 581 {
			err = fmt.Errorf("request-protobuf-bench: payload is %d bytes, want 581", n)
		}
	}
	if err == nil {
		err = checkFieldOrder(mustHex(benchVec.Expect.PayloadHex), bench.Message)
	}
	add(benchVec, nil, err)

	reqMsgpack := add(built("request-msgpack",
		"Request Arith.Mul(Args{A:10,B:20}), seq 6, MsgPack (3) via codec.MsgpackCodec (vmihailenco/msgpack/v5): a map keyed by Go field names, 82 a1 41 0a a1 42 14.",
		mul(6, protocol.MsgPack), argsValue, nil))
	richWant, err := sortedMsgpack(richValue)
	if err != nil {
		return nil, err
	}
	add(built("request-msgpack-rich",
		"Request Types.Echo, seq 8, MsgPack (3): struct Rich{Big int64=2^53+1, Neg int64, U64 uint64=2^64-1, Small int, Name string, Ratio float64, Ok bool, Data []byte, Nested map[string]string}, encoded as a map keyed by those Go field names in declaration order; int64 is always d3+8 bytes, uint64 cf+8, int compact, float64 cb, []byte bin8. rpcx does not sort map keys; the generator re-encoded until Nested came out in sorted key order.",
		call{seq: 8, servicePath: "Types", serviceMethod: "Echo", args: &richValue, serialize: protocol.MsgPack},
		richJSON, richWant))
	divAuth := add(built("request-msgpack-div-auth",
		"Request Arith.Div(Args{A:10,B:20}), seq 5, MsgPack, metadata {__AUTH: abc}. Same bytes as example 2 of rpcx-spec.md 1.16; the capture server (no Div method) answers it with response-error.",
		call{seq: 5, servicePath: "Arith", serviceMethod: "Div", args: &Args{10, 20}, metadata: map[string]string{"__AUTH": "abc"}, serialize: protocol.MsgPack},
		argsValue, nil))

	// --- gzip, heartbeat, oneway, metadata, edge cases ---
	blobValue := map[string]any{"Text": bigBlob.Text}
	reqGzip := add(built("request-gzip",
		"Request Echo.Echo(Blob{Text: 1440 chars}), seq 9, JSON, client CompressType Gzip: the 1451-byte JSON payload is > 1024 so the client sets compress type 1 and protocol.GzipCompressor (compress/gzip default level, Flush then Close) compresses it; payloadLen on the wire is the compressed size.",
		call{seq: 9, servicePath: "Echo", serviceMethod: "Echo", args: &bigBlob, serialize: protocol.JSON, compress: gzip},
		blobValue, nil))
	hb := heartbeatNanos
	reqHeartbeat := add(built("request-heartbeat",
		"Heartbeat request, seq 7, as client.heartbeat sends it: Call(ctx, \"\", \"\", &unixNanos, &reply), so byte2 0x40, serialize type forced to MsgPack, empty paths, payload msgpack int64 d3 + 8 bytes of Unix nanoseconds (fixed here to 1700000000000000000 instead of time.Now()). Same bytes as example 3 of rpcx-spec.md 1.16.",
		call{seq: 7, args: &hb, serialize: protocol.JSON},
		fmt.Sprint(heartbeatNanos), nil))
	reqOneway := add(built("request-oneway",
		"Oneway request Arith.Mul(Args{A:10,B:20}), seq 10, MsgPack: client.Go with reply == nil sets the oneway bit (byte2 0x20). The capture server was sent this frame and wrote nothing back.",
		call{seq: 10, servicePath: "Arith", serviceMethod: "Mul", args: &Args{10, 20}, oneway: true, serialize: protocol.MsgPack},
		argsValue, nil))
	add(built("request-metadata",
		"Request Arith.Mul(Args{A:1,B:2}), seq 11, JSON, with seven metadata pairs including Unicode keys and values, an empty value and an empty key. Go writes pairs in random map order; the generator re-encoded until they came out sorted by key (byte order), so decoders must not rely on order.",
		call{seq: 11, servicePath: "Arith", serviceMethod: "Mul", args: &Args{1, 2}, serialize: protocol.JSON,
			metadata: map[string]string{
				"__AUTH":          "token-123",
				"__ServerTimeout": "4998",
				"名字":              "值",
				"emoji 🚀":         "✓ ok",
				"empty":           "",
				"":                "empty key",
				"traceparent":     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			}},
		map[string]any{"A": 1, "B": 2}, nil))
	reqSeqMax := add(built("request-seq-max",
		"Request Arith.Mul(Args{A:10,B:20}), JSON, seq 18446744073709551615 (2^64-1): seq is a full uint64.",
		mul(18446744073709551615, protocol.JSON), argsValue, nil))
	add(built("request-seq-2p53plus1",
		"Request Arith.Mul(Args{A:10,B:20}), JSON, seq 9007199254740993 (2^53+1, not exactly representable as a JS number).",
		mul(9007199254740993, protocol.JSON), argsValue, nil))

	empty := protocol.NewMessage()
	emptyIntended := wire.FromMessage(empty)
	add(func() (Vector, []byte, error) {
		frame := empty.Encode()
		v, err := newVector("message-empty",
			"protocol.NewMessage().Encode() with nothing set: request, seq 0, SerializeNone, empty servicePath, serviceMethod, metadata and payload; 32 bytes, totalLen 16.",
			frame, nil, &emptyIntended)
		return v, frame, err
	}())
	add(goTestMessage())

	// --- frames written by a real rpcx server ---
	cs, err := startCaptureServer()
	if err != nil {
		return nil, fmt.Errorf("capture server: %w", err)
	}
	defer cs.close()
	captured := func(name, description string, request []byte, value any) []byte {
		if firstErr != nil {
			return nil
		}
		frame, err := cs.roundTrip(request)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
		}
		var v Vector
		if err == nil {
			v, err = newVector(name, description+" Captured from a real rpcx v1.9.4 server.Server on 127.0.0.1 answering the request on a raw TCP connection.", frame, value, nil)
		}
		return add(v, frame, err)
	}
	if firstErr == nil {
		if err := cs.send(reqOneway); err != nil {
			firstErr = fmt.Errorf("request-oneway: %w", err)
		}
	}
	captured("response-json", "Response to request-json: byte2 0x80, header (seq, serialize type) echoed, paths echoed, no metadata, payload {\"C\":200}. Same bytes as the response of example 1 in rpcx-spec.md 1.16.", reqJSON, map[string]any{"C": 200})
	captured("response-msgpack", "Response to request-msgpack: payload msgpack map {C: 200} = 81 a1 43 cc c8.", reqMsgpack, map[string]any{"C": 200})
	errFrame := captured("response-error", "Error response to request-msgpack-div-auth (Arith has no Div): byte2 0x81 (Response, status Error), seq 5 and MsgPack echoed, request metadata NOT echoed, metadata {__rpcx_error__: \"rpcx: can't find method Div\"}, empty payload.", divAuth, nil)
	gzFrame := captured("response-gzip", "Response to request-gzip from Echo.Echo: the 1451-byte JSON reply is > 1024 and the request was gzip, so the server sets compress type 1 (byte2 0x84) and gzips the payload.", reqGzip, blobValue)
	hbFrame := captured("response-heartbeat", "Heartbeat response to request-heartbeat: the server writes the decoded request back with the Response bit set (byte2 0xc0), same seq, serialize type, paths, metadata and payload.", reqHeartbeat, fmt.Sprint(heartbeatNanos))
	captured("response-seq-max", "Response to request-seq-max: the server echoes seq 18446744073709551615 unchanged.", reqSeqMax, map[string]any{"C": 200})
	if firstErr == nil {
		firstErr = checkCaptured(errFrame, gzFrame, hbFrame, reqHeartbeat)
	}

	pushed := func(name, description, servicePath, serviceMethod string, meta map[string]string, data []byte) {
		if firstErr != nil {
			return
		}
		frame, err := cs.push(servicePath, serviceMethod, meta, data)
		var v Vector
		if err == nil {
			v, err = newVector(name, description+" Captured from a real rpcx v1.9.4 server.Server.SendMessage on a raw TCP connection.", frame, map[string]string{"$hex": fmt.Sprintf("%x", data)}, nil)
		}
		add(v, frame, err)
	}
	pushed("push-server", "Server push SendMessage(conn, \"Notify\", \"Event\", nil, []byte(\"hello\")), the server's first push: Request, oneway (byte2 0x20), SerializeNone, no compression, seq 1 from the server-wide counter. Same bytes as example 4 of rpcx-spec.md 1.16.",
		"Notify", "Event", nil, []byte("hello"))
	pushed("push-server-metadata", "Second server push SendMessage(conn, \"Notify\", \"Event\", {topic: news}, []byte(\"world\")): seq 2 from the server-wide counter, metadata carried as given.",
		"Notify", "Event", map[string]string{"topic": "news"}, []byte("world"))

	if firstErr != nil {
		return nil, firstErr
	}
	return vs, nil
}

// goTestMessage is the frame of rpcx's own protocol TestMessage (also the test
// vector of rpcx-rs), written with Message.WriteTo as that test does.
func goTestMessage() (Vector, []byte, error) {
	req := protocol.NewMessage()
	req.SetVersion(0)
	req.SetMessageType(protocol.Request)
	req.SetHeartbeat(false)
	req.SetOneway(false)
	req.SetCompressType(protocol.None)
	req.SetMessageStatusType(protocol.Normal)
	req.SetSerializeType(protocol.JSON)
	req.SetSeq(1234567890)
	req.ServicePath = "Arith"
	req.ServiceMethod = "Add"
	req.Metadata = map[string]string{"__ID": "6ba7b810-9dad-11d1-80b4-00c04fd430c9"}
	req.Payload = []byte("{\n\t\t\"A\": 1,\n\t\t\"B\": 2,\n\t}\n\t")
	intended := wire.FromMessage(req)
	var buf bytes.Buffer
	if _, err := req.WriteTo(&buf); err != nil {
		return Vector{}, nil, err
	}
	if !bytes.Equal(buf.Bytes(), req.Encode()) {
		return Vector{}, nil, fmt.Errorf("request-go-testmessage: WriteTo and Encode differ")
	}
	v, err := newVector("request-go-testmessage",
		"The message of rpcx's protocol.TestMessage (also rpcx-rs's test vector): JSON request Arith.Add, seq 1234567890, metadata {__ID: 6ba7b810-9dad-11d1-80b4-00c04fd430c9}, a 26-byte payload that is not valid JSON (trailing comma, tabs); written with Message.WriteTo, 114 bytes.",
		buf.Bytes(), nil, &intended)
	return v, buf.Bytes(), err
}

// checkCaptured asserts the server behaviour the descriptions claim.
func checkCaptured(errFrame, gzFrame, hbFrame, hbReq []byte) error {
	if errFrame[2] != 0x81 {
		return fmt.Errorf("response-error: byte2 %#x, want 0x81", errFrame[2])
	}
	if gzFrame[2] != 0x84 {
		return fmt.Errorf("response-gzip: byte2 %#x, want 0x84", gzFrame[2])
	}
	want := append([]byte(nil), hbReq...)
	want[2] |= 0x80
	if !bytes.Equal(hbFrame, want) {
		return fmt.Errorf("response-heartbeat is not the request with 0x80 set: %x", hbFrame)
	}
	return nil
}

// mustHex decodes hex that this program wrote itself.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
