package tensor

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// quantTypes are the block types QuantizeRow writes.
var quantTypes = []DType{Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K}

// TestQuantizeRMSError quantizes Gaussian data to every block type and
// checks ‖dequantize(quantize(x)) − x‖ / ‖x‖ against a bound a little
// above what was measured (64×4096 values, this seed): Q4_0 0.0859,
// Q4_1 0.0782, Q5_0 0.0427, Q5_1 0.0379, Q8_0 0.0053, Q4_K 0.0714,
// Q5_K 0.0361, Q6_K 0.0178. Since the bytes equal llama.cpp's (see
// TestQuantizeMatchesLlamaCpp), so does the error.
func TestQuantizeRMSError(t *testing.T) {
	bounds := map[DType]float64{
		Q4_0: 0.090, Q4_1: 0.082, Q5_0: 0.045, Q5_1: 0.040, Q8_0: 0.0056,
		Q4_K: 0.075, Q5_K: 0.038, Q6_K: 0.019,
	}
	const rows, cols = 64, 4096
	r := rand.New(rand.NewPCG(11, 12))
	x := randVec(r, rows*cols, 0.02)
	for _, typ := range quantTypes {
		rb, _ := typ.RowBytes(cols)
		buf := make([]byte, rb)
		y := make([]float32, cols)
		var num, den float64
		for i := 0; i < rows; i++ {
			row := x[i*cols : (i+1)*cols]
			if err := QuantizeRow(typ, row, buf); err != nil {
				t.Fatal(err)
			}
			if err := DequantizeRow(typ, buf, y); err != nil {
				t.Fatal(err)
			}
			for j := range row {
				d := float64(y[j]) - float64(row[j])
				num += d * d
				den += float64(row[j]) * float64(row[j])
			}
		}
		e := math.Sqrt(num / den)
		t.Logf("%-5s RMS error / RMS = %.4f (bound %.4f)", typ, e, bounds[typ])
		if e > bounds[typ] {
			t.Errorf("%s: relative RMS error %.4f > %.4f", typ, e, bounds[typ])
		}
	}
}

// TestQuantizeMatchesLlamaCpp compares QuantizeRow's bytes with llama.cpp's
// reference quantizers (ggml_quantize_chunk without an importance matrix,
// upstream commit 34af94cd, run on x86-64) on the same input: the SHA-256
// of llama.cpp's output for each type is recorded below. The input mixes
// scales from 2^-8 to 2^3, positive-only rows, runs of zeros, outliers and
// constant half-blocks, built with integer arithmetic only so that it is
// the same on every platform.
func TestQuantizeMatchesLlamaCpp(t *testing.T) {
	want := map[DType]string{
		Q4_0: "abc5ab9c162596663673d3d2e6f6bff6e43b7e8a58f27afb697a007f2eca2937",
		Q4_1: "b099a36e713584c803ab7893371392e68e7055bbab7718c876634594fbafd794",
		Q5_0: "dd5b3a582a6fefeb11648ae5ca9135e39be27df297377d6604911372d3f7fd95",
		Q5_1: "216dc084fa569531f2eb6057eca00cb3febf9d8f4e7992fd0b9564b4e5fe1ad2",
		Q8_0: "915c90332be4728b0626b7785ab7433987b308b9681e826bf4a8c22991770866",
		Q4_K: "0057694b8b61fe8e3f572d569a828f732034ba2b69f944b71dd0938336aa1060",
		Q5_K: "672d13da569c686c661691e9c2c788df5c4d7099fb9bf605095b99732c3e409e",
		Q6_K: "bccccef2997e2c32a747eea36e502240d92e70d5013f95425329c90cb257fab3",
	}
	const rows, cols = 60, 512
	x := goldenInput(rows, cols)
	for _, typ := range quantTypes {
		rb, _ := typ.RowBytes(cols)
		out := make([]byte, rb*rows)
		for i := 0; i < rows; i++ {
			if err := QuantizeRow(typ, x[i*cols:(i+1)*cols], out[i*rb:(i+1)*rb]); err != nil {
				t.Fatal(err)
			}
		}
		sum := sha256.Sum256(out)
		if got := hex.EncodeToString(sum[:]); got != want[typ] {
			t.Errorf("%s: SHA-256 of the quantized rows is %s, llama.cpp's is %s", typ, got, want[typ])
		}
	}
}

// splitmix is SplitMix64, a fixed generator for goldenInput.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// goldenInput builds the input of TestQuantizeMatchesLlamaCpp. Each value
// is a sum of four 16-bit uniforms (bell-shaped) times a power of two, so
// every float32 is exact.
func goldenInput(rows, n int) []float32 {
	s := uint64(42)
	x := make([]float32, rows*n)
	for r := 0; r < rows; r++ {
		unit := float32(math.Ldexp(1, r%12-8-16))
		for i := 0; i < n; i++ {
			u := splitmix(&s)
			v := int64(u&0xffff) + int64(u>>16&0xffff) + int64(u>>32&0xffff) + int64(u>>48) - 2*65535
			f := float32(v) * unit
			switch r % 5 {
			case 1: // positive only
				f = float32(math.Abs(float64(f)))
			case 2: // runs of zeros, some whole sub-blocks
				if i%96 < 40 {
					f = 0
				}
			case 3: // outliers
				if i%200 == 7 {
					f *= 64
				}
			case 4: // constant half-blocks
				if i%64 < 32 {
					f = float32(r-20) / 8
				}
			}
			x[r*n+i] = f
		}
	}
	return x
}

// TestQuantizeSpecialRows checks all-zero, constant and single-spike rows
// for every block type: zeros stay zero, the error stays within the
// type's step, and nothing is NaN.
func TestQuantizeSpecialRows(t *testing.T) {
	const n = 512
	spike := make([]float32, n)
	spike[100] = 3
	neg := make([]float32, n)
	for i := range neg {
		neg[i] = -0.25
	}
	pos := make([]float32, n)
	for i := range pos {
		pos[i] = 1.5
	}
	for _, typ := range quantTypes {
		rb, _ := typ.RowBytes(n)
		buf := make([]byte, rb)
		y := make([]float32, n)
		for name, x := range map[string][]float32{"zero": make([]float32, n), "spike": spike, "neg": neg, "pos": pos} {
			if err := QuantizeRow(typ, x, buf); err != nil {
				t.Fatal(err)
			}
			if err := DequantizeRow(typ, buf, y); err != nil {
				t.Fatal(err)
			}
			for i := range x {
				// Constant rows are exact up to the half-float scale
				// (and the 4-bit types' step for an asymmetric sign).
				tol := float32(0.02)*abs32(x[i]) + 1e-6
				if name == "spike" && i == 100 {
					tol = 0.01
				}
				if y[i] != y[i] || abs32(y[i]-x[i]) > tol {
					t.Errorf("%s %s: element %d: %g -> %g", typ, name, i, x[i], y[i])
					break
				}
			}
		}
	}
}

func TestQuantizeRowErrors(t *testing.T) {
	for _, typ := range []DType{Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K} {
		if !CanQuantize(typ) {
			t.Errorf("CanQuantize(%s) = false", typ)
		}
		be := typ.BlockElems()
		if err := QuantizeRow(typ, make([]float32, be+1), make([]byte, 2*typ.BlockBytes())); err == nil {
			t.Errorf("%s: partial block accepted", typ)
		}
		if err := QuantizeRow(typ, make([]float32, be), make([]byte, typ.BlockBytes()+1)); err == nil {
			t.Errorf("%s: wrong destination size accepted", typ)
		}
	}
	for _, typ := range []DType{Q2_K, Q3_K, Q8_1, Q8_K} {
		if CanQuantize(typ) {
			t.Errorf("CanQuantize(%s) = true", typ)
		}
		if err := QuantizeRow(typ, make([]float32, 256), make([]byte, typ.BlockBytes()*256/typ.BlockElems())); err == nil {
			t.Errorf("%s: quantizing succeeded", typ)
		}
	}
}

func TestNearestInt(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want int
	}{{0, 0}, {0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {-2.5, -2}, {0.49999997, 0}, {3.7, 4}, {-3.7, -4}, {4194303, 4194303}, {-4194303, -4194303}} {
		if got := nearestInt(c.f); got != c.want {
			t.Errorf("nearestInt(%v) = %d, want %d", c.f, got, c.want)
		}
	}
}

// TestRandomRow checks that random rows of every type dequantize to finite
// values with about the requested RMS and mean about zero, and that the
// same seed gives the same bytes.
func TestRandomRow(t *testing.T) {
	const rows, cols = 64, 4096
	const scale = 0.02
	for _, typ := range []DType{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K} {
		rb, _ := typ.RowBytes(cols)
		buf := make([]byte, rb)
		first := make([]byte, rb)
		y := make([]float32, cols)
		r := rand.New(rand.NewPCG(1, uint64(typ)))
		var sum, sum2 float64
		for i := 0; i < rows; i++ {
			RandomRow(typ, r, buf, scale)
			if i == 0 {
				copy(first, buf)
			}
			if err := DequantizeRow(typ, buf, y); err != nil {
				t.Fatal(err)
			}
			for _, v := range y {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: non-finite value", typ)
				}
				sum += float64(v)
				sum2 += float64(v) * float64(v)
			}
		}
		n := float64(rows * cols)
		rms, mean := math.Sqrt(sum2/n), sum/n
		t.Logf("%-5s rms %.5f mean %+.6f", typ, rms, mean)
		if math.Abs(rms/scale-1) > 0.03 || math.Abs(mean) > scale/50 {
			t.Errorf("%s: rms %.5f (want %.5f), mean %.6f", typ, rms, scale, mean)
		}
		RandomRow(typ, rand.New(rand.NewPCG(1, uint64(typ))), buf, scale)
		if string(buf) != string(first) {
			t.Errorf("%s: the same seed gave different bytes", typ)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("RandomRow(Q2_K) did not panic")
		}
	}()
	RandomRow(Q2_K, rand.New(rand.NewPCG(1, 2)), make([]byte, 84), 1)
}

func BenchmarkQuantizeRow(b *testing.B) {
	for _, typ := range quantTypes {
		b.Run(typ.String(), func(b *testing.B) {
			const cols = 4096
			x := randVec(rand.New(rand.NewPCG(1, 2)), cols, 1)
			rb, _ := typ.RowBytes(cols)
			buf := make([]byte, rb)
			b.SetBytes(4 * cols)
			for b.Loop() {
				_ = QuantizeRow(typ, x, buf)
			}
		})
	}
}

func BenchmarkRandomRow(b *testing.B) {
	const cols = 3072
	rb, _ := Q4_0.RowBytes(cols)
	buf := make([]byte, rb)
	r := rand.New(rand.NewPCG(1, 2))
	b.SetBytes(int64(rb))
	for b.Loop() {
		RandomRow(Q4_0, r, buf, 0.02)
	}
}

// TestDequantizeMatchesLlamaCpp checks Q2_K and Q3_K dequantization (which
// gophi cannot produce, only read) bit for bit against llama.cpp. The
// blocks in testdata/kquants-llama.json are the first 16 rows of
// blk.0.ffn_up of a "small" random model quantized by llama-quantize
// (upstream 34af94cd) to Q2_K and Q3_K_M; the values are what
// `llama-quantize --allow-requantize IN OUT F32` wrote for them:
//
//	gophi create --random --shape small --type F32 small.gguf
//	llama-quantize small.gguf small-Q3_K_M.gguf Q3_K_M
//	llama-quantize --allow-requantize small-Q3_K_M.gguf small-Q3_K_M-f32.gguf F32
func TestDequantizeMatchesLlamaCpp(t *testing.T) {
	b, err := os.ReadFile("testdata/kquants-llama.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixtures []struct {
		Type       string
		Rows, Cols int
		Blocks     string
		Values     string
	}
	if err := json.Unmarshal(b, &fixtures); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		typ, err := ParseDType(f.Type)
		if err != nil {
			t.Fatal(err)
		}
		blocks, _ := base64.StdEncoding.DecodeString(f.Blocks)
		vals, _ := base64.StdEncoding.DecodeString(f.Values)
		rb, _ := typ.RowBytes(f.Cols)
		got := make([]float32, f.Cols)
		for r := 0; r < f.Rows; r++ {
			if err := DequantizeRow(typ, blocks[r*rb:(r+1)*rb], got); err != nil {
				t.Fatal(err)
			}
			for i, g := range got {
				want := math.Float32frombits(binary.LittleEndian.Uint32(vals[4*(r*f.Cols+i):]))
				if g != want {
					t.Fatalf("%s row %d [%d] = %g, llama.cpp %g", f.Type, r, i, g, want)
				}
			}
		}
	}
}
