package kernels

import (
	"math"
	"unsafe"
)

// The generic kernels: plain Go, always compiled, the reference every other
// tier is tested against.
var generic = impl{
	dotF32:  dotF32Generic,
	dotF16:  dotF16Generic,
	dotBF16: dotBF16Generic,
	axpy:    axpyGeneric,
	dotQ8_0: dotQ8_0Generic,
	dotQ4_0: dotQ4_0Generic,
	width:   1,
}

func dotF32Generic(a, b *float32, n int) float32 {
	as, bs := unsafe.Slice(a, n), unsafe.Slice(b, n)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += as[i] * bs[i]
		s1 += as[i+1] * bs[i+1]
		s2 += as[i+2] * bs[i+2]
		s3 += as[i+3] * bs[i+3]
	}
	for ; i < n; i++ {
		s0 += as[i] * bs[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotF16Generic(w *uint16, x *float32, n int) float32 {
	ws, xs := unsafe.Slice(w, n), unsafe.Slice(x, n)
	var s float32
	for i := range ws {
		s += f16(ws[i]) * xs[i]
	}
	return s
}

func dotBF16Generic(w *uint16, x *float32, n int) float32 {
	ws, xs := unsafe.Slice(w, n), unsafe.Slice(x, n)
	var s float32
	for i := range ws {
		s += math.Float32frombits(uint32(ws[i])<<16) * xs[i]
	}
	return s
}

// maxF32Generic is MaxF32 in Go, with four running maxima so the loop is
// not one dependency chain.
func maxF32Generic(x []float32) float32 {
	m0, m1, m2, m3 := x[0], x[0], x[0], x[0]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		m0, m1, m2, m3 = max(m0, x[i]), max(m1, x[i+1]), max(m2, x[i+2]), max(m3, x[i+3])
	}
	for ; i < len(x); i++ {
		m0 = max(m0, x[i])
	}
	return max(m0, m1, m2, m3)
}

func axpyGeneric(y, x *float32, a float32, n int) {
	ys, xs := unsafe.Slice(y, n), unsafe.Slice(x, n)
	for i := range ys {
		ys[i] += a * xs[i]
	}
}

func dotQ8_0Generic(w *byte, nb int, xq *int8, xd *float32) float32 {
	ws := unsafe.Slice(w, 34*nb)
	qs := unsafe.Slice(xq, 32*nb)
	ds := unsafe.Slice(xd, nb)
	var s float32
	for b := 0; b < nb; b++ {
		blk := ws[34*b:]
		var acc int32
		for j := 0; j < 32; j++ {
			acc += int32(int8(blk[2+j])) * int32(qs[32*b+j])
		}
		s += f16(uint16(blk[0])|uint16(blk[1])<<8) * ds[b] * float32(acc)
	}
	return s
}

func dotQ4_0Generic(w *byte, nb int, xq *int8, xd, xs *float32) float32 {
	ws := unsafe.Slice(w, 18*nb)
	qs := unsafe.Slice(xq, 32*nb)
	ds := unsafe.Slice(xd, nb)
	ss := unsafe.Slice(xs, nb)
	var s, corr float32
	for b := 0; b < nb; b++ {
		blk := ws[18*b:]
		var acc int32
		for j := 0; j < 16; j++ {
			acc += int32(blk[2+j]&15)*int32(qs[32*b+j]) + int32(blk[2+j]>>4)*int32(qs[32*b+16+j])
		}
		dw := f16(uint16(blk[0]) | uint16(blk[1])<<8)
		s += dw * ds[b] * float32(acc)
		corr += dw * ss[b]
	}
	return s - 8*corr
}

// f16 converts an IEEE half to float32 (duplicated from package tensor,
// which imports this package).
func f16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

func cvtF16Generic(dst *float32, src *uint16, n int) {
	d, sr := unsafe.Slice(dst, n), unsafe.Slice(src, n)
	for i := range d {
		d[i] = f16(sr[i])
	}
}

func cvtBF16Generic(dst *float32, src *uint16, n int) {
	d, sr := unsafe.Slice(dst, n), unsafe.Slice(src, n)
	for i := range d {
		d[i] = math.Float32frombits(uint32(sr[i]) << 16)
	}
}

func dequantQ8_0Generic(dst *float32, src *byte, nb int) {
	d, sr := unsafe.Slice(dst, 32*nb), unsafe.Slice(src, 34*nb)
	for b := 0; b < nb; b++ {
		blk := sr[34*b:]
		s := f16(uint16(blk[0]) | uint16(blk[1])<<8)
		for j := 0; j < 32; j++ {
			d[32*b+j] = s * float32(int8(blk[2+j]))
		}
	}
}

func dequantQ4_0Generic(dst *float32, src *byte, nb int) {
	d, sr := unsafe.Slice(dst, 32*nb), unsafe.Slice(src, 18*nb)
	for b := 0; b < nb; b++ {
		blk := sr[18*b:]
		s := f16(uint16(blk[0]) | uint16(blk[1])<<8)
		for j := 0; j < 16; j++ {
			d[32*b+j] = s * float32(int(blk[2+j]&15)-8)
			d[32*b+16+j] = s * float32(int(blk[2+j]>>4)-8)
		}
	}
}

func gemmPackedGeneric(w, x *float32, ldx, kc int, c *float32, ldc, add int) {
	panic("kernels: no packed GEMM kernel") // GemmPacked calls gemmPackedGo instead
}

// gemmPackedGo is the generic packed GEMM: t tokens × 32 rows.
func gemmPackedGo(w []float32, kc int, x []float32, ldx int, c []float32, ldc, t int, add bool) {
	var acc [PanelRows]float32
	for i := 0; i < t; i++ {
		if add {
			copy(acc[:], c[i*ldc:i*ldc+PanelRows])
		} else {
			acc = [PanelRows]float32{}
		}
		xr := x[i*ldx : i*ldx+kc]
		for k, xv := range xr {
			wr := w[k*PanelRows : (k+1)*PanelRows]
			for r := range acc {
				acc[r] += wr[r] * xv
			}
		}
		copy(c[i*ldc:i*ldc+PanelRows], acc[:])
	}
}

func dequantQ4_KGeneric(dstp *float32, srcp *byte, nb int) {
	n := 256 * nb
	dst, src := unsafe.Slice(dstp, n), unsafe.Slice(srcp, 144*nb)
	for b := 0; b < n/256; b++ {
		blk := src[b*144:]
		d, dmin := f16le(blk, 0), f16le(blk, 2)
		scales := blk[4:16]
		qs := blk[16:144]
		y := dst[b*256 : b*256+256]
		for c := 0; c < 4; c++ {
			sc1, mn1 := scaleMinK4(2*c, scales)
			sc2, mn2 := scaleMinK4(2*c+1, scales)
			d1, m1 := d*float32(sc1), dmin*float32(mn1)
			d2, m2 := d*float32(sc2), dmin*float32(mn2)
			q := qs[32*c : 32*c+32]
			for l := 0; l < 32; l++ {
				y[64*c+l] = d1*float32(q[l]&15) - m1
				y[64*c+32+l] = d2*float32(q[l]>>4) - m2
			}
		}
	}
}

func dequantQ6_KGeneric(dstp *float32, srcp *byte, nb int) {
	n := 256 * nb
	dst, src := unsafe.Slice(dstp, n), unsafe.Slice(srcp, 210*nb)
	for b := 0; b < n/256; b++ {
		blk := src[b*210:]
		d := f16le(blk, 208)
		for half := 0; half < 2; half++ {
			ql := blk[64*half : 64*half+64]
			qh := blk[128+32*half : 128+32*half+32]
			sc := blk[192+8*half : 192+8*half+8]
			y := dst[b*256+128*half:]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int(ql[l]&15|(qh[l]>>0&3)<<4) - 32
				q2 := int(ql[l+32]&15|(qh[l]>>2&3)<<4) - 32
				q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[l] = d * float32(int8(sc[is])) * float32(q1)
				y[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				y[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				y[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}

func f16le(b []byte, off int) float32 { return f16(uint16(b[off]) | uint16(b[off+1])<<8) }

// scaleMinK4 unpacks the j-th 6-bit (scale, min) pair of a Q4_K/Q5_K block.
func scaleMinK4(j int, s []byte) (sc, mn uint8) {
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	return s[j+4]&0x0f | (s[j-4]>>6)<<4, s[j+4]>>4 | (s[j]>>6)<<4
}
