package tensor

import (
	"math"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

// F16ToF32 converts an IEEE 754 half-precision value to float32 exactly.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // zero
		return math.Float32frombits(sign)
	}
	// subnormal: normalise
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// F32ToF16 converts a float32 to IEEE half precision, rounding to nearest
// even, with overflow to infinity and NaN preserved.
func F32ToF16(f float32) uint16 { return kernels.F32ToF16(f) }

// F32sToF16 converts len(dst) float32 values to IEEE halves as F32ToF16
// does (vectorised; a NaN may keep payload bits F32ToF16 drops).
func F32sToF16(dst []uint16, src []float32) { kernels.CvtF32F16(dst, src) }

// RopeHalf rotates v's pairs (v[j], v[j+len(cos)]), j < len(cos), by the
// angle whose cosine and sine are cos[j] and sin[j] (NeoX "rotate half").
func RopeHalf(v, cos, sin []float32) { kernels.RopeHalf(v, cos, sin) }

// BF16ToF32 converts a bfloat16 value (the top 16 bits of a float32) to float32.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts a float32 to bfloat16 with round-to-nearest-even, as
// PyTorch does; NaN stays NaN.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
