package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// halfRows makes rows×cols random 2-byte values of the given kind
// (bf: bfloat16, else IEEE half) and their float64 values.
func halfRows(r *rand.Rand, rows, cols int, bf bool) ([]byte, []float64) {
	b := make([]byte, 2*rows*cols)
	v := make([]float64, rows*cols)
	for i := range v {
		f := float32(r.NormFloat64())
		var h uint16
		if bf {
			h = uint16(math.Float32bits(f) >> 16)
			v[i] = float64(bf16(h))
		} else {
			h = halfBits(f)
			v[i] = float64(f16(h))
		}
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	return b, v
}

func TestHalfX16(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	forTiers(t, func(t *testing.T) {
		for _, bf := range []bool{false, true} {
			dot, cvt, row := DotF16X16, CvtF16, DequantF16X16Row
			if bf {
				dot, cvt, row = DotBF16X16, CvtBF16, DequantBF16X16Row
			}
			for _, sh := range []struct{ groups, cols int }{{1, 8}, {1, 12}, {2, 16}, {3, 40}, {4, 256}, {2, 1000}} {
				name := fmt.Sprintf("bf=%v/%dx%d", bf, 16*sh.groups, sh.cols)
				rows, cols := 16*sh.groups, sh.cols
				w, ref := halfRows(r, rows, cols, bf)
				for g := 0; g < sh.groups; g++ {
					RepackHalfX16(w[32*cols*g:32*cols*(g+1)], cols)
				}
				// Rows come back exactly.
				got := make([]float32, cols)
				for rr := 0; rr < rows; rr++ {
					row(w[32*cols*(rr/16):], rr%16, got)
					for k := range got {
						if float64(got[k]) != ref[rr*cols+k] {
							t.Fatalf("%s: row %d[%d] = %g, want %g", name, rr, k, got[k], ref[rr*cols+k])
						}
					}
				}
				// Decode.
				x := randF32(r, cols)
				dst := make([]float32, rows)
				dot(w, sh.groups, x, dst)
				for rr := range dst {
					var want, scale float64
					for k := range x {
						want += ref[rr*cols+k] * float64(x[k])
						scale += math.Abs(ref[rr*cols+k] * float64(x[k]))
					}
					if !close(dst[rr], float32(want), scale) {
						t.Fatalf("%s: dot row %d = %g, want %g", name, rr, dst[rr], want)
					}
				}
				// GEMM over every token-tile combination, both modes, one
				// or two groups per panel, a column chunk not at 0.
				for _, toks := range []int{1, 3, 12, 13, 27} {
					for _, add := range []bool{false, true} {
						k0, kc := 0, cols
						if cols >= 16 {
							k0, kc = 8, cols-8
						}
						ldx, ldc := cols+3, PanelRows+5
						xs := randF32(r, toks*ldx)
						c := randF32(r, toks*ldc)
						before := append([]float32(nil), c...)
						wa := make([]float32, 16*kc)
						cvt(wa, w[32*k0:32*(k0+kc)])
						wb := wa
						second := 0
						if sh.groups > 1 {
							wb, second = make([]float32, 16*kc), 16
							cvt(wb, w[32*cols+32*k0:32*cols+32*(k0+kc)])
						}
						xp := make([]float32, toks*kc)
						PackTokens(xp, xs, ldx, toks, kc)
						GemmF32X16(wa, wb, kc, xp, c, ldc, toks, add)
						checkTile(t, fmt.Sprintf("%s: gemm toks=%d add=%v", name, toks, add), c, before, ldc, toks, kc, second, add,
							func(src, i, k int) float64 { return ref[src*cols+k0+k] * float64(xs[i*ldx+k]) })
					}
				}
			}
		}
	})
}

// BenchmarkHalfX16 measures the interleaved F16 decode kernel in L2 and
// from memory (a Phi-3-mini FFN-sized matrix), in GB/s of weights, and the
// GemmF32X16 micro-kernel in cache (GFLOPS).
func BenchmarkHalfX16(b *testing.B) {
	r := rand.New(rand.NewPCG(22, 22))
	for _, sh := range []struct{ rows, cols int }{{128, 1024}, {8192, 3072}} {
		b.Run(fmt.Sprintf("dot/%dx%d", sh.rows, sh.cols), func(b *testing.B) {
			rows, cols := sh.rows, sh.cols
			w, _ := halfRows(r, rows, cols, false)
			for g := 0; g < rows/16; g++ {
				RepackHalfX16(w[32*cols*g:32*cols*(g+1)], cols)
			}
			x, dst := randF32(r, cols), make([]float32, rows)
			b.SetBytes(int64(len(w)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				DotF16X16(w, rows/16, x, dst)
			}
		})
	}
	b.Run("gemm", func(b *testing.B) {
		const toks, kc = 120, 256
		wa, wb := randF32(r, 16*kc), randF32(r, 16*kc)
		x, c := randF32(r, toks*kc), make([]float32, toks*PanelRows)
		xp := make([]float32, toks*kc)
		PackTokens(xp, x, kc, toks, kc)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			GemmF32X16(wa, wb, kc, xp, c, PanelRows, toks, true)
		}
		b.ReportMetric(float64(2*PanelRows*toks*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
	})
	b.Run("gemmbf16", func(b *testing.B) {
		if !CanBF16Dot() {
			b.Skip("no bfloat16 dot products on this CPU")
		}
		const toks, kc = 120, 256
		wa, wb := make([]uint32, 8*kc), make([]uint32, 8*kc)
		x, c := randF32(r, toks*kc), make([]float32, toks*PanelRows)
		xp := make([]uint32, toks*kc/2)
		PackTokensBF16(xp, x, kc, toks, kc)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			GemmBF16X16(wa, wb, kc/2, xp, c, PanelRows, toks, true)
		}
		b.ReportMetric(float64(2*PanelRows*toks*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
	})
}

func BenchmarkRepackHalfX16(b *testing.B) {
	const cols = 3072
	w, _ := halfRows(rand.New(rand.NewPCG(1, 1)), 16*64, cols, false)
	b.SetBytes(int64(len(w)))
	for i := 0; i < b.N; i++ {
		for g := 0; g < 64; g++ {
			RepackHalfX16(w[32*cols*g:32*cols*(g+1)], cols)
		}
	}
}

// checkTile checks a 32-row tile of toks tokens that a GEMM kernel wrote
// into c (before: c's previous contents; add: whether it accumulated)
// against float64 sums of prod(source row, token, k) over k < kc, rows
// 16-31 coming from row 16·(second/16)+r−16 (the second group, or the
// first again), and that it wrote nothing between the tile's rows.
func checkTile(t *testing.T, what string, c, before []float32, ldc, toks, kc, second int, add bool, prod func(src, i, k int) float64) {
	t.Helper()
	for i := 0; i < toks; i++ {
		for rr := 0; rr < PanelRows; rr++ {
			src := rr
			if rr >= 16 {
				src = rr - 16 + second
			}
			var want, scale float64
			for k := 0; k < kc; k++ {
				p := prod(src, i, k)
				want += p
				scale += math.Abs(p)
			}
			if add {
				want += float64(before[i*ldc+rr])
				scale += math.Abs(float64(before[i*ldc+rr]))
			}
			if !close(c[i*ldc+rr], float32(want), scale) {
				t.Fatalf("%s: c[%d][%d] = %g, want %g", what, i, rr, c[i*ldc+rr], want)
			}
		}
		for j := PanelRows; j < ldc && i < toks-1; j++ {
			if c[i*ldc+j] != before[i*ldc+j] {
				t.Fatalf("%s: wrote past the tile", what)
			}
		}
	}
}

// TestBF16Pairs checks the bfloat16 path of the half-precision GEMM on
// every tier: pair conversion of F16X16 and BF16X16 chunks (bit-exact
// against the values rounded one by one), activation packing, and
// GemmBF16X16 against a float64 sum of the rounded values.
func TestBF16Pairs(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 23))
	rnd := func(f float32) float64 { return float64(bf16(uint16(bf16Round(math.Float32bits(f))))) }
	forTiers(t, func(t *testing.T) {
		for _, bf := range []bool{false, true} {
			cvt := CvtF16Pairs
			if bf {
				cvt = CvtBF16Pairs
			}
			for _, sh := range []struct{ groups, cols int }{{1, 2}, {1, 16}, {2, 40}, {2, 258}} {
				name := fmt.Sprintf("bf=%v/%dx%d", bf, 16*sh.groups, sh.cols)
				rows, cols := 16*sh.groups, sh.cols
				w, ref := halfRows(r, rows, cols, bf)
				for g := 0; g < sh.groups; g++ {
					RepackHalfX16(w[32*cols*g:32*cols*(g+1)], cols)
				}
				k0 := 0
				if cols > 16 {
					k0 = 4
				}
				kc := cols - k0
				kp := kc / 2
				// Rounded weights, [row][k] for k < kc.
				wr := make([]float64, rows*kc)
				for rr := 0; rr < rows; rr++ {
					for k := 0; k < kc; k++ {
						wr[rr*kc+k] = rnd(float32(ref[rr*cols+k0+k]))
					}
				}
				wa := make([]uint32, 16*kp)
				cvt(wa, w[32*k0:32*(k0+kc)])
				for p := 0; p < kp; p++ {
					for rr := 0; rr < 16; rr++ {
						lo, hi := bf16(uint16(wa[16*p+rr])), bf16(uint16(wa[16*p+rr]>>16))
						if float64(lo) != wr[rr*kc+2*p] || float64(hi) != wr[rr*kc+2*p+1] {
							t.Fatalf("%s: pair %d row %d = %g,%g, want %g,%g", name, p, rr, lo, hi, wr[rr*kc+2*p], wr[rr*kc+2*p+1])
						}
					}
				}
				wb, second := wa, 0
				if sh.groups > 1 {
					wb, second = make([]uint32, 16*kp), 16
					cvt(wb, w[32*cols+32*k0:32*cols+32*(k0+kc)])
				}
				for _, toks := range []int{1, 5, 12, 13, 27} {
					for _, add := range []bool{false, true} {
						ldx, ldc := cols+3, PanelRows+5
						xs := randF32(r, toks*ldx)
						c := randF32(r, toks*ldc)
						before := append([]float32(nil), c...)
						xp := make([]uint32, toks*kp)
						PackTokensBF16(xp, xs[k0:], ldx, toks, kc)
						GemmBF16X16(wa, wb, kp, xp, c, ldc, toks, add)
						checkTile(t, fmt.Sprintf("%s: gemm toks=%d add=%v", name, toks, add), c, before, ldc, toks, kc, second, add,
							func(src, i, k int) float64 { return wr[src*kc+k] * rnd(xs[i*ldx+k0+k]) })
					}
				}
			}
		}
	})
}
