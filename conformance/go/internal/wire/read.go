package wire

import (
	"bytes"
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
		return nil, raw.Bytes(), Layout{}, err
	}
	layout, err := ParseLayout(raw.Bytes())
	if err != nil {
		return nil, raw.Bytes(), Layout{}, fmt.Errorf("rpcx decoded the frame but %w", err)
	}
	return msg, raw.Bytes(), layout, nil
}
