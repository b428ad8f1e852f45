package gguf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/tensor"
)

// lazySampleWriter is sampleWriter with every tensor added by
// AddTensorFunc, its data written in pieces of 7 bytes.
func lazySampleWriter(t *testing.T) *Writer {
	t.Helper()
	w := NewWriter()
	for _, kv := range sampleValues() {
		if err := w.SetKV(kv[0].(string), kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range sampleTensors() {
		data := seq(st.size)
		err := w.AddTensorFunc(st.name, st.typ, st.dims, func(out io.Writer) error {
			for p := data; len(p) > 0; {
				k := min(7, len(p))
				if _, err := out.Write(p[:k]); err != nil {
					return err
				}
				p = p[k:]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// TestAddTensorFunc checks that lazily written tensors give the same file
// as AddTensor and that the file reads back.
func TestAddTensorFunc(t *testing.T) {
	want := encode(t, sampleWriter(t))
	if got := encode(t, lazySampleWriter(t)); !bytes.Equal(got, want) {
		t.Fatal("AddTensorFunc and AddTensor files differ")
	}
	path := filepath.Join(t.TempDir(), "lazy.gguf")
	if err := lazySampleWriter(t).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkSample(t, f, DefaultAlignment)
}

// TestAddTensorFuncErrors checks argument errors, a function's own error,
// short and long writes, and that WriteFile then leaves no file behind.
func TestAddTensorFuncErrors(t *testing.T) {
	w := NewWriter()
	if err := w.AddTensorFunc("x", tensor.F32, []uint64{2}, nil); err == nil {
		t.Error("nil function accepted")
	}
	if err := w.AddTensorFunc("x", tensor.Q4_0, []uint64{5}, func(io.Writer) error { return nil }); err == nil {
		t.Error("partial block accepted")
	}
	if err := w.AddTensorFunc("x", tensor.F32, []uint64{2}, func(io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("x", tensor.F32, []uint64{2}, make([]byte, 8)); err == nil {
		t.Error("duplicate name accepted")
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		write func(io.Writer) error
		want  string
	}{
		{"error", func(io.Writer) error { return boom }, "boom"},
		{"short", func(w io.Writer) error { _, err := w.Write(make([]byte, 7)); return err }, "wrote 7 bytes"},
		{"long", func(w io.Writer) error { _, err := w.Write(make([]byte, 9)); return err }, "wrote 9 bytes"},
	} {
		w := NewWriter()
		if err := w.AddTensor("a", tensor.F32, []uint64{1}, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
		if err := w.AddTensorFunc("lazy", tensor.F32, []uint64{2}, tc.write); err != nil {
			t.Fatal(err)
		}
		_, err := w.WriteTo(io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"lazy"`) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if tc.name == "error" && !errors.Is(err, boom) {
			t.Errorf("error %v does not wrap the function's error", err)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "out.gguf")
		if err := w.WriteFile(path); err == nil {
			t.Errorf("%s: WriteFile succeeded", tc.name)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s: WriteFile left %v behind", tc.name, ents)
		}
	}
	// A failing destination stops the function's writes.
	w = NewWriter()
	calls := 0
	if err := w.AddTensorFunc("big", tensor.I8, []uint64{1 << 22}, func(out io.Writer) error {
		for i := 0; i < 4; i++ {
			calls++
			if _, err := out.Write(make([]byte, 1<<20)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(&failWriter{100}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want disk full", err)
	}
	if calls > 2 {
		t.Errorf("the function kept writing after the destination failed (%d writes)", calls)
	}
}
