// Package registries is the Go side of the TS <-> Go registry interop tests,
// one file per registry: the Go rpcx register plugin a server registers with
// (cmd/regserver) and the Go discovery an XClient finds its servers through
// (cmd/regxclient), each with the quirks the tests rely on.
package registries

import (
	"fmt"
	"sort"
	"strings"
	"time"

	metrics "github.com/rcrowley/go-metrics"
	"github.com/smallnest/rpcx/client"
)

// Registry is one registry's Go plugin and discovery.
type Registry struct {
	// DefaultInterval is the plugin's UpdateInterval when the test names none.
	DefaultInterval time.Duration
	// Multicast registries may only run inside the tests' network namespace
	// (internal/netguard).
	Multicast bool
	// Plugin builds the register plugin; the caller starts it and adds it to
	// the server.
	Plugin func(PluginConfig) (Plugin, error)
	// Discovery builds the discovery of one service.
	Discovery func(DiscoveryConfig) (client.ServiceDiscovery, error)
}

// Plugin is what the server needs of a register plugin besides its hooks.
type Plugin interface {
	Start() error
	Stop() error
}

// PluginConfig is what a register plugin is built from.
type PluginConfig struct {
	// Addrs are the registry's addresses (host:port; unused by mdns).
	Addrs []string
	// BasePath is the plugin's BasePath (unused by mdns).
	BasePath string
	// ServiceAddress is the server's key, tcp@127.0.0.1:<port>.
	ServiceAddress string
	// UpdateInterval is the plugin's refresh period.
	UpdateInterval time.Duration
	// Metrics, when set, makes the plugin add calls/connections rates to the
	// metadata it writes.
	Metrics metrics.Registry
	// SessionTimeout is the ZooKeeper session timeout (store.Config.ConnectionTimeout).
	SessionTimeout time.Duration
}

// DiscoveryConfig is what a discovery is built from.
type DiscoveryConfig struct {
	// Addrs are the registry's addresses (host:port; unused by mdns).
	Addrs []string
	// BasePath is the discovery's base path (unused by mdns).
	BasePath string
	// Service is the service path to list the servers of.
	Service string
	// BrowseTimeout and WatchInterval are MDNSDiscovery's timeout and
	// watchInterval (mdns only).
	BrowseTimeout time.Duration
	WatchInterval time.Duration
}

var byName = map[string]Registry{
	"etcd":      etcd,
	"zookeeper": zookeeper,
	"consul":    consul,
	"mdns":      mdns,
}

// Lookup returns the registry called name.
func Lookup(name string) (Registry, error) {
	if r, ok := byName[name]; ok {
		return r, nil
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return Registry{}, fmt.Errorf("unknown -registry %q (want %s)", name, strings.Join(names, ", "))
}
