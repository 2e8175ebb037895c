package registries

import (
	"time"

	"github.com/rpcxio/libkv/store"
	zkclient "github.com/rpcxio/rpcx-zookeeper/client"
	zkplugin "github.com/rpcxio/rpcx-zookeeper/serverplugin"
	"github.com/smallnest/rpcx/client"
)

// zookeeper is github.com/rpcxio/rpcx-zookeeper (untagged,
// v0.0.0-20220730061732-d20531677676): ZooKeeperRegisterPlugin and
// NewZookeeperDiscovery.
var zookeeper = Registry{
	DefaultInterval: time.Second,
	Plugin: func(c PluginConfig) (Plugin, error) {
		// [Go quirk] The plugin makes the node EPHEMERAL only when
		// UpdateInterval > 0; with 0 the node is persistent and outlives a
		// crash. A BasePath with or without a leading '/' is the same: Go
		// strips it and its store adds it back.
		return &zkplugin.ZooKeeperRegisterPlugin{
			ServiceAddress:   c.ServiceAddress,
			ZooKeeperServers: c.Addrs,
			BasePath:         c.BasePath,
			UpdateInterval:   c.UpdateInterval,
			Metrics:          c.Metrics,
			Options:          &store.Config{ConnectionTimeout: c.SessionTimeout},
		}, nil
	},
	Discovery: func(c DiscoveryConfig) (client.ServiceDiscovery, error) {
		// [Go quirk] NewZookeeperDiscovery fails when the service's node does
		// not exist yet (the TS discovery lists no server instead).
		d, err := zkclient.NewZookeeperDiscovery(c.BasePath, c.Service, c.Addrs, &store.Config{ConnectionTimeout: 5 * time.Second})
		if err != nil {
			return nil, err
		}
		return d, nil
	},
}
