package quantize

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// TestStreamRows checks the chunked, parallel row pipeline: rows arrive in
// order across chunk boundaries for several worker counts, and errors from
// the filler, the writer and the context stop it.
func TestStreamRows(t *testing.T) {
	const rowBytes = 4099 // chunks of 2046 rows, the last one short
	rows := 3*chunkBytes/rowBytes + 17
	fill := func(r0, r1 int, dst []byte) error {
		for r := r0; r < r1; r++ {
			for j := 0; j < rowBytes; j++ {
				dst[(r-r0)*rowBytes+j] = byte(r*7 + j)
			}
		}
		return nil
	}
	want := make([]byte, rows*rowBytes)
	if err := fill(0, rows, want); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 3, 8} {
		var buf bytes.Buffer
		if err := streamRows(context.Background(), &buf, rows, rowBytes, workers, fill); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%d workers: output differs", workers)
		}
	}
	boom := errors.New("boom")
	var calls atomic.Int32
	err := streamRows(context.Background(), &bytes.Buffer{}, rows, rowBytes, 2, func(r0, r1 int, dst []byte) error {
		calls.Add(1)
		if r0 <= rows/2 && rows/2 < r1 {
			return boom
		}
		return fill(r0, r1, dst)
	})
	if !errors.Is(err, boom) {
		t.Errorf("filler error: %v", err)
	}
	if n := calls.Load(); n > 8 { // stops within a chunk or two
		t.Errorf("filler called %d times after failing", n)
	}
	if err := streamRows(context.Background(), failAfter{}, rows, rowBytes, 2, fill); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("writer error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := streamRows(ctx, &bytes.Buffer{}, rows, rowBytes, 2, fill); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := streamRows(context.Background(), failAfter{}, 0, rowBytes, 2, fill); err != nil {
		t.Errorf("no rows: %v", err)
	}
}

type failAfter struct{}

func (failAfter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }
