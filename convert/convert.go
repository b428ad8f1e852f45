// Package convert writes GGUF files from Hugging Face Phi-3 checkpoints,
// with the metadata and tensor names llama.cpp's converter uses for arch
// "phi3", so llama.cpp, Ollama and gophi all read the result.
package convert

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
)

// Options control a conversion.
type Options struct {
	// Type of the weight matrices: F32, F16, BF16 or Q8_0. Norms and rope
	// factors are always F32; a matrix whose rows are not a whole number
	// of blocks falls back to F16, as llama.cpp's converter does.
	Type tensor.DType
	// Name goes into general.name (default: the folder's name).
	Name string
	// Progress, when set, is called after each tensor.
	Progress func(done, total int, name string)
	// Warn, when set, receives warnings (such as a missing tokenizer).
	Warn func(msg string)
}

// FileType returns llama.cpp's general.file_type for a weight type.
func FileType(t tensor.DType) uint32 {
	switch t {
	case tensor.F32:
		return 0
	case tensor.F16:
		return 1
	case tensor.Q4_0:
		return 2
	case tensor.Q4_1:
		return 3
	case tensor.Q8_0:
		return 7
	case tensor.Q5_0:
		return 8
	case tensor.Q5_1:
		return 9
	case tensor.Q6_K:
		return 18
	case tensor.BF16:
		return 32
	}
	return 0
}

// HFToGGUF converts the Hugging Face model folder dir to a GGUF file at out.
func HFToGGUF(ctx context.Context, dir, out string, opts Options) error {
	switch opts.Type {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.Q8_0, tensor.Q4_0:
	default:
		return fmt.Errorf("convert: type %s is not supported (use F32, F16, BF16, Q8_0 or Q4_0)", opts.Type)
	}
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		return err
	}
	// A folder without tokenizer.json (such as a bare test checkpoint)
	// converts without a vocabulary: gophi runs it on token ids, but
	// llama.cpp needs one.
	var tok *tokenizer.Tokenizer
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		if tok, err = tokenizer.LoadDir(dir); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
	} else if opts.Warn != nil {
		opts.Warn(fmt.Sprintf("%s has no tokenizer.json; the GGUF file will have no vocabulary", dir))
	}
	ck, err := safetensors.OpenDir(dir, safetensors.OpenOptions{})
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	defer ck.Close()
	name := opts.Name
	if name == "" {
		name = filepath.Base(filepath.Clean(dir))
	}
	kv := &kvWriter{w: gguf.NewWriter()}
	writeMetadata(kv, cfg, name, opts.Type)
	if tok != nil {
		writeVocab(kv, tok, cfg.VocabSize)
	}
	if kv.err != nil {
		return fmt.Errorf("convert: %w", kv.err)
	}
	w := kv.w

	shapes := cfg.TensorShapes()
	for i, ts := range shapes {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, ok := ck.Tensor(ts.Name)
		if !ok {
			return fmt.Errorf("convert: %s: tensor %q is missing", dir, ts.Name)
		}
		if !equalShape(t.Shape, ts.Shape) {
			return fmt.Errorf("convert: %s: tensor %q has shape %v, want %v", dir, ts.Name, t.Shape, ts.Shape)
		}
		typ := opts.Type
		if len(ts.Shape) == 1 {
			typ = tensor.F32
		} else if _, err := typ.RowBytes(ts.Shape[1]); err != nil {
			typ = tensor.F16
		}
		data, err := recode(t.DType, t.Data, typ, ts.Shape)
		if err != nil {
			return fmt.Errorf("convert: tensor %q: %w", ts.Name, err)
		}
		gname, _ := model.GGUFName(ts.Name)
		if err := w.AddTensor(gname, typ, ggufDims(ts.Shape), data); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(shapes), ts.Name)
		}
	}
	if r := cfg.Rope; r != nil {
		for _, f := range []struct {
			name string
			v    []float64
		}{{model.GGUFRopeFactorsLong, r.LongFactor}, {model.GGUFRopeFactorsShort, r.ShortFactor}} {
			row := make([]float32, len(f.v))
			for i, x := range f.v {
				row[i] = float32(x)
			}
			data := make([]byte, 4*len(row))
			if err := tensor.QuantizeRow(tensor.F32, row, data); err != nil {
				return err
			}
			if err := w.AddTensor(f.name, tensor.F32, []uint64{uint64(len(row))}, data); err != nil {
				return fmt.Errorf("convert: %w", err)
			}
		}
	}
	if err := w.WriteFile(out); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}

func writeMetadata(w *kvWriter, c *model.Config, name string, typ tensor.DType) {
	w.SetKV("general.architecture", "phi3")
	w.SetKV("general.name", name)
	w.SetKV("general.file_type", FileType(typ))
	if typ.Quantized() {
		w.SetKV("general.quantization_version", uint32(2))
	}
	w.SetKV("phi3.context_length", uint32(c.MaxPositions))
	w.SetKV("phi3.rope.scaling.original_context_length", uint32(c.OriginalMaxPositions))
	w.SetKV("phi3.embedding_length", uint32(c.Hidden))
	w.SetKV("phi3.feed_forward_length", uint32(c.Intermediate))
	w.SetKV("phi3.block_count", uint32(c.Layers))
	w.SetKV("phi3.attention.head_count", uint32(c.Heads))
	w.SetKV("phi3.attention.head_count_kv", uint32(c.KVHeads))
	if c.HeadDim != c.Hidden/c.Heads {
		w.SetKV("phi3.attention.key_length", uint32(c.HeadDim))
		w.SetKV("phi3.attention.value_length", uint32(c.HeadDim))
	}
	w.SetKV("phi3.attention.layer_norm_rms_epsilon", float32(c.RMSNormEps))
	w.SetKV("phi3.rope.dimension_count", uint32(c.RotaryDim))
	w.SetKV("phi3.rope.freq_base", float32(c.RopeTheta))
	w.SetKV("phi3.attention.sliding_window", uint32(c.SlidingWindow))
	if c.Rope != nil {
		w.SetKV("phi3.rope.scaling.attn_factor", float32(c.Rope.AttentionFactor))
	}
}

func writeVocab(w *kvWriter, tok *tokenizer.Tokenizer, vocabSize int) {
	v := tok.VocabPadded(vocabSize)
	w.SetKV("tokenizer.ggml.model", "llama")
	w.SetKV("tokenizer.ggml.pre", "default")
	w.SetKV("tokenizer.ggml.tokens", v.Tokens)
	w.SetKV("tokenizer.ggml.scores", v.Scores)
	w.SetKV("tokenizer.ggml.token_type", v.Types)
	set := func(key string, id int32) {
		if id >= 0 {
			w.SetKV(key, uint32(id))
		}
	}
	set("tokenizer.ggml.bos_token_id", v.BOS)
	set("tokenizer.ggml.eos_token_id", v.EOS)
	set("tokenizer.ggml.unknown_token_id", v.UNK)
	set("tokenizer.ggml.padding_token_id", v.PAD)
	if id, ok := tok.ID("<|end|>"); ok {
		set("tokenizer.ggml.eot_token_id", id)
	}
	w.SetKV("tokenizer.ggml.add_bos_token", v.AddBOS)
	w.SetKV("tokenizer.ggml.add_eos_token", v.AddEOS)
	if v.ChatTemplate != "" {
		w.SetKV("tokenizer.chat_template", v.ChatTemplate)
	}
}

// kvWriter sets GGUF metadata, keeping the first error.
type kvWriter struct {
	w   *gguf.Writer
	err error
}

func (k *kvWriter) SetKV(key string, v any) {
	if err := k.w.SetKV(key, v); err != nil && k.err == nil {
		k.err = err
	}
}

// recode converts a tensor's raw data from one type to another, row by row.
func recode(from tensor.DType, src []byte, to tensor.DType, shape []int) ([]byte, error) {
	cols := shape[len(shape)-1]
	rows := 1
	for _, d := range shape[:len(shape)-1] {
		rows *= d
	}
	inRow, err := from.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	outRow, err := to.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	if len(src) != inRow*rows {
		return nil, fmt.Errorf("has %d bytes, want %d", len(src), inRow*rows)
	}
	if from == to {
		return append([]byte(nil), src...), nil
	}
	out := make([]byte, outRow*rows)
	buf := make([]float32, cols)
	for r := 0; r < rows; r++ {
		if err := tensor.DequantizeRow(from, src[r*inRow:(r+1)*inRow], buf); err != nil {
			return nil, err
		}
		if err := tensor.QuantizeRow(to, buf, out[r*outRow:(r+1)*outRow]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ggufDims reverses a Hugging Face shape into GGUF's innermost-first dims.
func ggufDims(shape []int) []uint64 {
	d := make([]uint64, len(shape))
	for i, s := range shape {
		d[len(shape)-1-i] = uint64(s)
	}
	return d
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
