package quantize

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

// TestWriteRandomTiny writes the "tiny" shape in every file type, loads it
// and runs one forward pass: the logits must be finite and not all equal,
// and every tensor must have the type TensorTypeFor gives.
func TestWriteRandomTiny(t *testing.T) {
	dir := t.TempDir()
	cfg, err := ShapeConfig("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, ft := range FileTypes() {
		out := filepath.Join(dir, "tiny-"+ft.String()+".gguf")
		n := 0
		err := WriteRandomWith(context.Background(), out, RandomOptions{
			Shape: "tiny", Type: ft, Seed: 7,
			Progress: func(done, total int, name string) { n = done },
			Warn:     func(msg string) { t.Error(msg) },
		})
		if err != nil {
			t.Fatalf("%v: %v", ft, err)
		}
		if n != len(cfg.TensorShapes()) {
			t.Errorf("%v: progress reached %d", ft, n)
		}
		f := openGGUF(t, out)
		for _, ti := range f.Tensors {
			if want := TensorTypeFor(ft, ti.Name, ti.Dims, cfg.Layers, false); ti.Type != want {
				t.Errorf("%v: %s is %v, want %v", ft, ti.Name, ti.Type, want)
			}
		}
		if toks, _ := f.Strings("tokenizer.ggml.tokens"); len(toks) != 32064 || toks[32007] != "<|end|>" {
			t.Errorf("%v: vocabulary of %d tokens", ft, len(toks))
		}
		if v, _ := f.Uint("general.file_type"); v != uint64(ft) {
			t.Errorf("%v: general.file_type %d", ft, v)
		}
		m, err := model.LoadGGUF(out, model.LoadOptions{Threads: 2})
		if err != nil {
			t.Fatalf("%v: %v", ft, err)
		}
		s, err := m.NewSequence(0)
		if err != nil {
			t.Fatal(err)
		}
		logits, err := m.Eval(s, []int32{1, 450, 4996, 17354}, false)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		var sum2 float64
		for _, v := range logits {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%v: non-finite logit", ft)
			}
			sum2 += float64(v) * float64(v)
		}
		if rms := math.Sqrt(sum2 / float64(len(logits))); !(rms > 0.01 && rms < 100) {
			t.Errorf("%v: logit rms %g", ft, rms)
		}
		os.Remove(out)
	}
}

// TestWriteRandomDeterministic checks that the seed alone decides the
// bytes, and that a different seed changes the weights.
func TestWriteRandomDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, seed uint64) []byte {
		p := filepath.Join(dir, name)
		if err := WriteRandom(context.Background(), p, "tiny", Q4_K_M, seed); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a.gguf", 1), write("b.gguf", 1), write("c.gguf", 2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(a, c) || len(a) != len(c) {
		t.Error("different seeds gave the same file (or different sizes)")
	}
}

// TestShapes checks every shape's configuration: weight counts, the
// LongRoPE and tied-embedding shapes, and the metadata of a written file
// without loading its weights (phi4-mini's vocabulary is not written).
func TestShapes(t *testing.T) {
	params := map[string]float64{"phi3-mini": 3.82e9, "phi3-mini-128k": 3.82e9, "phi3.5-mini": 3.82e9, "phi3-medium": 13.96e9, "phi4-mini": 3.84e9, "small": 1.773e7, "tiny": 4.2e6}
	for _, shape := range Shapes() {
		c, err := ShapeConfig(shape)
		if err != nil {
			t.Fatal(err)
		}
		if p := float64(c.ParamCount()); math.Abs(p/params[shape]-1) > 0.01 {
			t.Errorf("%s: %.4g weights, want about %.4g", shape, p, params[shape])
		}
		long := strings.Contains(shape, "128k") || shape == "phi3.5-mini" || shape == "phi4-mini"
		if (c.Rope != nil) != long || long && (c.MaxPositions != 131072 || len(c.Rope.LongFactor) != 48 || math.Abs(c.Rope.AttentionFactor-1.1902381) > 1e-6) {
			t.Errorf("%s: rope %+v, context %d", shape, c.Rope, c.MaxPositions)
		}
	}
	c, _ := ShapeConfig("phi4-mini")
	if !c.TieEmbeddings || c.RotaryDim != 96 || c.HeadDim != 128 || c.KVHeads != 8 || c.VocabSize != 200064 {
		t.Errorf("phi4-mini: %+v", c)
	}
	if _, err := ShapeConfig("phi5"); err == nil || !strings.Contains(err.Error(), "phi3-mini") {
		t.Errorf("unknown shape: %v", err)
	}
	if err := WriteRandom(context.Background(), filepath.Join(t.TempDir(), "x.gguf"), "phi5", Q4_0, 1); err == nil {
		t.Error("unknown shape accepted")
	}
	if err := WriteRandom(context.Background(), filepath.Join(t.TempDir(), "x.gguf"), "tiny", Q2_K, 1); err == nil {
		t.Error("Q2_K accepted")
	}
}

// TestWriteRandomNoTokenizer checks the warning and the vocabulary-less
// file when the tokenizer folder is wrong, and that such a file still runs.
func TestWriteRandomNoTokenizer(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.gguf")
	err := WriteRandomWith(context.Background(), out, RandomOptions{Shape: "tiny", Type: Q8_0, TokenizerDir: dir})
	if err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("bad TokenizerDir: err = %v", err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var warned string
	if err := WriteRandomWith(context.Background(), out, RandomOptions{Shape: "tiny", Type: Q8_0, Warn: func(m string) { warned = m }}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warned, "no vocabulary") {
		t.Errorf("warning %q", warned)
	}
	f := openGGUF(t, out)
	if _, ok := f.Get("tokenizer.ggml.tokens"); ok {
		t.Error("vocabulary written")
	}
	if ti, _ := f.Tensor("output.weight"); ti == nil || ti.Type != tensor.Q8_0 {
		t.Error("output.weight missing or not Q8_0")
	}
	m, err := model.LoadGGUF(out, model.LoadOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

// TestRepackedModel loads K-quant files of the "small" shape (dimensions
// that are multiples of 256, so Q4_K, Q5_K and Q6_K are really used) read
// into memory, where matrices are repacked for this CPU (Q4_KX, Q6_KX), and
// mapped, where they are not: prompt and decoding logits must agree (F16
// and BF16 once with exact prompt products, within 1e-5, and once with
// bfloat16 ones, within 2e-2: measured 0.0079 and 0.0052 here).
func TestRepackedModel(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10 MB models")
	}
	dir := t.TempDir()
	ids := make([]int32, 24) // ≥ 20 tokens: the int8 GEMM path
	for i := range ids {
		ids[i] = int32(i*331+7) % 32000
	}
	for _, ft := range []FileType{Q4_K_M, Q5_K_M, Q6_K, Q4_0, Q8_0, F16, BF16} {
		out := filepath.Join(dir, ft.String()+".gguf")
		if err := WriteRandomWith(context.Background(), out, RandomOptions{Shape: "small", Type: ft, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		run := func(noMmap, exact bool) []float32 {
			m, err := model.LoadGGUF(out, model.LoadOptions{NoMmap: noMmap, Threads: 2, ExactHalf: exact})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			s, _ := m.NewSequence(64)
			lg, err := m.Eval(s, ids, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids[:4] { // then decoding, one token at a time
				next, err := m.Eval(s, []int32{id}, false)
				if err != nil {
					t.Fatal(err)
				}
				lg = append(lg, next...)
			}
			return lg
		}
		mapped := run(false, true)
		relErr := func(read []float32) float64 {
			var num, den float64
			for i := range mapped {
				d := float64(read[i] - mapped[i])
				num += d * d
				den += float64(mapped[i]) * float64(mapped[i])
			}
			if den == 0 {
				return math.Inf(1)
			}
			return math.Sqrt(num / den)
		}
		if e := relErr(run(true, true)); e > 1e-5 {
			t.Errorf("%v: repacked against mapped logits: relative error %.3g", ft, e)
		}
		if ft == F16 || ft == BF16 {
			if e := relErr(run(true, false)); e > 2e-2 {
				t.Errorf("%v: repacked with bfloat16 products against mapped logits: relative error %.3g", ft, e)
			} else {
				t.Logf("%v: bfloat16 products: relative error %.2g", ft, e)
			}
		}
	}
}
