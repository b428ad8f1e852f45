package train

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/internal/goldtest"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// goldModel loads testdata/phi3/NAME into a trainer for micro-batches of
// batch × seq tokens.
func goldModel(t *testing.T, name string, batch, seq int, pool *tensor.Pool) *Model {
	t.Helper()
	dir := filepath.Join("..", "testdata", "phi3", name)
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.OpenDir(dir, safetensors.OpenOptions{NoMmap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m, err := New(cfg, batch, seq, 1, pool)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeights(model.SafetensorsSource(ck, "")); err != nil {
		t.Fatal(err)
	}
	return m
}

func f32s(t *testing.T, ts *safetensors.Tensor) []float32 {
	t.Helper()
	if ts.DType != tensor.F32 {
		t.Fatalf("%s: type %v, want F32", ts.Name, ts.DType)
	}
	return goldtest.Float32s(ts.Data)
}

// relErr returns ‖a−b‖/‖b‖.
func relErr(a, b []float32) float64 { return goldtest.RelErr(a, b) }

// TestGoldGradients checks the loss, every parameter's gradient and the
// parameters after two clipped AdamW steps against PyTorch autograd in
// float64 (testdata/phi3/train-gold, see its README), on every kernel tier.
func TestGoldGradients(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	for _, tier := range tensor.KernelTiers() {
		if err := tensor.UseKernelTier(tier); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"phi3-gqa-tiny", "phi4-mini-tiny"} {
			t.Run(tier+"/"+name, func(t *testing.T) {
				gold, err := safetensors.Open(filepath.Join("..", "testdata", "phi3", "train-gold", name+".grad.safetensors"))
				if err != nil {
					t.Fatal(err)
				}
				defer gold.Close()
				get := func(n string) []float32 {
					ts, ok := gold.Tensor(n)
					if !ok {
						t.Fatalf("gold tensor %s missing", n)
					}
					return f32s(t, ts)
				}
				ids, _ := gold.Tensor("batch.input_ids")
				tok := goldtest.Int32s(ids.Data)
				m := goldModel(t, name, ids.Shape[0], ids.Shape[1]-1, pool)
				b := &Batch{Tokens: tok}
				count := m.Counted(b)
				m.ZeroGrad()
				sum, err := m.Step(b, 1/float64(count))
				if err != nil {
					t.Fatal(err)
				}
				loss := sum / float64(count)
				want := float64(get("loss")[0])
				if math.Abs(loss-want) > 1e-5*want {
					t.Errorf("loss %.8f, want %.8f", loss, want)
				}
				worst := 0.0
				for _, p := range m.Params {
					g := m.G[p.Off : p.Off+p.Len]
					e := relErr(g, get("grad."+p.Name))
					worst = max(worst, e)
					t.Logf("grad %s: relative error %.1e", p.Name, e)
					if e > 1e-4 {
						t.Errorf("grad %s: relative error %.2e", p.Name, e)
					}
				}
				t.Logf("loss %.8f (gold %.8f), worst gradient relative error %.2e", loss, want, worst)

				// Two AdamW steps from the gold weights.
				m = goldModel(t, name, ids.Shape[0], ids.Shape[1]-1, pool)
				opt := NewAdamW(m, 0.1)
				wantLosses := get("adamw.losses")
				for step := 0; step < 2; step++ {
					m.ZeroGrad()
					sum, err := m.Step(b, 1/float64(count))
					if err != nil {
						t.Fatal(err)
					}
					if l := sum / float64(count); math.Abs(l-float64(wantLosses[step])) > 1e-5*float64(wantLosses[step]) {
						t.Errorf("AdamW step %d: loss %.8f, want %.8f", step, l, wantLosses[step])
					}
					m.ClipGrad(1)
					opt.Update(m, 1e-3)
				}
				worst = 0
				for _, p := range m.Params {
					e := relErr(m.W[p.Off:p.Off+p.Len], get("after2.param."+p.Name))
					worst = max(worst, e)
					// Adam normalises each gradient, so near-zero gradients' float32
					// errors become whole update-sized differences: 1e-4 relative.
					if e > 1e-4 {
						t.Errorf("after two steps %s: relative error %.2e", p.Name, e)
					}
				}
				t.Logf("after two AdamW steps: worst parameter relative error %.2e", worst)
			})
		}
	}
	_ = tensor.UseKernelTier(tensor.KernelTiers()[0])
}
