package shards

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// randomDocs returns n documents of 0 to maxLen ids below vocab.
func randomDocs(n, maxLen, vocab int, seed uint64) [][]int32 {
	r := rand.New(rand.NewPCG(seed, 1))
	docs := make([][]int32, n)
	for i := range docs {
		d := make([]int32, r.IntN(maxLen+1))
		for j := range d {
			d[j] = int32(r.IntN(vocab))
		}
		docs[i] = d
	}
	return docs
}

func TestWriteRead(t *testing.T) {
	tests := []struct {
		name        string
		vocab       int
		dtype       string
		shardTokens int64
		valFraction float64
	}{
		{"uint16 small shards", 1000, Uint16, 50, 0.1},
		{"uint16 full range", 1 << 16, Uint16, 1000, 0.5},
		{"uint32", 70000, Uint32, 64, 0.2},
		{"no validation split", 300, Uint16, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(dir, Index{VocabSize: tt.vocab, BOS: 1, EOS: 2, DocBOS: true, DocEOS: true,
				ShardTokens: tt.shardTokens, ValFraction: tt.valFraction, Tokenizer: TokenizerRef{Path: "t.json", SHA256: "00"}})
			if err != nil {
				t.Fatal(err)
			}
			docs := randomDocs(200, 40, tt.vocab, 7)
			docs = append(docs, randomDocs(1, 3*int(tt.shardTokens), tt.vocab, 8)[0]) // maybe longer than a shard
			want := map[Split][]int32{}
			wantDocs := map[Split]int64{}
			for i, d := range docs {
				s := Train
				if tt.valFraction > 0 && i%int(1/tt.valFraction) == 0 {
					s = Val
				}
				if err := w.Append(s, d); err != nil {
					t.Fatal(err)
				}
				want[s] = append(want[s], d...)
				wantDocs[s]++
			}
			x, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if x.DType != tt.dtype {
				t.Errorf("dtype %s, want %s", x.DType, tt.dtype)
			}
			d, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Verify(); err != nil {
				t.Error(err)
			}
			for _, s := range []Split{Train, Val} {
				if d.Index.Tokens(s) != int64(len(want[s])) || d.Index.Documents(s) != wantDocs[s] {
					t.Errorf("%s: index says %d tokens, %d documents; wrote %d, %d",
						s, d.Index.Tokens(s), d.Index.Documents(s), len(want[s]), wantDocs[s])
				}
				var got []int32
				for i, sh := range d.Index.Shards(s) {
					if !strings.HasPrefix(sh.File, string(s)+"-") {
						t.Errorf("%s shard named %s", s, sh.File)
					}
					if sh.Tokens > tt.shardTokens && sh.Documents != 1 {
						t.Errorf("%s: %d tokens in %d documents, over the limit %d", sh.File, sh.Tokens, sh.Documents, tt.shardTokens)
					}
					toks, err := d.Load(s, i)
					if err != nil {
						t.Fatal(err)
					}
					buf := make([]int32, toks.Len()+5)
					if n := toks.Read(buf, 0); n != toks.Len() {
						t.Errorf("Read copied %d of %d", n, toks.Len())
					}
					if toks.Len() > 0 && toks.At(toks.Len()-1) != buf[toks.Len()-1] {
						t.Errorf("At and Read disagree")
					}
					got = append(got, buf[:toks.Len()]...)
				}
				if !slices.Equal(got, want[s]) && len(got)+len(want[s]) > 0 {
					t.Errorf("%s: read %d ids that differ from the %d written", s, len(got), len(want[s]))
				}
			}
			if tt.valFraction == 0 && len(d.Index.Val) != 0 {
				t.Errorf("val shards without a validation fraction: %v", d.Index.Val)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".tmp") || strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file left: %s", e.Name())
				}
			}
		})
	}
}

func TestWriteEmpty(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, Index{VocabSize: 10, BOS: -1, EOS: -1, ValFraction: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	x, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Train) != 1 || len(x.Val) != 1 || x.Train[0].Tokens != 0 || x.Train[0].File != "train-00000.bin" || x.Val[0].File != "val-00000.bin" {
		t.Errorf("index of an empty data set: %+v", x)
	}
	if _, err := Open(dir); err != nil {
		t.Error(err)
	}
}

func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir, Index{VocabSize: 70000, DType: Uint16}); err == nil || !strings.Contains(err.Error(), "uint16") {
		t.Errorf("uint16 with 70000 ids: %v", err)
	}
	if _, err := Create(dir, Index{VocabSize: 10, BOS: 12}); err == nil {
		t.Error("BOS outside the vocabulary accepted")
	}
	if _, err := Create(dir, Index{VocabSize: 10, DocEOS: true, EOS: -1}); err == nil {
		t.Error("doc_eos without EOS accepted")
	}
	if _, err := Create(dir, Index{VocabSize: 10, Train: []Shard{{File: "train-00000.bin"}}}); err == nil {
		t.Error("an index with shards accepted")
	}
	w, err := Create(dir, Index{VocabSize: 10, BOS: -1, EOS: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]int32{{1, 10}, {-1}} {
		if err := w.Append(Train, ids); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("Append(%v): %v", ids, err)
		}
	}
	if err := w.Append("test", []int32{1}); err == nil {
		t.Error("unknown split accepted")
	}
	if err := w.Append(Train, []int32{1, 2}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if err := w.Append(Train, []int32{1}); err == nil {
		t.Error("Append after Abort accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("Abort left %d files", len(ents))
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("Open after Abort: %v", err)
	}
}

// TestRewrite: a new run removes the old index first (so that a killed
// run leaves no index) and the old run's extra shards at the end.
func TestRewrite(t *testing.T) {
	dir := t.TempDir()
	write := func(docs int, stop bool) *Writer {
		w, err := Create(dir, Index{VocabSize: 100, BOS: -1, EOS: -1, ShardTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		for range docs {
			if err := w.Append(Train, []int32{1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
				t.Fatal(err)
			}
		}
		if stop {
			return w
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	write(5, false)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	w := write(2, true) // "killed" after two shards
	if _, err := os.Stat(filepath.Join(dir, IndexName)); err == nil {
		t.Fatal("the old index survives while a new run writes")
	}
	w.Abort()
	write(2, false)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Index.Train) != 2 {
		t.Errorf("%d shards, want 2", len(d.Index.Train))
	}
	for _, name := range []string{"train-00002.bin", "train-00004.bin"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("stale %s not removed", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("an unrelated file was removed: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	good := func(t *testing.T) (string, *Index) {
		dir := t.TempDir()
		w, err := Create(dir, Index{VocabSize: 100, BOS: -1, EOS: -1, ShardTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		w.Append(Train, []int32{1, 2, 3})
		x, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		return dir, x
	}
	writeIndex := func(t *testing.T, dir string, x *Index) {
		data, _ := json.Marshal(x)
		if err := os.WriteFile(filepath.Join(dir, IndexName), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string, x *Index)
		want   string
	}{
		{"path outside the folder", func(t *testing.T, dir string, x *Index) {
			x.Train[0].File = "../train-00000.bin"
			writeIndex(t, dir, x)
		}, "bad file name"},
		{"listed twice", func(t *testing.T, dir string, x *Index) {
			x.Val = x.Train
			writeIndex(t, dir, x)
		}, "listed twice"},
		{"unknown dtype", func(t *testing.T, dir string, x *Index) {
			x.DType = "int8"
			writeIndex(t, dir, x)
		}, "unknown dtype"},
		{"wrong format", func(t *testing.T, dir string, x *Index) {
			x.Format = "npy"
			writeIndex(t, dir, x)
		}, "format"},
		{"truncated shard", func(t *testing.T, dir string, x *Index) {
			os.Truncate(filepath.Join(dir, "train-00000.bin"), 3)
		}, "has 3 bytes"},
		{"missing shard", func(t *testing.T, dir string, x *Index) {
			os.Remove(filepath.Join(dir, "train-00000.bin"))
		}, "no such file"},
		{"unknown field", func(t *testing.T, dir string, x *Index) {
			os.WriteFile(filepath.Join(dir, IndexName), []byte(`{"format":"gophi-tokens","version":1,"extra":1}`), 0o644)
		}, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, x := good(t)
			tt.change(t, dir, x)
			if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Contents that Open does not read: Verify and Load catch them.
	dir, _ := good(t)
	os.WriteFile(filepath.Join(dir, "train-00000.bin"), []byte{0xff, 0xff, 2, 0, 3, 0}, 0o644)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("Verify of a changed shard: %v", err)
	}
	if _, err := d.Load(Train, 0); err == nil || !strings.Contains(err.Error(), "not below vocab_size") {
		t.Errorf("Load with an id out of range: %v", err)
	}
	if _, err := d.Load(Val, 0); err == nil {
		t.Error("Load of a shard that does not exist")
	}
}

// FuzzParseIndex: parsing arbitrary bytes never panics, and an index that
// parses survives a round trip through JSON.
func FuzzParseIndex(f *testing.F) {
	x := Index{Format: FormatName, Version: 1, DType: Uint16, VocabSize: 32064, BOS: 1, EOS: 32000, DocBOS: true,
		Train: []Shard{{File: "train-00000.bin", Tokens: 5, Documents: 1}}, Val: []Shard{}}
	good, _ := json.Marshal(&x)
	f.Add(good)
	f.Add([]byte(`{}`))
	x.Masked, x.Train[0].Mask, x.Train[0].MaskSHA256 = true, "train-00000.mask", "00"
	masked, _ := json.Marshal(&x)
	f.Add(masked)
	f.Add(bytes.Replace(masked, []byte(`"train-00000.mask"`), []byte(`"../x.mask"`), 1))
	f.Add([]byte(`{"format":"gophi-tokens","version":1,"dtype":"uint32","vocab_size":-1}`))
	f.Add([]byte(`{"format":"gophi-tokens","version":1,"dtype":"uint16","vocab_size":9,"bos":-1,"eos":-1,"train":[{"file":"../x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseIndex(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		y, err := ParseIndex(again)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if y.VocabSize != x.VocabSize || len(y.Train) != len(x.Train) || y.Masked != x.Masked || y.IDSize()*int(y.VocabSize) != x.IDSize()*int(x.VocabSize) {
			t.Fatalf("round trip changed the index")
		}
	})
}
