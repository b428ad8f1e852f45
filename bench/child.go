package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// childReport is what a child process writes to its standard output.
type childReport struct {
	Results []Result `json:"results"`
	Error   string   `json:"error,omitempty"`
}

// Child is the child-process side of Config.Exec: it decodes spec (an
// Instance as JSON), measures it in this process with Measure and writes
// the results, or the error, to stdout as one JSON object. Progress lines
// go to stderr when the instance asks for them. The returned error is the
// one reported, for the caller's exit status.
func Child(ctx context.Context, spec string, stdout, stderr io.Writer) error {
	var in Instance
	dec := json.NewDecoder(strings.NewReader(spec))
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	var rs []Result
	if err != nil {
		err = fmt.Errorf("bench: child: bad configuration: %w", err)
	} else {
		var progress io.Writer
		if in.Progress {
			progress = stderr
		}
		rs, err = Measure(ctx, in, progress)
	}
	rep := childReport{Results: rs}
	if err != nil {
		rep.Error = err.Error()
	}
	if werr := json.NewEncoder(stdout).Encode(rep); werr != nil && err == nil {
		err = fmt.Errorf("bench: child: writing results: %w", werr)
	}
	return err
}

// runChild measures one instance in a child process started with argv
// exec plus the instance as JSON, and reads its results from the child's
// stdout. The child's stderr is copied to progress (when set) and its end
// kept for the error message of a child that fails without a report.
func runChild(ctx context.Context, argv []string, in Instance, progress io.Writer) ([]Result, error) {
	spec, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	where := fmt.Sprintf("%s (mmap %d, %d threads)", in.Model, b2i(in.Mmap), in.Threads)
	args := append(append([]string(nil), argv[1:]...), string(spec))
	cmd := exec.CommandContext(ctx, argv[0], args...)
	var out bytes.Buffer
	tail := &tailBuffer{max: 4096}
	cmd.Stdout = &out
	cmd.Stderr = tail
	if progress != nil {
		cmd.Stderr = io.MultiWriter(tail, progress)
	}
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var rep childReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		msg := strings.TrimSpace(tail.String())
		if msg == "" {
			msg = "no output"
		}
		if runErr == nil {
			runErr = err
		}
		return nil, fmt.Errorf("bench: %s: child process %s failed: %w: %s", where, argv[0], runErr, msg)
	}
	if rep.Error != "" {
		return rep.Results, errors.New(rep.Error)
	}
	if runErr != nil {
		return rep.Results, fmt.Errorf("bench: %s: child process: %w", where, runErr)
	}
	return rep.Results, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
