package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmRef is C (+)= X·Wᵀ (nt) or X·W in float64.
func gemmRef(c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add, nt bool) []float64 {
	out := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for r := 0; r < m; r++ {
			var s float64
			if add {
				s = float64(c[i*ldc+r])
			}
			for j := 0; j < k; j++ {
				var wv float32
				if nt {
					wv = w[r*ldw+j]
				} else {
					wv = w[j*ldw+r]
				}
				s += float64(x[i*ldx+j]) * float64(wv)
			}
			out[i*m+r] = s
		}
	}
	return out
}

func TestGemm(t *testing.T) {
	shapes := []struct{ n, m, k int }{
		{1, 1, 1}, {5, 7, 3}, {12, 32, 64}, {13, 33, 257}, {100, 64, 96}, {300, 40, 520}, {47, 96, 17}, {256, 16, 512},
	}
	pool := NewPool(2)
	defer pool.Close()
	for _, tier := range KernelTiers() {
		if err := UseKernelTier(tier); err != nil {
			t.Fatal(err)
		}
		for _, s := range shapes {
			for _, nt := range []bool{true, false} {
				for _, add := range []bool{false, true} {
					for _, serial := range []bool{false, true} {
						name := fmt.Sprintf("%s/n%d_m%d_k%d/nt=%v/add=%v/serial=%v", tier, s.n, s.m, s.k, nt, add, serial)
						r := rand.New(rand.NewPCG(uint64(s.n), uint64(s.m*1000+s.k)))
						ldx, ldc := s.k+3, s.m+5
						ldw := s.k + 1
						wrows := s.m
						if !nt {
							ldw, wrows = s.m+2, s.k
						}
						x, w, c := randNorm(r, s.n*ldx), randNorm(r, wrows*ldw), randNorm(r, s.n*ldc)
						want := gemmRef(c, ldc, x, ldx, w, ldw, s.n, s.m, s.k, add, nt)
						guard := append([]float32(nil), c...)
						switch {
						case serial && nt:
							GemmNTSerial(make([]float32, GemmScratch(s.n)), c, ldc, x, ldx, w, ldw, s.n, s.m, s.k, add)
						case serial:
							GemmNNSerial(make([]float32, GemmScratch(s.n)), c, ldc, x, ldx, w, ldw, s.n, s.m, s.k, add)
						case nt:
							pool.GemmNT(c, ldc, x, ldx, w, ldw, s.n, s.m, s.k, add)
						default:
							pool.GemmNN(c, ldc, x, ldx, w, ldw, s.n, s.m, s.k, add)
						}
						for i := 0; i < s.n; i++ {
							for j := 0; j < ldc; j++ {
								got := c[i*ldc+j]
								if j >= s.m {
									if got != guard[i*ldc+j] {
										t.Fatalf("%s: wrote outside C at (%d,%d)", name, i, j)
									}
									continue
								}
								if d := math.Abs(float64(got) - want[i*s.m+j]); d > 1e-5*math.Sqrt(float64(s.k+1))*4 {
									t.Fatalf("%s: C[%d][%d] = %v, want %v", name, i, j, got, want[i*s.m+j])
								}
							}
						}
					}
				}
			}
		}
	}
	_ = UseKernelTier(KernelTiers()[0])
}

func TestTranspose(t *testing.T) {
	pool := NewPool(2)
	defer pool.Close()
	for _, s := range []struct{ rows, cols int }{{1, 1}, {3, 70}, {65, 33}, {256, 96}} {
		ld := s.cols + 2
		src := randNorm(rand.New(rand.NewPCG(1, 2)), s.rows*ld)
		dst, serial := make([]float32, s.rows*s.cols), make([]float32, s.rows*s.cols)
		pool.Transpose(dst, src, ld, s.rows, s.cols)
		TransposeSerial(serial, src, ld, s.rows, s.cols)
		for r := 0; r < s.rows; r++ {
			for c := 0; c < s.cols; c++ {
				if dst[c*s.rows+r] != src[r*ld+c] || serial[c*s.rows+r] != src[r*ld+c] {
					t.Fatalf("%dx%d: dst[%d][%d] wrong", s.rows, s.cols, c, r)
				}
			}
		}
	}
}

func randNorm(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// BenchmarkGemm measures the trainer's three products at a stories15M-like
// layer (288 wide, 768 FFN, 2048 tokens): GFLOPS per form.
func BenchmarkGemm(b *testing.B) {
	pool := NewPool(0)
	defer pool.Close()
	for _, s := range []struct {
		name    string
		n, m, k int
		nt      bool
	}{{"fwd_2048x768x288", 2048, 768, 288, true}, {"dx_2048x288x768", 2048, 288, 768, false}, {"dw_768x288x2048", 768, 288, 2048, false},
		{"head_2048x32000x288", 2048, 32000, 288, true}, {"fwd_2048x64x64", 2048, 64, 64, true}} {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			wn := s.m * s.k
			x, w, c := randNorm(r, s.n*s.k), randNorm(r, wn), make([]float32, s.n*s.m)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if s.nt {
					pool.GemmNT(c, s.m, x, s.k, w, s.k, s.n, s.m, s.k, false)
				} else {
					pool.GemmNN(c, s.m, x, s.k, w, s.m, s.n, s.m, s.k, false)
				}
			}
			b.ReportMetric(2*float64(s.n*s.m*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// TestGemmCausal checks each causal mode against the full product on
// operands with the zero triangle the mode assumes.
func TestGemmCausal(t *testing.T) {
	for _, tier := range KernelTiers() {
		if err := UseKernelTier(tier); err != nil {
			t.Fatal(err)
		}
		for _, T := range []int{1, 7, 33, 100, 257} {
			for _, hd := range []int{8, 48, 64} {
				r := rand.New(rand.NewPCG(uint64(T), uint64(hd)))
				buf := make([]float32, GemmScratch(max(T, hd)))
				lower := randNorm(r, T*T) // P-like: zero above the diagonal
				for i := 0; i < T; i++ {
					clear(lower[i*T+i+1 : (i+1)*T])
				}
				a, b := randNorm(r, T*hd), randNorm(r, T*hd)
				check := func(name string, got, want []float32, ld, rows, cols int, only func(i, j int) bool) {
					for i := 0; i < rows; i++ {
						for j := 0; j < cols; j++ {
							if only != nil && !only(i, j) {
								continue
							}
							if d := math.Abs(float64(got[i*ld+j] - want[i*ld+j])); d > 1e-4*math.Sqrt(float64(T)) {
								t.Fatalf("%s T=%d hd=%d %s: [%d][%d] = %v, want %v", tier, T, hd, name, i, j, got[i*ld+j], want[i*ld+j])
							}
						}
					}
				}
				for _, add := range []bool{false, true} {
					// RowsFrom: S = A·Bᵀ for i ≥ j.
					init := randNorm(r, T*T)
					got, want := append([]float32(nil), init...), append([]float32(nil), init...)
					GemmCausalSerial(buf, got, T, a, hd, b, hd, T, T, hd, add, true, RowsFrom)
					GemmNTSerial(buf, want, T, a, hd, b, hd, T, T, hd, add)
					check("RowsFrom", got, want, T, T, T, func(i, j int) bool { return j <= i })
					// TokensFromK: O = P·B.
					init = randNorm(r, T*hd)
					got, want = append([]float32(nil), init...), append([]float32(nil), init...)
					GemmCausalSerial(buf, got, hd, lower, T, b, hd, T, hd, T, add, false, TokensFromK)
					GemmNNSerial(buf, want, hd, lower, T, b, hd, T, hd, T, add)
					check("TokensFromK", got, want, hd, T, hd, nil)
					// KFromRows: Cᵀ = Aᵀ·P with Aᵀ [hd][T].
					at := make([]float32, hd*T)
					for i := 0; i < T; i++ {
						for d := 0; d < hd; d++ {
							at[d*T+i] = a[i*hd+d]
						}
					}
					init = randNorm(r, hd*T)
					got, want = append([]float32(nil), init...), append([]float32(nil), init...)
					GemmCausalSerial(buf, got, T, at, T, lower, T, hd, T, T, add, false, KFromRows)
					GemmNNSerial(buf, want, T, at, T, lower, T, hd, T, T, add)
					check("KFromRows", got, want, T, hd, T, nil)
				}
			}
		}
	}
	_ = UseKernelTier(KernelTiers()[0])
}
