package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

// TestF16RoundTrip converts every half value to float32 and back.
func TestF16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if math.IsNaN(float64(f)) {
			if back := F32ToF16(f); back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
}

func TestF16Rounding(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},
		{65520, 0x7c00}, // rounds up to infinity
		{1e9, 0x7c00},
		{5.960464477539063e-08, 0x0001}, // smallest subnormal
		{2.9802322387695312e-08, 0},     // half of it: ties to even (0)
		{1 + 1.0/2048, 0x3c00},          // tie, even stays
		{1 + 3.0/2048, 0x3c02},          // tie, odd rounds up
		{float32(math.Inf(-1)), 0xfc00},
	}
	for _, tt := range tests {
		if got := F32ToF16(tt.in); got != tt.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
}

func TestBF16(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{-1.5, 0xbfc0},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie to even
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81},
	}
	for _, tt := range tests {
		if got := F32ToBF16(tt.in); got != tt.want {
			t.Errorf("F32ToBF16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
		}
		if back := BF16ToF32(tt.want); F32ToBF16(back) != tt.want {
			t.Errorf("bf16 %#04x does not round-trip", tt.want)
		}
	}
	if !math.IsNaN(float64(BF16ToF32(F32ToBF16(float32(math.NaN()))))) {
		t.Error("NaN lost")
	}
}

func randVec(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64()) * scale
	}
	return v
}

// TestQuantizeRoundTrip checks each writable type's error bound: the
// dequantized value differs from the input by at most half a quantization
// step of its block (plus the half-float rounding of the scale).
func TestQuantizeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := randVec(r, 32*64, 1)
	x[5] = 0
	for i := 64; i < 96; i++ { // an all-zero block
		x[i] = 0
	}
	for _, tt := range []struct {
		typ  DType
		step func(amax float32) float32 // max abs error for a block of that amax
	}{
		{F32, func(float32) float32 { return 0 }},
		{F16, func(a float32) float32 { return a / 1024 }},
		{BF16, func(a float32) float32 { return a / 128 }},
		{Q8_0, func(a float32) float32 { return a/127/2 + a/127*1e-3*127 }},
		// The largest value maps to -8 and the other side clamps at +7, so
		// the error there reaches one step (llama.cpp reference rounding).
		{Q4_0, func(a float32) float32 { return a/8 + a/8*1e-3*8 }},
	} {
		n, _ := tt.typ.RowBytes(len(x))
		buf := make([]byte, n)
		if err := QuantizeRow(tt.typ, x, buf); err != nil {
			t.Fatal(err)
		}
		y := make([]float32, len(x))
		if err := DequantizeRow(tt.typ, buf, y); err != nil {
			t.Fatal(err)
		}
		for b := 0; b < len(x)/32; b++ {
			var amax float32
			for _, v := range x[b*32 : b*32+32] {
				amax = max(amax, abs32(v))
			}
			lim := tt.step(amax) * 1.0001
			for i := b * 32; i < b*32+32; i++ {
				if d := abs32(x[i] - y[i]); d > lim+1e-30 {
					t.Fatalf("%s: element %d: %g -> %g, error %g > %g", tt.typ, i, x[i], y[i], d, lim)
				}
			}
		}
	}
}

// TestDequantizeKnownBlocks builds blocks by hand and checks the values the
// documented formulas give.
func TestDequantizeKnownBlocks(t *testing.T) {
	h := func(f float32) []byte { b := make([]byte, 2); binary.LittleEndian.PutUint16(b, F32ToF16(f)); return b }
	// Q4_1: d=0.5, m=-1, nibbles lo=j%16, hi=15-j%16.
	blk := append(append(h(0.5), h(-1)...), make([]byte, 16)...)
	for j := 0; j < 16; j++ {
		blk[4+j] = byte(j) | byte(15-j)<<4
	}
	y := make([]float32, 32)
	if err := DequantizeRow(Q4_1, blk, y); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 16; j++ {
		if y[j] != 0.5*float32(j)-1 || y[j+16] != 0.5*float32(15-j)-1 {
			t.Fatalf("Q4_1 element %d: %g %g", j, y[j], y[j+16])
		}
	}
	// Q5_0: d=2, nibbles 0, qh bit j set for even j (low half) -> value 16-16=0 or 0-16.
	blk = append(append(h(2), 0x55, 0x55, 0, 0), make([]byte, 16)...)
	if err := DequantizeRow(Q5_0, blk, y); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 16; j++ {
		want := float32(-32)
		if j%2 == 0 {
			want = 0
		}
		if y[j] != want || y[j+16] != -32 {
			t.Fatalf("Q5_0 element %d: %g %g", j, y[j], y[j+16])
		}
	}
	// Q6_K: d=1, all scales 1, every 6-bit q = 33 -> value 1.
	q6 := make([]byte, 210)
	for i := 0; i < 128; i++ {
		q6[i] = 0x11 // low nibbles 1
	}
	for i := 128; i < 192; i++ {
		q6[i] = 0xaa // high bits 2 in every 2-bit field -> 32
	}
	for i := 192; i < 208; i++ {
		q6[i] = 1
	}
	copy(q6[208:], h(1))
	y = make([]float32, 256)
	if err := DequantizeRow(Q6_K, q6, y); err != nil {
		t.Fatal(err)
	}
	for i, v := range y {
		if v != 1 {
			t.Fatalf("Q6_K element %d = %g, want 1", i, v)
		}
	}
	// Q4_K: d=1, dmin=1, sub-block j has scale j+1 and min j; q = 3 -> 3(j+1) - j.
	q4 := make([]byte, 144)
	copy(q4, h(1))
	copy(q4[2:], h(1))
	sc := q4[4:16]
	for j := 0; j < 8; j++ {
		s, m := byte(j+1), byte(j)
		if j < 4 {
			sc[j] = s
			sc[j+4] = m
		} else {
			sc[j+4] = s&0x0f | (m&0x0f)<<4
			sc[j-4] |= (s >> 4) << 6
			sc[j] |= (m >> 4) << 6
		}
	}
	for i := 16; i < 144; i++ {
		q4[i] = 0x33
	}
	if err := DequantizeRow(Q4_K, q4, y); err != nil {
		t.Fatal(err)
	}
	for i, v := range y {
		j := i / 32
		if want := float32(3*(j+1) - j); v != want {
			t.Fatalf("Q4_K element %d = %g, want %g", i, v, want)
		}
	}
}

// TestMatMul compares Pool.MatMul with a float64 reference for every type
// on odd shapes, with 1..3 threads.
func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range []DType{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K} {
		for _, shape := range [][3]int{{1, 32, 1}, {7, 64, 3}, {33, 96, 5}, {130, 256, 2}, {17, 3072, 13}, {40, 160, 4}, {35, 512, 23}} {
			rows, cols, n := shape[0], shape[1], shape[2]
			if _, err := typ.RowBytes(cols); err != nil {
				continue // K-quants need rows of 256
			}
			wf := randVec(r, rows*cols, 0.5)
			rb, _ := typ.RowBytes(cols)
			data := make([]byte, rb*rows)
			for i := 0; i < rows; i++ {
				if err := QuantizeRow(typ, wf[i*cols:(i+1)*cols], data[i*rb:(i+1)*rb]); err != nil {
					t.Fatal(err)
				}
			}
			m, err := NewMatrix(typ, rows, cols, data)
			if err != nil {
				t.Fatal(err)
			}
			// The reference uses the dequantized weights, so only the
			// kernel's arithmetic is under test.
			wd := make([]float32, rows*cols)
			for i := 0; i < rows; i++ {
				m.RowF32(i, wd[i*cols:(i+1)*cols])
			}
			x := randVec(r, n*cols, 1)
			// Decoding Q8_0/Q4_0 quantizes the activations to 8 bits per
			// block of 32: each contributes at most half a step,
			// max|x_block|/254, times |w|.
			quantAct := int8Decode(typ) // 8-bit activations
			bound := func(i, j int) float64 {
				b := 1e-5 * float64(cols)
				if quantAct {
					for c0 := 0; c0 < cols; c0 += 32 {
						var amax, wsum float64
						for c := c0; c < c0+32; c++ {
							amax = math.Max(amax, math.Abs(float64(x[i*cols+c])))
							wsum += math.Abs(float64(wd[j*cols+c]))
						}
						b += wsum * amax / 254
					}
				}
				return b
			}
			for _, tier := range KernelTiers() {
				if err := UseKernelTier(tier); err != nil {
					t.Fatal(err)
				}
				for threads := 1; threads <= 3; threads++ {
					p := NewPool(threads)
					got := make([]float32, n*rows)
					p.MatMul(got, m, x, n)
					p.Close()
					for i := 0; i < n; i++ {
						for j := 0; j < rows; j++ {
							var want float64
							for c := 0; c < cols; c++ {
								want += float64(wd[j*cols+c]) * float64(x[i*cols+c])
							}
							if d := math.Abs(float64(got[i*rows+j]) - want); d > bound(i, j) {
								t.Fatalf("%s %s %v threads %d: [%d,%d] = %g, want %g", tier, typ, shape, threads, i, j, got[i*rows+j], want)
							}
						}
					}
				}
			}
			UseKernelTier(KernelTiers()[0])
		}
	}
}

func TestNewMatrixErrors(t *testing.T) {
	if _, err := NewMatrix(Q8_0, 2, 33, make([]byte, 100)); err == nil {
		t.Error("Q8_0 row of 33 accepted")
	}
	if _, err := NewMatrix(F32, 2, 4, make([]byte, 31)); err == nil {
		t.Error("short data accepted")
	}
	if _, err := NewMatrix(DType(99), 1, 1, make([]byte, 4)); err == nil {
		t.Error("unknown type accepted")
	}
	if _, err := DType(12).Bytes(1 << 62); err != nil {
		t.Error(err) // Q4_K: fits (1<<62/256*144 < 1<<62)
	}
	if _, err := F32.Bytes(1 << 62); err == nil {
		t.Error("overflow not caught")
	}
}

func TestParseDType(t *testing.T) {
	for _, s := range []string{"q8_0", "F16", " bf16 ", "Q4_K"} {
		if _, err := ParseDType(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseDType("Q9_9"); err == nil {
		t.Error("Q9_9 parsed")
	}
}

// BenchmarkMatMul measures every weight type's MatMul on a Phi-3-mini-wide
// 3072×3072 matrix, one token (decode: GB/s of weights is the number to
// compare with memory bandwidth) and a batch of 64 (prefill: GFLOPS).
//
//	go test -run X -bench MatMul/ ./tensor
func BenchmarkMatMul(b *testing.B) {
	for _, typ := range []DType{F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K} {
		for _, n := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/n=%d", typ, n), func(b *testing.B) { benchMatMul(b, typ, n) })
		}
	}
}

func benchMatMul(b *testing.B, typ DType, n int) {
	const rows, cols = 3072, 3072
	r := rand.New(rand.NewPCG(5, 6))
	rb, _ := typ.RowBytes(cols)
	data := make([]byte, rb*rows)
	for i := 0; i < rows; i++ {
		_ = QuantizeRow(typ, randVec(r, cols, 1), data[i*rb:(i+1)*rb])
	}
	m, _ := NewMatrix(typ, rows, cols, data)
	m.Repack()
	x := randVec(r, n*cols, 1)
	dst := make([]float32, n*rows)
	p := NewPool(0)
	defer p.Close()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.MatMul(dst, m, x, n)
	}
	b.ReportMetric(float64(2*rows*cols*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// TestRepack checks that MatMul gives the same results before and after a
// matrix is repacked for this CPU's kernels, decoding and in batches.
func TestRepack(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	for _, typ := range []DType{Q4_0, Q4_K, Q6_K, Q8_0, F16, BF16} {
		rows, cols := 48, 512 // a last GEMM panel of 16 rows
		wf := randVec(r, rows*cols, 0.5)
		rb, _ := typ.RowBytes(cols)
		data := make([]byte, rb*rows)
		for i := 0; i < rows; i++ {
			QuantizeRow(typ, wf[i*cols:(i+1)*cols], data[i*rb:(i+1)*rb])
		}
		m, _ := NewMatrix(typ, rows, cols, append([]byte(nil), data...))
		if !m.Repack() {
			t.Logf("%s: no repacked layout on this CPU", typ)
			continue
		}
		plain, _ := NewMatrix(typ, rows, cols, data)
		row := make([]float32, cols)
		p := NewPool(2)
		for _, tier := range KernelTiers() {
			if err := UseKernelTier(tier); err != nil {
				t.Fatal(err)
			}
			for _, exact := range []bool{true, false} {
				// Prompt products with F16/BF16 weights round to bfloat16
				// unless exact: each product is then within 2⁻⁸ of its
				// value, so the sum within 2⁻⁸·Σ|w·x| (plus float32 sums).
				p.SetExactHalf(exact)
				bf := !exact && (typ == F16 || typ == BF16) && kernels.CanBF16Dot()
				for _, n := range []int{1, 3, 7, 24, 29, 70} { // 70: runGemmX's chunks-outside order
					x := randVec(r, n*cols, 1)
					want := make([]float32, n*rows)
					p.MatMul(want, plain, x, n)
					got := make([]float32, n*rows)
					p.MatMul(got, m, x, n)
					for i := range got {
						tol := 1e-4 * float64(cols)
						if bf && n >= gemmMinTokens {
							plain.RowF32(i%rows, row)
							var s float64
							for k, v := range row {
								s += math.Abs(float64(v * x[i/rows*cols+k]))
							}
							tol += s / 256
						}
						if math.Abs(float64(got[i]-want[i])) > tol {
							t.Fatalf("%s %s exact=%v n=%d [%d]: %g, want %g", tier, m.Type, exact, n, i, got[i], want[i])
						}
					}
				}
			}
		}
		UseKernelTier(KernelTiers()[0])
		p.Close()
		ref := make([]float32, cols)
		for i := 0; i < rows; i++ {
			m.RowF32(i, row)
			plain.RowF32(i, ref)
			for k := range row {
				if row[k] != ref[k] {
					t.Fatalf("%s RowF32(%d)[%d] = %g, want %g", m.Type, i, k, row[k], ref[k])
				}
			}
		}
	}
}

// BenchmarkDecodeLayouts compares decoding (n = 1) through a matrix larger
// than the caches (Phi-3-mini's output layer, 32064×3072) in the file's
// layout and repacked for this CPU, in GB/s of weights:
//
//	go test -run X -bench DecodeLayouts ./tensor
func BenchmarkDecodeLayouts(b *testing.B) {
	const rows, cols = 32064, 3072
	r := rand.New(rand.NewPCG(8, 8))
	p := NewPool(0)
	defer p.Close()
	x := randVec(r, cols, 1)
	dst := make([]float32, rows)
	for _, typ := range []DType{Q4_0, Q4_K, Q6_K, Q8_0, F16} {
		if testing.Short() && typ == F16 {
			continue
		}
		rb, _ := typ.RowBytes(cols)
		data := make([]byte, rb*rows)
		RandomRow(typ, r, data, 0.02)
		plain, _ := NewMatrix(typ, rows, cols, data)
		ms := []*Matrix{plain}
		if packed, _ := NewMatrix(typ, rows, cols, append([]byte(nil), data...)); packed.Repack() {
			ms = append(ms, packed)
		}
		for _, m := range ms {
			b.Run(m.Type.String(), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for i := 0; i < b.N; i++ {
					p.MatMul(dst, m, x, 1)
				}
			})
		}
	}
}

// BenchmarkMatMulHalf measures the F16X GEMM on an FFN-sized matrix
// (3072×8192) for batches on both sides of panelsOuterMax, in GFLOPS:
//
//	go test -run X -bench MatMulHalf -benchtime 10x ./tensor
func BenchmarkMatMulHalf(b *testing.B) {
	const rows, cols = 3072, 8192
	r := rand.New(rand.NewPCG(8, 8))
	p := NewPool(0)
	defer p.Close()
	data := make([]byte, 2*rows*cols)
	RandomRow(F16, r, data, 0.02)
	m, _ := NewMatrix(F16, rows, cols, data)
	if !m.Repack() {
		b.Skip("no F16X kernels on this CPU")
	}
	for _, n := range []int{4, 16, 64, 128, 512} {
		x := randVec(r, n*cols, 1)
		dst := make([]float32, n*rows)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p.MatMul(dst, m, x, n)
			}
			b.ReportMetric(float64(2*rows*cols*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// TestPackQ8Panel checks that every tier packs interleaved Q4_0X, Q8_0X,
// Q4_KX and Q6_KX weights into the int8 GEMM's panels byte for byte as
// the Go loop does, from any block (sub-blocks of both scale encodings).
func TestPackQ8Panel(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	defer UseKernelTier(KernelTiers()[0])
	for _, typ := range []DType{Q4_0, Q8_0, Q4_K, Q6_K} {
		const rows, cols = 48, 1024
		rb, _ := typ.RowBytes(cols)
		data := make([]byte, rb*rows)
		for i := 0; i < rows; i++ {
			QuantizeRow(typ, randVec(r, cols, 1), data[i*rb:(i+1)*rb])
		}
		m, _ := NewMatrix(typ, rows, cols, data)
		if !m.Repack() || fileType(m.Type) == m.Type {
			t.Logf("%s: no 16-row layout on this CPU", typ)
			continue
		}
		bb := gemmBlockBytes(m.Type)
		for _, pn := range []struct{ r0, nr, b0, nb int }{{0, 32, 0, 32}, {0, 32, 3, 13}, {32, 16, 2, 7}, {32, 16, 21, 11}} {
			var want []byte
			for _, tier := range []string{"generic", KernelTiers()[0]} {
				if err := UseKernelTier(tier); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, pn.nb*bb)
				for i := range got {
					got[i] = 0xAA // must be overwritten (or cleared) everywhere
				}
				packQ8Panel(got, m, pn.r0, pn.nr, pn.b0, pn.nb)
				if want == nil {
					want = got
					continue
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s %s panel %+v: byte %d = %#x, want %#x", tier, m.Type, pn, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestMatMulSwiGLU checks the gated product against the SwiGLU pass
// followed by MatMul, bit for bit: on the int8 prompt path the rows of h
// are made and quantized one at a time, never stored, and must give the
// same result; elsewhere h is filled and must hold silu(gate)·up.
func TestMatMulSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p := NewPool(2)
	defer p.Close()
	for _, typ := range []DType{F32, F16, Q8_0, Q4_0, Q4_K, Q6_K} {
		rows, f := 40, 256
		rb, _ := typ.RowBytes(f)
		data := make([]byte, rb*rows)
		wf := randVec(r, rows*f, 0.5)
		for i := 0; i < rows; i++ {
			if err := QuantizeRow(typ, wf[i*f:(i+1)*f], data[i*rb:(i+1)*rb]); err != nil {
				t.Fatal(err)
			}
		}
		w, err := NewMatrix(typ, rows, f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 5, 20, 23, 40} {
			gu := randVec(r, 2*n*f, 2)
			want := make([]float32, n*f)
			for i := 0; i < n; i++ {
				kernels.SwiGLU(want[i*f:(i+1)*f], gu[2*i*f:2*i*f+f], gu[2*i*f+f:2*(i+1)*f])
			}
			wantDst := make([]float32, n*rows)
			p.MatMul(wantDst, w, want, n)
			h := make([]float32, n*f)
			dst := make([]float32, n*rows)
			p.MatMulSwiGLU(dst, w, gu, n, h)
			if !slices.Equal(dst, wantDst) {
				t.Errorf("%v n=%d: MatMulSwiGLU differs from SwiGLU then MatMul", typ, n)
			}
			fused := n >= gemmMin(typ) && usesGemmQ8(typ)
			if !fused && !slices.Equal(h, want) {
				t.Errorf("%v n=%d: h does not hold silu(gate)·up", typ, n)
			}
		}
	}
}
