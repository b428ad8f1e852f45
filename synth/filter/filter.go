// Package filter cleans a corpus of JSONL samples (objects with a "text"
// string) the way the TinyStories and Phi data were cleaned: exact and
// near-duplicate removal (MinHash + LSH), an English check, a vocabulary
// check, length bounds, a safety word list and the teacher's verdict, and
// an easy-to-hard order by readability for curriculum training.
//
// Each check is a Step; a Pipeline streams records through its steps in
// order, writes the survivors unchanged, and reports for every step how
// many records came in, how many it kept, and why it dropped the others.
package filter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Record is one sample: a JSON object line with a "text" string.
type Record struct {
	Line   []byte // the line as read, trimmed; written out unchanged
	Text   string
	fields map[string]json.RawMessage
}

// ParseRecord reads one JSONL line. It returns the reason a line is not a
// record ("not a JSON object", "no \"text\" string") as an error.
func ParseRecord(line []byte) (*Record, error) {
	line = bytes.TrimSpace(line)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil || m == nil {
		return nil, errNotObject
	}
	raw, ok := m["text"]
	var text string
	if !ok || len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &text) != nil {
		return nil, errNoText
	}
	return &Record{Line: line, Text: text, fields: m}, nil
}

var (
	errNotObject = errors.New("not a JSON object")
	errNoText    = errors.New(`no "text" string`)
	errTooLong   = fmt.Errorf("line over %d MiB", maxLine>>20)
)

// Field returns the raw JSON of one of the record's fields, nil if absent.
func (r *Record) Field(name string) json.RawMessage { return r.fields[name] }

// Step is one filter. Check returns why r is dropped, or "" to keep it.
// Steps are used from one goroutine.
type Step interface {
	Name() string
	Check(r *Record) (reason string)
}

// Committer is a Step with memory (the deduplicators): Commit is called
// with each record that every step of the pipeline kept, right after its
// Checks, so that later records are compared with kept ones only.
type Committer interface {
	Step
	Commit(r *Record)
}

// Orderer puts the kept records in order of Key, smallest first (a stable
// sort: ties keep their input order).
type Orderer interface {
	Name() string
	Key(r *Record) float64
}

// Input is one JSONL stream to filter.
type Input struct {
	Name string // for error messages
	R    io.Reader
}

// Pipeline is a sequence of steps and an optional order.
type Pipeline struct {
	Steps []Step
	Order Orderer // nil: records are written as they pass, in input order
}

// StepReport counts what one step did.
type StepReport struct {
	Name    string
	In      int
	Kept    int
	Dropped map[string]int // by reason
}

func (s *StepReport) drop(reason string) {
	if s.Dropped == nil {
		s.Dropped = map[string]int{}
	}
	s.Dropped[reason]++
}

// Report is what a pipeline run did: a first step "read" for the lines
// that are not records, then one per step, then the order, if any.
type Report struct {
	Steps   []StepReport
	Order   string  // the Orderer's name, or ""
	MinKey  float64 // the first and last ordered key
	MaxKey  float64
	Written int
}

// maxLine bounds one input line.
const maxLine = 64 << 20

// Run streams the inputs' records through the steps and writes the kept
// lines to w, one per line. Blank lines are skipped; lines that are not
// records are dropped and counted in the "read" step. With an Order, the
// kept lines are held in memory until the end.
func (p *Pipeline) Run(ctx context.Context, inputs []Input, w io.Writer) (Report, error) {
	rep := Report{Steps: make([]StepReport, len(p.Steps)+1)}
	rep.Steps[0].Name = "read"
	for i, s := range p.Steps {
		rep.Steps[i+1].Name = s.Name()
	}
	type keyed struct {
		line []byte
		key  float64
	}
	var held []keyed
	bw := bufio.NewWriterSize(w, 1<<20)
	emit := func(line []byte) error {
		if _, err := bw.Write(line); err != nil {
			return err
		}
		rep.Written++
		return bw.WriteByte('\n')
	}
	n := 0
	for _, in := range inputs {
		r := bufio.NewReaderSize(in.R, 1<<20)
		for lineNo := 1; ; lineNo++ {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return rep, fmt.Errorf("filter: %w", err)
				}
			}
			line, rerr := readLine(r)
			if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, errTooLong) {
				return rep, fmt.Errorf("filter: %s:%d: %w", in.Name, lineNo, rerr)
			}
			if errors.Is(rerr, errTooLong) {
				rep.Steps[0].In++
				rep.Steps[0].drop(errTooLong.Error())
				continue
			}
			if len(bytes.TrimSpace(line)) > 0 {
				if err := p.one(&rep, line, func(rec *Record) error {
					if p.Order != nil {
						held = append(held, keyed{rec.Line, p.Order.Key(rec)})
						return nil
					}
					return emit(rec.Line)
				}); err != nil {
					return rep, fmt.Errorf("filter: writing: %w", err)
				}
			}
			if errors.Is(rerr, io.EOF) {
				break
			}
		}
	}
	if p.Order != nil {
		rep.Order = p.Order.Name()
		sort.SliceStable(held, func(i, j int) bool { return held[i].key < held[j].key })
		if len(held) > 0 {
			rep.MinKey, rep.MaxKey = held[0].key, held[len(held)-1].key
		}
		for _, h := range held {
			if err := emit(h.line); err != nil {
				return rep, fmt.Errorf("filter: writing: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return rep, fmt.Errorf("filter: writing: %w", err)
	}
	return rep, nil
}

// one runs a line through the steps and hands it to keep if it passes.
func (p *Pipeline) one(rep *Report, line []byte, keep func(*Record) error) error {
	read := &rep.Steps[0]
	read.In++
	rec, err := ParseRecord(line)
	if err != nil {
		read.drop(err.Error())
		return nil
	}
	read.Kept++
	for i, s := range p.Steps {
		sr := &rep.Steps[i+1]
		sr.In++
		if why := s.Check(rec); why != "" {
			sr.drop(why)
			return nil
		}
		sr.Kept++
	}
	for _, s := range p.Steps {
		if c, ok := s.(Committer); ok {
			c.Commit(rec)
		}
	}
	return keep(rec)
}

// readLine reads one line without its newline; a line over maxLine is
// skipped whole and reported as errTooLong.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			line = append(line, chunk...)
			if len(line) > maxLine {
				tooLong, line = true, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			return nil, errTooLong // and at EOF, the next call says so
		}
		return bytes.TrimSuffix(line, []byte{'\n'}), err
	}
}

// WriteTable prints the report as a table: one row per step with its
// counts and the reasons for its drops, most frequent first.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %9s %9s %9s  %s\n", "step", "in", "kept", "dropped", "why")
	for _, s := range r.Steps {
		reasons := make([]string, 0, len(s.Dropped))
		for k := range s.Dropped {
			reasons = append(reasons, k)
		}
		slices.SortFunc(reasons, func(a, b string) int {
			if d := s.Dropped[b] - s.Dropped[a]; d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		var why []string
		for _, k := range reasons {
			why = append(why, fmt.Sprintf("%s: %d", k, s.Dropped[k]))
		}
		fmt.Fprintf(&b, "%-12s %9d %9d %9d  %s\n", s.Name, s.In, s.Kept, s.In-s.Kept, strings.Join(why, ", "))
	}
	if r.Order != "" {
		fmt.Fprintf(&b, "ordered by %s, easiest first: %.2f to %.2f\n", r.Order, r.MinKey, r.MaxKey)
	}
	fmt.Fprintf(&b, "wrote %d records\n", r.Written)
	_, err := io.WriteString(w, b.String())
	return err
}
