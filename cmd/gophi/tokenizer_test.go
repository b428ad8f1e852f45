package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gophi/gophi/tokenizer"
	"github.com/gophi/gophi/tokenizer/shards"
)

// tokCorpus writes a small JSONL corpus (stories and a chat record) and
// returns its path and texts.
func tokCorpus(t *testing.T, dir string) (string, []string) {
	t.Helper()
	words := strings.Fields("once upon a time there was a little girl named lily she liked to play in the park with her dog max")
	var b strings.Builder
	var texts []string
	for i := range 600 {
		var s strings.Builder
		for j := range 6 + i%9 {
			if j > 0 {
				s.WriteByte(' ')
			}
			s.WriteString(words[(i*7+j*j*3)%len(words)])
		}
		s.WriteString(".")
		texts = append(texts, s.String())
		rec, _ := json.Marshal(map[string]string{"text": s.String()})
		b.Write(rec)
		b.WriteByte('\n')
	}
	b.WriteString(`{"messages": [{"role": "user", "content": "Tell me a story."}, {"role": "assistant", "content": "Once upon a time."}]}` + "\n")
	p := filepath.Join(dir, "corpus.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, texts
}

func TestTokenizerTrainAndTokenize(t *testing.T) {
	dir := t.TempDir()
	corpus, texts := tokCorpus(t, dir)
	tokPath := filepath.Join(dir, "tok.json")
	out, errOut, err := runCLI(t, "", "tokenizer", "train", "--vocab-size", "320",
		"--special", "<|user|>,<|assistant|>,<|end|>,<|system|>,<|endoftext|>", "-o", tokPath, corpus)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{"wrote " + tokPath, "320 tokens", "5 special", "601 documents"} {
		if !strings.Contains(out, want) {
			t.Errorf("train summary lacks %q: %s", want, out)
		}
	}
	if !strings.Contains(errOut, "merged pieces") {
		t.Errorf("no merge progress on stderr: %q", errOut)
	}
	tok, err := tokenizer.LoadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Len() != 320 {
		t.Errorf("tokenizer has %d ids", tok.Len())
	}
	for _, s := range texts[:50] {
		if got := tok.Decode(tok.Encode(s, false)); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	if id, ok := tok.ID("<|end|>"); !ok || !tok.IsSpecial(id) || id != 317 {
		t.Errorf("<|end|>: id %d, %v", id, ok)
	}

	shardDir := filepath.Join(dir, "shards")
	out, errOut, err = runCLI(t, "", "tokenize", "--tokenizer", tokPath, "-o", shardDir,
		"--shard-tokens", "1500", "--val-fraction", "0.1", "--threads", "3", corpus)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	m := regexp.MustCompile(`^wrote (\d+) tokens in (\d+) shards \(train (\d+), val (\d+)\) to `).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "M tokens/s") || !strings.Contains(out, "601 documents") {
		t.Fatalf("tokenize summary %q", out)
	}
	total, _ := strconv.ParseInt(m[1], 10, 64)
	d, err := shards.Open(shardDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Index.Tokens(shards.Train) + d.Index.Tokens(shards.Val); got != total {
		t.Errorf("summary says %d tokens, index %d", total, got)
	}
	if n, _ := strconv.Atoi(m[2]); n != len(d.Index.Train)+len(d.Index.Val) || n < 3 {
		t.Errorf("summary says %s shards, index has %d+%d", m[2], len(d.Index.Train), len(d.Index.Val))
	}
	if err := d.Verify(); err != nil {
		t.Error(err)
	}
	// The chat record was rendered in Phi-3's format: <|user|> ... <|end|>.
	user, _ := tok.ID("<|user|>")
	found := false
	for _, s := range []shards.Split{shards.Train, shards.Val} {
		for i := range d.Index.Shards(s) {
			toks, err := d.Load(s, i)
			if err != nil {
				t.Fatal(err)
			}
			for k := range toks.Len() {
				found = found || toks.At(k) == user
			}
		}
	}
	if !found {
		t.Error("the chat record's <|user|> token is in no shard")
	}

	// Plain text on stdin, a folder as --tokenizer is rejected without tokenizer.json.
	out, _, err = runCLI(t, "once upon a time\nthe end\n", "tokenize", "--quiet", "--tokenizer", tokPath,
		"-o", filepath.Join(dir, "stdin"), "--val-fraction", "0", "-")
	if err != nil || !strings.Contains(out, "in 1 shards (train ") || !strings.Contains(out, ", val 0)") {
		t.Errorf("tokenize stdin: %v %q", err, out)
	}
}

func TestTokenizerCLIErrors(t *testing.T) {
	dir := t.TempDir()
	corpus, _ := tokCorpus(t, dir)
	tests := []struct {
		args []string
		want string // "" means a usage error
	}{
		{[]string{"tokenizer"}, ""},
		{[]string{"tokenizer", "frobnicate"}, ""},
		{[]string{"tokenizer", "train", corpus}, ""},
		{[]string{"tokenizer", "train", "--vocab-size", "300"}, ""},
		{[]string{"tokenizer", "train", "--vocab-size", "100", corpus}, "below the minimum 260"},
		{[]string{"tokenizer", "train", "--vocab-size", "5000", "-o", filepath.Join(dir, "t.json"), corpus}, "vocabulary size too large"},
		{[]string{"tokenizer", "train", "--vocab-size", "300", "--special", "<a>,<a>", corpus}, "twice"},
		{[]string{"tokenizer", "train", "--vocab-size", "300", filepath.Join(dir, "missing.txt")}, "no such file"},
		{[]string{"tokenizer", "train", "--vocab-size", "300", "--text-docs", "page", corpus}, "unknown text document unit"},
		{[]string{"tokenize", "-o", dir, corpus}, ""},
		{[]string{"tokenize", "--tokenizer", filepath.Join(dir, "nope.json"), "-o", dir, corpus}, "no such file"},
		{[]string{"tokenize", "--tokenizer", dir, "-o", dir, corpus}, "tokenizer.json"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, "", tt.args...)
		switch {
		case tt.want == "" && !errors.Is(err, errUsage):
			t.Errorf("%v: %v, want a usage error", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	for _, args := range [][]string{{"tokenizer", "-h"}, {"tokenizer", "train", "-h"}, {"tokenize", "-h"}} {
		if _, _, err := runCLI(t, "", args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "t.json")); err == nil {
		t.Error("a failed training wrote its output")
	}
}
