package train

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// tinyConfig is a small configuration with the features a test names.
func tinyConfig(vocab, hidden, heads, kv, ffn, layers int, rotary float64, window int, tied bool) *model.Config {
	o := Options{Layers: layers, Hidden: hidden, Heads: heads, KVHeads: kv, FFN: ffn, Ctx: 64, RopeTheta: 10000, RotaryFactor: rotary, SlidingWindow: window, TieEmbeddings: tied}
	c, err := o.Config(vocab, 1, []int{2})
	if err != nil {
		panic(err)
	}
	return c
}

func randomBatch(r *rand.Rand, batch, seq, vocab int, masked bool) *Batch {
	b := &Batch{Tokens: make([]int32, batch*(seq+1))}
	for i := range b.Tokens {
		b.Tokens[i] = int32(r.IntN(vocab))
	}
	if masked {
		b.Mask = make([]byte, len(b.Tokens))
		for i := range b.Mask {
			if r.IntN(3) > 0 {
				b.Mask[i] = 1
			}
		}
	}
	return b
}

// TestFiniteDifferences checks every parameter tensor's gradient against
// a float64-accumulated central difference of the loss along a random
// direction, for shapes that exercise GQA, partial rotary, the sliding
// window, tied and untied heads, a head size under 32 and loss masks, on
// every kernel tier.
func TestFiniteDifferences(t *testing.T) {
	cases := []struct {
		name string
		cfg  *model.Config
		mask bool
	}{
		{"gqa-untied", tinyConfig(40, 32, 4, 2, 48, 2, 1, 0, false), false},
		{"partial-rotary-tied-window", tinyConfig(40, 48, 3, 1, 40, 2, 0.75, 5, true), false},
		{"masked", tinyConfig(33, 64, 2, 2, 64, 1, 1, 0, true), true},
	}
	pool := tensor.NewPool(2)
	defer pool.Close()
	for _, tier := range tensor.KernelTiers() {
		if err := tensor.UseKernelTier(tier); err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			t.Run(tier+"/"+tc.name, func(t *testing.T) {
				const batch, seq = 2, 11
				m, err := New(tc.cfg, batch, seq, 7, pool)
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(3, 4))
				// Larger weights than the init, so every part matters.
				for i := range m.W {
					m.W[i] *= 4
				}
				b := randomBatch(r, batch, seq, tc.cfg.VocabSize, tc.mask)
				n := m.Counted(b)
				m.ZeroGrad()
				if _, err := m.Step(b, 1/float64(n)); err != nil {
					t.Fatal(err)
				}
				grad := append([]float32(nil), m.G...)
				loss := func() float64 {
					s, c, err := m.Loss(b)
					if err != nil {
						t.Fatal(err)
					}
					return s / float64(c)
				}
				for _, p := range m.Params {
					w := m.W[p.Off : p.Off+p.Len]
					orig := append([]float32(nil), w...)
					dir := make([]float32, len(w))
					var want float64
					for i := range dir {
						dir[i] = float32(r.NormFloat64())
						want += float64(dir[i]) * float64(grad[p.Off+i])
					}
					const eps = 2e-3
					scale := eps / math.Sqrt(float64(len(w)))
					eval := func(sign float64) float64 {
						for i := range w {
							w[i] = orig[i] + float32(sign*scale)*dir[i]
						}
						return loss()
					}
					got := (eval(1) - eval(-1)) / (2 * scale)
					copy(w, orig)
					if d := math.Abs(got - want); d > 1e-2*math.Abs(want)+1e-3 {
						t.Errorf("%s: directional derivative %.6g, gradient says %.6g", p.Name, got, want)
					}
				}
			})
		}
	}
	_ = tensor.UseKernelTier(tensor.KernelTiers()[0])
}

// TestTrainerMatchesRuntime is the invariant that ties training to
// inference: on the same weights the trainer's forward pass and the
// runtime's (model.Forward, float32 weights) give the same logits.
func TestTrainerMatchesRuntime(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	for _, tc := range []struct {
		name string
		cfg  *model.Config
	}{
		{"gqa", tinyConfig(64, 64, 4, 2, 96, 2, 1, 0, false)},
		{"partial-tied-window", tinyConfig(64, 96, 3, 1, 64, 2, 0.75, 7, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const seq = 24
			m, err := New(tc.cfg, 1, seq, 11, pool)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.W {
				m.W[i] *= 10
			}
			b := randomBatch(rand.New(rand.NewPCG(5, 6)), 1, seq, tc.cfg.VocabSize, false)
			got := make([]float32, seq*tc.cfg.VocabSize)
			if err := m.Logits(b, got); err != nil {
				t.Fatal(err)
			}
			rt, err := model.New(tc.cfg, m.Source(), pool)
			if err != nil {
				t.Fatal(err)
			}
			s, err := rt.NewSequence(seq)
			if err != nil {
				t.Fatal(err)
			}
			want, err := rt.Eval(s, b.Tokens[:seq], true)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(got, want); !(e <= 2e-6) || tensor.Dot(want, want) == 0 {
				t.Errorf("logits differ from the runtime's: relative error %.2e", e)
			} else {
				t.Logf("relative error %.2e", e)
			}
		})
	}
}

// TestMaskedLoss checks that the loss of a masked batch is the mean
// cross-entropy of exactly the unmasked targets.
func TestMaskedLoss(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	cfg := tinyConfig(50, 32, 2, 2, 32, 1, 1, 0, true)
	const batch, seq = 2, 9
	m, err := New(cfg, batch, seq, 3, pool)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.W {
		m.W[i] *= 30
	}
	b := randomBatch(rand.New(rand.NewPCG(8, 9)), batch, seq, cfg.VocabSize, true)
	logits := make([]float32, batch*seq*cfg.VocabSize)
	if err := m.Logits(b, logits); err != nil {
		t.Fatal(err)
	}
	var want float64
	var n int
	for r := 0; r < batch; r++ {
		for i := 0; i < seq; i++ {
			if b.Mask[r*(seq+1)+i+1] == 0 {
				continue
			}
			z := logits[(r*seq+i)*cfg.VocabSize : (r*seq+i+1)*cfg.VocabSize]
			var s float64
			for _, v := range z {
				s += math.Exp(float64(v))
			}
			want += math.Log(s) - float64(z[b.Tokens[r*(seq+1)+i+1]])
			n++
		}
	}
	sum, count, err := m.Loss(b)
	if err != nil {
		t.Fatal(err)
	}
	if count != n || math.Abs(sum-want) > 1e-5*math.Abs(want) {
		t.Errorf("masked loss %v over %d targets, want %v over %d", sum, count, want, n)
	}
}

// TestOverfitBatch: a few hundred AdamW steps on one batch drive its loss
// far down (the whole loop: forward, backward, clipping, schedule).
func TestOverfitBatch(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	cfg := tinyConfig(32, 32, 2, 1, 64, 2, 1, 0, true)
	m, err := New(cfg, 2, 16, 1, pool)
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdamW(m, 0.1)
	sched := Schedule{LR: 1e-2, MinLR: 1e-3, Warmup: 10, Steps: 150}
	b := randomBatch(rand.New(rand.NewPCG(1, 1)), 2, 16, cfg.VocabSize, false)
	var first, last float64
	for step := 1; step <= sched.Steps; step++ {
		m.ZeroGrad()
		s, err := m.Step(b, 1.0/32)
		if err != nil {
			t.Fatal(err)
		}
		if step == 1 {
			first = s / 32
		}
		last = s / 32
		m.ClipGrad(1)
		opt.Update(m, sched.At(step))
	}
	if last > first/4 {
		t.Errorf("loss %.3f -> %.3f: did not learn the batch", first, last)
	}
}

func TestBadShapes(t *testing.T) {
	for _, o := range []Options{
		{Layers: 1, Hidden: 30, Heads: 4, KVHeads: 4, FFN: 8, Ctx: 8, RopeTheta: 1e4, RotaryFactor: 1},
		{Layers: 1, Hidden: 32, Heads: 4, KVHeads: 3, FFN: 8, Ctx: 8, RopeTheta: 1e4, RotaryFactor: 1},
		{Layers: 1, Hidden: 24, Heads: 4, KVHeads: 4, FFN: 8, Ctx: 8, RopeTheta: 1e4, RotaryFactor: 0.5}, // 3 rotary dims
		{Layers: 0, Hidden: 32, Heads: 4, KVHeads: 4, FFN: 8, Ctx: 8, RopeTheta: 1e4, RotaryFactor: 1},
	} {
		if _, err := o.Config(32, 1, nil); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// BenchmarkStep measures a training step (forward, backward, AdamW) of
// the shapes of the PyTorch comparison (README), with allocations.
func BenchmarkStep(b *testing.B) {
	for _, s := range []struct{ dim, layers, heads, ffn, vocab int }{
		{64, 5, 8, 192, 512}, {128, 6, 4, 352, 2048}, {192, 6, 6, 512, 4096}, {288, 6, 6, 768, 4096}, {288, 6, 6, 768, 32000},
	} {
		b.Run(fmt.Sprintf("dim%d_l%d_v%d", s.dim, s.layers, s.vocab), func(b *testing.B) {
			pool := tensor.NewPool(0)
			defer pool.Close()
			o := Options{Layers: s.layers, Hidden: s.dim, Heads: s.heads, KVHeads: s.heads, FFN: s.ffn, Ctx: 256, RopeTheta: 1e4, RotaryFactor: 1, TieEmbeddings: true}
			cfg, err := o.Config(s.vocab, 1, []int{2})
			if err != nil {
				b.Fatal(err)
			}
			const batch = 8
			m, err := New(cfg, batch, 256, 1, pool)
			if err != nil {
				b.Fatal(err)
			}
			opt := NewAdamW(m, 0.1)
			bt := randomBatch(rand.New(rand.NewPCG(1, 2)), batch, 256, s.vocab, false)
			step := func() {
				m.ZeroGrad()
				if _, err := m.Step(bt, 1.0/(batch*256)); err != nil {
					b.Fatal(err)
				}
				m.ClipGrad(1)
				opt.Update(m, 1e-4)
			}
			step()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			tps := float64(batch*256*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(tps, "tok/s")
			b.ReportMetric(tps*m.FLOPsPerToken()/1e9, "GFLOPS")
		})
	}
}

// TestStepAllocatesNothing: once warm, a training step (forward, backward,
// clipping, AdamW) allocates nothing.
func TestStepAllocatesNothing(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	cfg := tinyConfig(64, 64, 4, 2, 96, 2, 1, 0, false)
	m, err := New(cfg, 2, 32, 1, pool)
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdamW(m, 0.1)
	b := randomBatch(rand.New(rand.NewPCG(1, 2)), 2, 32, cfg.VocabSize, true)
	step := func() {
		m.ZeroGrad()
		if _, err := m.Step(b, 1.0/64); err != nil {
			t.Fatal(err)
		}
		m.ClipGrad(1)
		opt.Update(m, 1e-3)
	}
	step()
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Errorf("a step allocates %.1f times", n)
	}
}

// TestCheckpointRunsInRuntime: a saved checkpoint loads in the runtime
// (model.LoadDir, as gophi run loads it) with the trainer's logits, and
// loads back into a trainer with the same weights and moments.
func TestCheckpointRunsInRuntime(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	cfg := tinyConfig(64, 64, 4, 2, 96, 2, 0.5, 0, true)
	const seq = 16
	m, err := New(cfg, 1, seq, 5, pool)
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdamW(m, 0.1)
	b := randomBatch(rand.New(rand.NewPCG(2, 3)), 1, seq, cfg.VocabSize, false)
	for i := 0; i < 3; i++ {
		m.ZeroGrad()
		if _, err := m.Step(b, 1.0/seq); err != nil {
			t.Fatal(err)
		}
		opt.Update(m, 1e-2)
	}
	out := t.TempDir()
	dir, err := SaveCheckpoint(out, m, opt, State{Step: 3, Seed: 5}, nil, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := model.LoadDir(dir, model.LoadOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	s, err := rt.NewSequence(seq)
	if err != nil {
		t.Fatal(err)
	}
	want, err := rt.Eval(s, b.Tokens[:seq], true)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, seq*cfg.VocabSize)
	if err := m.Logits(b, got); err != nil {
		t.Fatal(err)
	}
	if e := relErr(got, want); !(e <= 2e-6) {
		t.Errorf("checkpoint logits in the runtime: relative error %.2e", e)
	}
	m2, err := New(cfg, 1, seq, 99, pool)
	if err != nil {
		t.Fatal(err)
	}
	opt2 := NewAdamW(m2, 0.1)
	st, err := LoadCheckpoint(dir, m2, opt2)
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 3 || opt2.T != 3 {
		t.Errorf("state step %d, AdamW t %d, want 3 and 3", st.Step, opt2.T)
	}
	for i := range m.W {
		if m.W[i] != m2.W[i] || opt.M[i] != opt2.M[i] || opt.V[i] != opt2.V[i] {
			t.Fatalf("weight or moment %d differs after loading", i)
		}
	}
}

// TestAccumulation: two micro-batches of one sequence accumulate the same
// gradient as one batch of both.
func TestAccumulation(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	cfg := tinyConfig(40, 32, 2, 1, 48, 2, 1, 0, false)
	const seq = 12
	b := randomBatch(rand.New(rand.NewPCG(4, 4)), 2, seq, cfg.VocabSize, true)
	whole, err := New(cfg, 2, seq, 9, pool)
	if err != nil {
		t.Fatal(err)
	}
	n := whole.Counted(b)
	whole.ZeroGrad()
	if _, err := whole.Step(b, 1/float64(n)); err != nil {
		t.Fatal(err)
	}
	parts, err := New(cfg, 1, seq, 9, pool)
	if err != nil {
		t.Fatal(err)
	}
	parts.ZeroGrad()
	for r := 0; r < 2; r++ {
		row := &Batch{Tokens: b.Tokens[r*(seq+1) : (r+1)*(seq+1)], Mask: b.Mask[r*(seq+1) : (r+1)*(seq+1)]}
		if _, err := parts.Step(row, 1/float64(n)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range whole.Params {
		if e := relErr(parts.G[p.Off:p.Off+p.Len], whole.G[p.Off:p.Off+p.Len]); !(e < 1e-5) {
			t.Errorf("%s: accumulated gradient differs by %.2e", p.Name, e)
		}
	}
}

// TestThreadsDoNotChangeResults: every element is summed in one order
// whatever the pool's size, so one and three threads train bit for bit
// alike (what makes a resumed run exact even with another --threads).
func TestThreadsDoNotChangeResults(t *testing.T) {
	cfg := tinyConfig(96, 64, 4, 2, 96, 2, 1, 0, false)
	b := randomBatch(rand.New(rand.NewPCG(6, 6)), 3, 40, cfg.VocabSize, false)
	var ref []float32
	var refLoss float64
	for _, threads := range []int{1, 3} {
		pool := tensor.NewPool(threads)
		m, err := New(cfg, 3, 40, 2, pool)
		if err != nil {
			t.Fatal(err)
		}
		opt := NewAdamW(m, 0.1)
		var loss float64
		for i := 0; i < 3; i++ {
			m.ZeroGrad()
			if loss, err = m.Step(b, 1.0/120); err != nil {
				t.Fatal(err)
			}
			m.ClipGrad(1)
			opt.Update(m, 1e-2)
		}
		pool.Close()
		if ref == nil {
			ref, refLoss = m.W, loss
			continue
		}
		if loss != refLoss {
			t.Errorf("%d threads: loss %v, 1 thread %v", threads, loss, refLoss)
		}
		for i := range ref {
			if m.W[i] != ref[i] {
				t.Fatalf("%d threads: weight %d is %v, 1 thread %v", threads, i, m.W[i], ref[i])
			}
		}
	}
}

// TestHubConfigRoundTrip: config.json written for each gold model's
// configuration parses back to the same configuration, and the exported
// pad_token_id lies inside the vocabulary (transformers makes it the
// embedding's padding_idx).
func TestHubConfigRoundTrip(t *testing.T) {
	for _, name := range []string{"phi3-mini-4k-tiny", "phi3-sliding-tiny", "phi3-longrope-tiny", "phi3-gqa-tiny", "phi4-mini-tiny"} {
		cfg, err := model.LoadConfig(filepath.Join("..", "testdata", "phi3", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, grow := range []bool{false, true} {
			c := *cfg
			if grow && c.Rope != nil {
				c.MaxPositions *= 2 // as --init with a longer --ctx: the factor must survive
			}
			data, err := json.Marshal(HubConfig(&c))
			if err != nil {
				t.Fatal(err)
			}
			back, err := model.ParseConfig(data)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, data)
			}
			back.EOS, back.BOS = c.EOS, c.BOS
			if !reflect.DeepEqual(back, &c) {
				t.Errorf("%s (grown %v): parsed back as %+v, want %+v", name, grow, back, &c)
			}
		}
	}
	pool := tensor.NewPool(1)
	defer pool.Close()
	m, err := New(tinyConfig(300, 32, 2, 2, 32, 1, 1, 0, true), 1, 8, 1, pool)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.ExportDir(dir, nil, ""); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Pad *int `json:"pad_token_id"`
	}
	if err := json.Unmarshal(data, &j); err != nil || j.Pad == nil || *j.Pad < 0 || *j.Pad >= 300 {
		t.Errorf("config.json pad_token_id %v (err %v), want one inside the vocabulary of 300", j.Pad, err)
	}
}
