// Package modes turns the names the test programs take on their command line
// (-failmode, -selectmode, -codec) into Go rpcx's values.
package modes

import (
	"fmt"

	"github.com/smallnest/rpcx/client"
	"github.com/smallnest/rpcx/protocol"
)

// FailMode parses failover, failfast, failtry or failbackup.
func FailMode(name string) (client.FailMode, error) {
	switch name {
	case "failover":
		return client.Failover, nil
	case "failfast":
		return client.Failfast, nil
	case "failtry":
		return client.Failtry, nil
	case "failbackup":
		return client.Failbackup, nil
	}
	return 0, fmt.Errorf("unknown -failmode %q", name)
}

// SelectMode parses roundrobin, random, weighted or consistenthash.
func SelectMode(name string) (client.SelectMode, error) {
	switch name {
	case "roundrobin":
		return client.RoundRobin, nil
	case "random":
		return client.RandomSelect, nil
	case "weighted":
		return client.WeightedRoundRobin, nil
	case "consistenthash":
		return client.ConsistentHash, nil
	}
	return 0, fmt.Errorf("unknown -selectmode %q", name)
}

// Codec parses json or msgpack.
func Codec(name string) (protocol.SerializeType, error) {
	switch name {
	case "json":
		return protocol.JSON, nil
	case "msgpack":
		return protocol.MsgPack, nil
	}
	return 0, fmt.Errorf("unknown -codec %q", name)
}
