package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Format is an output format of results.
type Format int

// The output formats, as llama-bench's -o names them.
const (
	FormatMarkdown Format = iota // "md": a table like llama-bench's
	FormatJSON                   // "json": a JSON array of results
	FormatJSONL                  // "jsonl": one JSON result per line
)

// ParseFormat parses "md" (or "markdown"), "json" or "jsonl".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "md", "markdown":
		return FormatMarkdown, nil
	case "json":
		return FormatJSON, nil
	case "jsonl":
		return FormatJSONL, nil
	}
	return 0, fmt.Errorf("unknown output format %q: use md, json or jsonl", s)
}

// String returns the format's name for ParseFormat.
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatJSONL:
		return "jsonl"
	}
	return "md"
}

// Printer writes results one at a time as they arrive, so a long benchmark
// shows each line when its configuration finishes. Close writes the end.
type Printer struct {
	w      io.Writer
	f      Format
	n      int
	last   Result
	closed bool
}

// NewPrinter returns a printer of results in format f to w.
func NewPrinter(w io.Writer, f Format) *Printer { return &Printer{w: w, f: f} }

// mdColumn is a markdown column: its header and width, negative for
// left-aligned (llama-bench's convention).
type mdColumn struct {
	name  string
	width int
	value func(r *Result) string
}

var mdColumns = []mdColumn{
	{"model", -30, func(r *Result) string { return r.ModelType }},
	{"size", 10, func(r *Result) string { return humanSize(r.ModelSize) }},
	{"params", 10, func(r *Result) string { return humanParams(r.ModelNParams) }},
	{"backend", -10, func(r *Result) string { return "CPU (Go)" }},
	{"threads", 7, func(r *Result) string { return fmt.Sprint(r.NThreads) }},
	{"mmap", 4, func(r *Result) string { return fmt.Sprint(b2i(r.UseMmap)) }},
	{"test", 15, func(r *Result) string { return r.Test() }},
	{"t/s", 20, func(r *Result) string { return fmt.Sprintf("%.2f ± %.2f", r.AvgTs, r.StddevTs) }},
	{"load ms", 10, func(r *Result) string { return fmt.Sprintf("%.2f", r.LoadMs) }},
	{"TTFT ms", 10, func(r *Result) string { return fmt.Sprintf("%.2f", r.TTFTMs) }},
	{"peak RSS MiB", 12, func(r *Result) string { return fmt.Sprintf("%.1f", float64(r.PeakRSSBytes)/(1<<20)) }},
	{"GB/s", 8, func(r *Result) string {
		if r.NGen == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f", r.GBps)
	}},
	{"GFLOPS", 8, func(r *Result) string {
		if r.NPrompt == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f", r.GFLOPS)
	}},
}

// Print writes one result.
func (p *Printer) Print(r Result) error {
	if p.closed {
		return fmt.Errorf("bench: Print after Close")
	}
	var b strings.Builder
	switch p.f {
	case FormatMarkdown:
		if p.n == 0 {
			b.WriteString("|")
			for _, c := range mdColumns {
				fmt.Fprintf(&b, " %*s |", c.width, c.name)
			}
			b.WriteString("\n|")
			for _, c := range mdColumns {
				end := ":"
				if c.width < 0 {
					end = "-"
				}
				fmt.Fprintf(&b, " %s%s |", strings.Repeat("-", abs(c.width)-1), end)
			}
			b.WriteString("\n")
		}
		b.WriteString("|")
		for _, c := range mdColumns {
			fmt.Fprintf(&b, " %*s |", c.width, c.value(&r))
		}
		b.WriteString("\n")
	case FormatJSON:
		data, err := json.MarshalIndent(r, "  ", "  ")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if p.n == 0 {
			b.WriteString("[\n")
		} else {
			b.WriteString(",\n")
		}
		b.WriteString("  ")
		b.Write(data)
	case FormatJSONL:
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		b.Write(data)
		b.WriteString("\n")
	}
	p.n++
	p.last = r
	_, err := io.WriteString(p.w, b.String())
	return err
}

// Close writes the end of the output: the closing bracket of a JSON array
// (an empty array when nothing was printed), or markdown's build line.
func (p *Printer) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var s string
	switch p.f {
	case FormatMarkdown:
		switch {
		case p.n == 0:
		case p.last.BuildCommit == p.last.GophiVersion:
			s = fmt.Sprintf("\nbuild: gophi %s\n", p.last.GophiVersion)
		default:
			s = fmt.Sprintf("\nbuild: %s (gophi %s)\n", p.last.BuildCommit, p.last.GophiVersion)
		}
	case FormatJSON:
		if p.n == 0 {
			s = "[]\n"
		} else {
			s = "\n]\n"
		}
	}
	_, err := io.WriteString(p.w, s)
	return err
}

// Write writes results to w in format f.
func Write(w io.Writer, f Format, results []Result) error {
	p := NewPrinter(w, f)
	for _, r := range results {
		if err := p.Print(r); err != nil {
			return err
		}
	}
	return p.Close()
}

// Markdown writes results as a table like llama-bench's, with gophi's
// columns for load time, time to first token, peak RSS, GB/s and GFLOPS.
func Markdown(w io.Writer, results []Result) error { return Write(w, FormatMarkdown, results) }

// JSON writes results as a JSON array of objects with llama-bench's field
// names (and gophi's own fields).
func JSON(w io.Writer, results []Result) error { return Write(w, FormatJSON, results) }

// JSONL writes results as JSON objects, one per line.
func JSONL(w io.Writer, results []Result) error { return Write(w, FormatJSONL, results) }

// humanSize formats a byte count as llama-bench does: MiB below 1 GiB.
func humanSize(n uint64) string {
	if n < 1<<30 {
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// humanParams formats a parameter count as llama-bench does: M below 10⁹.
func humanParams(n uint64) string {
	if n < 1e9 {
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f B", float64(n)/1e9)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
