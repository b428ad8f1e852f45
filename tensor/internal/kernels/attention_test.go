package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttentionKernels checks the score and weighted-sum kernels for
// float32, half and Q8_0 caches against float64 sums of the same (decoded)
// values, on every tier, for head sizes with and without vector tails.
func TestAttentionKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	forTiers(t, func(t *testing.T) {
		for _, hd := range []int{32, 64, 96, 128, 256, 40} {
			for _, rows := range []int{1, 3, 17, 100} {
				stride := hd + 32 // elements between cached rows (a KV row holds several heads)
				kf := randF32(r, rows*stride)
				q := randF32(r, hd)
				p := randF32(r, rows)
				// Half copies, and the float32 values they decode to.
				kh := make([]uint16, len(kf))
				kd := make([]float32, len(kf))
				for i, v := range kf {
					kh[i] = halfBits(v)
					kd[i] = f16(kh[i])
				}
				dot := func(k []float32, j int) float64 {
					var s float64
					for d := 0; d < hd; d++ {
						s += float64(q[d]) * float64(k[j*stride+d])
					}
					return s
				}
				got := make([]float32, rows)
				DotRowsF32(kf, stride, q, got)
				for j := range got {
					if want := dot(kf, j); math.Abs(float64(got[j])-want) > 1e-4*float64(hd) {
						t.Fatalf("DotRowsF32 hd=%d rows=%d [%d] = %g, want %g", hd, rows, j, got[j], want)
					}
				}
				DotRowsF16(kh, stride, q, got)
				for j := range got {
					if want := dot(kd, j); math.Abs(float64(got[j])-want) > 1e-4*float64(hd) {
						t.Fatalf("DotRowsF16 hd=%d rows=%d [%d] = %g, want %g", hd, rows, j, got[j], want)
					}
				}
				wsum := func(v []float32) []float64 {
					out := make([]float64, hd)
					for j := 0; j < rows; j++ {
						for d := range out {
							out[d] += float64(p[j]) * float64(v[j*stride+d])
						}
					}
					return out
				}
				check := func(name string, out []float32, want []float64) {
					t.Helper()
					for d := range out {
						if math.Abs(float64(out[d])-want[d]) > 1e-4*float64(rows)+1e-5 {
							t.Fatalf("%s hd=%d rows=%d [%d] = %g, want %g", name, hd, rows, d, out[d], want[d])
						}
					}
				}
				out := make([]float32, hd)
				WSumF32(kf, stride, p, out)
				check("WSumF32", out, wsum(kf))
				clear(out)
				WSumF16(kh, stride, p, out)
				check("WSumF16", out, wsum(kd))
				if hd%32 != 0 {
					continue
				}
				// Q8_0 rows: stride/32 blocks of 34 bytes per cached row.
				sb := stride / 32 * 34
				kq := make([]byte, rows*sb)
				kqd := make([]float32, rows*stride)
				for j := 0; j < rows; j++ {
					for b := 0; b < stride/32; b++ {
						x := kf[j*stride+32*b : j*stride+32*b+32]
						var amax float32
						for _, v := range x {
							amax = max(amax, float32(math.Abs(float64(v))))
						}
						dh := halfBits(amax / 127)
						d := f16(dh)
						blk := kq[j*sb+34*b:]
						binary.LittleEndian.PutUint16(blk, dh)
						for i, v := range x {
							qv := int8(0)
							if d != 0 {
								qv = int8(math.Round(float64(v / d)))
							}
							blk[2+i] = byte(qv)
							kqd[j*stride+32*b+i] = d * float32(qv)
						}
					}
				}
				var qq Q8
				qq.QuantizeFor(q, 0)
				qd := make([]float32, hd) // the query as the kernel sees it
				for i := range qd {
					qd[i] = float32(qq.Q[i]) * qq.D[i/32]
				}
				DotRowsQ8_0(kq, sb, &qq, got)
				for j := range got {
					var want float64
					for d := 0; d < hd; d++ {
						want += float64(qd[d]) * float64(kqd[j*stride+d])
					}
					if math.Abs(float64(got[j])-want) > 1e-4*float64(hd) {
						t.Fatalf("DotRowsQ8_0 hd=%d rows=%d [%d] = %g, want %g", hd, rows, j, got[j], want)
					}
				}
				clear(out)
				WSumQ8_0(kq, sb, p, out)
				check("WSumQ8_0", out, wsum(kqd))
			}
		}
	})
}

func TestSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	forTiers(t, func(t *testing.T) {
		for _, n := range []int{1, 15, 16, 17, 48, 1000} {
			g, u := randF32(r, n), randF32(r, n)
			for i := range g {
				g[i] *= 8
			}
			special := []float32{0, -100, 100, -87.5, 88.5, 1e-30, -1e-30, 30, -30}
			for i := 0; i < len(special) && i < n; i++ {
				g[i] = special[i]
			}
			h := make([]float32, n)
			SwiGLU(h, g, u)
			for i := range h {
				x := float64(g[i])
				want := x / (1 + math.Exp(-x)) * float64(u[i])
				if d := math.Abs(float64(h[i]) - want); d > 1e-6*math.Abs(want)+1e-30 || math.IsNaN(float64(h[i])) {
					t.Fatalf("n=%d: silu(%g)·%g = %g, want %g", n, g[i], u[i], h[i], want)
				}
			}
		}
	})
}

// TestRopeHalf compares every tier's rotation with the Go loop bit for bit
// and the Go loop with float64, for head sizes with and without tails.
func TestRopeHalf(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 41))
	forTiers(t, func(t *testing.T) {
		for _, half := range []int{1, 8, 15, 16, 17, 32, 48, 64, 100} {
			v := randF32(r, 2*half+3)
			cos, sin := make([]float32, half), make([]float32, half)
			for j := range cos {
				a := r.Float64() * 2 * math.Pi
				cos[j], sin[j] = float32(math.Cos(a)), float32(math.Sin(a))
			}
			got := append([]float32(nil), v...)
			RopeHalf(got, cos, sin)
			want := append([]float32(nil), v...)
			ropeHalfGeneric(want[:half], want[half:2*half], cos, sin)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("half=%d [%d]: %g, want %g (Go loop)", half, i, got[i], want[i])
				}
			}
			for j := 0; j < half; j++ {
				x0, x1, c, s := float64(v[j]), float64(v[j+half]), float64(cos[j]), float64(sin[j])
				for k, e := range []float64{x0*c - x1*s, x1*c + x0*s} {
					g := float64(got[j+k*half])
					if math.Abs(g-e) > 1e-6*(math.Abs(x0)+math.Abs(x1)) {
						t.Fatalf("half=%d [%d]: %g, want %g (float64)", half, j+k*half, g, e)
					}
				}
			}
			if got[2*half] != v[2*half] {
				t.Fatalf("half=%d: value past the rotated pairs changed", half)
			}
		}
	})
}

// TestCvtF32F16 compares every tier's vector conversion with F32ToF16 on
// random values of every magnitude, ties, subnormals, overflow and
// infinities (NaN need only stay NaN).
func TestCvtF32F16(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 43))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 65504, 65519.99, 65520, -65520, 1e10,
		float32(math.Inf(1)), float32(math.Inf(-1)), 6.1035156e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08,
		1.0009765625 + 0.00048828125, 1 + 0.00048828125, float32(math.NaN())}
	forTiers(t, func(t *testing.T) {
		for _, n := range []int{1, 15, 16, 17, 100, 4096} {
			src := make([]float32, n)
			for i := range src {
				// Random bits over the whole float32 range, and values near
				// half precision's range and ties.
				switch i % 3 {
				case 0:
					src[i] = math.Float32frombits(r.Uint32())
				case 1:
					src[i] = float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(40)-25)))
				default:
					h := uint16(r.Uint32())
					src[i] = math.Float32frombits(math.Float32bits(f16(h)) + 1<<12) // halfway to the next half
				}
			}
			copy(src, special)
			got := make([]uint16, n)
			CvtF32F16(got, src)
			for i, x := range src {
				want := F32ToF16(x)
				if math.IsNaN(float64(x)) {
					if got[i]&0x7c00 != 0x7c00 || got[i]&0x3ff == 0 {
						t.Fatalf("n=%d [%d]: NaN became %#04x", n, i, got[i])
					}
					continue
				}
				if got[i] != want {
					t.Fatalf("n=%d [%d]: %g (%#08x) -> %#04x, want %#04x", n, i, x, math.Float32bits(x), got[i], want)
				}
			}
		}
	})
}
