package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gophi/gophi/internal/goldtest"
	"github.com/gophi/gophi/tensor"
)

// smallModel is a random-weight model with real head sizes (the gold
// models' heads are too small for a Q8_0 cache): 2 layers, hidden 4·hd.
func smallModel(t *testing.T, hd, heads, kvHeads, window int) *Model {
	t.Helper()
	c := &Config{Arch: "phi3", VocabSize: 512, Hidden: heads * hd, Intermediate: 512, Layers: 2,
		Heads: heads, KVHeads: kvHeads, HeadDim: hd, RotaryDim: hd, MaxPositions: 256, OriginalMaxPositions: 256,
		RopeTheta: 10000, RMSNormEps: 1e-5, BOS: 1, SlidingWindow: window}
	r := rand.New(rand.NewPCG(7, uint64(hd)))
	src := memSource{}
	for _, ts := range c.TensorShapes() {
		n := 1
		for _, d := range ts.Shape {
			n *= d
		}
		data := make([]byte, 4*n)
		// Weights of unit gain per layer, as in trained models.
		scale := float32(1)
		if len(ts.Shape) == 2 {
			scale = float32(1 / math.Sqrt(float64(ts.Shape[1])))
		}
		tensor.RandomRow(tensor.F32, r, data, scale)
		src[ts.Name] = Tensor{Type: tensor.F32, Shape: ts.Shape, Data: data}
	}
	m, err := New(c, src, tensor.NewPool(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestKVCacheTypes decodes token by token with F16 and Q8_0 caches and
// compares the logits with the exact float32 cache, on every kernel tier,
// for plain, grouped-query and sliding-window attention.
func TestKVCacheTypes(t *testing.T) {
	ids := make([]int32, 60)
	for i := range ids {
		ids[i] = int32(i*37+5) % 512
	}
	run := func(m *Model, kv tensor.DType) []float32 {
		if err := m.SetKVType(kv); err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSequence(0)
		if err != nil {
			t.Fatal(err)
		}
		var out []float32
		// A prompt of 20 (the batched path), then one token at a time.
		lg, err := m.Eval(s, ids[:20], true)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, lg...)
		for _, id := range ids[20:] {
			lg, err := m.Eval(s, []int32{id}, false)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, lg...)
		}
		return out
	}
	for _, tc := range []struct {
		name                     string
		hd, heads, kvHeads, wind int
	}{{"hd96", 96, 4, 4, 0}, {"hd128-gqa", 128, 4, 2, 0}, {"hd64-window", 64, 4, 1, 24}} {
		forTiers(t, func(t *testing.T) {
			m := smallModel(t, tc.hd, tc.heads, tc.kvHeads, tc.wind)
			want := run(m, tensor.F32)
			for _, kv := range []struct {
				typ   tensor.DType
				bound float64
			}{{tensor.F16, 2e-3}, {tensor.Q8_0, 2e-2}} {
				got := run(m, kv.typ)
				e := goldtest.RelErr(got, want)
				t.Logf("%s %s cache: relative error %.2g against float32", tc.name, kv.typ, e)
				if e > kv.bound || e == 0 {
					t.Errorf("%s %s cache: relative error %.3g (bound %.3g, and must not be 0)", tc.name, kv.typ, e, kv.bound)
				}
			}
		})
	}
	m := smallModel(t, 40, 2, 2, 0)
	if err := m.SetKVType(tensor.Q8_0); err == nil {
		t.Error("Q8_0 cache accepted for head size 40")
	}
}

// TestBlockedAttention runs prompts long enough for several query blocks
// per head (the blocked path, whose workers keep converted keys and values
// from one block to the next) and compares every logit with the same
// tokens decoded one at a time (the per-row path): two sequences in one
// call, one of them continuing a cached prefix, for plain, grouped-query
// and sliding-window attention and every cache type.
func TestBlockedAttention(t *testing.T) {
	ids := make([]int32, 150)
	for i := range ids {
		ids[i] = int32(i*53+11) % 512
	}
	for _, tc := range []struct {
		name                     string
		hd, heads, kvHeads, wind int
	}{{"hd96", 96, 4, 4, 0}, {"hd128-gqa", 128, 4, 2, 0}, {"hd64-window", 64, 4, 1, 40}} {
		m := smallModel(t, tc.hd, tc.heads, tc.kvHeads, tc.wind)
		V := m.Config.VocabSize
		for _, kv := range []tensor.DType{tensor.F32, tensor.F16, tensor.Q8_0} {
			if err := m.SetKVType(kv); err != nil {
				t.Fatal(err)
			}
			// Reference: every token alone.
			oneByOne := func(toks []int32) []float32 {
				s, _ := m.NewSequence(0)
				var out []float32
				for _, id := range toks {
					lg, err := m.Eval(s, []int32{id}, false)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, lg...)
				}
				return out
			}
			wantA, wantB := oneByOne(ids[:130]), oneByOne(ids[20:])
			a, _ := m.NewSequence(0)
			b, _ := m.NewSequence(0)
			if _, err := m.Eval(b, ids[20:57], false); err != nil { // a cached prefix for b
				t.Fatal(err)
			}
			sa := &Step{Seq: a, Tokens: ids[:130], AllLogits: true}
			sb := &Step{Seq: b, Tokens: ids[57:], AllLogits: true}
			if err := m.Forward(sa, sb); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"a", sa.Logits, wantA}, {"b", sb.Logits, wantB[37*V:]}} {
				// Decoding with a Q8_0 cache quantizes the query to 8 bits
				// as llama.cpp does; the blocked path keeps it in float32.
				bound := 1e-4
				if kv == tensor.Q8_0 {
					bound = 2e-2
				}
				e := goldtest.RelErr(c.got, c.want)
				if e > bound {
					t.Errorf("%s %s cache, sequence %s: blocked against one by one: relative error %.3g (bound %.g)", tc.name, kv, c.name, e, bound)
				}
			}
		}
	}
}
