package kernels

import (
	"encoding/binary"
	"fmt"
	"golang.org/x/sys/unix"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// halfBits encodes v as IEEE half (round toward zero is enough for tests:
// the kernels are compared on the same bits).
func halfBits(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	e := int(b>>23&0xff) - 127 + 15
	if e <= 0 {
		return sign
	}
	return sign | uint16(e)<<10 | uint16(b>>13&0x3ff)
}

func close(a, b float32, scale float64) bool {
	return math.Abs(float64(a)-float64(b)) <= 1e-5*scale+1e-6
}

// forTiers runs f once per available tier, restoring the best tier after.
func forTiers(t *testing.T, f func(t *testing.T)) {
	defer Use(Best())
	for _, tier := range Available() {
		if err := Use(tier); err != nil {
			t.Fatal(err)
		}
		t.Run(string(tier), f)
	}
}

var sizes = []int{1, 7, 15, 16, 17, 31, 32, 33, 64, 96, 100, 255, 256, 257, 1000, 3072}

func TestDots(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	forTiers(t, func(t *testing.T) {
		for _, n := range sizes {
			a, b := randF32(r, n), randF32(r, n)
			wh := make([]byte, 2*n)
			wb := make([]byte, 2*n)
			for i, v := range a {
				binary.LittleEndian.PutUint16(wh[2*i:], halfBits(v))
				binary.LittleEndian.PutUint16(wb[2*i:], uint16(math.Float32bits(v)>>16))
			}
			scale := math.Sqrt(float64(n)) * 4
			if got, want := DotF32(a, b), dotF32Generic(&a[0], &b[0], n); !close(got, want, scale) {
				t.Errorf("DotF32 n=%d: %g, want %g", n, got, want)
			}
			if got, want := DotF16(wh, b), dotF16Generic(u16(wh), &b[0], n); !close(got, want, scale) {
				t.Errorf("DotF16 n=%d: %g, want %g", n, got, want)
			}
			if got, want := DotBF16(wb, b), dotBF16Generic(u16(wb), &b[0], n); !close(got, want, scale) {
				t.Errorf("DotBF16 n=%d: %g, want %g", n, got, want)
			}
			y := randF32(r, n)
			y2 := append([]float32(nil), y...)
			Axpy(y, a, 0.37)
			axpyGeneric(&y2[0], &a[0], 0.37, n)
			for i := range y {
				if !close(y[i], y2[i], 1) {
					t.Fatalf("Axpy n=%d [%d]: %g, want %g", n, i, y[i], y2[i])
				}
			}
		}
	})
}

func u16(b []byte) *uint16 {
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return &out[0]
}

// TestQuantDots compares the int8 kernels with the generic ones, which
// compute the same integer sums, so they agree to float rounding.
func TestQuantDots(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{1, 2, 3, 5, 96, 97, 256} {
			x := randF32(r, 32*nb)
			var q Q8
			q.Quantize(x)
			w8 := make([]byte, 34*nb)
			w4 := make([]byte, 18*nb)
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint16(w8[34*b:], halfBits(float32(r.Float64()*0.1)))
				for j := 0; j < 32; j++ {
					w8[34*b+2+j] = byte(int8(r.IntN(255) - 127))
				}
				binary.LittleEndian.PutUint16(w4[18*b:], halfBits(float32(r.Float64()*0.1)))
				for j := 0; j < 16; j++ {
					w4[18*b+2+j] = byte(r.IntN(256))
				}
			}
			scale := float64(nb) * 100
			if got, want := DotQ8_0(w8, &q), dotQ8_0Generic(&w8[0], nb, &q.Q[0], &q.D[0]); !close(got, want, scale) {
				t.Errorf("DotQ8_0 nb=%d: %g, want %g", nb, got, want)
			}
			if got, want := DotQ4_0(w4, &q), dotQ4_0Generic(&w4[0], nb, &q.Q[0], &q.D[0], &q.S[0]); !close(got, want, scale) {
				t.Errorf("DotQ4_0 nb=%d: %g, want %g", nb, got, want)
			}
		}
	})
}

// TestQ8Error states the error of quantizing activations to 8 bits: per
// block it is at most half a step, max|x|/254.
func TestQ8Error(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	x := randF32(r, 32*64)
	var q Q8
	q.Quantize(x)
	var num, den float64
	for b := 0; b < 64; b++ {
		for j := 0; j < 32; j++ {
			i := 32*b + j
			d := float64(x[i]) - float64(q.Q[i])*float64(q.D[b])
			if math.Abs(d) > float64(q.D[b])/2*1.0001 {
				t.Fatalf("element %d: error %g > half step %g", i, d, q.D[b]/2)
			}
			num += d * d
			den += float64(x[i]) * float64(x[i])
		}
	}
	t.Logf("8-bit activation RMS relative error on Gaussian data: %.4f", math.Sqrt(num/den))
}

func benchDot(b *testing.B, f func()) {
	for i := 0; i < b.N; i++ {
		f()
	}
}

func BenchmarkDotQ4_0(b *testing.B) {
	for _, rows := range []int{256, 2048, 65536} {
		b.Run(fmt.Sprint(rows*18*96/1024, "KiB"), func(b *testing.B) { benchDotQ4_0(b, rows) })
	}
}

func benchDotQ4_0(b *testing.B, rows int) {
	r := rand.New(rand.NewPCG(5, 5))
	const nb = 96 // one Phi-3-mini row (3072)
	w := make([]byte, 18*nb*rows)
	if os.Getenv("HUGE") != "" {
		var err error
		w, err = unix.Mmap(-1, 0, 18*nb*rows, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			b.Fatal(err)
		}
		if err := unix.Madvise(w, unix.MADV_HUGEPAGE); err != nil {
			b.Fatal(err)
		}
	}
	for i := range w {
		w[i] = byte(r.IntN(256))
	}
	for i := 0; i < nb*rows; i++ {
		binary.LittleEndian.PutUint16(w[18*i:], halfBits(0.01))
	}
	var q Q8
	q.Quantize(randF32(r, 32*nb))
	dot := DotQ4_0
	if os.Getenv("REPACK") != "" && CanRepackQ4_0() {
		RepackQ4_0(w)
		dot = DotQ4_0R
	}
	b.SetBytes(int64(len(w)))
	var s float32
	for i := 0; i < b.N; i++ {
		for row := 0; row < rows; row++ {
			s += dot(w[18*nb*row:18*nb*(row+1)], &q)
		}
	}
	_ = s
}

func TestDequant(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{1, 2, 3, 96} {
			n := 32 * nb
			src := make([]byte, 34*nb)
			for i := range src {
				src[i] = byte(r.IntN(256))
			}
			for b := 0; b < nb; b++ { // finite scales
				binary.LittleEndian.PutUint16(src[34*b:], halfBits(float32(r.Float64())))
				binary.LittleEndian.PutUint16(src[18*b:], halfBits(float32(r.Float64())))
			}
			h := make([]byte, 2*n+2)
			for i := range h {
				h[i] = byte(r.IntN(256))
			}
			for i := 0; i < n; i++ { // no NaN/Inf halves
				h[2*i+1] &= 0x7b
			}
			check := func(name string, got []float32, want func(*float32)) {
				w := make([]float32, len(got))
				want(&w[0])
				for i := range w {
					if got[i] != w[i] {
						t.Fatalf("%s nb=%d [%d]: %g, want %g", name, nb, i, got[i], w[i])
					}
				}
			}
			for _, m := range []int{n, n - 5, 7} {
				got := make([]float32, m)
				CvtF16(got, h)
				check("CvtF16", got, func(p *float32) { cvtF16Generic(p, u16(h), m) })
				CvtBF16(got, h)
				check("CvtBF16", got, func(p *float32) { cvtBF16Generic(p, u16(h), m) })
			}
			got := make([]float32, n)
			DequantQ8_0(got, src)
			check("DequantQ8_0", got, func(p *float32) { dequantQ8_0Generic(p, &src[0], nb) })
			DequantQ4_0(got, src)
			check("DequantQ4_0", got, func(p *float32) { dequantQ4_0Generic(p, &src[0], nb) })
		}
	})
}

func TestGemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	forTiers(t, func(t *testing.T) {
		for _, s := range [][3]int{{32, 12, 16}, {32, 25, 256}, {7, 3, 33}, {32, 1, 1}, {20, 13, 100}} {
			rows, toks, kc := s[0], s[1], s[2]
			ld, ldx, ldc := kc+1, kc+3, PanelRows+5
			src := randF32(r, rows*ld)
			x := randF32(r, toks*ldx)
			packed := make([]float32, kc*PanelRows)
			Pack(packed, src, ld, rows, kc)
			for _, add := range []bool{false, true} {
				c := randF32(r, toks*ldc)
				want := append([]float32(nil), c...)
				for i := 0; i < toks; i++ {
					for j := 0; j < PanelRows; j++ {
						var acc float64
						if j < rows {
							for k := 0; k < kc; k++ {
								acc += float64(src[j*ld+k]) * float64(x[i*ldx+k])
							}
						}
						if add {
							acc += float64(want[i*ldc+j])
						}
						want[i*ldc+j] = float32(acc)
					}
				}
				GemmPacked(packed, kc, x, ldx, c, ldc, toks, add)
				for i := 0; i < toks; i++ {
					for j := 0; j < PanelRows; j++ {
						if !close(c[i*ldc+j], want[i*ldc+j], float64(kc)) {
							t.Fatalf("%v add=%v [%d,%d]: %g, want %g", s, add, i, j, c[i*ldc+j], want[i*ldc+j])
						}
					}
				}
			}
		}
	})
}

func BenchmarkGemmPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 9))
	const toks, kc = 120, 256
	w, x, c := randF32(r, kc*PanelRows), randF32(r, toks*kc), make([]float32, toks*PanelRows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		GemmPacked(w, kc, x, kc, c, PanelRows, toks, true)
	}
	b.ReportMetric(float64(2*PanelRows*toks*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func TestDequantK(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{1, 3, 12} {
			q4 := make([]byte, 144*nb)
			q6 := make([]byte, 210*nb)
			for i := range q4 {
				q4[i] = byte(r.IntN(256))
			}
			for i := range q6 {
				q6[i] = byte(r.IntN(256))
			}
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint16(q4[144*b:], halfBits(float32(r.Float64())))
				binary.LittleEndian.PutUint16(q4[144*b+2:], halfBits(float32(r.Float64())))
				binary.LittleEndian.PutUint16(q6[210*b+208:], halfBits(float32(r.Float64())))
			}
			for _, c := range []struct {
				name string
				f    func([]float32, []byte)
				g    func(*float32, *byte, int)
				src  []byte
			}{{"Q4_K", DequantQ4_K, dequantQ4_KGeneric, q4}, {"Q6_K", DequantQ6_K, dequantQ6_KGeneric, q6}} {
				got, want := make([]float32, 256*nb), make([]float32, 256*nb)
				c.f(got, c.src)
				c.g(&want[0], &c.src[0], nb)
				for i := range got {
					if math.Abs(float64(got[i]-want[i])) > 1e-6*math.Abs(float64(want[i]))+1e-6 {
						t.Fatalf("%s nb=%d [%d]: %g, want %g", c.name, nb, i, got[i], want[i])
					}
				}
			}
		}
	})
}

func TestRepackQ4_0(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{2, 4, 96} {
			w := make([]byte, 18*nb)
			for i := range w {
				w[i] = byte(r.IntN(256))
			}
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint16(w[18*b:], halfBits(float32(r.Float64()*0.1)))
			}
			x := randF32(r, 32*nb)
			var q Q8
			q.Quantize(x)
			want := dotQ4_0Generic(&w[0], nb, &q.Q[0], &q.D[0], &q.S[0])
			wantF := make([]float32, 32*nb)
			dequantQ4_0Generic(&wantF[0], &w[0], nb)
			rp := append([]byte(nil), w...)
			RepackQ4_0(rp)
			gotF := make([]float32, 32*nb)
			DequantQ4_0R(gotF, rp)
			for i := range gotF {
				if gotF[i] != wantF[i] {
					t.Fatalf("nb=%d: DequantQ4_0R[%d] = %g, want %g", nb, i, gotF[i], wantF[i])
				}
			}
			if got := DotQ4_0R(rp, &q); !close(got, want, float64(nb)*100) {
				t.Errorf("nb=%d: DotQ4_0R = %g, want %g", nb, got, want)
			}
		}
	})
}

func TestGemmQ8(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{1, 3, 8} {
			K := 32 * nb
			panel := make([]byte, nb*Q8BlockBytes)
			wq := make([][]uint8, nb) // per block 32×32
			ws := make([][]float32, nb)
			for b := 0; b < nb; b++ {
				wq[b] = make([]uint8, 1024)
				ws[b] = make([]float32, 32)
				// AVX2's kernel takes weights up to 127 (16-bit pair sums),
				// VNNI's (and the Go twin's) up to 255 (Q8_0's bytes + 128).
				top := 128
				if HasGemmQ8(GemmWide) || !HasGemmQ8(GemmPlain) {
					top = 256
				}
				for i := range wq[b] {
					wq[b][i] = uint8(r.IntN(top))
				}
				wq[b][0] = uint8(top - 1) // the extremes, against saturation
				wq[b][1] = uint8(top - 1)
				for i := range ws[b] {
					ws[b][i] = float32(r.Float64())
				}
				PackQ8Block(panel, b, wq[b], ws[b])
			}
			ldx, ldb, ldc := K+7, Q8Tile+2, 40
			x := make([]int8, Q8Tile*ldx)
			for i := range x {
				x[i] = int8(r.IntN(255) - 127)
			}
			xd := make([]float32, nb*ldb)
			xi := make([]int32, nb*ldb)
			for i := range xd {
				xd[i] = float32(r.Float64())
				xi[i] = int32(r.IntN(2000) - 1000)
			}
			for _, add := range []bool{false, true} {
				c := randF32(r, Q8Tile*ldc)
				want := append([]float32(nil), c...)
				scale := make([]float64, len(want)) // Σ|terms|: float32 sums may cancel
				for i := 0; i < Q8Tile; i++ {
					for row := 0; row < 32; row++ {
						acc := 0.0
						if add {
							acc = float64(want[i*ldc+row])
						}
						mag := math.Abs(acc)
						for b := 0; b < nb; b++ {
							sum := int64(xi[b*ldb+i])
							for k := 0; k < 32; k++ {
								sum += int64(wq[b][row*32+k]) * int64(x[i*ldx+32*b+k])
							}
							term := float64(ws[b][row]) * float64(xd[b*ldb+i]) * float64(sum)
							acc += term
							mag += math.Abs(term)
						}
						want[i*ldc+row] = float32(acc)
						scale[i*ldc+row] = mag
					}
				}
				GemmQ8(panel, x, ldx, xd, xi, ldb, nb, c, ldc, add)
				for i := 0; i < Q8Tile; i++ {
					for row := 0; row < 32; row++ {
						g, w := c[i*ldc+row], want[i*ldc+row]
						if math.Abs(float64(g-w)) > 1e-5*scale[i*ldc+row]+1e-3 {
							t.Fatalf("nb=%d add=%v [%d,%d]: %g, want %g", nb, add, i, row, g, w)
						}
					}
				}
			}
		}
	})
}

func BenchmarkGemmQ8(b *testing.B) {
	r := rand.New(rand.NewPCG(14, 14))
	const nb, tiles = 8, 20
	panel := make([]byte, nb*Q8BlockBytes)
	for i := range panel {
		panel[i] = byte(r.IntN(16))
	}
	x := make([]int8, tiles*Q8Tile*32*nb)
	xd := make([]float32, nb*tiles*Q8Tile)
	xi := make([]int32, nb*tiles*Q8Tile)
	c := make([]float32, tiles*Q8Tile*32)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		for tl := 0; tl < tiles; tl++ {
			GemmQ8(panel, x[tl*Q8Tile*32*nb:], 32*nb, xd[tl*Q8Tile:], xi[tl*Q8Tile:], tiles*Q8Tile, nb, c[tl*Q8Tile*32:], 32, true)
		}
	}
	b.ReportMetric(float64(2*32*32*nb*Q8Tile*tiles)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
}

func TestDotQ4_K(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 15))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{1, 3, 12} {
			rows, stride := 5, 144*nb+16
			w := make([]byte, rows*stride)
			for i := range w {
				w[i] = byte(r.IntN(256))
			}
			for row := 0; row < rows; row++ {
				for b := 0; b < nb; b++ {
					binary.LittleEndian.PutUint16(w[row*stride+144*b:], halfBits(float32(r.Float64()*0.01)))
					binary.LittleEndian.PutUint16(w[row*stride+144*b+2:], halfBits(float32(r.Float64()*0.01)))
				}
			}
			x := randF32(r, 256*nb)
			var q Q8
			q.Quantize(x)
			got := make([]float32, rows)
			DotQ4_KRows(w, stride, rows, &q, got)
			// Against the dequantized weights and activations, in float64.
			deq := make([]float32, 256*nb)
			for row := 0; row < rows; row++ {
				dequantQ4_KGeneric(&deq[0], &w[row*stride], nb)
				var want float64
				for i := range deq {
					want += float64(deq[i]) * float64(q.Q[i]) * float64(q.D[i/32])
				}
				if math.Abs(float64(got[row])-want) > 1e-4*math.Abs(want)+1e-3 {
					t.Fatalf("nb=%d row %d: %g, want %g", nb, row, got[row], want)
				}
			}
		}
	})
}

func TestDotQ6_K(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	forTiers(t, func(t *testing.T) {
		for _, nb := range []int{1, 3, 12} {
			rows, stride := 5, 210*nb+6
			w := make([]byte, rows*stride)
			for i := range w {
				w[i] = byte(r.IntN(256))
			}
			for row := 0; row < rows; row++ {
				for b := 0; b < nb; b++ {
					binary.LittleEndian.PutUint16(w[row*stride+210*b+208:], halfBits(float32(r.Float64()*0.01)))
				}
			}
			x := randF32(r, 256*nb)
			var q Q8
			q.Quantize(x)
			got := make([]float32, rows)
			DotQ6_KRows(w, stride, rows, &q, got)
			deq := make([]float32, 256*nb)
			for row := 0; row < rows; row++ {
				dequantQ6_KGeneric(&deq[0], &w[row*stride], nb)
				var want float64
				for i := range deq {
					want += float64(deq[i]) * float64(q.Q[i]) * float64(q.D[i/32])
				}
				if math.Abs(float64(got[row])-want) > 1e-4*math.Abs(want)+1e-3 {
					t.Fatalf("nb=%d row %d: %g, want %g", nb, row, got[row], want)
				}
			}
		}
	})
}

func TestGemmQ8Min(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	forTiers(t, func(t *testing.T) {
		nb := 3
		panel := make([]byte, nb*Q8MinBlockBytes)
		for i := range panel {
			panel[i] = byte(r.IntN(16))
		}
		for b := 0; b < nb; b++ { // finite scales and mins
			for j := 0; j < 64; j++ {
				putF32(panel[b*Q8MinBlockBytes+1024+4*j:], float32(r.Float64()))
			}
		}
		ldx, ldb, ldc := 32*nb, Q8Tile, 32
		x := make([]int8, Q8Tile*ldx)
		for i := range x {
			x[i] = int8(r.IntN(255) - 127)
		}
		xd, xs := randF32(r, nb*ldb), randF32(r, nb*ldb)
		xi := make([]int32, nb*ldb)
		got, want := make([]float32, Q8Tile*ldc), make([]float32, Q8Tile*ldc)
		GemmQ8Min(panel, x, ldx, xd, xi, ldb, nb, got, ldc, false, xs)
		gemmQ8MinGo(panel, x, ldx, xd, xi, ldb, nb, want, ldc, false, xs)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*math.Abs(float64(want[i]))+1e-3 {
				t.Fatalf("[%d]: %g, want %g", i, got[i], want[i])
			}
		}
	})
}

func TestQ4_0X16(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 18))
	forTiers(t, func(t *testing.T) {
		nb, groups := 6, 3
		w := make([]byte, groups*16*18*nb)
		for i := range w {
			w[i] = byte(r.IntN(256))
		}
		for row := 0; row < 16*groups; row++ {
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint16(w[row*18*nb+18*b:], halfBits(float32(r.Float64()*0.1)))
			}
		}
		var q Q8
		q.Quantize(randF32(r, 32*nb))
		want := make([]float32, 16*groups)
		wantRows := make([][]float32, 16*groups)
		for row := range want {
			want[row] = dotQ4_0Generic(&w[row*18*nb], nb, &q.Q[0], &q.D[0], &q.S[0])
			wantRows[row] = make([]float32, 32*nb)
			dequantQ4_0Generic(&wantRows[row][0], &w[row*18*nb], nb)
		}
		for g := 0; g < groups; g++ {
			RepackQ4_0X16(w[g*16*18*nb:(g+1)*16*18*nb], nb)
		}
		got := make([]float32, 16*groups)
		DotQ4_0X16(w, groups, &q, got)
		for i := range got {
			if !close(got[i], want[i], float64(nb)*100) {
				t.Fatalf("row %d: %g, want %g", i, got[i], want[i])
			}
		}
		row := make([]float32, 32*nb)
		for i := range want {
			DequantQ4_0X16Row(w[(i/16)*16*18*nb:], i%16, row)
			for k := range row {
				if row[k] != wantRows[i][k] {
					t.Fatalf("row %d elem %d: %g, want %g", i, k, row[k], wantRows[i][k])
				}
			}
		}
	})
}

func BenchmarkQ4_0Layouts(b *testing.B) {
	r := rand.New(rand.NewPCG(19, 19))
	const nb = 96
	rows := 65536
	if os.Getenv("SMALL") != "" {
		rows = 256
	}
	w := make([]byte, 18*nb*rows)
	for i := range w {
		w[i] = byte(r.IntN(256))
	}
	var q Q8
	q.Quantize(randF32(r, 32*nb))
	dst := make([]float32, rows)
	b.Run("R", func(b *testing.B) {
		w2 := append([]byte(nil), w...)
		RepackQ4_0(w2)
		b.SetBytes(int64(len(w2)))
		for i := 0; i < b.N; i++ {
			DotQ4_0RRows(w2, 18*nb, rows, &q, dst)
		}
	})
	b.Run("X16", func(b *testing.B) {
		w2 := append([]byte(nil), w...)
		for g := 0; g < rows/16; g++ {
			RepackQ4_0X16(w2[g*16*18*nb:(g+1)*16*18*nb], nb)
		}
		b.SetBytes(int64(len(w2)))
		for i := 0; i < b.N; i++ {
			DotQ4_0X16(w2, rows/16, &q, dst)
		}
	})
}

// PackQ8Block writes block b of a GemmQ8 panel (as tensor.packQ8Panel
// does) from q[r·32 + k] and the row scales: a test helper.
func PackQ8Block(panel []byte, b int, q []uint8, scale []float32) {
	blk := panel[b*Q8BlockBytes : (b+1)*Q8BlockBytes]
	for r := 0; r < 32; r++ {
		row := q[r*32 : r*32+32]
		for s := 0; s < 8; s++ {
			copy(blk[s*128+r*4:s*128+r*4+4], row[4*s:4*s+4])
		}
	}
	for r := 0; r < 32; r++ {
		putF32(blk[1024+4*r:], scale[r])
	}
}

// BenchmarkRowsKernels measures the multi-row int8 decode kernels of the
// K and 5-bit types on one thread in GB/s of weights: rows of one
// Phi-3-mini width (3072), 256 rows (L2-resident) with SMALL=1, else 16384
// (from memory).
//
//	go test -run X -bench RowsKernels ./tensor/internal/kernels
func BenchmarkRowsKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(23, 23))
	const cols = 3072
	rows := 16384
	if os.Getenv("SMALL") != "" {
		rows = 256
	}
	var q Q8
	q.Quantize(randF32(r, cols))
	dst := make([]float32, rows)
	for _, k := range []struct {
		name       string
		blockBytes int
		blockElems int
		f          func(w []byte, stride, rows int, a *Q8, dst []float32)
	}{
		{"Q4_K", 144, 256, DotQ4_KRows}, {"Q5_K", 176, 256, DotQ5_KRows}, {"Q6_K", 210, 256, DotQ6_KRows},
		{"Q4_1", 20, 32, DotQ4_1Rows}, {"Q5_0", 22, 32, DotQ5_0Rows}, {"Q5_1", 24, 32, DotQ5_1Rows},
	} {
		stride := cols / k.blockElems * k.blockBytes
		w := make([]byte, rows*stride)
		for i := range w {
			w[i] = byte(r.IntN(256))
		}
		for i := 0; i < len(w); i += k.blockBytes {
			binary.LittleEndian.PutUint16(w[i:], halfBits(0.01)) // finite scales
			binary.LittleEndian.PutUint16(w[i+k.blockBytes-2:], halfBits(0.01))
		}
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for i := 0; i < b.N; i++ {
				k.f(w, stride, rows, &q, dst)
			}
		})
		if k.name == "Q4_K" && CanRepackQ4_KX16() {
			for g := 0; g < rows/16; g++ {
				RepackQ4_KX16(w[g*16*stride:(g+1)*16*stride], cols/256)
			}
			b.Run("Q4_KX16", func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				for i := 0; i < b.N; i++ {
					DotQ4_KX16(w, rows/16, &q, dst)
				}
			})
		}
	}
}

// TestGemmQ8S16 checks the per-16-values-scale GEMM (Q6_K prefill)
// against its Go twin, with offset terms and accumulation into c.
func TestGemmQ8S16(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 24))
	forTiers(t, func(t *testing.T) {
		nb := 3
		panel := make([]byte, nb*Q8MinBlockBytes)
		for i := range panel {
			panel[i] = byte(r.IntN(64))
		}
		for b := 0; b < nb; b++ { // finite scales for both halves
			for j := 0; j < 64; j++ {
				putF32(panel[b*Q8MinBlockBytes+1024+4*j:], float32(r.Float64()-0.5))
			}
		}
		ldx, ldb, ldc := 32*nb, Q8Tile, 32
		x := make([]int8, Q8Tile*ldx)
		for i := range x {
			x[i] = int8(r.IntN(255) - 127)
		}
		xd := randF32(r, nb*ldb)
		xi := make([]int32, 2*nb*ldb)
		for i := range xi {
			xi[i] = int32(r.IntN(20000) - 10000)
		}
		for _, add := range []bool{false, true} {
			got, want := randF32(r, Q8Tile*ldc), make([]float32, Q8Tile*ldc)
			copy(want, got)
			GemmQ8S16(panel, x, ldx, xd, xi, ldb, nb, got, ldc, add)
			gemmQ8S16Go(panel, x, ldx, xd, xi, ldb, nb, want, ldc, add)
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-4*math.Abs(float64(want[i]))+1e-2 {
					t.Fatalf("add=%v [%d]: %g, want %g", add, i, got[i], want[i])
				}
			}
		}
	})
}

// TestQuantQ8Blocks checks every tier against the generic quantizer bit
// for bit, with ties (x/d = k + ½ rounds away from zero), zero blocks and
// values just below ½.
func TestQuantQ8Blocks(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 41))
	const nb = 7
	x := randF32(r, 32*nb)
	for j := 0; j < 32; j++ {
		x[j] = 0 // block 0: d = 0
	}
	x[32] = 127 // block 1: d = 1, ties and near-ties
	for j := 1; j < 32; j++ {
		x[32+j] = float32(j-16) + 0.5
	}
	x[33], x[34] = 0.49999997, -0.49999997
	x[64+5] = 1e-30 // block 2: tiny values among normal ones
	want := struct {
		q       []int8
		d       []float32
		sum, lo []int32
	}{make([]int8, 32*nb), make([]float32, nb), make([]int32, nb), make([]int32, nb)}
	if err := Use(TierGeneric); err != nil {
		t.Fatal(err)
	}
	QuantQ8Blocks(x, want.q, want.d, want.sum, want.lo)
	if want.q[32+3] != -13 || want.q[32+17] != 2 || want.q[33] != 0 {
		t.Fatalf("generic rounding: %v", want.q[32:64])
	}
	forTiers(t, func(t *testing.T) {
		q, d, sum, lo := make([]int8, 32*nb), make([]float32, nb), make([]int32, nb), make([]int32, nb)
		QuantQ8Blocks(x, q, d, sum, lo)
		for i := range q {
			if q[i] != want.q[i] {
				t.Fatalf("q[%d] = %d, want %d (x %g)", i, q[i], want.q[i], x[i])
			}
		}
		for b := 0; b < nb; b++ {
			if d[b] != want.d[b] || sum[b] != want.sum[b] || lo[b] != want.lo[b] {
				t.Fatalf("block %d: d %g sum %d lo %d, want %g %d %d", b, d[b], sum[b], lo[b], want.d[b], want.sum[b], want.lo[b])
			}
		}
	})
}

// TestMaxF32 checks the vector max against a loop on every tier, for
// lengths around the vector widths and the maximum at every position.
func TestMaxF32(t *testing.T) {
	forTiers(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 7))
		for _, n := range []int{1, 7, 8, 15, 16, 17, 31, 63, 64, 65, 100, 257, 1000} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64()) - 10
			}
			for at := 0; at < n; at++ {
				old := x[at]
				x[at] = 3
				if got := MaxF32(x); got != 3 {
					t.Fatalf("n %d, max at %d: got %v", n, at, got)
				}
				x[at] = old
			}
		}
	})
}
