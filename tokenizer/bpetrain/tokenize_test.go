package bpetrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gophi/gophi/tokenizer"
	"github.com/gophi/gophi/tokenizer/shards"
)

func TestTokenize(t *testing.T) {
	m, tok := storyTokenizer(t)
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := m.WriteFile(tokPath); err != nil {
		t.Fatal(err)
	}
	docs := storyCorpus(1200)
	var jsonl strings.Builder
	for i, d := range docs {
		rec := map[string]any{"text": d}
		if i%100 == 5 { // a chat record instead
			rec = map[string]any{"messages": []map[string]string{{"role": "user", "content": d}, {"role": "assistant", "content": "ok"}}}
			docs[i] = "<|user|>\n" + d + "<|end|>\n<|assistant|>\nok<|end|>\n"
		}
		b, _ := json.Marshal(rec)
		jsonl.Write(b)
		jsonl.WriteByte('\n')
	}
	jsonl.WriteString(`{"id": "no text"}` + "\n")
	input := writeFile(t, dir, "docs.jsonl", jsonl.String())

	want := map[shards.Split][]int32{}
	for _, d := range docs {
		s := shards.Train
		if IsVal(d, 0.1) {
			s = shards.Val
		}
		want[s] = append(want[s], tok.BOS())
		want[s] = append(want[s], tok.Encode(d, false)...)
		want[s] = append(want[s], tok.EOS())
	}

	var sums []string
	for _, workers := range []int{1, 4} {
		out := filepath.Join(dir, fmt.Sprintf("out%d", workers))
		in := &Input{Paths: []string{input}, ChatSegments: func(msgs []tokenizer.Message) ([]tokenizer.ChatSegment, error) {
			return tokenizer.RenderChatSegments(tokenizer.FamilyGeneric, msgs, false, "", "")
		}}
		var progress strings.Builder
		res, err := Tokenize(context.Background(), tok, in, TokenizeOptions{
			Dir: out, ShardTokens: 3000, ValFraction: 0.1, DocBOS: true, DocEOS: true,
			Workers: workers, TokenizerPath: tokPath, Progress: &progress,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Input.Documents != int64(len(docs)) || res.Input.Skipped != 1 {
			t.Errorf("workers %d: %d documents, %d skipped; want %d, 1", workers, res.Input.Documents, res.Input.Skipped, len(docs))
		}
		ds, err := shards.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		x := ds.Index
		data, _ := os.ReadFile(tokPath)
		sum := sha256.Sum256(data)
		if x.DType != shards.Uint16 || x.VocabSize != tok.Len() || !x.DocBOS || !x.DocEOS || !x.Masked || res.Chats != 12 ||
			x.Tokenizer.SHA256 != hex.EncodeToString(sum[:]) || x.Tokenizer.Path != tokPath {
			t.Errorf("workers %d: index %+v", workers, x)
		}
		if len(x.Train) < 2 || len(x.Val) < 1 {
			t.Errorf("workers %d: %d train and %d val shards; want several", workers, len(x.Train), len(x.Val))
		}
		for _, s := range []shards.Split{shards.Train, shards.Val} {
			var got []int32
			for i := range x.Shards(s) {
				toks, err := ds.Load(s, i)
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]int32, toks.Len())
				toks.Read(buf, 0)
				got = append(got, buf...)
				sums = append(sums, x.Shards(s)[i].SHA256)
			}
			if !slices.Equal(got, want[s]) {
				t.Errorf("workers %d: %s split has %d ids that differ from the %d expected", workers, s, len(got), len(want[s]))
			}
		}
		if res.Tokens() != int64(len(want[shards.Train])+len(want[shards.Val])) {
			t.Errorf("workers %d: Tokens() = %d", workers, res.Tokens())
		}
	}
	if h := len(sums) / 2; !slices.Equal(sums[:h], sums[h:]) {
		t.Error("1 and 4 workers wrote different shards")
	}
}

func TestTokenizeErrors(t *testing.T) {
	_, tok := storyTokenizer(t)
	dir := t.TempDir()
	input := writeFile(t, dir, "bad.jsonl", "{\"text\": \"fine\"}\n{oops\n")
	_, err := Tokenize(context.Background(), tok, &Input{Paths: []string{input}}, TokenizeOptions{Dir: filepath.Join(dir, "out"), DocBOS: true})
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Errorf("bad input: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", shards.IndexName)); err == nil {
		t.Error("a failed run wrote an index")
	}
	_, err = Tokenize(context.Background(), tok, &Input{Paths: []string{input}}, TokenizeOptions{Dir: dir, ValFraction: 1})
	if err == nil || !strings.Contains(err.Error(), "fraction") {
		t.Errorf("validation fraction 1: %v", err)
	}
}

func TestIsVal(t *testing.T) {
	n := 0
	for i := range 20000 {
		if IsVal(fmt.Sprintf("document %d", i), 0.05) {
			n++
		}
	}
	if n < 800 || n > 1200 {
		t.Errorf("%d of 20000 documents held out at 5%%", n)
	}
	if IsVal("anything", 0) {
		t.Error("fraction 0 holds a document out")
	}
	if a, b := IsVal("same text", 0.5), IsVal("same text", 0.5); a != b {
		t.Error("the same text lands in different splits")
	}
}
