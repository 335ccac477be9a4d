package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

const expiryBatch = 500

// ExpireDue turns up to limit granted or denied states whose time is up into
// Expired, with one expire record (method system) per visitor, and returns
// how many states it expired. Each visitor's states are checked again under
// the chain's lock, so nodes running it together never expire a state twice
// nor expire a decision renewed meanwhile.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	n, _, err := s.expireDue(ctx, limit)
	return n, err
}

// expireDue also returns how many due states the store returned, so
// RunExpiry knows whether more are waiting.
func (s *Service) expireDue(ctx context.Context, limit int) (expired, fetched int, err error) {
	if limit <= 0 {
		limit = expiryBatch
	}
	now := s.now()
	due, err := s.store.ExpiredStates(ctx, now, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("expired states: %w", err)
	}
	type subject struct{ org, visitor string }
	var order []subject
	seen := map[subject]bool{}
	for _, st := range due {
		k := subject{st.OrgID, st.VisitorID}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	for _, k := range order {
		if err := ctx.Err(); err != nil {
			return expired, len(due), err
		}
		customerID, err := s.customerOf(ctx, k.org, k.visitor)
		if err != nil {
			return expired, len(due), err
		}
		base := Record{OrgID: k.org, VisitorID: k.visitor, CustomerID: customerID, Action: ActionExpire, Method: MethodSystem}
		rec, _, err := s.append(ctx, base, 0, func(current []State) (map[string]Decision, error) {
			ds := map[string]Decision{}
			for _, st := range current {
				if (st.Decision == Granted || st.Decision == Denied) && !st.ExpiresAt.IsZero() && !st.ExpiresAt.After(now) {
					ds[st.Purpose] = Expired
				}
			}
			return ds, nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return expired, len(due), fmt.Errorf("append expiry: %w", err)
		}
		expired += len(rec.Decisions)
	}
	return expired, len(due), nil
}

// RunExpiry expires due decisions now and then every interval until ctx
// ends. The work is derived from the states' ExpiresAt, so a restart loses
// nothing. It logs counts only, never a visitor.
func (s *Service) RunExpiry(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		total := 0
		for ctx.Err() == nil {
			n, fetched, err := s.expireDue(ctx, expiryBatch)
			total += n
			if err != nil {
				if ctx.Err() == nil {
					slog.ErrorContext(ctx, "consent expiry failed", "err", err)
				}
				break
			}
			if fetched < expiryBatch || n == 0 {
				break
			}
		}
		if total > 0 {
			slog.InfoContext(ctx, "consent decisions expired", "count", total)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
