package interop

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Fleet is the service of the mixed-fleet and registry tests: every method
// names the server that answered, so a test counts which servers an XClient
// reached (cmd/refserver -id, cmd/regserver -id).
type Fleet struct{ id string }

// NewFleet returns a Fleet answering with id.
func NewFleet(id string) *Fleet { return &Fleet{id: id} }

// Who returns the server's id.
func (f *Fleet) Who(_ context.Context, _ *FleetArgs, reply *FleetWho) error {
	reply.Id = f.id
	return nil
}

// Mul sets C = A*B and the server's id.
func (f *Fleet) Mul(_ context.Context, args *FleetArgs, reply *FleetMul) error {
	reply.Id = f.id
	reply.C = args.A * args.B
	return nil
}

// Fail fails with "fleet <id>: failed" when Ids is empty or names this
// server, else it returns the server's id.
func (f *Fleet) Fail(_ context.Context, args *FleetArgs, reply *FleetWho) error {
	if len(args.Ids) == 0 || slices.Contains(args.Ids, f.id) {
		return errors.New(FleetFailText(f.id))
	}
	reply.Id = f.id
	return nil
}

// Slow sleeps Ms (or until the context is done) when Ids is empty or names
// this server, then returns the id and whether it slept.
func (f *Fleet) Slow(ctx context.Context, args *FleetArgs, reply *FleetSlow) error {
	reply.Id = f.id
	if len(args.Ids) > 0 && !slices.Contains(args.Ids, f.id) {
		return nil
	}
	if err := Sleep(ctx, args.Ms); err != nil {
		return err
	}
	reply.Slept = true
	return nil
}

// Sleep sleeps ms milliseconds, or returns the context's error when it is
// done first (Slow.Sleep, Fleet.Slow).
func Sleep(ctx context.Context, ms int) error {
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
