package sample

import "math"

// expNeg returns e**x for x <= 0 (and 0 below -708, where the result would
// be subnormal; such weights are far too small to matter for sampling).
//
// It exists instead of math.Exp because math.Exp has per-architecture
// assembly (and on amd64 even a per-CPU FMA path), so its last bit can differ
// between machines, which would break the promise that a seed gives the same
// tokens everywhere. Every product below is wrapped in an explicit float64
// conversion, which the Go spec guarantees rounds it and so forbids the
// compiler from fusing it into an FMA: the result is the same on every
// platform. Accuracy is a few ulp.
//
// Method: x = (256m + j)*ln2/256 + r with |r| <= ln2/512 (Cody–Waite
// reduction with a two-part constant), then e**x = 2**m * 2**(j/256) * e**r,
// with 2**(j/256) from expTable and e**r - 1 from its Taylor series to degree
// 4 (truncation error below 4e-17), evaluated in a shallow (Estrin-like)
// order because the latency of this function bounds Sample's speed.
func expNeg(x float64) float64 {
	if !(x >= -708) { // also catches NaN and -Inf
		return 0
	}
	if x >= 0 {
		return 1
	}
	// Round x/step to the nearest integer k <= 0; the truncating
	// conversion is well defined as |k| < 2**19.
	k := int64(float64(x*(expN/math.Ln2)) - 0.5)
	kf := float64(k)
	r := (x - float64(kf*expStepHi)) - float64(kf*expStepLo)
	r2 := float64(r * r)
	a := float64(r*(1.0/6)) + 0.5
	a += float64(r2 * (1.0 / 24))
	q := r + float64(r2*a) // e**r - 1
	t := expTable[k&(expN-1)]
	// k >> 8 = floor(k/256) is in [-1022, 0], so 2**m is a normal float64.
	return (t + float64(t*q)) * math.Float64frombits(uint64(k>>8+1023)<<52)
}

const (
	// expN is the number of table entries per power of two.
	expN = 256
	// expStepHi is ln2/256 rounded to 21 significant bits, so k*expStepHi
	// is exact for |k| < 2**32; expStepLo is the rest of ln2/256.
	expStepHi = 0x1.62e42p-01 / expN
	expStepLo = (math.Ln2 - 0x1.62e42p-01) / expN
)

// expTable[j] is 2**(j/256), computed once with expTaylor.
var expTable = func() (t [expN]float64) {
	for j := range t {
		t[j] = 2 * expTaylor(float64(j-expN)*(math.Ln2/expN))
	}
	return t
}()

// expTaylor returns e**x for x in [-ln2, 0] from the Taylor series to degree
// 17 (truncation error below 1e-17), in explicitly rounded float64
// arithmetic so that it gives the same bits on every platform.
func expTaylor(x float64) float64 {
	p := 1.0
	for n := 17; n >= 1; n-- {
		p = float64(float64(p*x)/float64(n)) + 1
	}
	return p
}
