package quantize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/internal/goldtest"

	"github.com/gophi/gophi/convert"
	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
)

const goldDir = "../testdata/phi3"

// goldBounds are the tested bounds per file type: weightErr on
// ‖ŵ−w‖/‖w‖ over all matrices of a gold model, logitErr on the relative
// logit error ‖a−b‖/‖b‖ against transformers' reference (bf16 weights,
// float64), for the worst of the five gold models. They sit a little
// above the values measured (logged by TestQuantizeGold), which were
// (weight, logit): Q8_0 0.0054 0.016, Q4_0 0.082 0.220, Q4_1 0.075 0.230,
// Q5_0 0.041 0.124, Q5_1 0.036 0.113, Q4_K_S 0.041 0.127, Q4_K_M 0.041
// 0.115, Q5_K_S 0.036 0.113, Q5_K_M 0.036 0.108, Q6_K 0.0055 0.020; the
// plain types use the float32 runtime's 1e-4 (measured 5e-7). Logit errors
// of 0.1-0.2 are what 4- and 5-bit weights do to these random models of
// width 64 and 96.
//
// The gold models' hidden sizes (64, and 96 for phi3-gqa-tiny) are
// multiples of 32 but not of 256, so in the K types every matrix whose
// rows have that length falls back as llama.cpp does (Q4_K → Q5_0,
// Q5_K → Q5_1, Q6_K → Q8_0); only phi3-gqa-tiny's ffn_down (rows of 256)
// is really K-quantized. Their error is therefore close to that of the
// fallback types.
var goldBounds = map[FileType]struct{ weightErr, logitErr float64 }{
	AllF32: {1e-7, 1e-4},
	F16:    {1e-6, 1e-4},
	BF16:   {1e-7, 1e-4},
	Q8_0:   {0.006, 0.026}, // logits include 8-bit activations (decode and int8 prefill)
	Q4_0:   {0.090, 0.25},
	Q4_1:   {0.083, 0.26},
	Q5_0:   {0.045, 0.14},
	Q5_1:   {0.040, 0.13},
	Q4_K_S: {0.045, 0.14},
	Q4_K_M: {0.045, 0.13},
	Q5_K_S: {0.040, 0.13},
	Q5_K_M: {0.040, 0.125},
	Q6_K:   {0.006, 0.026}, // falls back to Q8_0 on these row sizes
}

// TestQuantizeGold quantizes every gold model (Hugging Face folders) to
// every file type, loads the file, and compares its weights with the
// original and its logits with transformers' reference. It logs the table
// of errors (worst model per type) and checks goldBounds.
func TestQuantizeGold(t *testing.T) {
	dir := t.TempDir()
	type row struct{ weight, logit float64 }
	worst := map[FileType]row{}
	for _, name := range goldtest.Models {
		ids, want := goldtest.Shortest(t, name)
		in := filepath.Join(goldDir, name)
		for _, ft := range FileTypes() {
			out := filepath.Join(dir, name+"-"+ft.String()+".gguf")
			calls := 0
			err := Quantize(context.Background(), in, out, ft, func(done, total int, tn string) {
				calls++
				if done != calls || tn == "" || total < done {
					t.Errorf("progress(%d, %d, %q) at call %d", done, total, tn, calls)
				}
			})
			if err != nil {
				t.Fatalf("%s %v: %v", name, ft, err)
			}
			we := weightError(t, in, out, ft)
			le := logitError(t, out, ids, want)
			t.Logf("%-18s %-6v weight error %.5f, logit error %.5f", name, ft, we, le)
			w := worst[ft]
			worst[ft] = row{max(w.weight, we), max(w.logit, le)}
			os.Remove(out)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| type | weight RMS rel. error | logit rel. error |\n|---|---|---|\n")
	for _, ft := range FileTypes() {
		w := worst[ft]
		fmt.Fprintf(&b, "| %v | %.4g | %.4g |\n", ft, w.weight, w.logit)
		bd := goldBounds[ft]
		if w.weight > bd.weightErr || w.logit > bd.logitErr {
			t.Errorf("%v: weight error %.4g (bound %.4g), logit error %.4g (bound %.4g)", ft, w.weight, bd.weightErr, w.logit, bd.logitErr)
		}
	}
	t.Log("worst of the five gold models:" + b.String())
}

// weightError returns ‖ŵ−w‖/‖w‖ over every matrix of the quantized file
// out against the Hugging Face folder in, and checks each tensor's type.
func weightError(t *testing.T, in, out string, ft FileType) float64 {
	t.Helper()
	ck, err := safetensors.OpenDir(in, safetensors.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	f, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.Uint("general.file_type"); v != uint64(ft) {
		t.Errorf("general.file_type = %d, want %d", v, ft)
	}
	if v, ok := f.Uint("general.quantization_version"); !ok || v != 2 {
		t.Errorf("general.quantization_version = %d, %v", v, ok)
	}
	cfg, err := model.LoadConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	var num, den float64
	for _, name := range ck.Names() {
		g, ok := model.GGUFName(name)
		if !ok {
			continue
		}
		src, _ := ck.Tensor(name)
		dst, ok := f.Tensor(g)
		if !ok {
			t.Fatalf("%s: tensor %s missing", out, g)
		}
		if want := TensorTypeFor(ft, g, dst.Dims, cfg.Layers, cfg.TieEmbeddings); dst.Type != want {
			t.Errorf("%s: %s is %v, want %v", out, g, dst.Type, want)
		}
		if len(src.Shape) != 2 {
			continue
		}
		cols := src.Shape[1]
		a, b := make([]float32, cols), make([]float32, cols)
		ra, _ := src.DType.RowBytes(cols)
		rb, _ := dst.Type.RowBytes(cols)
		for r := 0; r < src.Shape[0]; r++ {
			if err := tensor.DequantizeRow(src.DType, src.Data[r*ra:(r+1)*ra], a); err != nil {
				t.Fatal(err)
			}
			if err := tensor.DequantizeRow(dst.Type, dst.Data[r*rb:(r+1)*rb], b); err != nil {
				t.Fatal(err)
			}
			for i := range a {
				d := float64(b[i]) - float64(a[i])
				num += d * d
				den += float64(a[i]) * float64(a[i])
			}
		}
	}
	return math.Sqrt(num / den)
}

// logitError loads a GGUF file and returns its relative logit error on
// ids against want.
func logitError(t *testing.T, path string, ids []int32, want []float32) float64 {
	t.Helper()
	m, err := model.LoadGGUF(path, model.LoadOptions{Threads: 2})
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
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	return math.Sqrt(num / den)
}

// TestQuantizeFromGGUF checks that quantizing an F32 or BF16 GGUF file
// gives the same tensors as quantizing the Hugging Face folder it came
// from (the bf16 weights convert exactly), and that its metadata
// (vocabulary included) is copied.
func TestQuantizeFromGGUF(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(goldDir, "phi3-gqa-tiny") // has real K-quantized rows (ffn_down)
	for _, base := range []tensor.DType{tensor.F32, tensor.BF16} {
		src := filepath.Join(dir, "src.gguf")
		if err := convert.HFToGGUF(context.Background(), in, src, convert.Options{Type: base}); err != nil {
			t.Fatal(err)
		}
		for _, ft := range []FileType{Q4_K_M, Q6_K, Q5_1} {
			fromHF, fromGGUF := filepath.Join(dir, "hf.gguf"), filepath.Join(dir, "gguf.gguf")
			if err := Quantize(context.Background(), in, fromHF, ft, nil); err != nil {
				t.Fatal(err)
			}
			if err := Quantize(context.Background(), src, fromGGUF, ft, nil); err != nil {
				t.Fatal(err)
			}
			a, b := openGGUF(t, fromHF), openGGUF(t, fromGGUF)
			if len(a.Tensors) != len(b.Tensors) {
				t.Fatalf("%d vs %d tensors", len(a.Tensors), len(b.Tensors))
			}
			for i, ta := range a.Tensors {
				tb := b.Tensors[i]
				if ta.Name != tb.Name || ta.Type != tb.Type || !bytes.Equal(ta.Data, tb.Data) {
					t.Errorf("%v from %v: tensor %s (%v) differs from %s (%v)", ft, base, tb.Name, tb.Type, ta.Name, ta.Type)
				}
			}
			if v, _ := b.Uint("general.file_type"); v != uint64(ft) {
				t.Errorf("general.file_type = %d", v)
			}
			if v, _ := b.String("general.name"); v != "phi3-gqa-tiny" {
				t.Errorf("general.name = %q", v)
			}
		}
	}
	// Metadata of a GGUF input is copied whole, vocabulary included.
	src := filepath.Join(dir, "mini.gguf")
	if err := convert.HFToGGUF(context.Background(), filepath.Join(goldDir, "phi3-mini-4k-tiny"), src, convert.Options{Type: tensor.F16}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "mini-q4km.gguf")
	if err := Quantize(context.Background(), src, out, Q4_K_M, nil); err != nil {
		t.Fatal(err)
	}
	a, b := openGGUF(t, src), openGGUF(t, out)
	for _, k := range a.Keys() {
		va, _ := a.Get(k)
		vb, ok := b.Get(k)
		switch k {
		case "general.file_type":
			if vb != uint32(Q4_K_M) {
				t.Errorf("general.file_type = %v", vb)
			}
		default:
			if !ok || fmt.Sprint(va) != fmt.Sprint(vb) {
				t.Errorf("metadata %s not copied", k)
			}
		}
	}
	if toks, _ := b.Strings("tokenizer.ggml.tokens"); len(toks) != 32064 {
		t.Errorf("%d tokens", len(toks))
	}
}

func openGGUF(t *testing.T, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestQuantizeErrors covers unknown and unwritable types, missing inputs,
// inputs that are already quantized or of another type or architecture,
// cancellation, and that a failed run leaves no file behind.
func TestQuantizeErrors(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	in := filepath.Join(goldDir, "phi3-sliding-tiny")
	out := filepath.Join(dir, "out.gguf")
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", what, err, want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output file written", what)
			os.Remove(out)
		}
	}
	check("Q3_K_M", Quantize(ctx, in, out, Q3_K_M, nil), "not supported")
	check("type 99", Quantize(ctx, in, out, FileType(99), nil), "not supported")
	check("missing input", Quantize(ctx, filepath.Join(dir, "nope.gguf"), out, Q4_0, nil), "no such file")
	check("missing folder", Quantize(ctx, dir, out, Q4_0, nil), "config.json")

	q8 := filepath.Join(dir, "q8.gguf")
	if err := convert.HFToGGUF(ctx, in, q8, convert.Options{Type: tensor.Q8_0}); err != nil {
		t.Fatal(err)
	}
	check("quantized input", Quantize(ctx, q8, out, Q4_K_M, nil), "already quantized (Q8_0)")

	// A phi3 file with an I32 matrix, and one of another architecture.
	odd := filepath.Join(dir, "odd.gguf")
	w := gguf.NewWriter()
	must(t, w.SetKV("general.architecture", "phi3"))
	must(t, w.SetKV("phi3.block_count", uint32(1)))
	must(t, w.AddTensor("blk.0.ffn_up.weight", tensor.I32, []uint64{32, 2}, make([]byte, 256)))
	must(t, w.WriteFile(odd))
	check("I32 input", Quantize(ctx, odd, out, Q4_0, nil), "has type I32")
	must(t, w.SetKV("general.architecture", "llama"))
	must(t, w.WriteFile(odd))
	check("llama input", Quantize(ctx, odd, out, Q4_0, nil), `architecture "llama"`)
	w.DeleteKV("phi3.block_count")
	must(t, w.SetKV("general.architecture", "phi3"))
	must(t, w.WriteFile(odd))
	check("no block count", Quantize(ctx, odd, out, Q4_0, nil), "block_count")
	must(t, os.WriteFile(odd, []byte("not a gguf file"), 0o644))
	check("garbage input", Quantize(ctx, odd, out, Q4_0, nil), "gguf")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := Quantize(cctx, in, out, Q4_K_M, nil)
	check("cancelled", err, "context canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v is not context.Canceled", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 { // q8.gguf, odd.gguf
		t.Errorf("files left in %s: %v", dir, ents)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
