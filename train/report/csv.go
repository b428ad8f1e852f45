// Package report writes what `gophi train` shows about a run: the metrics
// table (metrics.csv), the loss curve drawn from it (loss.svg) and the
// progress line on the terminal or in a log.
//
// metrics.csv has the header
//
//	step,train_loss,val_loss,lr,tokens_per_s,grad_norm
//
// and one row per logged step. Numbers are written with
// strconv.FormatFloat(v, 'g', -1, 64), the shortest text that parses back to
// the same float64, so a file read back holds exactly the values written and
// two runs that produce the same values write byte-identical files. val_loss
// is empty where no validation ran (Row.ValLoss is NaN); a NaN or infinite
// value in another column is written as NaN, +Inf or -Inf.
package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/gophi/gophi/internal/atomicfile"
)

// Header is the first line of metrics.csv, without its newline.
const Header = "step,train_loss,val_loss,lr,tokens_per_s,grad_norm"

// Row is one logged training step.
type Row struct {
	Step       int     // optimizer steps done
	TrainLoss  float64 // training loss at Step (as the trainer logs it, e.g. the mean since the last row)
	ValLoss    float64 // validation loss at Step; NaN when no validation ran
	LR         float64 // learning rate used at Step
	TokensPerS float64 // training throughput, tokens per second
	GradNorm   float64 // global gradient norm (before clipping)
}

// formatFloat is the text of v in metrics.csv: the shortest decimal that
// parses back to v exactly.
func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// appendRow appends r as one CSV line, newline included.
func appendRow(b []byte, r Row) []byte {
	b = strconv.AppendInt(b, int64(r.Step), 10)
	b = append(b, ',')
	b = append(b, formatFloat(r.TrainLoss)...)
	b = append(b, ',')
	if !math.IsNaN(r.ValLoss) {
		b = append(b, formatFloat(r.ValLoss)...)
	}
	b = append(b, ',')
	b = append(b, formatFloat(r.LR)...)
	b = append(b, ',')
	b = append(b, formatFloat(r.TokensPerS)...)
	b = append(b, ',')
	b = append(b, formatFloat(r.GradNorm)...)
	return append(b, '\n')
}

// encode is the whole file: the header and rows.
func encode(rows []Row) []byte {
	b := make([]byte, 0, len(Header)+1+len(rows)*64)
	b = append(b, Header...)
	b = append(b, '\n')
	for _, r := range rows {
		b = appendRow(b, r)
	}
	return b
}

// WriteCSV replaces path with a metrics file holding rows, atomically: a
// reader sees either the old file or the whole new one.
func WriteCSV(path string, rows []Row) error {
	return atomicfile.WriteBytes(path, encode(rows))
}

// AppendCSV appends rows to the metrics file at path, creating it with the
// header when it does not exist or is empty. An existing file must start with
// Header and end with a newline (it is not appended to otherwise, so a torn or
// foreign file is never made worse). The rows go out in one write; the file is
// not synced (the trainer's checkpoints rewrite it with WriteCSV).
func AppendCSV(path string, rows ...Row) (err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var b []byte
	if size := fi.Size(); size == 0 {
		b = append(b, Header...)
		b = append(b, '\n')
	} else {
		head := make([]byte, len(Header)+1)
		n, err := f.ReadAt(head, 0)
		if err != nil && err != io.EOF {
			return err
		}
		head = head[:n]
		if !bytes.Equal(head, []byte(Header+"\n")) && !bytes.Equal(head, []byte(Header+"\r")) {
			return fmt.Errorf("%s: line 1: header is not %q", path, Header)
		}
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			return fmt.Errorf("%s: does not end with a newline (torn last line?)", path)
		}
	}
	if len(rows) == 0 && len(b) == 0 {
		return nil
	}
	for _, r := range rows {
		b = appendRow(b, r)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	return nil
}

// ReadCSV reads a metrics file written by WriteCSV or AppendCSV. A missing
// file gives an error that matches os.ErrNotExist (errors.Is). A malformed
// file gives an error naming the path and the line number; the rows read
// before that line are returned with it, so a caller may choose to keep them
// (say, after a crash tore the last line). Lines may end in \r\n; blank
// lines are skipped. Rows come back in file order, unsorted.
func ReadCSV(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError: errors.Is(err, os.ErrNotExist) for a missing file
	}
	defer f.Close()
	rows, err := parse(f)
	if err != nil {
		return rows, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// parse reads a metrics file from r; errors name the line ("line N: ...").
func parse(r io.Reader) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var rows []Row
	line := 0
	header := false
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if !header {
			if text != Header {
				return nil, fmt.Errorf("line %d: header %q, want %q", line, truncateText(text), Header)
			}
			header = true
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		row, err := parseRow(text)
		if err != nil {
			return rows, fmt.Errorf("line %d: %w", line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return rows, fmt.Errorf("line %d: %w", line+1, err)
	}
	if !header {
		return nil, errors.New("empty file, no header")
	}
	return rows, nil
}

// columns are metrics.csv's column names in order.
var columns = strings.Split(Header, ",")

// parseRow parses one data line.
func parseRow(text string) (Row, error) {
	fields := strings.Split(text, ",")
	if len(fields) != len(columns) {
		return Row{}, fmt.Errorf("%d fields, want %d (%s)", len(fields), len(columns), Header)
	}
	var r Row
	step, err := strconv.Atoi(fields[0])
	if err != nil {
		return Row{}, fmt.Errorf("step %q is not an integer", truncateText(fields[0]))
	}
	r.Step = step
	dst := []*float64{nil, &r.TrainLoss, &r.ValLoss, &r.LR, &r.TokensPerS, &r.GradNorm}
	for i := 1; i < len(fields); i++ {
		s := fields[i]
		if s == "" {
			if i == 2 { // val_loss: empty where no validation ran
				*dst[i] = math.NaN()
				continue
			}
			return Row{}, fmt.Errorf("%s is empty", columns[i])
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Row{}, fmt.Errorf("%s %q is not a number", columns[i], truncateText(s))
		}
		*dst[i] = v
	}
	return r, nil
}

// truncateText shortens s for an error message.
func truncateText(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// Truncate returns the rows with Step <= step, in their order, as a new
// slice (rows is left as it is). Resuming from a checkpoint at step keeps
// these and rewrites metrics.csv with them.
func Truncate(rows []Row, step int) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if r.Step <= step {
			out = append(out, r)
		}
	}
	return out
}
