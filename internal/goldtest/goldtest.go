// Package goldtest gives tests the reference ("gold") models of
// testdata/phi3 and the comparisons they make against them: which models
// there are, their shortest reference sequence with transformers' logits,
// relative error and argmax. Only tests import it.
package goldtest

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gophi/gophi/format/safetensors"
)

// Models are the gold checkpoints (testdata/phi3/README.md).
var Models = []string{"phi3-mini-4k-tiny", "phi3-sliding-tiny", "phi3-longrope-tiny", "phi3-gqa-tiny", "phi4-mini-tiny"}

// Dir is the absolute path of testdata/phi3.
var Dir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "phi3")
}()

// Shortest returns a gold model's shortest reference sequence and the
// logits transformers computed for it (T × vocab).
func Shortest(t testing.TB, name string) ([]int32, []float32) {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(Dir, name, "reference.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	best := ""
	for _, n := range f.Names() {
		if strings.HasPrefix(n, "input_ids.") && (best == "" || len(n) < len(best) || len(n) == len(best) && n < best) {
			best = n
		}
	}
	it, ok := f.Tensor(best)
	lt, ok2 := f.Tensor("logits." + strings.TrimPrefix(best, "input_ids."))
	if !ok || !ok2 {
		t.Fatalf("%s: no reference sequence", name)
	}
	return Int32s(it.Data), Float32s(lt.Data)
}

// Int32s decodes little-endian int32 values.
func Int32s(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Float32s decodes little-endian float32 values.
func Float32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// RelErr is ‖a−b‖/‖b‖ over len(b) values.
func RelErr(a, b []float32) float64 {
	var num, den float64
	for i := range b {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

// Argmax returns the index of the largest value (the first on ties).
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
