package quantize

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/gophi/gophi/convert"
	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
)

// Shapes lists the model shapes WriteRandom knows (see ShapeConfig).
func Shapes() []string {
	return []string{"phi3-mini", "phi3-mini-128k", "phi3-medium", "phi3.5-mini", "phi4-mini", "small", "tiny"}
}

// ShapeConfig returns the configuration of a named model shape:
//
//	phi3-mini       Phi-3-mini-4k: 32 layers, hidden 3072, 32 heads (MHA),
//	                FFN 8192, vocab 32064, context 4096 (3.8B weights)
//	phi3-mini-128k  the same with LongRoPE: context 131072, original 4096,
//	                attention factor √(1+ln 32/ln 4096) ≈ 1.19, 48 factors
//	phi3.5-mini     the phi3-mini-128k shape
//	phi3-medium     Phi-3-medium-4k: 40 layers, hidden 5120, 40 heads over
//	                10 KV heads, FFN 17920, vocab 32064 (14B weights)
//	phi4-mini       Phi-4-mini: 32 layers, hidden 3072, 24 heads over 8 KV
//	                heads of 128, rotary on 96 dims (partial 0.75), FFN
//	                8192, vocab 200064, tied embeddings, LongRoPE
//	tiny            2 layers, hidden 64, 4 heads, FFN 160, vocab 32064
//
// The LongRoPE factors are smooth made-up ramps of the real lengths, not
// the released models' values.
func ShapeConfig(shape string) (*model.Config, error) {
	c := &model.Config{
		Arch: "phi3", VocabSize: 32064, Hidden: 3072, Intermediate: 8192, Layers: 32,
		Heads: 32, KVHeads: 32, HeadDim: 96, RotaryDim: 96,
		MaxPositions: 4096, OriginalMaxPositions: 4096, RopeTheta: 10000, RMSNormEps: 1e-5,
		SlidingWindow: 2047, BOS: 1, EOS: []int{32000},
	}
	longRope := func(ctx int) {
		c.MaxPositions = ctx
		c.SlidingWindow = 262144
		n := c.RotaryDim / 2
		r := &model.LongRoPE{
			ShortFactor:     make([]float64, n),
			LongFactor:      make([]float64, n),
			AttentionFactor: math.Sqrt(1 + math.Log(float64(ctx)/float64(c.OriginalMaxPositions))/math.Log(float64(c.OriginalMaxPositions))),
		}
		for i := range n {
			f := float64(i) / float64(n-1)
			r.ShortFactor[i] = 1 + 2*f*f
			r.LongFactor[i] = 1 + 63*f*f
		}
		c.Rope = r
	}
	switch shape {
	case "phi3-mini":
	case "phi3-mini-128k", "phi3.5-mini":
		longRope(131072)
	case "phi3-medium":
		c.Layers, c.Hidden, c.Heads, c.KVHeads, c.Intermediate = 40, 5120, 40, 10, 17920
		c.HeadDim, c.RotaryDim = 128, 128
	case "phi4-mini":
		c.VocabSize, c.Heads, c.KVHeads, c.HeadDim, c.RotaryDim = 200064, 24, 8, 128, 96
		c.TieEmbeddings = true
		c.BOS, c.EOS = 199999, []int{200020, 199999}
		longRope(131072)
	case "tiny":
		c.Layers, c.Hidden, c.Heads, c.KVHeads, c.Intermediate = 2, 64, 4, 4, 160
		c.HeadDim, c.RotaryDim = 16, 16
	case "small":
		// Phi-3's vocabulary, with every other dimension a multiple of
		// 256 so that K-quant files (Q2_K, Q3_K, ...) can be made of it.
		c.Layers, c.Hidden, c.Heads, c.KVHeads, c.Intermediate = 2, 256, 4, 4, 512
		c.HeadDim, c.RotaryDim = 64, 64
	default:
		return nil, fmt.Errorf("quantize: unknown shape %q (use one of %s)", shape, strings.Join(Shapes(), ", "))
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("quantize: shape %s: %w", shape, err)
	}
	return c, nil
}

// RandomOptions configure WriteRandomWith.
type RandomOptions struct {
	// Shape names the model shape (see ShapeConfig).
	Shape string
	// Type is the file type; tensors get the types TensorTypeFor gives.
	Type FileType
	// Seed seeds the weights: the same seed, shape and type give the same
	// file.
	Seed uint64
	// TokenizerDir is a folder with Phi-3's tokenizer.json (and
	// tokenizer_config.json) whose vocabulary is written for the shapes
	// with 32064 tokens, so that llama.cpp can load the file. Empty means
	// testdata/phi3/phi3-tokenizer of the gophi source tree, searched for
	// from the working directory upwards; when it is not found the file
	// has no vocabulary (gophi runs it on token ids; llama.cpp cannot
	// load it) and Warn is told. phi4-mini never gets a vocabulary: gophi
	// has no copy of its o200k tokenizer.
	TokenizerDir string
	// Progress, when not nil, is called after each tensor.
	Progress func(done, total int, name string)
	// Warn, when not nil, receives warnings.
	Warn func(msg string)
}

// WriteRandom writes a synthetic GGUF model (arch phi3) of the named shape
// with random weights to out: norms 1 ± 0.1 (F32), matrices random valid
// blocks (tensor.RandomRow) with a root mean square of 1/√cols in the type
// TensorTypeFor gives for ftype. It runs at about disk speed: no quantizer
// runs. The Phi-3 vocabulary is found as RandomOptions.TokenizerDir
// describes.
func WriteRandom(ctx context.Context, out string, shape string, ftype FileType, seed uint64) error {
	return WriteRandomWith(ctx, out, RandomOptions{Shape: shape, Type: ftype, Seed: seed})
}

// WriteRandomWith is WriteRandom with options.
func WriteRandomWith(ctx context.Context, out string, opts RandomOptions) error {
	ftype := opts.Type
	if !ftype.Supported() {
		return fmt.Errorf("quantize: file type %s is not supported (use one of %v)", ftype, FileTypes())
	}
	cfg, err := ShapeConfig(opts.Shape)
	if err != nil {
		return err
	}
	w := gguf.NewWriter()
	if err := convert.WriteMetadata(w, cfg, "gophi random "+opts.Shape, uint32(ftype), true); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if cfg.VocabSize == 32064 {
		dir := opts.TokenizerDir
		if dir == "" {
			dir = findTokenizer()
		}
		if dir == "" {
			if opts.Warn != nil {
				opts.Warn("Phi-3 tokenizer (testdata/phi3/phi3-tokenizer) not found; the file has no vocabulary, so llama.cpp cannot load it")
			}
		} else {
			tok, err := tokenizer.LoadDir(dir)
			if err != nil {
				return fmt.Errorf("quantize: %w", err)
			}
			if err := convert.WriteVocab(w, tok, cfg.VocabSize); err != nil {
				return fmt.Errorf("quantize: %w", err)
			}
		}
	}
	type spec struct {
		name string
		dims []uint64
		data []byte // fixed data (rope factors), or nil
	}
	var specs []spec
	for _, ts := range cfg.TensorShapes() {
		name, _ := model.GGUFName(ts.Name)
		d := make([]uint64, len(ts.Shape))
		for i, s := range ts.Shape {
			d[len(d)-1-i] = uint64(s)
		}
		specs = append(specs, spec{name: name, dims: d})
	}
	for _, t := range convert.RopeFactorTensors(cfg) {
		specs = append(specs, spec{name: t.Name, dims: t.Dims, data: t.Data})
	}
	return writeTensors(ctx, w, out, len(specs), opts.Progress, func(i int) (string, tensor.DType, []uint64, rowFiller, error) {
		s := specs[i]
		if s.data != nil {
			return s.name, tensor.F32, s.dims, func(r0, r1 int, dst []byte) error {
				copy(dst, s.data)
				return nil
			}, nil
		}
		typ := TensorTypeFor(ftype, s.name, s.dims, cfg.Layers, cfg.TieEmbeddings)
		cols, _, _ := shape(s.dims)
		scale := float32(1 / math.Sqrt(float64(cols)))
		rowBytes, err := typ.RowBytes(cols)
		if err != nil {
			return s.name, typ, s.dims, nil, err
		}
		norm := len(s.dims) == 1
		return s.name, typ, s.dims, func(r0, r1 int, dst []byte) error {
			var pcg rand.PCG
			r := rand.New(&pcg)
			for row := r0; row < r1; row++ {
				pcg.Seed(opts.Seed, uint64(i)<<40|uint64(row))
				b := dst[(row-r0)*rowBytes : (row-r0+1)*rowBytes]
				if norm {
					for j := 0; j < cols; j++ {
						v := float32(1 + 0.1*(2*r.Float64()-1))
						binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
					}
					continue
				}
				tensor.RandomRow(typ, r, b, scale)
			}
			return nil
		}, nil
	})
}

// findTokenizer looks for testdata/phi3/phi3-tokenizer/tokenizer.json in
// the working directory and its parents.
func findTokenizer() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "testdata", "phi3", "phi3-tokenizer")
		if _, err := os.Stat(filepath.Join(p, "tokenizer.json")); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
