// Package wire holds the pieces shared by the conformance programs: the JSON
// description of one rpcx frame ("expect" schema) and a frame reader that pairs
// Go rpcx's own decoder with a structural check of the raw bytes.
package wire

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/smallnest/rpcx/protocol"
)

// Expect describes one decoded rpcx frame. It is the "expect" object of a
// vector file, the line printed by framedecode and the line read by framegen.
type Expect struct {
	Version           int               `json:"version"`
	MessageType       int               `json:"messageType"` // 0 request, 1 response
	Heartbeat         bool              `json:"heartbeat"`
	Oneway            bool              `json:"oneway"`
	CompressType      int               `json:"compressType"`      // 0 none, 1 gzip
	MessageStatusType int               `json:"messageStatusType"` // 0 normal, 1 error
	SerializeType     int               `json:"serializeType"`     // 0 raw .. 4 thrift
	Seq               string            `json:"seq"`               // uint64 as decimal string
	ServicePath       string            `json:"servicePath"`
	ServiceMethod     string            `json:"serviceMethod"`
	Metadata          map[string]string `json:"metadata"`   // {} when empty
	PayloadHex        string            `json:"payloadHex"` // plain (decompressed) payload
	// WirePayloadLength is the payload size as it travels (compressed size for
	// gzip). Nil when unknown, e.g. in framegen input.
	WirePayloadLength *int `json:"wirePayloadLength,omitempty"`
}

// FromMessage describes a message that rpcx has decoded (payload already
// decompressed by protocol.Message.Decode).
func FromMessage(m *protocol.Message) Expect {
	meta := make(map[string]string, len(m.Metadata))
	for k, v := range m.Metadata {
		meta[k] = v
	}
	return Expect{
		Version:           int(m.Version()),
		MessageType:       int(m.MessageType()),
		Heartbeat:         m.IsHeartbeat(),
		Oneway:            m.IsOneway(),
		CompressType:      int(m.CompressType()),
		MessageStatusType: int(m.MessageStatusType()),
		SerializeType:     int(m.SerializeType()),
		Seq:               strconv.FormatUint(m.Seq(), 10),
		ServicePath:       m.ServicePath,
		ServiceMethod:     m.ServiceMethod,
		Metadata:          meta,
		PayloadHex:        hex.EncodeToString(m.Payload),
	}
}

// ToMessage builds the protocol.Message an Expect describes. Payload is the
// plain payload; Encode compresses it when CompressType says so.
func (e Expect) ToMessage() (*protocol.Message, error) {
	if e.Version < 0 || e.Version > 0xff {
		return nil, fmt.Errorf("version %d out of range 0..255", e.Version)
	}
	if e.MessageType != 0 && e.MessageType != 1 {
		return nil, fmt.Errorf("messageType %d is not 0 or 1", e.MessageType)
	}
	if e.CompressType < 0 || e.CompressType > 7 {
		return nil, fmt.Errorf("compressType %d out of range 0..7", e.CompressType)
	}
	if e.CompressType != 0 && protocol.Compressors[protocol.CompressType(e.CompressType)] == nil {
		return nil, fmt.Errorf("compressType %d has no compressor in Go rpcx", e.CompressType)
	}
	if e.MessageStatusType < 0 || e.MessageStatusType > 3 {
		return nil, fmt.Errorf("messageStatusType %d out of range 0..3", e.MessageStatusType)
	}
	if e.SerializeType < 0 || e.SerializeType > 15 {
		return nil, fmt.Errorf("serializeType %d out of range 0..15", e.SerializeType)
	}
	seq, err := strconv.ParseUint(e.Seq, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("seq: %w", err)
	}
	payload, err := hex.DecodeString(e.PayloadHex)
	if err != nil {
		return nil, fmt.Errorf("payloadHex: %w", err)
	}

	m := protocol.NewMessage()
	m.SetVersion(byte(e.Version))
	m.SetMessageType(protocol.MessageType(e.MessageType))
	m.SetHeartbeat(e.Heartbeat)
	m.SetOneway(e.Oneway)
	m.SetCompressType(protocol.CompressType(e.CompressType))
	m.SetMessageStatusType(protocol.MessageStatusType(e.MessageStatusType))
	m.SetSerializeType(protocol.SerializeType(e.SerializeType))
	m.SetSeq(seq)
	m.ServicePath = e.ServicePath
	m.ServiceMethod = e.ServiceMethod
	if len(e.Metadata) > 0 {
		m.Metadata = e.Metadata
	}
	m.Payload = payload
	return m, nil
}
