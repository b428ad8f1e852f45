package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/gophi/gophi/tensor"
)

// Benchmarks of whole forward passes on Phi-3-mini shapes with random
// weights held in memory (GOPHI_BENCH_LAYERS overrides the layer count,
// default 32). They need several GB of memory:
//
//	go test -run X -bench 'Decode|Prefill' -benchtime 20x ./model

type memSource map[string]Tensor

func (m memSource) Tensor(name string) (Tensor, bool) { t, ok := m[name]; return t, ok }

func phi3MiniConfig() *Config {
	layers := 32
	if s := os.Getenv("GOPHI_BENCH_LAYERS"); s != "" {
		layers, _ = strconv.Atoi(s)
	}
	return &Config{Arch: "phi3", VocabSize: 32064, Hidden: 3072, Intermediate: 8192, Layers: layers,
		Heads: 32, KVHeads: 32, HeadDim: 96, RotaryDim: 96, MaxPositions: 4096, OriginalMaxPositions: 4096,
		RopeTheta: 10000, RMSNormEps: 1e-5, BOS: 1}
}

var benchModels sync.Map // DType -> *Model

func randomModel(b *testing.B, typ tensor.DType) *Model {
	if m, ok := benchModels.Load(typ); ok {
		return m.(*Model)
	}
	c := phi3MiniConfig()
	r := rand.New(rand.NewPCG(1, uint64(typ)))
	src := memSource{}
	for _, ts := range c.TensorShapes() {
		t := typ
		if len(ts.Shape) == 1 {
			t = tensor.F32
		}
		n := 1
		for _, d := range ts.Shape {
			n *= d
		}
		nb, err := t.RowBytes(n)
		if err != nil {
			b.Fatal(err)
		}
		data := make([]byte, nb)
		scale := float32(1)
		if len(ts.Shape) == 2 {
			scale = float32(1 / math.Sqrt(float64(ts.Shape[1])))
		}
		tensor.RandomRow(t, r, data, scale)
		src[ts.Name] = Tensor{Type: t, Shape: ts.Shape, Data: data}
	}
	m, err := New(c, src, tensor.NewPool(0))
	if err != nil {
		b.Fatal(err)
	}
	benchModels.Store(typ, m)
	return m
}

func benchDecode(b *testing.B, typ tensor.DType) {
	m := randomModel(b, typ)
	s, err := m.NewSequence(512)
	if err != nil {
		b.Fatal(err)
	}
	// Warm up to the longest sequence the loop reaches, so that buffers
	// sized by the sequence length have grown before timing.
	warm := make([]int32, 500)
	for i := range warm {
		warm[i] = int32(i + 1)
	}
	if _, err := m.Eval(s, warm, false); err != nil {
		b.Fatal(err)
	}
	s.Truncate(4)
	// A reused Step, as the engine does: decoding allocates nothing.
	st := &Step{Seq: s, Tokens: make([]int32, 1)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.Len() >= 500 {
			s.Truncate(4)
		}
		st.Tokens[0] = int32(i % 30000)
		if err := m.Forward(st); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

func benchPrefill(b *testing.B, typ tensor.DType, n int) {
	m := randomModel(b, typ)
	s, err := m.NewSequence(n)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i*7919) % 32000
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Truncate(0)
		if _, err := m.Eval(s, ids, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tok/s")
}

func BenchmarkDecodeQ4_0(b *testing.B)     { benchDecode(b, tensor.Q4_0) }
func BenchmarkDecodeQ8_0(b *testing.B)     { benchDecode(b, tensor.Q8_0) }
func BenchmarkDecodeF16(b *testing.B)      { benchDecode(b, tensor.F16) }
func BenchmarkPrefill64Q4_0(b *testing.B)  { benchPrefill(b, tensor.Q4_0, 64) }
func BenchmarkPrefill64F16(b *testing.B)   { benchPrefill(b, tensor.F16, 64) }
func BenchmarkPrefill512Q4_0(b *testing.B) { benchPrefill(b, tensor.Q4_0, 512) }
func BenchmarkPrefill512F16(b *testing.B)  { benchPrefill(b, tensor.F16, 512) }

// BenchmarkFile decodes and prefills with the model file in GOPHI_BENCH_MODEL
// (skipped when unset), e.g. a synthetic `gophi create --random` file.
func BenchmarkFile(b *testing.B) {
	path := os.Getenv("GOPHI_BENCH_MODEL")
	if path == "" {
		b.Skip("GOPHI_BENCH_MODEL not set")
	}
	threads, _ := strconv.Atoi(os.Getenv("GOPHI_THREADS"))
	// The CLI's default KV cache is F16; GOPHI_BENCH_KV=f32 or q8_0 picks another.
	kv := map[string]tensor.DType{"": tensor.F16, "f16": tensor.F16, "f32": tensor.F32, "q8_0": tensor.Q8_0}[os.Getenv("GOPHI_BENCH_KV")]
	m, err := Load(path, LoadOptions{NoMmap: os.Getenv("GOPHI_MMAP") == "", Threads: threads, KVType: kv})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.Run("decode", func(b *testing.B) {
		s, _ := m.NewSequence(1024)
		m.Eval(s, []int32{1, 2, 3}, false)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if s.Len() >= 1000 {
				s.Truncate(3)
			}
			if _, err := m.Eval(s, []int32{int32(i % 30000)}, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
	})
	np := 128 // GOPHI_BENCH_PROMPT changes the prompt length
	if v, err := strconv.Atoi(os.Getenv("GOPHI_BENCH_PROMPT")); err == nil && v > 0 {
		np = v
	}
	b.Run(fmt.Sprintf("prefill%d", np), func(b *testing.B) {
		s, _ := m.NewSequence(np)
		ids := make([]int32, np)
		for i := range ids {
			ids[i] = int32(i*7919) % 32000
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s.Truncate(0)
			if _, err := m.Eval(s, ids, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(np*b.N)/b.Elapsed().Seconds(), "tok/s")
	})
}
