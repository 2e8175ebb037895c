package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/smallnest/rpcx/protocol"
)

// ReadFrame reads exactly one frame from r with Go rpcx's protocol.Read and
// returns the decoded message together with the raw bytes it consumed and
// their layout. It returns io.EOF, unwrapped, on a clean end of stream.
//
// protocol.Read reads with io.ReadFull only, so teeing the reader captures the
// exact bytes of the frame without reading ahead.
func ReadFrame(r io.Reader) (*protocol.Message, []byte, Layout, error) {
	var raw bytes.Buffer
	msg, err := protocol.Read(io.TeeReader(r, &raw))
	if err != nil {
		if err == io.EOF && raw.Len() > 0 {
			err = io.ErrUnexpectedEOF
		}
		if complete(raw.Bytes()) {
			// All bytes were there: rpcx rejected the content (metadata,
			// compressor, gzip stream), not a short read.
			err = fmt.Errorf("rpcx rejected the frame: %w", err)
		}
		return nil, raw.Bytes(), Layout{}, err
	}
	layout, err := ParseLayout(raw.Bytes())
	if err != nil {
		return nil, raw.Bytes(), Layout{}, fmt.Errorf("rpcx decoded the frame but %w", err)
	}
	return msg, raw.Bytes(), layout, nil
}

// complete reports whether raw holds the whole frame its totalLen announces.
func complete(raw []byte) bool {
	return len(raw) >= 16 && uint64(len(raw)) == 16+uint64(binary.BigEndian.Uint32(raw[12:16]))
}
