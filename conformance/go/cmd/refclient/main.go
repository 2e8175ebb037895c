// Command refclient runs scripted interop cases with a real Go rpcx v1.9.4
// client (XClient over Peer2PeerDiscovery) against a server implementing the
// interop services (internal/interop, conformance/README.md): the TypeScript
// server, or cmd/refserver.
//
//	refclient -addr tcp@127.0.0.1:8972 [-token t] [-tls-ca ca.pem] [-cases list|regex] [-timeout 10s]
//	refclient -list
//
// It prints one JSON line per case, {"case":"json/mul","ok":true} or
// {"case":"...","ok":false,"error":"..."}, then
// {"summary":{"passed":N,"failed":M}}. Exit code 0 iff every case passed,
// 1 if one failed, 2 for a usage error.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/rpcx-ts/conformance/internal/interop"
	"github.com/smallnest/rpcx/client"
	rpcxlog "github.com/smallnest/rpcx/log"
	"github.com/smallnest/rpcx/protocol"
)

func main() {
	addr := flag.String("addr", "", "server as network@address: tcp@127.0.0.1:8972 or unix@/path/to.sock (loopback only)")
	token := flag.String("token", "", "the server's correct auth token: sent with every call, and enables the auth/* cases")
	tlsCA := flag.String("tls-ca", "", "PEM CA certificate: dial TLS and verify the server with it (server name = the tcp host, or localhost for unix)")
	cases := flag.String("cases", "", "cases to run: comma-separated exact names or regular expressions (default: all)")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline of each case")
	list := flag.Bool("list", false, "print every case name, one per line, and exit")
	flag.Parse()

	// rpcx logs to stdout by default; stdout carries our JSON lines.
	rpcxlog.SetLogger(rpcxlog.NewDefaultLogger(os.Stderr, "rpcx ", stdlog.LstdFlags, rpcxlog.LvError))

	all := allCases()
	if *list {
		for _, c := range all {
			fmt.Println(c.name)
		}
		return
	}
	e, selected, err := setup(*addr, *token, *tlsCA, *cases, *timeout, all)
	if err != nil {
		fmt.Fprintln(os.Stderr, "refclient:", err)
		os.Exit(2)
	}

	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	passed, failed := 0, 0
	for _, c := range selected {
		line := result{Case: c.name, OK: true}
		if err := runCase(e, c); err != nil {
			line.OK, line.Error = false, err.Error()
			failed++
		} else {
			passed++
		}
		out.Encode(line)
	}
	var summary struct {
		Summary struct {
			Passed int `json:"passed"`
			Failed int `json:"failed"`
		} `json:"summary"`
	}
	summary.Summary.Passed, summary.Summary.Failed = passed, failed
	out.Encode(summary)
	if failed > 0 {
		os.Exit(1)
	}
}

type result struct {
	Case  string `json:"case"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// env is what every case needs to reach the server.
type env struct {
	server    string // network@address, the Peer2PeerDiscovery key
	token     string
	tlsConfig *tls.Config
}

func setup(addr, token, tlsCA, cases string, timeout time.Duration, all []testCase) (*env, []testCase, error) {
	if addr == "" {
		return nil, nil, errors.New("-addr network@address is required")
	}
	network, address, err := interop.SplitAddr(addr)
	if err != nil {
		return nil, nil, err
	}
	if timeout <= 0 {
		return nil, nil, errors.New("-timeout must be positive")
	}
	caseTimeout = timeout
	e := &env{server: network + "@" + address, token: token}
	if tlsCA != "" {
		pem, err := os.ReadFile(tlsCA)
		if err != nil {
			return nil, nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("%s: no PEM certificate", tlsCA)
		}
		serverName := "localhost"
		if network != "unix" {
			serverName, _, _ = net.SplitHostPort(address)
		}
		e.tlsConfig = &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
	}
	selected, err := selectCases(all, cases, token != "")
	return e, selected, err
}

// selectCases keeps the cases named by spec (comma-separated; an item is an
// exact case name or else a regular expression matched anywhere in the
// name). auth/* cases need a token: naming one exactly without it is an
// error, a regular expression just skips them.
func selectCases(all []testCase, spec string, haveToken bool) ([]testCase, error) {
	if spec == "" {
		spec = ".*"
	}
	keep := map[string]bool{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		exact := false
		for _, c := range all {
			if c.name == item {
				if c.needsToken && !haveToken {
					return nil, fmt.Errorf("case %s needs -token", item)
				}
				keep[c.name], exact = true, true
			}
		}
		if exact {
			continue
		}
		re, err := regexp.Compile(item)
		if err != nil {
			return nil, fmt.Errorf("-cases: %q is neither a case name nor a valid regular expression: %v", item, err)
		}
		matched := false
		for _, c := range all {
			if re.MatchString(c.name) {
				matched = true
				if !c.needsToken || haveToken {
					keep[c.name] = true
				}
			}
		}
		if !matched {
			return nil, fmt.Errorf("-cases: %q matches no case (see -list)", item)
		}
	}
	var out []testCase
	for _, c := range all {
		if keep[c.name] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-cases selects no case")
	}
	return out, nil
}

// caseTimeout is the deadline of each case (-timeout).
var caseTimeout = 10 * time.Second

// runCase runs one case under its deadline. A case that ignores the
// deadline is abandoned (its goroutine leaks) two seconds after it.
func runCase(e *env, c testCase) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- c.run(ctx, e)
	}()
	select {
	case err = <-done:
	case <-time.After(caseTimeout + 2*time.Second):
		return fmt.Errorf("case did not finish within its %v deadline", caseTimeout)
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("case deadline (%v) exceeded: %w", caseTimeout, err)
	}
	return err
}

// xclient returns a Failover XClient for servicePath with DefaultOption
// (MsgPack) changed by configure, the -token (if any) set with Auth, the
// -tls-ca TLS config, and a wireLog plugin.
func (e *env) xclient(servicePath string, configure func(*client.Option)) (client.XClient, *wireLog) {
	return e.newXClient(servicePath, client.Failover, configure, nil)
}

func (e *env) newXClient(servicePath string, mode client.FailMode, configure func(*client.Option), pushes chan *protocol.Message) (client.XClient, *wireLog) {
	opt := client.DefaultOption
	opt.TLSConfig = e.tlsConfig
	if configure != nil {
		configure(&opt)
	}
	d, _ := client.NewPeer2PeerDiscovery(e.server, "")
	var xc client.XClient
	if pushes != nil {
		xc = client.NewBidirectionalXClient(servicePath, mode, client.RandomSelect, d, opt, pushes)
	} else {
		xc = client.NewXClient(servicePath, mode, client.RandomSelect, d, opt)
	}
	if e.token != "" {
		xc.Auth(e.token)
	}
	w := newWireLog()
	xc.GetPlugins().Add(w)
	return xc, w
}

// quote shortens long values in error messages.
func quote(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", b[:64], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// firstDiff describes where two byte strings differ.
func firstDiff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return "equal"
	}
	n := min(len(got), len(want))
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("got %d bytes, want %d; first difference at byte %d", len(got), len(want), i)
}
