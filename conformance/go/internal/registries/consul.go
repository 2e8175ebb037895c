package registries

import (
	"time"

	consulclient "github.com/rpcxio/rpcx-consul/client"
	consulplugin "github.com/rpcxio/rpcx-consul/serverplugin"
	"github.com/smallnest/rpcx/client"
)

// consul is github.com/rpcxio/rpcx-consul v0.1.1: ConsulRegisterPlugin and
// NewConsulDiscovery. Its keys carry no leading slash; a server's key is
// bound to a Consul session, so after SIGKILL it stays until the session TTL
// runs out.
var consul = Registry{
	// [Go quirk] An UpdateInterval under 10 s makes Start fail: the plugin
	// asks for a session TTL of (UpdateInterval+Expired)/2 (Expired defaults
	// to UpdateInterval), and Consul accepts 10 s to 24 h only.
	DefaultInterval: 10 * time.Second,
	Plugin: func(c PluginConfig) (Plugin, error) {
		return &consulplugin.ConsulRegisterPlugin{
			ServiceAddress: c.ServiceAddress,
			ConsulServers:  c.Addrs,
			BasePath:       c.BasePath,
			UpdateInterval: c.UpdateInterval,
			Metrics:        c.Metrics,
		}, nil
	},
	Discovery: func(c DiscoveryConfig) (client.ServiceDiscovery, error) {
		d, err := consulclient.NewConsulDiscovery(c.BasePath, c.Service, c.Addrs, nil)
		if err != nil {
			return nil, err
		}
		return d, nil
	},
}
