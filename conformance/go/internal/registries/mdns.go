package registries

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smallnest/rpcx/client"
	"github.com/smallnest/rpcx/serverplugin"
)

// mdns is Go rpcx's built-in mDNS plugin and discovery
// (serverplugin.MDNSRegisterPlugin, client.MDNSDiscovery, on
// github.com/grandcat/zeroconf; rpcx's default build includes them).
// Multicast: it may only run inside the tests' network namespace.
var mdns = Registry{
	DefaultInterval: 0,
	Multicast:       true,
	Plugin: func(c PluginConfig) (Plugin, error) {
		_, hostport, _ := strings.Cut(c.ServiceAddress, "@")
		_, portText, err := net.SplitHostPort(hostport)
		if err != nil {
			return nil, fmt.Errorf("service address %q: %w", c.ServiceAddress, err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			return nil, fmt.Errorf("service address %q: %w", c.ServiceAddress, err)
		}
		return mdnsPlugin{serverplugin.NewMDNSRegisterPlugin(c.ServiceAddress, port, c.Metrics, c.UpdateInterval, "")}, nil
	},
	Discovery: func(c DiscoveryConfig) (client.ServiceDiscovery, error) {
		// The constructor browses once, for BrowseTimeout. [Go quirk]
		// MDNSDiscovery does not compare an element's "service" with the
		// service path: it lists every rpcx server on the network, whatever
		// it serves (Arith finds ArithX), one pair per element.
		d, err := client.NewMDNSDiscovery(c.Service, c.BrowseTimeout, c.WatchInterval, "")
		if err != nil {
			return nil, err
		}
		return d, nil
	},
}

// mdnsPlugin bounds Stop. Server.Shutdown has unregistered every service by
// then (the TXT became "[]"); Stop shuts the zeroconf server down (the
// goodbye, TTL 0) and then waits for the update loop. [Go quirk] With UpdateInterval 0
// there is no loop and Stop blocks forever after the goodbye: give it 300 ms,
// then go on.
type mdnsPlugin struct {
	*serverplugin.MDNSRegisterPlugin
}

func (p mdnsPlugin) Stop() error {
	stopped := make(chan error, 1)
	go func() { stopped <- p.MDNSRegisterPlugin.Stop() }()
	select {
	case err := <-stopped:
		return err
	case <-time.After(300 * time.Millisecond):
		return nil
	}
}

// txtElement is the plugin's element of p.Services, as it marshals it.
type txtElement struct {
	Service        string `json:"service,omitempty"`
	Meta           string `json:"meta,omitempty"`
	ServiceAddress string `json:"service_address,omitempty"`
}

// MDNSTxt returns the TXT string Go's mDNS plugin writes for services, a JSON
// array of {service, meta, service_address}: what MDNSRegisterPlugin.initMDNS
// and Register do with p.Services (a test vector; no network needed).
func MDNSTxt(services string) (string, error) {
	var elements []*txtElement
	if err := json.Unmarshal([]byte(services), &elements); err != nil {
		return "", err
	}
	data, err := json.Marshal(elements)
	if err != nil {
		return "", err
	}
	return url.QueryEscape(string(data)), nil
}
