// Package interop is the service contract of the live interop tests between
// Go rpcx (cmd/refserver, cmd/refclient) and the TypeScript client and
// server. Both sides implement exactly these services; see
// conformance/README.md.
//
// JSON and MsgPack use the structs below (MsgPack keys are the Go field
// names); protobuf uses the arith.* messages of internal/protoschema.
package interop

import (
	"fmt"
	"net"
	"strings"
)

// Args is the argument of Arith.Mul and Arith.Div.
type Args struct {
	A int
	B int
}

// Reply is the result of Arith.Mul, Arith.Div and Push.Subscribe.
type Reply struct {
	C int
}

// EchoArgs is the argument of Echo.Text, Oneway.Notify and Oneway.Last.
type EchoArgs struct {
	Text string
}

// EchoReply is the result of Echo.Text and Oneway.Last.
type EchoReply struct {
	Text string
}

// SleepArgs is the argument of Slow.Sleep.
type SleepArgs struct {
	Ms int
}

// SleepReply is the result of Slow.Sleep.
type SleepReply struct {
	Slept      bool
	DeadlineMs int
}

// PushArgs is the argument of Push.Subscribe.
type PushArgs struct {
	Count int
	Text  string
}

// FleetArgs is the argument of every Fleet method (mixed-fleet tests: many
// servers behind one XClient). A and B are Mul's factors, Ms is Slow's sleep.
// Ids names the servers on which Fail fails and Slow sleeps (all of them when
// empty); on the others both answer at once.
type FleetArgs struct {
	A   int
	B   int
	Ms  int
	Ids []string
}

// FleetWho is the result of Fleet.Who and of a Fleet.Fail that did not fail:
// the id of the server that answered.
type FleetWho struct {
	Id string
}

// FleetMul is the result of Fleet.Mul: C = A*B, and who computed it.
type FleetMul struct {
	Id string
	C  int
}

// FleetSlow is the result of Fleet.Slow.
type FleetSlow struct {
	Id    string
	Slept bool
}

// FleetFailText is the error text of Fleet.Fail on server id.
func FleetFailText(id string) string { return "fleet " + id + ": failed" }

// Error texts and names fixed by the contract.
const (
	ErrDivideByZero = "divide by zero"
	ErrInvalidToken = "invalid token"

	// PushPath and PushMethod name every message Push.Subscribe sends;
	// PushIndexKey is the metadata key carrying the index "0", "1", ...
	PushPath     = "Push"
	PushMethod   = "Event"
	PushIndexKey = "i"

	// EchoPrefix is prepended to every request metadata key (except keys
	// starting with ReservedPrefix) to form the echoed response key.
	EchoPrefix     = "echo-"
	ReservedPrefix = "__"
)

// EchoMetadata returns the response metadata the metadata-echoing methods
// (Echo.Text, ArithPB.Echo, Raw.Echo) add for request metadata req.
func EchoMetadata(req map[string]string) map[string]string {
	out := make(map[string]string, len(req))
	for k, v := range req {
		if !strings.HasPrefix(k, ReservedPrefix) {
			out[EchoPrefix+k] = v
		}
	}
	return out
}

// SplitAddr splits "network@address" (tcp@127.0.0.1:8972, unix@/tmp/s.sock)
// and checks that it stays on this machine: tcp must name a loopback IP or
// localhost; unix is a socket path.
func SplitAddr(s string) (network, address string, err error) {
	network, address, ok := strings.Cut(s, "@")
	if !ok || address == "" {
		return "", "", fmt.Errorf("address %q is not network@address", s)
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		if err := CheckLoopback(address); err != nil {
			return "", "", err
		}
	case "unix":
	default:
		return "", "", fmt.Errorf("unsupported network %q (want tcp or unix)", network)
	}
	return network, address, nil
}

// CheckLoopback rejects a host:port whose host is not a loopback IP or
// localhost.
func CheckLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing non-loopback address %q", hostport)
	}
	return nil
}
