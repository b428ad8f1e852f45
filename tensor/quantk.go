package tensor

import (
	"encoding/binary"
	"github.com/gophi/gophi/tensor/internal/kernels"
	"math"
)

// Quantizers for Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K, written from the
// reference quantizers in llama.cpp's ggml/src/ggml-quants.c
// (quantize_row_q4_1_ref, quantize_row_q5_0_ref, quantize_row_q5_1_ref,
// quantize_row_q4_K_ref, quantize_row_q5_K_ref, quantize_row_q6_K_ref and
// their helpers nearest_int, make_qkx2_quants and make_qx_quants). These are
// what llama-quantize runs when it has no importance matrix, so the blocks
// gophi writes round and search the same way. The arithmetic is float32 in
// the reference's order; products that are added are wrapped in float32()
// conversions so the compiler cannot fuse them into FMAs.

// nearestInt rounds to the nearest integer, ties to even, as llama.cpp's
// nearest_int does with its 1.5·2^23 trick (valid for |f| ≤ 4194303).
func nearestInt(f float32) int {
	v := f + 12582912
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

// quantizeQ4_1 encodes one 32-element block (20 bytes): d = (max−min)/15,
// m = min, q = round((x−min)/d) clamped to 15.
func quantizeQ4_1(x []float32, blk []byte) {
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x[:32] { // as the reference compares (keeps the first of 0 and -0)
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	d := (hi - lo) / 15
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk[0:], d)
	putF16(blk[2:], lo)
	for j := 0; j < 16; j++ {
		x0 := (x[j] - lo) * id
		x1 := (x[j+16] - lo) * id
		q0 := min(15, int(int8(x0+0.5)))
		q1 := min(15, int(int8(x1+0.5)))
		blk[4+j] = byte(q0) | byte(q1)<<4
	}
}

// quantizeQ5_0 encodes one 32-element block (22 bytes): d = max/−16 where
// max is the value of largest magnitude, q = x/d + 16 clamped to 31.
func quantizeQ5_0(x []float32, blk []byte) {
	var amax, mx float32
	for _, v := range x[:32] {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk, d)
	var qh uint32
	for j := 0; j < 16; j++ {
		q0 := min(31, int(int8(x[j]*id+16.5)))
		q1 := min(31, int(int8(x[j+16]*id+16.5)))
		blk[6+j] = byte(q0&15) | byte(q1&15)<<4
		qh |= uint32(q0>>4&1)<<j | uint32(q1>>4&1)<<(j+16)
	}
	binary.LittleEndian.PutUint32(blk[2:], qh)
}

// quantizeQ5_1 encodes one 32-element block (24 bytes): d = (max−min)/31,
// m = min, q = round((x−min)/d).
func quantizeQ5_1(x []float32, blk []byte) {
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x[:32] { // as the reference compares (keeps the first of 0 and -0)
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	d := (hi - lo) / 31
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(blk[0:], d)
	putF16(blk[2:], lo)
	var qh uint32
	for j := 0; j < 16; j++ {
		q0 := int(uint8((x[j]-lo)*id + 0.5))
		q1 := int(uint8((x[j+16]-lo)*id + 0.5))
		blk[8+j] = byte(q0&15) | byte(q1&15)<<4
		qh |= uint32(q0>>4&1)<<j | uint32(q1>>4&1)<<(j+16)
	}
	binary.LittleEndian.PutUint32(blk[4:], qh)
}

// makeQKX2 finds a scale and a minimum for the 32 values x with levels
// 0..nmax, minimising the weighted squared error: it starts from the
// min/max fit and tries nstep+1 slightly different scales, refitting scale
// and min by weighted least squares for each level assignment (llama.cpp's
// make_qkx2_quants with n = 32 and use_mad = false). It stores the levels
// in l and returns the scale and the negated minimum.
func makeQKX2(nmax int, x, weights *[32]float32, l *[32]uint8, rmin, rdelta float32, nstep int) (scale, negMin float32) {
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := sumW * x[0]
	for i := 1; i < 32; i++ {
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		*l = [32]uint8{}
		return 0, -lo
	}
	iscale := float32(nmax) / (hi - lo)
	scale = 1 / iscale
	var bestErr float32
	for i := range x {
		q := min(nmax, max(0, nearestInt(iscale*(x[i]-lo))))
		l[i] = uint8(q)
		diff := float32(scale*float32(q)) + lo - x[i]
		diff = diff * diff
		bestErr += float32(weights[i] * diff)
	}
	var laux [32]uint8
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + float32(nmax)) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i := range x {
			q := min(nmax, max(0, nearestInt(iscale*(x[i]-lo))))
			laux[i] = uint8(q)
			wl := weights[i] * float32(q)
			sumL += wl
			sumL2 += float32(wl * float32(q))
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i := range x {
				diff := float32(thisScale*float32(laux[i])) + thisMin - x[i]
				diff = diff * diff
				curErr += float32(weights[i] * diff)
			}
			if curErr < bestErr {
				*l = laux
				bestErr = curErr
				scale = thisScale
				lo = thisMin
			}
		}
	}
	return scale, -lo
}

// makeQX finds a symmetric scale for x (n values) with levels −nmax..nmax−1,
// weighting each value by x² (llama.cpp's make_qx_quants with rmse_type 1
// and no importance weights): it starts from the largest magnitude mapping
// to −nmax and tries 18 nearby scales, keeping the least-squares best. It
// stores levels + nmax in l and returns the scale.
func makeQX(n, nmax int, x []float32, l []uint8) float32 {
	var amax, mx float32
	for i := 0; i < n; i++ {
		if ax := abs32(x[i]); ax > amax {
			amax, mx = ax, x[i]
		}
	}
	if amax < 1e-15 { // GROUP_MAX_EPS
		clear(l[:n])
		return 0
	}
	fit := func(iscale float32, store bool) (sumLX, sumL2 float32) {
		for i := 0; i < n; i++ {
			q := min(nmax-1, max(-nmax, nearestInt(iscale*x[i])))
			if store {
				l[i] = uint8(q + nmax)
			}
			w := x[i] * x[i]
			sumLX += float32(float32(w*x[i]) * float32(q))
			sumL2 += float32(float32(w*float32(q)) * float32(q))
		}
		return sumLX, sumL2
	}
	sumLX, sumL2 := fit(float32(-nmax)/mx, true)
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := scale * sumLX
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale := -(float32(nmax) + float32(float32(0.1)*float32(is))) / mx
		sumLX, sumL2 = fit(iscale, false)
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			fit(iscale, true)
			scale = sumLX / sumL2
			best = scale * sumLX
		}
	}
	return scale
}

// quantizeQ45K encodes one 256-element Q4_K (nmax 15, 144 bytes) or Q5_K
// (nmax 31, 176 bytes) block: per 32-element sub-block a scale and a min
// from makeQKX2 with weights |x| + rms, both quantized to 6 bits against
// the block's largest (d = max scale/63, dmin = max min/63), then every
// value re-rounded against its quantized scale and min.
func quantizeQ45K(x []float32, blk []byte, nmax int) {
	var (
		l       [256]uint8
		weights [32]float32
		scales  [8]float32
		mins    [8]float32
	)
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for i, v := range xs {
			weights[i] = avX + abs32(v)
		}
		lj := (*[32]uint8)(l[32*j:])
		if nmax == 15 {
			scales[j], mins[j] = makeQKX2(15, (*[32]float32)(xs), &weights, lj, -1, 0.1, 20)
		} else {
			scales[j], mins[j] = makeQKX2(31, (*[32]float32)(xs), &weights, lj, -0.5, 0.1, 15)
		}
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := blk[4:16]
	clear(sc)
	for j := 0; j < 8; j++ {
		ls := min(63, uint8(nearestInt(invScale*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putF16(blk[0:], maxScale/63)
	putF16(blk[2:], maxMin/63)
	d, dmin := f16At(blk, 0), f16At(blk, 2)
	for j := 0; j < 8; j++ {
		s, m := kernels.ScaleMinK4(j, sc)
		dj := d * float32(s)
		if dj == 0 {
			continue
		}
		dm := dmin * float32(m)
		for i := 0; i < 32; i++ {
			l[32*j+i] = uint8(min(nmax, max(0, nearestInt((x[32*j+i]+dm)/dj))))
		}
	}
	if nmax == 15 {
		qs := blk[16:144]
		for c := 0; c < 4; c++ {
			for i := 0; i < 32; i++ {
				qs[32*c+i] = l[64*c+i] | l[64*c+32+i]<<4
			}
		}
		return
	}
	qh := blk[16:48]
	qs := blk[48:176]
	clear(qh)
	for c := 0; c < 4; c++ {
		m1, m2 := uint8(1)<<(2*c), uint8(2)<<(2*c)
		for i := 0; i < 32; i++ {
			l1, l2 := l[64*c+i], l[64*c+32+i]
			if l1 > 15 {
				l1 -= 16
				qh[i] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[i] |= m2
			}
			qs[32*c+i] = l1 | l2<<4
		}
	}
}

// quantizeQ6K encodes one 256-element Q6_K block (210 bytes): a symmetric
// scale per 16-element sub-block from makeQX, the scales quantized to int8
// against the largest (d = max/−128), then every value re-rounded to
// −32..31 against its quantized scale.
func quantizeQ6K(x []float32, blk []byte) {
	var (
		l      [256]uint8
		scales [16]float32
	)
	var maxScale, maxAbs float32
	for ib := 0; ib < 16; ib++ {
		s := makeQX(16, 32, x[16*ib:16*ib+16], l[16*ib:])
		scales[ib] = s
		if abs32(s) > maxAbs {
			maxAbs, maxScale = abs32(s), s
		}
	}
	if maxAbs < 1e-15 { // GROUP_MAX_EPS: an all-zero block
		clear(blk[:210])
		return
	}
	iscale := -128 / maxScale
	putF16(blk[208:], 1/iscale)
	sc := blk[192:208]
	for ib := 0; ib < 16; ib++ {
		sc[ib] = byte(int8(min(127, nearestInt(iscale*scales[ib]))))
	}
	d := f16At(blk, 208)
	for j := 0; j < 16; j++ {
		dj := d * float32(int8(sc[j]))
		if dj == 0 {
			continue
		}
		for i := 0; i < 16; i++ {
			l[16*j+i] = uint8(min(31, max(-32, nearestInt(x[16*j+i]/dj))) + 32)
		}
	}
	for half := 0; half < 2; half++ {
		ql := blk[64*half : 64*half+64]
		qh := blk[128+32*half : 128+32*half+32]
		L := l[128*half : 128*half+128]
		for i := 0; i < 32; i++ {
			ql[i] = L[i]&15 | (L[i+64]&15)<<4
			ql[i+32] = L[i+32]&15 | (L[i+96]&15)<<4
			qh[i] = L[i]>>4 | (L[i+32]>>4)<<2 | (L[i+64]>>4)<<4 | (L[i+96]>>4)<<6
		}
	}
}
