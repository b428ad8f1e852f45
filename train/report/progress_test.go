package report

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// fakeClock is a settable clock for Progress.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestProgress(tty bool, total int) (*Progress, *bytes.Buffer, *fakeClock) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	p := NewProgress(&buf, tty, total)
	p.now = clock.now
	return p, &buf, clock
}

func TestProgressLineFormat(t *testing.T) {
	p, buf, clock := newTestProgress(false, 2000)
	p.Update(0, 10.4, 0, 0, 0)
	// 120 steps in 46.1489... s: 1880 steps left take 723 s.
	secs := 120.0 / (1880.0 / 723)
	clock.advance(time.Duration(secs * float64(time.Second)))
	p.Update(120, 3.2141, 6e-4, 12345.4, 45.12)
	p.Done()
	want := "step 0/2000  loss 10.400  lr 0.0e+00  0 tok/s  ETA --\n" +
		"step 120/2000  loss 3.214  lr 6.0e-04  12,345 tok/s  45.1 GFLOPS  ETA 12m03s\n"
	if buf.String() != want {
		t.Errorf("output\n%q\nwant\n%q", buf.String(), want)
	}

	tests := []struct {
		name  string
		total int
		step  int
		loss  float64
		want  string
	}{
		{"unknown total", 0, 5, 2.5, "step 5  loss 2.500  lr 1.0e-03  1,000 tok/s"},
		{"last step", 10, 10, 2.5, "step 10/10  loss 2.500  lr 1.0e-03  1,000 tok/s  ETA 0s"},
		{"NaN loss", 10, 3, nan, "step 3/10  loss NaN  lr 1.0e-03  1,000 tok/s  ETA --"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, buf, _ := newTestProgress(false, tc.total)
			p.Update(tc.step, tc.loss, 1e-3, 1000, 0)
			if got := strings.TrimSuffix(buf.String(), "\n"); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

func TestProgressPlainThrottle(t *testing.T) {
	// One step a second for 25 steps: lines at the first update, every 10 s,
	// and the last step.
	p, buf, clock := newTestProgress(false, 25)
	for step := 1; step <= 25; step++ {
		p.Update(step, 1, 1e-3, 100, 1)
		if step == 12 {
			p.Line("val loss 1.5")
		}
		clock.advance(time.Second)
	}
	p.Done()
	p.Done()
	var steps []string
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		steps = append(steps, strings.Fields(l)[1])
	}
	want := []string{"1/25", "11/25", "loss", "21/25", "25/25"}
	if strings.Join(steps, " ") != strings.Join(want, " ") {
		t.Errorf("lines %v, want %v:\n%s", steps, want, buf)
	}
	if strings.ContainsAny(buf.String(), "\r\x1b") {
		t.Errorf("control characters in plain output %q", buf)
	}
	if !strings.Contains(buf.String(), "ETA 4s\n") { // step 21: 4 steps left at 1 step/s
		t.Errorf("no ETA 4s in\n%s", buf)
	}

	// Done writes the last update when it had been held back.
	p, buf, clock = newTestProgress(false, 100)
	p.Update(1, 1, 1e-3, 100, 1)
	clock.advance(time.Second)
	p.Update(2, 0.5, 1e-3, 100, 1)
	p.Done()
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "step 2/100  loss 0.500") {
		t.Errorf("output %q", buf)
	}
}

func TestProgressTTY(t *testing.T) {
	p, buf, clock := newTestProgress(true, 100)
	p.Update(1, 2, 1e-3, 100, 0)
	clock.advance(10 * time.Millisecond)
	p.Update(2, 2, 1e-3, 100, 0) // within RedrawInterval: not drawn
	clock.advance(time.Second)
	p.Update(3, 2, 1e-3, 100, 0)
	p.Line("sample: once upon a time\n")
	p.Done()
	got := buf.String()
	want := "\rstep 1/100  loss 2.000  lr 1.0e-03  100 tok/s  ETA --\x1b[K" +
		"\rstep 3/100  loss 2.000  lr 1.0e-03  100 tok/s  ETA 49s\x1b[K" +
		"\r\x1b[Ksample: once upon a time\n" +
		"step 3/100  loss 2.000  lr 1.0e-03  100 tok/s  ETA 49s\x1b[K" +
		"\n"
	if got != want {
		t.Errorf("output\n%q\nwant\n%q", got, want)
	}

	// A Line before any update is a plain line; Done with nothing shown
	// writes nothing.
	p, buf, _ = newTestProgress(true, 10)
	p.Line("starting")
	p.Done()
	if buf.String() != "starting\n" {
		t.Errorf("output %q", buf)
	}
	// The last step is drawn at once.
	p, buf, _ = newTestProgress(true, 2)
	p.Update(1, 1, 1, 1, 0)
	p.Update(2, 1, 1, 1, 0)
	if !strings.Contains(buf.String(), "step 2/2") {
		t.Errorf("last step not drawn: %q", buf)
	}
}

func TestProgressRate(t *testing.T) {
	// 60 s at 1 step/s, then 10 steps/s: after RateWindow the ETA follows the
	// new rate.
	p, _, clock := newTestProgress(false, 100000)
	step := 0
	for i := 0; i < 60; i++ {
		p.Update(step, 1, 1, 1, 0)
		step++
		clock.advance(time.Second)
	}
	for i := 0; i < 400; i++ {
		p.Update(step, 1, 1, 1, 0)
		step += 1
		clock.advance(100 * time.Millisecond)
	}
	if r := p.rate(); math.Abs(r-10) > 0.5 {
		t.Errorf("rate %v steps/s, want about 10", r)
	}
	if len(p.samples) > 1024 {
		t.Errorf("%d samples kept", len(p.samples))
	}
	// A step going back (a restart) starts the measurement over.
	p.Update(5, 1, 1, 1, 0)
	if r := p.rate(); r != 0 {
		t.Errorf("rate %v after a restart, want 0 (unknown)", r)
	}
}

func TestGroupThousands(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"}, {999.4, "999"}, {999.5, "1,000"}, {12345.4, "12,345"},
		{1234567, "1,234,567"}, {-1234, "-1,234"}, {nan, "NaN"}, {math.Inf(1), "+Inf"},
	}
	for _, tc := range tests {
		if got := groupThousands(tc.v); got != tc.want {
			t.Errorf("groupThousands(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatETA(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {45 * time.Second, "45s"}, {59600 * time.Millisecond, "1m00s"},
		{723 * time.Second, "12m03s"}, {3599 * time.Second, "59m59s"}, {3600 * time.Second, "1h00m"},
		{3*time.Hour + 5*time.Minute + 20*time.Second, "3h05m"}, {1e6 * time.Hour, ">9999h"},
	}
	for _, tc := range tests {
		if got := formatETA(tc.d); got != tc.want {
			t.Errorf("formatETA(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	if IsTerminal(nil) {
		t.Error("nil is a terminal")
	}
}
