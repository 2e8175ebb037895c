package main

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/smallnest/rpcx/protocol"
	"github.com/smallnest/rpcx/share"
	"github.com/vmihailenco/msgpack/v5"
)

// call is what a Go client is asked to send: the inputs of client.send.
type call struct {
	seq           uint64
	servicePath   string
	serviceMethod string
	metadata      map[string]string
	args          any
	oneway        bool                   // reply == nil in client.Go
	serialize     protocol.SerializeType // Option.SerializeType
	compress      protocol.CompressType  // Option.CompressType
}

// requestMessage builds the request exactly as rpcx v1.9.4 client.send does:
// a heartbeat is a call with empty servicePath and serviceMethod and is forced
// to MsgPack; the payload is the codec's encoding of args; it is compressed
// only when longer than 1024 bytes and a compressor is configured.
func requestMessage(c call) (*protocol.Message, error) {
	isHeartbeat := c.servicePath == "" && c.serviceMethod == ""
	st := c.serialize
	if isHeartbeat {
		st = protocol.MsgPack
	}
	codec := share.Codecs[st]
	if codec == nil {
		return nil, fmt.Errorf("no codec for serialize type %d", st)
	}

	req := protocol.NewMessage()
	req.SetMessageType(protocol.Request)
	req.SetSeq(c.seq)
	if c.oneway {
		req.SetOneway(true)
	}
	if isHeartbeat {
		req.SetHeartbeat(true)
	}
	req.SetSerializeType(st)
	if c.metadata != nil {
		req.Metadata = c.metadata
	}
	req.ServicePath = c.servicePath
	req.ServiceMethod = c.serviceMethod

	data, err := codec.Encode(c.args)
	if err != nil {
		return nil, err
	}
	if len(data) > 1024 && c.compress != protocol.None {
		req.SetCompressType(c.compress)
	}
	req.Payload = data
	return req, nil
}

// encodeSortedMeta encodes m with Message.EncodeSlicePointer (the client's
// path). Go writes metadata pairs in random map iteration order, so it encodes
// again, each time with a fresh copy of the map filled in sorted key order,
// until the pairs come out sorted. This keeps committed vectors stable across
// regenerations while every byte is still written by rpcx.
func encodeSortedMeta(m *protocol.Message) ([]byte, error) {
	want := sortedMetaBlock(m.Metadata)
	keys := sortedKeys(m.Metadata)
	orig := m.Metadata
	defer func() { m.Metadata = orig }()
	for i := 0; i < 100000; i++ {
		if orig != nil {
			fresh := make(map[string]string, len(keys))
			for _, k := range keys {
				fresh[k] = orig[k]
			}
			m.Metadata = fresh
		}
		p := m.EncodeSlicePointer()
		frame := append([]byte(nil), *p...)
		protocol.PutData(p)
		if len(orig) <= 1 || bytes.Contains(frame, want) {
			return frame, nil
		}
	}
	return nil, fmt.Errorf("metadata never encoded in sorted order")
}

func sortedKeys(meta map[string]string) []string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sortedMetaBlock is the metadata block with pairs in sorted key order, used
// only to recognise that order in Go's output.
func sortedMetaBlock(meta map[string]string) []byte {
	var b bytes.Buffer
	for _, k := range sortedKeys(meta) {
		b.Write(be32(len(k)))
		b.WriteString(k)
		b.Write(be32(len(meta[k])))
		b.WriteString(meta[k])
	}
	// Prefix with metaLen so the match cannot occur by accident elsewhere.
	return append(be32(b.Len()), b.Bytes()...)
}

func be32(n int) []byte {
	return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// sortedMsgpack returns the msgpack encoding rpcx's MsgpackCodec produces when
// Go's random map iteration happens to visit keys in sorted order. rpcx's codec
// does not sort map keys; callers retry the real codec until it matches.
func sortedMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	err := enc.Encode(v)
	return buf.Bytes(), err
}
