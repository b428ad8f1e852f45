package teacher

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock whose time moves only when someone sleeps: Sleep
// returns at once, having advanced the time by d and recorded it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	fail   bool // Sleep fails at once, as if its context ended
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	if c.fail {
		c.mu.Unlock()
		return context.Canceled
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

func TestLimiterReserve(t *testing.T) {
	clk := newFakeClock()
	l, err := NewLimiter(2, 1, clk) // one every 500ms, no burst
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	steps := []struct {
		advance time.Duration
		want    time.Duration
	}{
		{0, 0},                // the first token is there
		{0, 500 * ms},         // the next is due in 500ms
		{0, 1000 * ms},        // and the one after in 1s
		{250 * ms, 1250 * ms}, // 1.5s after the start, 250ms in
		{10 * time.Second, 0}, // a long pause refills only up to the burst
		{0, 500 * ms},
	}
	for i, s := range steps {
		clk.advance(s.advance)
		if got := l.Reserve(); got != s.want {
			t.Errorf("step %d: wait %v, want %v", i, got, s.want)
		}
	}

	b, _ := NewLimiter(10, 3, clk) // bursts of 3, then one every 100ms
	var got []time.Duration
	for range 5 {
		got = append(got, b.Reserve())
	}
	if want := []time.Duration{0, 0, 0, 100 * ms, 200 * ms}; !slices.Equal(got, want) {
		t.Errorf("burst 3: waits %v, want %v", got, want)
	}

	for _, bad := range []float64{0, -1} {
		if _, err := NewLimiter(bad, 1, nil); err == nil {
			t.Errorf("NewLimiter(%v): no error", bad)
		}
	}
}

// TestLimiterConcurrent: concurrent callers get distinct slots, spaced by
// 1/rate, whatever order they come in.
func TestLimiterConcurrent(t *testing.T) {
	clk := newFakeClock()
	l, _ := NewLimiter(4, 1, clk)
	var mu sync.Mutex
	var waits []time.Duration
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			d := l.Reserve()
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(waits)
	for i, d := range waits {
		if want := time.Duration(i) * 250 * time.Millisecond; d != want {
			t.Errorf("slot %d: wait %v, want %v", i, d, want)
		}
	}
}

// TestLimiterWait: Wait sleeps on the clock for the reserved time and gives
// the token back when cancelled.
func TestLimiterWait(t *testing.T) {
	clk := newFakeClock()
	l, _ := NewLimiter(2, 1, clk)
	ctx := context.Background()
	for range 4 {
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}
	if got := clk.slept(); !slices.Equal(got, want) {
		t.Errorf("sleeps %v, want %v", got, want)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Wait(cctx); err == nil {
		t.Error("Wait on a cancelled context: no error")
	}
	// Now 1.5s in, the last token just used: a wait cut short gives its
	// token back, so the next caller waits 500ms, not 1s.
	clk.mu.Lock()
	clk.fail = true
	clk.mu.Unlock()
	if err := l.Wait(ctx); err == nil {
		t.Error("Wait whose sleep failed: no error")
	}
	if got := l.Reserve(); got != 500*time.Millisecond {
		t.Errorf("after a cut-short wait the next waits %v, want 500ms (its token given back)", got)
	}
}
