package teacher

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Record is one generated story, one line of the output.
type Record struct {
	Index        int        `json:"index"`
	Seed         uint64     `json:"seed"`
	Instruction  string     `json:"instruction"`
	Words        Words      `json:"words"`
	Features     []Feature  `json:"features"`
	Text         string     `json:"text"`
	Model        string     `json:"model"`
	FinishReason string     `json:"finish_reason,omitempty"`
	Usage        Usage      `json:"usage"`
	Judge        *Judgement `json:"judge,omitempty"`
}

// Stats count what a run did. Tokens are as the server reported them.
type Stats struct {
	Total    int // prompts (Generate) or input samples (JudgeFiles)
	Before   int // already done when the run started (kept or rejected)
	Kept     int // written to the output by this run
	Rejected int // written to the rejected file by this run (judged below the threshold or unjudgeable)
	Failed   int // given up on after retries; running again retries them
	Skipped  int // input lines that are not JSON objects with a "text" string (JudgeFiles)

	Requests, Retries int64
	Usage             Usage // this run's requests, judging included
	FileUsage         Usage // every record in the output and rejected files, earlier runs included
	TornBytes         int64 // cut from a torn last line left by a killed run
}

// String is the one-line summary of a run.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d done (%d before this run, %d kept, %d rejected", s.Before+s.Kept+s.Rejected, s.Total, s.Before, s.Kept, s.Rejected)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped", s.Skipped)
	}
	fmt.Fprintf(&b, ", %d failed); %d requests, %d retries; tokens this run: %d prompt + %d completion = %d; in the files: %d + %d = %d",
		s.Failed, s.Requests, s.Retries,
		s.Usage.PromptTokens, s.Usage.CompletionTokens, s.Usage.PromptTokens+s.Usage.CompletionTokens,
		s.FileUsage.PromptTokens, s.FileUsage.CompletionTokens, s.FileUsage.PromptTokens+s.FileUsage.CompletionTokens)
	return b.String()
}

// ErrIncomplete is wrapped by the error of a run that finished with samples
// it gave up on; running it again with the same files retries just those.
var ErrIncomplete = errors.New("some samples failed")

// RejectedPath is the default rejected file for out: a.jsonl → a.rejected.jsonl.
func RejectedPath(out string) string {
	return strings.TrimSuffix(out, ".jsonl") + ".rejected.jsonl"
}

// GenerateConfig configures Generate.
type GenerateConfig struct {
	Client *Client
	Words  WordList
	N      int    // prompts: indices 0..N-1
	Seed   uint64 // with Words, decides every prompt
	Out    string // JSONL file records are appended to; a rerun continues it
	// Rejected receives judged records that did not pass (default
	// RejectedPath(Out)); it is only opened when judging.
	Rejected    string
	Concurrency int           // requests in flight (default 1)
	Options     Options       // generation settings; Seed is set per prompt
	Judge       *JudgeOptions // non-nil: grade each story, keep those that pass
	Log         *slog.Logger  // nil: no logging
	Progress    func(Stats)   // called after each sample, from one goroutine
}

// Generate asks the teacher for cfg.N stories and appends each to cfg.Out
// as soon as it arrives, synced. If cfg.Out already has records (from a run
// that was stopped or crashed), it checks they were made with the same seed
// and words, cuts away a torn last line and asks only for the missing
// indices, so a rerun loses nothing already written and duplicates
// nothing. Records arrive in completion order; Index says which prompt each
// answers.
//
// A request that fails after its retries is counted in Stats.Failed and the
// run goes on (the result wraps ErrIncomplete); one that cannot succeed by
// retrying (a 4xx other than 408 and 429: a wrong key, model or URL) stops
// the run. When ctx ends, Generate returns after the requests in flight,
// having written what completed.
func Generate(ctx context.Context, cfg GenerateConfig) (Stats, error) {
	st := Stats{Total: cfg.N}
	if cfg.Client == nil {
		return st, errors.New("teacher: no client")
	}
	if cfg.N < 0 {
		return st, fmt.Errorf("teacher: %d samples: want 0 or more", cfg.N)
	}
	done := map[int]bool{}
	visit := func(n int, line []byte) error {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("not a record (%v); remove the line or use another output file", err)
		}
		if r.Seed != cfg.Seed {
			return fmt.Errorf("record %d was made with seed %d, this run's is %d; use the same seed or another output file", r.Index, r.Seed, cfg.Seed)
		}
		if r.Index < 0 {
			return fmt.Errorf("record index %d is negative", r.Index)
		}
		if p := MakePrompt(cfg.Words, cfg.Seed, r.Index); p.Instruction != r.Instruction {
			return fmt.Errorf("record %d has another instruction than this run would send (another word list?); use the same words or another output file", r.Index)
		}
		if !done[r.Index] && r.Index < cfg.N {
			st.Before++
		}
		done[r.Index] = true
		st.FileUsage = st.FileUsage.Add(r.Usage)
		if r.Judge != nil {
			st.FileUsage = st.FileUsage.Add(r.Judge.Usage)
		}
		return nil
	}
	out, rej, err := openOutputs(cfg.Out, cfg.Rejected, cfg.Judge != nil, visit, &st)
	if err != nil {
		return st, err
	}
	defer out.Close()
	defer rej.Close()

	c := cfg.Client
	req0, retry0 := c.Counts()
	counts := func() {
		r, rt := c.Counts()
		st.Requests, st.Retries = r-req0, rt-retry0
	}

	type result struct {
		rec   Record
		usage Usage
		err   error
	}
	feed := func(ctx context.Context, send func(int) bool) error {
		for i := 0; i < cfg.N; i++ {
			if !done[i] && !send(i) {
				return nil
			}
		}
		return nil
	}
	work := func(ctx context.Context, i int) result {
		p := MakePrompt(cfg.Words, cfg.Seed, i)
		opt := cfg.Options
		s := requestSeed(cfg.Seed, i)
		opt.Seed = &s
		rep, err := c.Chat(ctx, []Message{{Role: "user", Content: p.Instruction}}, opt)
		if err != nil {
			return result{err: fmt.Errorf("prompt %d: %w", i, err)}
		}
		rec := Record{Index: i, Seed: cfg.Seed, Instruction: p.Instruction, Words: p.Words, Features: p.Features,
			Text: rep.Text, Model: rep.Model, FinishReason: rep.FinishReason, Usage: rep.Usage}
		if cfg.Judge != nil {
			j, err := c.Judge(ctx, rep.Text, *cfg.Judge)
			if err != nil {
				return result{usage: rep.Usage, err: fmt.Errorf("prompt %d: %w", i, err)}
			}
			rec.Judge = &j
		}
		return result{rec: rec, usage: recordUsage(rec)}
	}
	handle := func(ctx context.Context, r result) error {
		st.Usage = st.Usage.Add(r.usage)
		if r.err != nil {
			if ctx.Err() != nil {
				return nil // stopped: not a failure of the request
			}
			if !Retryable(r.err) {
				return r.err
			}
			st.Failed++
			if cfg.Log != nil {
				cfg.Log.Warn("teacher: giving up on a sample", "error", r.err)
			}
		} else {
			line, err := marshalLine(r.rec)
			if err != nil {
				return fmt.Errorf("teacher: encoding record %d: %w", r.rec.Index, err)
			}
			if r.rec.Judge == nil || r.rec.Judge.Pass {
				err, st.Kept = out.write(line), st.Kept+1
			} else {
				err, st.Rejected = rej.write(line), st.Rejected+1
			}
			if err != nil {
				return fmt.Errorf("teacher: %w", err)
			}
			st.FileUsage = st.FileUsage.Add(r.usage)
			if cfg.Log != nil {
				cfg.Log.Debug("teacher: sample", "index", r.rec.Index, "usage", r.usage)
			}
		}
		if cfg.Progress != nil {
			counts()
			cfg.Progress(st)
		}
		return nil
	}
	err = pool(ctx, cfg.Concurrency, feed, work, handle)
	counts()
	return st, finish(ctx, err, st)
}

func recordUsage(r Record) Usage {
	u := r.Usage
	if r.Judge != nil {
		u = u.Add(r.Judge.Usage)
	}
	return u
}

// finish turns the end of a run into its error.
func finish(ctx context.Context, err error, st Stats) error {
	switch {
	case err != nil:
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("teacher: stopped: %w", ctx.Err())
	case st.Failed > 0:
		return fmt.Errorf("teacher: %d of %d samples failed; run again with the same output file to retry them: %w", st.Failed, st.Total, ErrIncomplete)
	}
	return nil
}

// openOutputs opens the output file and, when judging, the rejected file,
// reading back the records already there.
func openOutputs(outPath, rejPath string, judging bool, visit func(int, []byte) error, st *Stats) (out, rej *appendLog, err error) {
	if outPath == "" {
		return nil, nil, errors.New("teacher: no output file")
	}
	if rejPath == "" {
		rejPath = RejectedPath(outPath)
	}
	if sameFile(outPath, rejPath) {
		return nil, nil, fmt.Errorf("teacher: the output and rejected files are both %s", outPath)
	}
	out, torn, err := openLog(outPath, visit)
	if err != nil {
		return nil, nil, fmt.Errorf("teacher: output: %w", err)
	}
	st.TornBytes += torn
	// The rejected file of an earlier judged run counts as done too, even
	// when this run does not judge.
	_, statErr := os.Stat(rejPath)
	if judging || statErr == nil {
		rej, torn, err = openLog(rejPath, visit)
		if err != nil {
			out.Close()
			return nil, nil, fmt.Errorf("teacher: rejected file: %w", err)
		}
		st.TornBytes += torn
	}
	return out, rej, nil
}

// sameFile reports whether a and b name one file (or one path).
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// pool runs work on the jobs feed sends, n at a time, and hands every
// result to handle in one goroutine. An error from handle or feed cancels
// the rest; the results of work already running are still handled.
func pool[J, R any](ctx context.Context, n int, feed func(context.Context, func(J) bool) error,
	work func(context.Context, J) R, handle func(context.Context, R) error) error {
	if n < 1 {
		n = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan J)
	results := make(chan R)
	var feedErr error
	go func() {
		defer close(jobs)
		feedErr = feed(ctx, func(j J) bool {
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
		if feedErr != nil {
			cancel()
		}
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for j := range jobs {
				results <- work(ctx, j)
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var herr error
	for r := range results {
		if herr != nil {
			continue
		}
		if herr = handle(ctx, r); herr != nil {
			cancel()
		}
	}
	if herr != nil {
		return herr
	}
	return feedErr
}

// JudgeConfig configures JudgeFiles.
type JudgeConfig struct {
	Client *Client
	// Inputs are JSONL files of samples: JSON objects with a "text" string.
	Inputs []string
	// Out receives the samples that pass, each its input line with a
	// "judge" field added; a rerun continues it.
	Out string
	// Rejected receives the samples that do not pass (default
	// RejectedPath(Out)).
	Rejected    string
	Concurrency int
	Judge       JudgeOptions
	Log         *slog.Logger
	Progress    func(Stats)
}

// JudgeFiles grades every sample of cfg.Inputs with the teacher and appends
// those that pass to cfg.Out and the others to cfg.Rejected, resuming like
// Generate: samples are numbered by their position in the inputs (the
// Judgement's Input), and a rerun skips the numbers already in either file
// after checking their text is the same.
func JudgeFiles(ctx context.Context, cfg JudgeConfig) (Stats, error) {
	var st Stats
	if cfg.Client == nil {
		return st, errors.New("teacher: no client")
	}
	for _, in := range cfg.Inputs {
		if sameFile(in, cfg.Out) || sameFile(in, cfg.Rejected) || sameFile(in, RejectedPath(cfg.Out)) {
			return st, fmt.Errorf("teacher: %s is both an input and an output", in)
		}
	}
	done := map[int]uint64{} // input number → hash of its text
	visit := func(n int, line []byte) error {
		var r struct {
			Text  *string    `json:"text"`
			Judge *Judgement `json:"judge"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("not a record (%v); remove the line or use another output file", err)
		}
		if r.Text == nil || r.Judge == nil || r.Judge.Input == nil {
			return errors.New(`not a judged sample (no "text" or "judge.input"); use another output file`)
		}
		done[*r.Judge.Input] = textHash(*r.Text)
		st.FileUsage = st.FileUsage.Add(r.Judge.Usage)
		return nil
	}
	out, rej, err := openOutputs(cfg.Out, cfg.Rejected, true, visit, &st)
	if err != nil {
		return st, err
	}
	defer out.Close()
	defer rej.Close()

	c := cfg.Client
	req0, retry0 := c.Counts()
	counts := func() {
		r, rt := c.Counts()
		st.Requests, st.Retries = r-req0, rt-retry0
	}

	type job struct {
		input int
		line  []byte
		text  string
		bad   string // why the line is skipped
	}
	type result struct {
		job
		j   Judgement
		err error
	}
	// The feeder only reads; counts are kept by handle.
	feed := func(ctx context.Context, send func(job) bool) error {
		input := 0
		for _, path := range cfg.Inputs {
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("teacher: %w", err)
			}
			err = eachLine(f, func(n int, line []byte) (bool, error) {
				i := input
				input++
				j := job{input: i, line: line}
				var r struct {
					Text *string `json:"text"`
				}
				var m map[string]json.RawMessage
				switch {
				case json.Unmarshal(line, &m) != nil || m == nil:
					j.bad = fmt.Sprintf("%s:%d: not a JSON object", path, n)
				case json.Unmarshal(line, &r) != nil || r.Text == nil:
					j.bad = fmt.Sprintf(`%s:%d: no "text" string`, path, n)
				default:
					j.text = *r.Text
				}
				if h, ok := done[i]; ok {
					if j.bad != "" || h != textHash(j.text) {
						return false, fmt.Errorf("teacher: %s:%d: sample %d is not the one in %s; judge the same inputs or use another output file", path, n, i, cfg.Out)
					}
					return true, nil
				}
				return send(j), nil
			})
			f.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	work := func(ctx context.Context, j job) result {
		if j.bad != "" {
			return result{job: j}
		}
		jd, err := c.Judge(ctx, j.text, cfg.Judge)
		return result{job: j, j: jd, err: err}
	}
	handle := func(ctx context.Context, r result) error {
		if r.err != nil && ctx.Err() != nil {
			return nil // stopped: not a failure of the request
		}
		st.Total++
		switch {
		case r.bad != "":
			st.Skipped++
			if cfg.Log != nil {
				cfg.Log.Warn("teacher: skipping a line", "why", r.bad)
			}
		case r.err != nil:
			if !Retryable(r.err) {
				return fmt.Errorf("sample %d: %w", r.input, r.err)
			}
			st.Failed++
			if cfg.Log != nil {
				cfg.Log.Warn("teacher: giving up on a sample", "input", r.input, "error", r.err)
			}
		default:
			in := r.input
			r.j.Input = &in
			st.Usage = st.Usage.Add(r.j.Usage)
			line, err := withJudge(r.line, r.j)
			if err != nil {
				return fmt.Errorf("teacher: sample %d: %w", r.input, err)
			}
			if r.j.Pass {
				err, st.Kept = out.write(line), st.Kept+1
			} else {
				err, st.Rejected = rej.write(line), st.Rejected+1
			}
			if err != nil {
				return fmt.Errorf("teacher: %w", err)
			}
			st.FileUsage = st.FileUsage.Add(r.j.Usage)
		}
		if cfg.Progress != nil {
			counts()
			cfg.Progress(st)
		}
		return nil
	}
	st.Before = len(done)
	err = pool(ctx, cfg.Concurrency, feed, work, handle)
	st.Total += st.Before
	counts()
	return st, finish(ctx, err, st)
}

// eachLine calls fn with each non-blank line of f and its line number,
// until fn returns false or an error.
func eachLine(f *os.File, fn func(n int, line []byte) (bool, error)) error {
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := readLine(r)
		if b := bytes.TrimSpace(line); len(b) > 0 {
			ok, ferr := fn(n, bytes.Clone(b))
			if ferr != nil {
				return ferr
			}
			if !ok {
				return nil
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("teacher: %s:%d: %w", f.Name(), n, err)
		}
	}
}

func textHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// withJudge adds (or replaces) the "judge" field of a JSON object line,
// keeping the rest of the line as it was.
func withJudge(line []byte, j Judgement) ([]byte, error) {
	jb, err := marshalLine(j)
	if err != nil {
		return nil, err
	}
	jb = bytes.TrimSpace(jb)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	t := bytes.TrimSpace(line)
	var b []byte
	if _, ok := m["judge"]; ok {
		m["judge"] = jb
		if b, err = marshalLine(m); err != nil {
			return nil, err
		}
		return b, nil
	}
	if len(m) == 0 {
		b = append([]byte(`{"judge":`), jb...)
	} else {
		b = append(bytes.Clone(t[:len(t)-1]), `,"judge":`...)
		b = append(b, jb...)
	}
	return append(b, '}', '\n'), nil
}
