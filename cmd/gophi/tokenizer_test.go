package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// TestTokenizeMasks: masks are on when a record is a chat, --mask forces
// them for plain text, --mask=false turns them off; the chat's targets are
// the assistant's tokens, with the Phi-3 tokenizer and a trained one.
func TestTokenizeMasks(t *testing.T) {
	dir := t.TempDir()
	corpus, texts := tokCorpus(t, dir)
	plain := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(plain, []byte(strings.Join(texts[:50], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tok.json")
	if _, errOut, err := runCLI(t, "", "tokenizer", "train", "--quiet", "--vocab-size", "320",
		"--special", "<|user|>,<|assistant|>,<|end|>,<|system|>,<|endoftext|>", "-o", tokPath, corpus); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	const phi3Dir = "../../testdata/phi3/phi3-tokenizer"
	tests := []struct {
		name    string
		tok     string
		flags   []string
		input   string
		masked  bool
		targets []string // texts whose encodings are the chat's runs of 1s (EOS added)
	}{
		{"chats, trained tokenizer", tokPath, nil, corpus, true, []string{"Once upon a time.<|end|>"}},
		{"chats, phi3", phi3Dir, nil, corpus, true, []string{"Once upon a time.<|end|><|endoftext|>"}},
		{"chats, --mask=false", tokPath, []string{"--mask=false"}, corpus, false, nil},
		{"plain text", tokPath, nil, plain, false, nil},
		{"plain text, --mask", tokPath, []string{"--mask"}, plain, true, nil},
		{"plain text, --mask=auto", tokPath, []string{"--mask=auto"}, plain, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "shards")
			args := append([]string{"tokenize", "--quiet", "--tokenizer", tt.tok, "-o", out, "--val-fraction", "0"}, tt.flags...)
			stdout, errOut, err := runCLI(t, "", append(args, tt.input)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			if got := strings.Contains(stdout, "with loss masks"); got != tt.masked {
				t.Errorf("summary %q", stdout)
			}
			d, err := shards.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			if d.Index.Masked != tt.masked {
				t.Fatalf("masked %v, want %v", d.Index.Masked, tt.masked)
			}
			if err := d.Verify(); err != nil {
				t.Error(err)
			}
			masks, _ := filepath.Glob(filepath.Join(out, "*.mask"))
			if (len(masks) > 0) != tt.masked {
				t.Errorf("mask files %v", masks)
			}
			if !tt.masked {
				return
			}
			tok, _, err := loadTokenizer(tt.tok)
			if err != nil {
				t.Fatal(err)
			}
			toks, err := d.Load(shards.Train, len(d.Index.Train)-1) // the chat is the last record
			if err != nil {
				t.Fatal(err)
			}
			mask, err := d.LoadMask(shards.Train, len(d.Index.Train)-1)
			if err != nil {
				t.Fatal(err)
			}
			// Every document starts with BOS (0); plain text is 1 otherwise.
			start := 0
			for i := range toks.Len() {
				if toks.At(i) == tok.BOS() {
					if mask[i] != 0 {
						t.Fatalf("BOS at %d has mask %d", i, mask[i])
					}
					start = i
				}
			}
			if tt.targets == nil {
				for i := range toks.Len() {
					if toks.At(i) != tok.BOS() && mask[i] != 1 {
						t.Fatalf("plain token %d has mask 0", i)
					}
				}
				return
			}
			var got []int32
			for i := start; i < toks.Len(); i++ {
				if mask[i] == 1 {
					got = append(got, toks.At(i))
				}
			}
			var want []int32
			for _, s := range tt.targets {
				want = append(want, tok.Encode(s, false)...)
			}
			if want[len(want)-1] != tok.EOS() {
				want = append(want, tok.EOS())
			}
			if !slices.Equal(got, want) {
				t.Errorf("the chat's targets %q, want %q", tok.Decode(got), tok.Decode(want))
			}
		})
	}
	if _, _, err := runCLI(t, "", "tokenize", "--tokenizer", tokPath, "-o", filepath.Join(dir, "x"), "--mask=maybe", corpus); !errors.Is(err, errUsage) {
		t.Errorf("--mask=maybe: %v", err)
	}
}
