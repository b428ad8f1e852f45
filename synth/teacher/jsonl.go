package teacher

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxLine bounds one JSONL line read back.
const maxLine = 64 << 20

// appendLog is an append-only JSONL file that survives kills: each record
// is one line written with one write call and synced before the next, and
// on opening a last line without its newline (a write cut short) is cut
// away. So a crash loses nothing already written and leaves nothing half
// written behind.
type appendLog struct {
	f      *os.File
	path   string
	noSync bool
}

// openLog opens path for appending, creating it if needed. Each complete
// non-blank line already there is passed to visit with its line number. It
// returns how many bytes of a torn last line it cut away.
func openLog(path string, visit func(n int, line []byte) error) (*appendLog, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, err
	}
	var off int64
	r := bufio.NewReaderSize(f, 1<<20)
	var torn int64
	for n := 1; ; n++ {
		line, err := readLine(r)
		if len(line) > 0 && line[len(line)-1] == '\n' {
			off += int64(len(line))
			if b := bytes.TrimSpace(line); len(b) > 0 {
				if verr := visit(n, b); verr != nil {
					f.Close()
					return nil, 0, fmt.Errorf("%s:%d: %w", path, n, verr)
				}
			}
			continue
		}
		if err == io.EOF {
			torn = int64(len(line))
			break
		}
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if torn > 0 {
		if err := f.Truncate(off); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("%s: cutting away the torn last line: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &appendLog{f: f, path: path}, torn, nil
}

// readLine reads up to and including '\n', or to EOF; lines over maxLine are
// an error.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

// marshalLine encodes v as one JSON line, without escaping <, > and &.
func marshalLine(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// write appends line (which must end in '\n') and syncs it to disk.
func (l *appendLog) write(line []byte) error {
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("%s: %w", l.path, err)
	}
	if !l.noSync {
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("%s: %w", l.path, err)
		}
	}
	return nil
}

// Close closes the file; a nil log is fine.
func (l *appendLog) Close() error {
	if l == nil {
		return nil
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("%s: %w", l.path, err)
	}
	return nil
}
