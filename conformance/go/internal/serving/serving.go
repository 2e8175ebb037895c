// Package serving runs the Go rpcx servers of the test programs
// (cmd/refserver, cmd/regserver) the same way: serve, wait until listening,
// then wait for the signal to stop.
package serving

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/smallnest/rpcx/server"
)

// Start serves srv on network/addr in the background and returns once it
// listens (srv.Address() is set), within 10 s. Serve's error, if it ever
// returns one, arrives on the channel.
func Start(srv *server.Server, network, addr string) (<-chan error, error) {
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(network, addr) }()
	select {
	case <-srv.Started:
		return serveErr, nil
	case err := <-serveErr:
		return nil, err
	case <-time.After(10 * time.Second):
		return nil, errors.New("rpcx server did not start")
	}
}

// StopOnSignal waits for the stop (WaitForStop), then shuts srv down
// gracefully (Server.Shutdown, which unregisters every service; 10 s at
// most). program names the server in the log on stderr.
func StopOnSignal(program string, srv *server.Server, serveErr <-chan error, stdinEOF bool) error {
	why, err := WaitForStop(serveErr, stdinEOF)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %s, shutting down\n", program, why)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "%s: shutdown: %v\n", program, err)
	}
	return nil
}

// WaitForStop blocks until SIGTERM, SIGINT or (when stdinEOF) EOF on stdin —
// the tests close stdin for a graceful stop, and a dead test runner closes it
// too — and returns why. A Serve error ends the wait with that error.
func WaitForStop(serveErr <-chan error, stdinEOF bool) (string, error) {
	stop := make(chan string, 2)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { stop <- (<-sig).String() }()
	if stdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- "stdin EOF"
		}()
	}
	select {
	case why := <-stop:
		return why, nil
	case err := <-serveErr:
		return "", fmt.Errorf("serve: %w", err)
	}
}
