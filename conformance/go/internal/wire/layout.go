package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout is the structure of one raw frame as found by walking its length
// fields. It is computed independently of rpcx's decoder.
type Layout struct {
	TotalLen          int // the totalLen field (frame size minus 16)
	MetaLen           int
	WirePayloadLength int // the payloadLen field; equals the remaining bytes
}

// ParseLayout walks the length fields of a complete frame and checks that they
// are consistent. Go's Decode recovers from slice panics on malformed bodies
// and then reports success with a half-filled message, so callers use this to
// reject such frames instead.
func ParseLayout(frame []byte) (Layout, error) {
	if len(frame) < 16 {
		return Layout{}, errors.New("frame shorter than 16 bytes")
	}
	total := binary.BigEndian.Uint32(frame[12:16])
	body := frame[16:]
	if uint64(len(body)) != uint64(total) {
		return Layout{}, fmt.Errorf("totalLen %d but %d body bytes", total, len(body))
	}
	var lens [4]int
	off := 0
	names := [4]string{"servicePath", "serviceMethod", "metadata", "payload"}
	for i := range lens {
		if len(body)-off < 4 {
			return Layout{}, fmt.Errorf("malformed frame: no room for %s length", names[i])
		}
		l := binary.BigEndian.Uint32(body[off : off+4])
		off += 4
		if uint64(l) > uint64(len(body)-off) {
			return Layout{}, fmt.Errorf("malformed frame: %s length %d overruns body", names[i], l)
		}
		lens[i] = int(l)
		off += int(l)
	}
	if off != len(body) {
		return Layout{}, fmt.Errorf("malformed frame: payloadLen %d leaves %d trailing bytes", lens[3], len(body)-off)
	}
	return Layout{TotalLen: int(total), MetaLen: lens[2], WirePayloadLength: lens[3]}, nil
}
