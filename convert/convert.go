// Package convert writes GGUF files from Hugging Face Phi-3 checkpoints,
// with the metadata and tensor names llama.cpp's converter uses for arch
// "phi3", so llama.cpp, Ollama and gophi all read the result.
package convert

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
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

// Tensor is one tensor to be written to a GGUF file.
type Tensor struct {
	// Name is the GGUF name, such as "blk.0.attn_qkv.weight".
	Name string
	// Type is the type of Data.
	Type tensor.DType
	// Dims are GGUF's dimensions, innermost first: {cols, rows} for a
	// matrix.
	Dims []uint64
	// Data is the tensor's bytes, possibly a slice of a mapped file.
	Data []byte
}

// Source is a Hugging Face Phi-3 folder opened for conversion: its config,
// tokenizer and weights under their GGUF names. Close releases the
// weights' mapping.
type Source struct {
	// Dir is the folder.
	Dir string
	// Config is the folder's config.json.
	Config *model.Config
	// Tokenizer is nil when the folder has no tokenizer.json.
	Tokenizer *tokenizer.Tokenizer
	// Tensors lists every weight in the order the converter writes them
	// (Config.TensorShapes), then LongRoPE's F32 factor tensors if any.
	Tensors []Tensor

	ck *safetensors.Checkpoint
}

// Open opens the Hugging Face model folder dir for conversion, checking
// that every weight the model needs is present with its shape. warn, when
// not nil, receives warnings (such as a missing tokenizer).
func Open(dir string, warn func(msg string)) (*Source, error) {
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	// A folder without tokenizer.json (such as a bare test checkpoint)
	// converts without a vocabulary: gophi runs it on token ids, but
	// llama.cpp needs one.
	var tok *tokenizer.Tokenizer
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err == nil {
		if tok, err = tokenizer.LoadDir(dir); err != nil {
			return nil, fmt.Errorf("convert: %w", err)
		}
	} else if warn != nil {
		warn(fmt.Sprintf("%s has no tokenizer.json; the GGUF file will have no vocabulary", dir))
	}
	ck, err := safetensors.OpenDir(dir, safetensors.OpenOptions{})
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	s := &Source{Dir: dir, Config: cfg, Tokenizer: tok, ck: ck}
	for _, ts := range cfg.TensorShapes() {
		t, ok := ck.Tensor(ts.Name)
		if !ok {
			ck.Close()
			return nil, fmt.Errorf("convert: %s: tensor %q is missing", dir, ts.Name)
		}
		if !equalShape(t.Shape, ts.Shape) {
			ck.Close()
			return nil, fmt.Errorf("convert: %s: tensor %q has shape %v, want %v", dir, ts.Name, t.Shape, ts.Shape)
		}
		gname, _ := model.GGUFName(ts.Name)
		s.Tensors = append(s.Tensors, Tensor{Name: gname, Type: t.DType, Dims: ggufDims(ts.Shape), Data: t.Data})
	}
	s.Tensors = append(s.Tensors, RopeFactorTensors(cfg)...)
	return s, nil
}

// Close releases the folder's weights; the Tensors' data must not be used
// afterwards.
func (s *Source) Close() error {
	if err := s.ck.Close(); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}

// RopeFactorTensors returns LongRoPE's factor tensors
// (rope_factors_long.weight, rope_factors_short.weight; F32, RotaryDim/2
// entries) for a config with LongRoPE, or nil.
func RopeFactorTensors(c *model.Config) []Tensor {
	r := c.Rope
	if r == nil {
		return nil
	}
	var out []Tensor
	for _, f := range []struct {
		name string
		v    []float64
	}{{model.GGUFRopeFactorsLong, r.LongFactor}, {model.GGUFRopeFactorsShort, r.ShortFactor}} {
		data := make([]byte, 4*len(f.v))
		for i, x := range f.v {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(x)))
		}
		out = append(out, Tensor{Name: f.name, Type: tensor.F32, Dims: []uint64{uint64(len(f.v))}, Data: data})
	}
	return out
}

// HFToGGUF converts the Hugging Face model folder dir to a GGUF file at out.
func HFToGGUF(ctx context.Context, dir, out string, opts Options) error {
	switch opts.Type {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.Q8_0, tensor.Q4_0:
	default:
		return fmt.Errorf("convert: type %s is not supported (use F32, F16, BF16, Q8_0 or Q4_0)", opts.Type)
	}
	src, err := Open(dir, opts.Warn)
	if err != nil {
		return err
	}
	defer src.Close()
	name := opts.Name
	if name == "" {
		name = filepath.Base(filepath.Clean(dir))
	}
	w := gguf.NewWriter()
	if err := WriteMetadata(w, src.Config, name, FileType(opts.Type), opts.Type.Quantized()); err != nil {
		return err
	}
	if src.Tokenizer != nil {
		if err := WriteVocab(w, src.Tokenizer, src.Config.VocabSize); err != nil {
			return err
		}
	}
	for i, t := range src.Tensors {
		if err := ctx.Err(); err != nil {
			return err
		}
		typ := opts.Type
		if len(t.Dims) == 1 {
			typ = tensor.F32
		} else if _, err := typ.RowBytes(int(t.Dims[0])); err != nil {
			typ = tensor.F16
		}
		data, err := recode(t.Type, t.Data, typ, t.Dims)
		if err != nil {
			return fmt.Errorf("convert: tensor %q: %w", t.Name, err)
		}
		if err := w.AddTensor(t.Name, typ, t.Dims, data); err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(src.Tensors), t.Name)
		}
	}
	if err := w.WriteFile(out); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return nil
}

// WriteMetadata sets the general.* and phi3.* metadata llama.cpp's
// converter writes for c: name goes into general.name, fileType into
// general.file_type, and general.quantization_version (2) is set when
// quantized.
func WriteMetadata(w *gguf.Writer, c *model.Config, name string, fileType uint32, quantized bool) error {
	kv := &kvWriter{w: w}
	writeMetadata(kv, c, name, fileType, quantized)
	if kv.err != nil {
		return fmt.Errorf("convert: %w", kv.err)
	}
	return nil
}

// WriteVocab sets the tokenizer.* metadata for tok as llama.cpp's
// converter does for Phi-3 (a "llama" vocabulary padded to vocabSize
// entries, special ids, chat template).
func WriteVocab(w *gguf.Writer, tok *tokenizer.Tokenizer, vocabSize int) error {
	kv := &kvWriter{w: w}
	writeVocab(kv, tok, vocabSize)
	if kv.err != nil {
		return fmt.Errorf("convert: %w", kv.err)
	}
	return nil
}

func writeMetadata(w *kvWriter, c *model.Config, name string, fileType uint32, quantized bool) {
	w.SetKV("general.architecture", "phi3")
	w.SetKV("general.name", name)
	w.SetKV("general.file_type", fileType)
	if quantized {
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
	model, pre := v.Model, v.Pre
	if model == "" {
		model = "llama"
	}
	if pre == "" {
		pre = "default"
	}
	w.SetKV("tokenizer.ggml.model", model)
	w.SetKV("tokenizer.ggml.pre", pre)
	w.SetKV("tokenizer.ggml.tokens", v.Tokens)
	if len(v.Scores) > 0 {
		w.SetKV("tokenizer.ggml.scores", v.Scores)
	}
	if len(v.Merges) > 0 { // byte-level BPE (Phi-4-mini)
		w.SetKV("tokenizer.ggml.merges", v.Merges)
	}
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
func recode(from tensor.DType, src []byte, to tensor.DType, dims []uint64) ([]byte, error) {
	cols := int(dims[0])
	rows := 1
	for _, d := range dims[1:] {
		rows *= int(d)
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
