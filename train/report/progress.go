package report

import (
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

const (
	// LogInterval is how often a Progress that is not on a terminal writes a
	// line: the first update, then at most one line per LogInterval, and the
	// last step.
	LogInterval = 10 * time.Second
	// RedrawInterval is how often a Progress on a terminal redraws its line
	// (at most; the last step is always drawn).
	RedrawInterval = 100 * time.Millisecond
	// RateWindow is the span of recent updates the rate behind the ETA is
	// measured over.
	RateWindow = 30 * time.Second
)

// clearEOL is the ANSI "erase to end of line" sequence.
const clearEOL = "\x1b[K"

// Progress shows the trainer's progress, either as one line redrawn in place
// on a terminal or as plain lines in a log, e.g.
//
//	step 120/2000  loss 3.214  lr 6.0e-04  12,345 tok/s  45.1 GFLOPS  ETA 12m03s
//
// The ETA divides the steps left by the rate over the updates of the last
// RateWindow (so a slow start or a validation pass fades out). A Progress
// is safe for use by several goroutines; write errors are ignored.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	total int
	now   func() time.Time // time.Now; replaced in tests

	samples []sample // recent (time, step) updates for the rate

	line      string    // the latest status line
	shown     bool      // tty: line is on the screen (no newline after it yet)
	pending   bool      // line has not been written
	lastWrite time.Time // when a status line was last written
	wrote     bool      // a status line has been written
	done      bool
}

type sample struct {
	t    time.Time
	step int
}

// NewProgress returns a Progress writing to w for a run of total steps
// (total <= 0: unknown, shown without "/total" and ETA). tty selects the
// in-place line (use IsTerminal); otherwise plain lines are written, the
// first update's, then at most one per LogInterval, and the last step's.
func NewProgress(w io.Writer, tty bool, total int) *Progress {
	return &Progress{w: w, tty: tty, total: total, now: time.Now}
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// Update records that step steps are done, with the current training loss,
// learning rate, throughput (tokens per second) and arithmetic rate (GFLOPS;
// 0 or less leaves it out), and shows it: on a terminal at most once per
// RedrawInterval, otherwise as NewProgress describes; the last step (step >=
// total) is always shown.
func (p *Progress) Update(step int, loss, lr, tokPerS float64, gflops float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.addSample(now, step)
	p.line = p.format(step, loss, lr, tokPerS, gflops)
	p.pending = true
	last := p.total > 0 && step >= p.total
	interval := LogInterval
	if p.tty {
		interval = RedrawInterval
	}
	if !p.wrote || last || now.Sub(p.lastWrite) >= interval {
		p.flush(now)
	}
}

// flush writes the pending status line.
func (p *Progress) flush(now time.Time) {
	if p.tty {
		io.WriteString(p.w, "\r"+p.line+clearEOL)
		p.shown = true
	} else {
		io.WriteString(p.w, p.line+"\n")
	}
	p.pending = false
	p.wrote = true
	p.lastWrite = now
}

// Line writes s as a line of its own (a validation result, a sample): on a
// terminal above the progress line, which is drawn again below it. One
// trailing newline of s is dropped.
func (p *Progress) Line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s = strings.TrimSuffix(s, "\n")
	if p.tty && p.shown {
		io.WriteString(p.w, "\r"+clearEOL+s+"\n"+p.line+clearEOL)
		p.pending = false
		return
	}
	io.WriteString(p.w, s+"\n")
}

// Done writes the last status line if it has not been written and ends the
// progress line on a terminal with a newline. Later calls do nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.pending {
		p.flush(p.now())
	}
	if p.tty && p.shown {
		io.WriteString(p.w, "\n")
		p.shown = false
	}
}

// addSample records an update and drops those older than RateWindow
// (keeping at least two).
func (p *Progress) addSample(t time.Time, step int) {
	if n := len(p.samples); n > 0 && step < p.samples[n-1].step {
		p.samples = p.samples[:0] // the step went back (a restart): start over
	}
	p.samples = append(p.samples, sample{t, step})
	drop := 0
	for len(p.samples)-drop > 2 && t.Sub(p.samples[drop+1].t) >= RateWindow {
		drop++
	}
	if len(p.samples)-drop > 1024 {
		drop = len(p.samples) - 1024
	}
	if drop > 0 {
		p.samples = append(p.samples[:0], p.samples[drop:]...)
	}
}

// rate is steps per second over the recent updates; 0 when unknown.
func (p *Progress) rate() float64 {
	if len(p.samples) < 2 {
		return 0
	}
	a, b := p.samples[0], p.samples[len(p.samples)-1]
	dt := b.t.Sub(a.t).Seconds()
	if dt <= 0 || b.step <= a.step {
		return 0
	}
	return float64(b.step-a.step) / dt
}

// format is the status line.
func (p *Progress) format(step int, loss, lr, tokPerS, gflops float64) string {
	var b strings.Builder
	b.WriteString("step ")
	b.WriteString(strconv.Itoa(step))
	if p.total > 0 {
		b.WriteString("/")
		b.WriteString(strconv.Itoa(p.total))
	}
	b.WriteString("  loss ")
	b.WriteString(strconv.FormatFloat(loss, 'f', 3, 64))
	b.WriteString("  lr ")
	b.WriteString(strconv.FormatFloat(lr, 'e', 1, 64))
	b.WriteString("  ")
	b.WriteString(groupThousands(tokPerS))
	b.WriteString(" tok/s")
	if gflops > 0 && !math.IsInf(gflops, 0) {
		b.WriteString("  ")
		b.WriteString(strconv.FormatFloat(gflops, 'f', 1, 64))
		b.WriteString(" GFLOPS")
	}
	if p.total > 0 {
		b.WriteString("  ETA ")
		if step >= p.total {
			b.WriteString("0s")
		} else if r := p.rate(); r > 0 {
			b.WriteString(formatETA(time.Duration(float64(p.total-step) / r * float64(time.Second))))
		} else {
			b.WriteString("--")
		}
	}
	return b.String()
}

// groupThousands is v rounded to an integer with commas: 12,345.
func groupThousands(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e18 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatETA is d as 45s, 12m03s or 3h05m (rounded to seconds, or minutes
// from an hour on).
func formatETA(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d > 9999*time.Hour {
		return ">9999h"
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m" + pad2(s%60) + "s"
	default:
		m := int64(d.Round(time.Minute) / time.Minute)
		return strconv.FormatInt(m/60, 10) + "h" + pad2(m%60) + "m"
	}
}

func pad2(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}
