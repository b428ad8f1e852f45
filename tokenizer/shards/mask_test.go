package shards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maskedDoc is a document for the mask tests: ids and, for a chat, its
// mask (nil: a plain document, appended with Append).
type maskedDoc struct {
	split Split
	ids   []int32
	mask  []byte
}

// TestMaskRoundTrip writes folders with masks (asked for at Create, or
// turned on by the first AppendMasked after plain documents filled some
// shards) and reads them back with Open, Verify and LoadMask.
func TestMaskRoundTrip(t *testing.T) {
	const bos, eos = 1, 2
	plain := func(s Split, n int, seed uint64) maskedDoc {
		d := randomDocs(1, n, 300, seed)[0]
		return maskedDoc{s, append(append([]int32{bos}, d...), eos), nil}
	}
	chat := func(s Split, n int, seed uint64) maskedDoc {
		d := plain(s, n, seed)
		d.mask = make([]byte, len(d.ids))
		for i := range d.mask {
			d.mask[i] = byte(i/3) % 2 // runs of 0s and 1s
		}
		return d
	}
	var many []maskedDoc
	for i := range 30 {
		many = append(many, plain(Train, 20, uint64(i)), plain(Val, 10, uint64(100+i)))
	}
	tests := []struct {
		name   string
		vocab  int
		create bool // Index.Masked at Create
		docs   []maskedDoc
	}{
		{"masked from the start", 300, true, []maskedDoc{plain(Train, 30, 1), chat(Train, 40, 2), chat(Val, 5, 3), plain(Train, 50, 4)}},
		{"masked without chats", 300, true, []maskedDoc{plain(Train, 30, 1), plain(Val, 40, 2)}},
		{"turned on after plain shards", 300, false, append(many, chat(Train, 30, 7), plain(Train, 10, 8), chat(Val, 3, 9))},
		{"turned on in the first shard", 300, false, []maskedDoc{plain(Train, 5, 1), chat(Train, 5, 2)}},
		{"uint32 ids", 70000, false, append(many[:9], chat(Train, 60, 5), chat(Val, 60, 6))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(dir, Index{VocabSize: tt.vocab, BOS: bos, EOS: eos, DocBOS: true, DocEOS: true,
				ShardTokens: 64, ValFraction: 0.5, Masked: tt.create})
			if err != nil {
				t.Fatal(err)
			}
			want := map[Split][]byte{}
			for _, d := range tt.docs {
				if d.mask == nil {
					err = w.Append(d.split, d.ids)
					for _, id := range d.ids {
						want[d.split] = append(want[d.split], map[bool]byte{true: 0, false: 1}[id == bos])
					}
				} else {
					err = w.AppendMasked(d.split, d.ids, d.mask)
					want[d.split] = append(want[d.split], d.mask...)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			x, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !x.Masked {
				t.Fatal("the index is not masked")
			}
			ds, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := ds.Verify(); err != nil {
				t.Error(err)
			}
			for _, s := range []Split{Train, Val} {
				var got []byte
				for i, sh := range ds.Index.Shards(s) {
					if sh.Mask != strings.TrimSuffix(sh.File, ".bin")+".mask" || len(sh.MaskSHA256) != 64 {
						t.Errorf("%s: mask %q, SHA-256 %q", sh.File, sh.Mask, sh.MaskSHA256)
					}
					m, err := ds.LoadMask(s, i)
					if err != nil {
						t.Fatal(err)
					}
					if int64(len(m)) != sh.Tokens {
						t.Errorf("%s: %d mask bytes for %d tokens", sh.File, len(m), sh.Tokens)
					}
					got = append(got, m...)
				}
				if !bytes.Equal(got, want[s]) {
					t.Errorf("%s: masks read back differ from those written (%d bytes, want %d)", s, len(got), len(want[s]))
				}
			}
			if len(ds.Index.Train) < 2 && tt.name == "turned on after plain shards" {
				t.Errorf("only %d train shards", len(ds.Index.Train))
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file left: %s", e.Name())
				}
			}
			if _, err := ds.LoadMask(Val, 99); err == nil {
				t.Error("LoadMask of a shard that does not exist")
			}
		})
	}
}

// TestUnmasked: a folder without masks has none, LoadMask says nil, and a
// later unmasked run removes an earlier run's masks.
func TestUnmasked(t *testing.T) {
	dir := t.TempDir()
	write := func(masked bool) *Index {
		w, err := Create(dir, Index{VocabSize: 100, BOS: -1, EOS: -1, ShardTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			ids := []int32{1, 2, 3, 4, 5, 6, 7}
			if masked {
				err = w.AppendMasked(Train, ids, []byte{0, 0, 1, 1, 1, 1, 1})
			} else {
				err = w.Append(Train, ids)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		x, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	if x := write(true); !x.Masked || x.Train[2].Mask != "train-00002.mask" {
		t.Fatalf("masked run: %+v", x)
	}
	x := write(false)
	data, _ := os.ReadFile(filepath.Join(dir, IndexName))
	if x.Masked || bytes.Contains(data, []byte("mask")) {
		t.Errorf("unmasked index mentions masks:\n%s", data)
	}
	if ms, _ := filepath.Glob(filepath.Join(dir, "*.mask")); len(ms) != 0 {
		t.Errorf("stale masks left: %v", ms)
	}
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ds.LoadMask(Train, 0); m != nil || err != nil {
		t.Errorf("LoadMask of an unmasked folder: %v, %v", m, err)
	}
}

// TestOldIndex: an index.json written before masks existed opens.
func TestOldIndex(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train-00000.bin"), []byte{1, 0, 5, 0, 2, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	old := `{
  "format": "gophi-tokens",
  "version": 1,
  "dtype": "uint16",
  "vocab_size": 320,
  "bos": 1,
  "eos": 2,
  "doc_bos": true,
  "doc_eos": true,
  "tokenizer": {"path": "tok.json", "sha256": "00"},
  "val_fraction": 0,
  "shard_tokens": 100000000,
  "inputs": ["corpus.jsonl"],
  "train": [{"file": "train-00000.bin", "tokens": 3, "documents": 1, "sha256": "b1e3c1c4bd0c7bb6ee1e7bd5b1a8e1ab5ad5e1aec0a3c7b6e2b5a0c4e6a9d2f3"}],
  "val": []
}`
	if err := os.WriteFile(filepath.Join(dir, IndexName), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Index.Masked {
		t.Error("an old index reads as masked")
	}
	if m, err := ds.LoadMask(Train, 0); m != nil || err != nil {
		t.Errorf("LoadMask: %v, %v", m, err)
	}
	if toks, err := ds.Load(Train, 0); err != nil || toks.Len() != 3 || toks.At(1) != 5 {
		t.Errorf("Load: %v", err)
	}
}

// TestMaskErrors: hostile or broken masked folders and bad AppendMasked
// calls give clear errors.
func TestMaskErrors(t *testing.T) {
	good := func(t *testing.T) (string, *Index) {
		dir := t.TempDir()
		w, err := Create(dir, Index{VocabSize: 100, BOS: 1, EOS: -1, ShardTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AppendMasked(Train, []int32{1, 2, 3}, []byte{0, 1, 1}); err != nil {
			t.Fatal(err)
		}
		if err := w.Append(Train, []int32{1, 4, 5, 6, 7, 8, 9, 10}); err != nil {
			t.Fatal(err)
		}
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
		{"mask name with a path", func(t *testing.T, dir string, x *Index) {
			x.Train[0].Mask = "../train-00000.mask"
			writeIndex(t, dir, x)
		}, "bad mask file name"},
		{"absolute mask name", func(t *testing.T, dir string, x *Index) {
			x.Train[0].Mask = "/etc/passwd"
			writeIndex(t, dir, x)
		}, "bad mask file name"},
		{"another shard's mask", func(t *testing.T, dir string, x *Index) {
			x.Train[0].Mask = x.Train[1].Mask
			writeIndex(t, dir, x)
		}, "does not belong to it"},
		{"mask of the other split", func(t *testing.T, dir string, x *Index) {
			x.Train[0].Mask = "val-00000.mask"
			writeIndex(t, dir, x)
		}, "does not belong to it"},
		{"mask listed without masked", func(t *testing.T, dir string, x *Index) {
			x.Masked = false
			writeIndex(t, dir, x)
		}, "not masked"},
		{"mask hash without masked", func(t *testing.T, dir string, x *Index) {
			x.Masked = false
			for i := range x.Train {
				x.Train[i].Mask = ""
			}
			writeIndex(t, dir, x)
		}, "not masked"},
		{"masked without a mask", func(t *testing.T, dir string, x *Index) {
			x.Train[1].Mask, x.Train[1].MaskSHA256 = "", ""
			writeIndex(t, dir, x)
		}, "no mask file"},
		{"truncated mask", func(t *testing.T, dir string, x *Index) {
			os.Truncate(filepath.Join(dir, "train-00001.mask"), 2)
		}, "mask " + "%DIR%/train-00001.mask has 2 bytes, the index says 8 tokens"},
		{"missing mask", func(t *testing.T, dir string, x *Index) {
			os.Remove(filepath.Join(dir, "train-00000.mask"))
		}, "no such file"},
		{"unknown mask field", func(t *testing.T, dir string, x *Index) {
			data, _ := json.Marshal(x)
			data = bytes.Replace(data, []byte(`"mask":`), []byte(`"mask_file":`), 1)
			os.WriteFile(filepath.Join(dir, IndexName), data, 0o644)
		}, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, x := good(t)
			tt.change(t, dir, x)
			want := strings.ReplaceAll(tt.want, "%DIR%", dir)
			if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Open: %v, want an error containing %q", err, want)
			}
		})
	}

	// Contents that Open does not read: Verify and LoadMask catch them.
	dir, _ := good(t)
	os.WriteFile(filepath.Join(dir, "train-00000.mask"), []byte{0, 2, 1}, 0o644)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Verify(); err == nil || !strings.Contains(err.Error(), "train-00000.mask: SHA-256") {
		t.Errorf("Verify of a changed mask: %v", err)
	}
	if _, err := ds.LoadMask(Train, 0); err == nil || !strings.Contains(err.Error(), "byte 2 at 1 is neither 0 nor 1") {
		t.Errorf("LoadMask with a byte 2: %v", err)
	}
	if m, err := ds.LoadMask(Train, 1); err != nil || !bytes.Equal(m, []byte{0, 1, 1, 1, 1, 1, 1, 1}) {
		t.Errorf("LoadMask of the plain document's shard: %v, %v", m, err)
	}
	os.Truncate(filepath.Join(dir, "train-00001.mask"), 7)
	if _, err := ds.LoadMask(Train, 1); err == nil || !strings.Contains(err.Error(), "has 7 bytes") {
		t.Errorf("LoadMask of a truncated mask: %v", err)
	}

	// Bad AppendMasked calls change nothing.
	w, err := Create(t.TempDir(), Index{VocabSize: 10, BOS: -1, EOS: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, c := range []struct {
		ids  []int32
		mask []byte
		want string
	}{
		{[]int32{1, 2}, []byte{1}, "a mask of 1 bytes for 2 ids"},
		{[]int32{1, 2}, []byte{1, 2}, "neither 0 nor 1"},
		{[]int32{1, 12}, []byte{1, 1}, "out of range"},
	} {
		if err := w.AppendMasked(Train, c.ids, c.mask); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AppendMasked(%v, %v): %v, want %q", c.ids, c.mask, err, c.want)
		}
	}
	if w.idx.Masked {
		t.Error("a refused AppendMasked turned masks on")
	}
}
