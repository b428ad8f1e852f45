package convert

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gophi/gophi/internal/goldtest"

	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// Q8_0Bound is the relative logit error (‖a−b‖/‖b‖ over all positions)
// tested for Q8_0 files against transformers' logits of the bf16 model.
// It includes the 8-bit quantization of the activations that the Q8_0
// kernels use (as llama.cpp's do): 1.3-1.6% with float activations, 2.1%
// with 8-bit ones on these tiny random models.
const Q8_0Bound = 0.026

// TestConvertedLogits converts every gold model to GGUF in several types,
// loads the file and compares its logits with transformers' reference.
func TestConvertedLogits(t *testing.T) {
	types := []struct {
		typ       tensor.DType
		tol       float64
		argmaxAll bool
	}{
		{tensor.F32, 1e-4, true},
		{tensor.BF16, 1e-4, true},
		{tensor.F16, 1e-4, true},
		{tensor.Q8_0, Q8_0Bound, false},
	}
	for _, name := range goldtest.Models {
		ids, want := goldtest.Shortest(t, name)
		for _, tt := range types {
			t.Run(name+"/"+tt.typ.String(), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), name+".gguf")
				if err := HFToGGUF(context.Background(), filepath.Join(goldtest.Dir, name), out, Options{Type: tt.typ}); err != nil {
					t.Fatal(err)
				}
				m, err := model.LoadGGUF(out, model.LoadOptions{Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				s, err := m.NewSequence(0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Eval(s, ids, true)
				if err != nil {
					t.Fatal(err)
				}
				e := goldtest.RelErr(got, want)
				t.Logf("%s %s: relative logit error %.3g", name, tt.typ, e)
				if e > tt.tol {
					t.Errorf("relative error %.3g > %.3g", e, tt.tol)
				}
				V := m.Config.VocabSize
				agree := 0
				for p := 0; p < len(want)/V; p++ {
					if goldtest.Argmax(got[p*V:(p+1)*V]) == goldtest.Argmax(want[p*V:(p+1)*V]) {
						agree++
					}
				}
				if tt.argmaxAll && agree != len(want)/V {
					t.Errorf("argmax agrees at %d of %d positions", agree, len(want)/V)
				}
				if !tt.argmaxAll && agree < len(want)/V*8/10 {
					t.Errorf("argmax agrees at only %d of %d positions", agree, len(want)/V)
				}
			})
		}
	}
}
