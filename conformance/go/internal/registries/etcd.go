package registries

import (
	"time"

	etcdclient "github.com/rpcxio/rpcx-etcd/client"
	etcdplugin "github.com/rpcxio/rpcx-etcd/serverplugin"
	"github.com/smallnest/rpcx/client"
)

// etcd is github.com/rpcxio/rpcx-etcd v0.5.0: EtcdV3RegisterPlugin and
// NewEtcdV3Discovery.
var etcd = Registry{
	DefaultInterval: time.Second,
	Plugin: func(c PluginConfig) (Plugin, error) {
		// [Go quirk] The plugin writes the server's key only at its first
		// UpdateInterval tick (Register writes the paths of the previous
		// Register call, i.e. none for the first service), so the key appears
		// about one interval after the server is ready, and never with 0. All
		// of a process's keys share one 30 s lease: after SIGKILL they stay
		// until it expires.
		return &etcdplugin.EtcdV3RegisterPlugin{
			ServiceAddress: c.ServiceAddress,
			EtcdServers:    c.Addrs,
			BasePath:       c.BasePath,
			UpdateInterval: c.UpdateInterval,
			Metrics:        c.Metrics,
		}, nil
	},
	Discovery: func(c DiscoveryConfig) (client.ServiceDiscovery, error) {
		// allowKeyNotFound: a service with no key yet is an empty list.
		return etcdclient.NewEtcdV3Discovery(c.BasePath, c.Service, c.Addrs, true, nil)
	},
}
