package tensor

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

// Block layouts (llama.cpp ggml-common.h), each with the formula it
// dequantizes to. d and m are IEEE half floats unless stated.
//
//	Q8_0 (32 elems, 34 B): d, qs[32] int8            y[j] = d*qs[j]
//	Q4_0 (32 elems, 18 B): d, qs[16]                 y[j] = d*((qs[j]&15)-8), y[j+16] = d*((qs[j]>>4)-8)
//	Q4_1 (32 elems, 20 B): d, m, qs[16]              y[j] = d*(qs[j]&15)+m,   y[j+16] = d*(qs[j]>>4)+m
//	Q5_0 (32 elems, 22 B): d, qh[4], qs[16]          5th bit j of qh (j+16 for the high half); y = d*(q-16)
//	Q5_1 (32 elems, 24 B): d, m, qh[4], qs[16]       as Q5_0 without -16, then *d+m
//	Q4_K (256 elems, 144 B): d, dmin, scales[12] (8 6-bit scale/min pairs), qs[128]
//	                        y = d*sc*q - dmin*mn per 32-element sub-block
//	Q5_K (256 elems, 176 B): d, dmin, scales[12], qh[32], qs[128]; q gains a 5th bit from qh
//	Q6_K (256 elems, 210 B): ql[128], qh[64], scales[16] int8, d;  y = d*sc*(q-32), q 6 bits
//	Q2_K (256 elems, 84 B): scales[16] (4-bit scale | 4-bit min << 4), qs[64], d, dmin
//	                        y = d*sc*q - dmin*mn per 16 elements, q 2 bits
//	Q3_K (256 elems, 110 B): hmask[32], qs[64], scales[12] (16 6-bit scales), d
//	                        y = d*(sc-32)*(q-4·(hmask bit unset)) per 16 elements, q 2+1 bits
//
// In Q2_K and Q3_K, the 2-bit values of element l of 16-element group g
// (g = 0..15, in order) sit in qs[32·(g/8) + l + 16·(g%2)] at bit shift
// 2·((g/2)%4); Q3_K's third bit is bit g/2 of hmask[l + 16·(g%2)].

// DequantizeRow converts n elements of type t in src to float32 in dst.
// src must hold exactly the bytes for n elements and dst at least n values.
func DequantizeRow(t DType, src []byte, dst []float32) error {
	n := len(dst)
	need, err := t.RowBytes(n)
	if err != nil {
		return err
	}
	if len(src) < need {
		return fmt.Errorf("tensor: %s row of %d elements needs %d bytes, have %d", t, n, need, len(src))
	}
	switch t {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		kernels.CvtF16(dst, src)
	case BF16:
		kernels.CvtBF16(dst, src)
	case Q8_0:
		kernels.DequantQ8_0(dst, src)
	case Q4_0:
		kernels.DequantQ4_0(dst, src)
	case Q4_0R:
		kernels.DequantQ4_0R(dst, src)
	case Q4_1:
		for b := 0; b < n/32; b++ {
			blk := src[b*20:]
			d, m := f16At(blk, 0), f16At(blk, 2)
			y := dst[b*32 : b*32+32]
			for j := 0; j < 16; j++ {
				q := blk[4+j]
				y[j] = d*float32(q&15) + m
				y[j+16] = d*float32(q>>4) + m
			}
		}
	case Q5_0:
		for b := 0; b < n/32; b++ {
			blk := src[b*22:]
			d := f16At(blk, 0)
			h := binary.LittleEndian.Uint32(blk[2:])
			y := dst[b*32 : b*32+32]
			for j := 0; j < 16; j++ {
				q := blk[6+j]
				lo := int(q&15) | int((h>>j)&1)<<4
				hi := int(q>>4) | int((h>>(j+16))&1)<<4
				y[j] = d * float32(lo-16)
				y[j+16] = d * float32(hi-16)
			}
		}
	case Q5_1:
		for b := 0; b < n/32; b++ {
			blk := src[b*24:]
			d, m := f16At(blk, 0), f16At(blk, 2)
			h := binary.LittleEndian.Uint32(blk[4:])
			y := dst[b*32 : b*32+32]
			for j := 0; j < 16; j++ {
				q := blk[8+j]
				lo := int(q&15) | int((h>>j)&1)<<4
				hi := int(q>>4) | int((h>>(j+16))&1)<<4
				y[j] = d*float32(lo) + m
				y[j+16] = d*float32(hi) + m
			}
		}
	case Q4_K:
		kernels.DequantQ4_K(dst, src)
	case Q5_K:
		for b := 0; b < n/256; b++ {
			blk := src[b*176:]
			d, dmin := f16At(blk, 0), f16At(blk, 2)
			scales := blk[4:16]
			qh := blk[16:48]
			qs := blk[48:176]
			y := dst[b*256 : b*256+256]
			for c := 0; c < 4; c++ {
				sc1, mn1 := kernels.ScaleMinK4(2*c, scales)
				sc2, mn2 := kernels.ScaleMinK4(2*c+1, scales)
				d1, m1 := d*float32(sc1), dmin*float32(mn1)
				d2, m2 := d*float32(sc2), dmin*float32(mn2)
				q := qs[32*c : 32*c+32]
				for l := 0; l < 32; l++ {
					lo := int(q[l]&15) + 16*int((qh[l]>>(2*c))&1)
					hi := int(q[l]>>4) + 16*int((qh[l]>>(2*c+1))&1)
					y[64*c+l] = d1*float32(lo) - m1
					y[64*c+32+l] = d2*float32(hi) - m2
				}
			}
		}
	case Q6_K:
		kernels.DequantQ6_K(dst, src)
	case Q2_K:
		for b := 0; b < n/256; b++ {
			dequantQ2_K(dst[256*b:256*b+256], src[84*b:84*b+84])
		}
	case Q3_K:
		for b := 0; b < n/256; b++ {
			dequantQ3_K(dst[256*b:256*b+256], src[110*b:110*b+110])
		}
	default:
		return fmt.Errorf("tensor: dequantizing %s is not supported", t)
	}
	return nil
}

// dequantQ2_K dequantizes one Q2_K block (llama.cpp's
// dequantize_row_q2_K).
func dequantQ2_K(y []float32, blk []byte) {
	d, dmin := f16At(blk, 80), f16At(blk, 82)
	for g := 0; g < 16; g++ {
		sc := blk[g]
		dl, ml := d*float32(sc&15), dmin*float32(sc>>4)
		qs := blk[16+32*(g/8)+16*(g%2):]
		shift := uint(2 * ((g / 2) % 4))
		for l := 0; l < 16; l++ {
			y[16*g+l] = dl*float32(qs[l]>>shift&3) - ml
		}
	}
}

// dequantQ3_K dequantizes one Q3_K block (llama.cpp's
// dequantize_row_q3_K): 16 6-bit scales packed in 12 bytes (low 4 bits in
// bytes 0-7, two high bits in bytes 8-11), each offset by 32.
func dequantQ3_K(y []float32, blk []byte) {
	hmask, qs, sb := blk[0:32], blk[32:96], blk[96:108]
	d := f16At(blk, 108)
	for g := 0; g < 16; g++ {
		lo := sb[g%8] >> (4 * uint(g/8)) & 15
		hi := sb[8+g%4] >> (2 * uint(g/4)) & 3
		sc := float32(int(lo|hi<<4) - 32)
		q := qs[32*(g/8)+16*(g%2):]
		h := hmask[16*(g%2):]
		shift := uint(2 * ((g / 2) % 4))
		bit := byte(1) << uint(g/2)
		for l := 0; l < 16; l++ {
			v := int(q[l] >> shift & 3)
			if h[l]&bit == 0 {
				v -= 4
			}
			y[16*g+l] = d * sc * float32(v)
		}
	}
}

func f16At(b []byte, off int) float32 {
	return F16ToF32(binary.LittleEndian.Uint16(b[off:]))
}

// CanQuantize reports whether QuantizeRow can produce type t.
func CanQuantize(t DType) bool {
	switch t {
	case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K:
		return true
	}
	return false
}

// QuantizeRow encodes the float32 values in src as type t into dst, which
// must hold exactly the row's bytes. The block types use llama.cpp's
// reference quantizers (quantize_row_*_ref in ggml-quants.c: plain rounding
// for Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1; the scale and min searches of
// make_qkx2_quants for Q4_K and Q5_K and of make_qx_quants for Q6_K; see
// quantk.go), which is what llama-quantize does without an importance
// matrix, so files gophi writes quantize as llama.cpp's do.
func QuantizeRow(t DType, src []float32, dst []byte) error {
	n := len(src)
	need, err := t.RowBytes(n)
	if err != nil {
		return err
	}
	if len(dst) != need {
		return fmt.Errorf("tensor: %s row of %d elements needs %d bytes, have %d", t, n, need, len(dst))
	}
	switch t {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
		}
	case BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
		}
	case Q8_0:
		for b := 0; b < n/32; b++ {
			x := src[b*32 : b*32+32]
			blk := dst[b*34 : b*34+34]
			var amax float32
			for _, v := range x {
				amax = max(amax, abs32(v))
			}
			d := amax / 127
			var id float32
			if d != 0 {
				id = 1 / d
			}
			binary.LittleEndian.PutUint16(blk, F32ToF16(d))
			for j, v := range x {
				blk[2+j] = byte(int8(roundHalfAway(v * id)))
			}
		}
	case Q4_0:
		for b := 0; b < n/32; b++ {
			x := src[b*32 : b*32+32]
			blk := dst[b*18 : b*18+18]
			var amax, mx float32
			for _, v := range x {
				if abs32(v) > amax {
					amax, mx = abs32(v), v
				}
			}
			d := mx / -8
			var id float32
			if d != 0 {
				id = 1 / d
			}
			binary.LittleEndian.PutUint16(blk, F32ToF16(d))
			for j := 0; j < 16; j++ {
				q0 := min(15, int(int8(x[j]*id+8.5)))
				q1 := min(15, int(int8(x[j+16]*id+8.5)))
				blk[2+j] = byte(q0) | byte(q1)<<4
			}
		}
	case Q4_1:
		for b := 0; b < n/32; b++ {
			quantizeQ4_1(src[b*32:b*32+32], dst[b*20:b*20+20])
		}
	case Q5_0:
		for b := 0; b < n/32; b++ {
			quantizeQ5_0(src[b*32:b*32+32], dst[b*22:b*22+22])
		}
	case Q5_1:
		for b := 0; b < n/32; b++ {
			quantizeQ5_1(src[b*32:b*32+32], dst[b*24:b*24+24])
		}
	case Q4_K:
		for b := 0; b < n/256; b++ {
			quantizeQ45K(src[b*256:b*256+256], dst[b*144:b*144+144], 15)
		}
	case Q5_K:
		for b := 0; b < n/256; b++ {
			quantizeQ45K(src[b*256:b*256+256], dst[b*176:b*176+176], 31)
		}
	case Q6_K:
		for b := 0; b < n/256; b++ {
			quantizeQ6K(src[b*256:b*256+256], dst[b*210:b*210+210])
		}
	default:
		return fmt.Errorf("tensor: quantizing to %s is not supported", t)
	}
	return nil
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

func roundHalfAway(v float32) float32 { return float32(math.Round(float64(v))) }
