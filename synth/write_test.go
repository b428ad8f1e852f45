package synth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func collect(t *testing.T, n, workers int, gen GenFunc) (string, error) {
	t.Helper()
	var out bytes.Buffer
	last := -1
	err := Generate(context.Background(), n, workers, gen, func(i int, line []byte) error {
		if i <= last {
			t.Errorf("emit out of order: %d after %d", i, last)
		}
		last = i
		out.Write(line)
		return nil
	})
	return out.String(), err
}

func TestGenerateOrdered(t *testing.T) {
	gen := func(i int, buf []byte) ([]byte, bool, error) {
		if i%7 == 3 {
			return buf, true, nil // dropped
		}
		s := GenerateStory(i, SampleSeed(1, i))
		b, err := AppendJSONL(buf, struct{ ID int }{s.ID})
		return b, false, err
	}
	one, err := collect(t, 500, 1, gen)
	if err != nil {
		t.Fatal(err)
	}
	four, err := collect(t, 500, 4, gen)
	if err != nil {
		t.Fatal(err)
	}
	if one != four {
		t.Error("output differs between 1 and 4 workers")
	}
	if n := strings.Count(one, "\n"); n != 500-71 {
		t.Errorf("%d lines, want %d", n, 500-71)
	}
	if !strings.HasPrefix(one, `{"ID":0}`+"\n"+`{"ID":1}`) {
		t.Errorf("starts %q", one[:20])
	}
}

func TestGenerateErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := collect(t, 1000, 3, func(i int, buf []byte) ([]byte, bool, error) {
		if i == 700 {
			return buf, false, boom
		}
		return append(buf, "x\n"...), false, nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	_, err = collect(t, 100, 2, func(i int, buf []byte) ([]byte, bool, error) {
		if i == 50 {
			panic("bug")
		}
		return append(buf, "x\n"...), false, nil
	})
	if err == nil || !strings.Contains(err.Error(), "sample 50") {
		t.Errorf("panic: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Generate(ctx, 1000, 2, func(i int, b []byte) ([]byte, bool, error) { return b, false, nil }, func(int, []byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	o, err := CreateOutput(path, "x", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("a\n"))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("the file exists before Close")
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(b) != "a\n" || len(entries) != 1 {
		t.Errorf("content %q, %d files", b, len(entries))
	}
	// Abort leaves nothing.
	o, _ = CreateOutput(filepath.Join(dir, "b.jsonl"), "x", 10, nil)
	o.Write([]byte("b\n"))
	o.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files after Abort", len(entries))
	}
	if _, err := CreateOutput(filepath.Join(dir, "no", "such", "x.jsonl"), "x", 1, nil); err == nil {
		t.Error("missing folder accepted")
	}
}

func TestOutputShards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shards") + "/"
	o, err := CreateOutput(dir, "stories", 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		o.Write([]byte(fmt.Sprintf("%d\n", i)))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"stories-00000.jsonl", "stories-00001.jsonl", "stories-00002.jsonl"}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("%d files, want 3", len(entries))
	}
	for i, e := range entries {
		if e.Name() != want[i] {
			t.Errorf("file %d is %s, want %s", i, e.Name(), want[i])
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, want[2]))
	if string(b) != "8\n9\n" || o.Lines != 10 || o.Bytes != 20 || len(o.Paths()) != 3 {
		t.Errorf("last shard %q, lines %d, bytes %d, paths %v", b, o.Lines, o.Bytes, o.Paths())
	}
}

func TestAppendJSONLKeepsChatTokens(t *testing.T) {
	b, err := AppendJSONL(nil, map[string]string{"text": "<|user|>\nhi<|end|>"})
	if err != nil || string(b) != `{"text":"<|user|>\nhi<|end|>"}`+"\n" {
		t.Errorf("got %s, %v", b, err)
	}
}
