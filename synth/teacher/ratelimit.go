package teacher

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Clock tells the time and waits. The zero Client and Limiter use the real
// clock; tests give a fake one so that nothing they check depends on how
// fast a loaded machine runs.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx's error if ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Limiter is a token bucket: it allows Rate requests a second on average
// and bursts of up to Burst. Waiters reserve their token at once and sleep
// until it is due, so concurrent callers are spaced out fairly. It is safe
// for concurrent use.
type Limiter struct {
	clock Clock
	rate  float64 // tokens a second
	burst float64

	mu     sync.Mutex
	tokens float64 // may go negative: tokens reserved by waiters
	last   time.Time
	primed bool
}

// NewLimiter returns a limiter of rps requests a second with bursts of up to
// burst (at least 1). A nil clock means the real one.
func NewLimiter(rps float64, burst int, clock Clock) (*Limiter, error) {
	if !(rps > 0) || math.IsInf(rps, 0) {
		return nil, fmt.Errorf("rate limit: %v requests a second: want a positive number", rps)
	}
	if burst < 1 {
		burst = 1
	}
	if clock == nil {
		clock = SystemClock{}
	}
	return &Limiter{clock: clock, rate: rps, burst: float64(burst)}, nil
}

// Reserve takes a token and returns how long the caller must wait before
// using it (0 when one is free now).
func (l *Limiter) Reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if !l.primed {
		l.tokens, l.last, l.primed = l.burst, now, true
	}
	if el := now.Sub(l.last); el > 0 {
		l.tokens = math.Min(l.burst, l.tokens+el.Seconds()*l.rate)
		l.last = now
	}
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(math.Ceil(-l.tokens / l.rate * float64(time.Second)))
}

// unreserve gives back a token a waiter did not use.
func (l *Limiter) unreserve() {
	l.mu.Lock()
	l.tokens = math.Min(l.burst, l.tokens+1)
	l.mu.Unlock()
}

// Wait blocks until the caller may send a request, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := l.Reserve()
	if d <= 0 {
		return nil
	}
	if err := l.clock.Sleep(ctx, d); err != nil {
		l.unreserve()
		return err
	}
	return nil
}
