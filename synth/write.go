package synth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Running a generator on all cores with ordered output, and writing JSONL
// files atomically, as one file or numbered shards.

// batchSize is how many samples a worker makes per hand-off.
const batchSize = 64

// GenFunc appends the output of sample i (a JSONL line with its newline)
// to buf and returns it; drop reports that the sample is left out (for
// decontamination).
type GenFunc func(i int, buf []byte) (out []byte, drop bool, err error)

// Generate runs gen for i in [0, n) on workers goroutines (GOMAXPROCS
// when workers < 1) and calls emit with each kept sample's output in index
// order, from the calling goroutine. Output is the same whatever the number
// of workers, since each sample depends only on i. It stops at the first
// error, or when ctx is cancelled.
func Generate(ctx context.Context, n, workers int, gen GenFunc, emit func(i int, line []byte) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		buf  []byte
		ends []int // end of each sample's output in buf; -1 when dropped
		err  error
	}
	type batch struct {
		start, end int
		out        chan result
	}
	jobs := make(chan *batch, workers*2)
	order := make(chan *batch, workers*4)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // feeder
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		for start := 0; start < n; start += batchSize {
			b := &batch{start: start, end: min(start+batchSize, n), out: make(chan result, 1)}
			select {
			case order <- b:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for b := range jobs {
				var r result
				r.buf = buf[:0]
				for i := b.start; i < b.end && r.err == nil; i++ {
					if ctx.Err() != nil {
						r.err = ctx.Err()
						break
					}
					var drop bool
					before := len(r.buf)
					r.buf, drop, r.err = safeGen(gen, i, r.buf)
					if drop {
						r.buf = r.buf[:before]
						r.ends = append(r.ends, -1)
					} else {
						r.ends = append(r.ends, len(r.buf))
					}
				}
				b.out <- r
				buf = nil // the writer owns r.buf now
			}
		}()
	}
	err := func() error {
		for b := range order {
			var r result
			select {
			case r = <-b.out:
			case <-ctx.Done():
				return ctx.Err()
			}
			if r.err != nil {
				return r.err
			}
			start := 0
			for k, end := range r.ends {
				if end < 0 {
					continue
				}
				if err := emit(b.start+k, r.buf[start:end]); err != nil {
					return err
				}
				start = end
			}
		}
		return ctx.Err()
	}()
	cancel()
	wg.Wait()
	return err
}

// safeGen calls gen, turning a panic (a bug) into an error that names the
// sample, so a long run ends with a message rather than a crash.
func safeGen(gen GenFunc, i int, buf []byte) (out []byte, drop bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, drop, err = buf, false, fmt.Errorf("synth: sample %d: internal error: %v", i, p)
		}
	}()
	return gen(i, buf)
}

var encPool = sync.Pool{New: func() any {
	b := new(bytes.Buffer)
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	return &jsonEnc{b, e}
}}

type jsonEnc struct {
	buf *bytes.Buffer
	enc *json.Encoder
}

// AppendJSONL appends v as one JSON line (with "<", ">" and "&" left as
// they are, so chat templates stay readable) and a newline.
func AppendJSONL(dst []byte, v any) ([]byte, error) {
	e := encPool.Get().(*jsonEnc)
	defer encPool.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, e.buf.Bytes()...), nil
}

// Output writes JSONL lines to standard output, to one file, or to numbered
// shard files in a folder. Files are written under a temporary name in
// their folder and renamed into place when complete, so a reader never
// sees a partial file.
type Output struct {
	stdout    io.Writer
	file      string // the one output file, or ""
	dir       string // the shard folder, or ""
	prefix    string // shard name prefix
	shardSize int

	f       *os.File
	w       *bufio.Writer
	tmp     string
	final   string
	shard   int
	inShard int
	paths   []string

	// Lines and Bytes count what was written.
	Lines, Bytes int64
}

// IsShardDir reports whether an output path names a folder of shards: an
// existing folder, or a path ending in a slash.
func IsShardDir(path string) bool {
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// CreateOutput opens an output: path "" or "-" is stdout; a folder (see
// IsShardDir) gets shards named PREFIX-00000.jsonl, ... of shardSize lines
// each (it is created if missing); anything else is one file.
func CreateOutput(path, prefix string, shardSize int, stdout io.Writer) (*Output, error) {
	o := &Output{prefix: prefix, shardSize: shardSize}
	switch {
	case path == "" || path == "-":
		o.stdout = stdout
		o.w = bufio.NewWriterSize(stdout, 1<<20)
		return o, nil
	case IsShardDir(path):
		if shardSize < 1 {
			return nil, fmt.Errorf("synth: shard size must be at least 1, got %d", shardSize)
		}
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, fmt.Errorf("synth: creating output folder: %w", err)
		}
		o.dir = path
		return o, nil
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("synth: output %s: folder %s does not exist", path, filepath.Dir(path))
	}
	o.file = path
	if err := o.open(path); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Output) open(final string) error {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return fmt.Errorf("synth: creating %s: %w", final, err)
	}
	o.f, o.tmp, o.final = f, f.Name(), final
	if o.w == nil {
		o.w = bufio.NewWriterSize(f, 1<<20)
	} else {
		o.w.Reset(f)
	}
	return nil
}

// commit closes the current temporary file and renames it into place.
func (o *Output) commit() error {
	if o.f == nil {
		return nil
	}
	err := o.w.Flush()
	if err == nil {
		err = o.f.Chmod(0o644) // CreateTemp makes files only the owner can read
	}
	if err == nil {
		err = o.f.Sync()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp, o.final)
	}
	if err != nil {
		os.Remove(o.tmp)
		o.f = nil
		return fmt.Errorf("synth: writing %s: %w", o.final, err)
	}
	o.paths = append(o.paths, o.final)
	o.f = nil
	return nil
}

// Write writes one line (which must end in a newline).
func (o *Output) Write(line []byte) error {
	if o.dir != "" && (o.f == nil || o.inShard >= o.shardSize) {
		if err := o.commit(); err != nil {
			return err
		}
		name := filepath.Join(o.dir, fmt.Sprintf("%s-%05d.jsonl", o.prefix, o.shard))
		o.shard++
		o.inShard = 0
		if err := o.open(name); err != nil {
			return err
		}
	}
	if _, err := o.w.Write(line); err != nil {
		return fmt.Errorf("synth: writing %s: %w", o.name(), err)
	}
	o.inShard++
	o.Lines++
	o.Bytes += int64(len(line))
	return nil
}

func (o *Output) name() string {
	if o.stdout != nil {
		return "standard output"
	}
	return o.final
}

// Close finishes the output: the last file is renamed into place.
func (o *Output) Close() error {
	if o.stdout != nil {
		if err := o.w.Flush(); err != nil {
			return fmt.Errorf("synth: writing standard output: %w", err)
		}
		return nil
	}
	return o.commit()
}

// Abort removes the file being written (files already complete stay).
func (o *Output) Abort() {
	if o.f != nil {
		o.f.Close()
		os.Remove(o.tmp)
		o.f = nil
	}
}

// Paths returns the files written so far.
func (o *Output) Paths() []string { return o.paths }
