// Package netguard refuses to run mDNS programs outside a network namespace
// made by the tests (see packages/testing/src/netns.ts): multicast must never
// leave the machine.
package netguard

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// Allowed are the interfaces a test namespace has: lo and the empty bridge br0.
var Allowed = map[string]bool{"lo": true, "br0": true}

// Check returns an error unless this process's only network interfaces are
// lo and br0, and (when RPCX_OUTER_NETNS is set, as the tests set it) its
// network namespace differs from the outer one.
func Check() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("cannot list interfaces: %w", err)
	}
	var names []string
	for _, iface := range ifaces {
		names = append(names, iface.Name)
		if !Allowed[iface.Name] {
			return fmt.Errorf("refusing to use mDNS: interface %q present (interfaces: %s); run inside the test network namespace", iface.Name, strings.Join(names, ", "))
		}
	}
	if outer := os.Getenv("RPCX_OUTER_NETNS"); outer != "" {
		here, err := os.Readlink("/proc/self/ns/net")
		if err != nil {
			return fmt.Errorf("cannot read /proc/self/ns/net: %w", err)
		}
		if here == outer {
			return fmt.Errorf("refusing to use mDNS: still in the outer network namespace %s", here)
		}
	}
	return nil
}

// MustCheck exits with status 3 when Check fails.
func MustCheck(program string) {
	if err := Check(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(3)
	}
}
