package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// RandomRow fills dst, a whole number of blocks of type t, with random but
// valid data whose dequantized values have a root mean square of about
// scale and a mean of about zero. It is for synthetic benchmark models:
// quants are random bytes and scale fields are set directly, so it runs at
// memory speed instead of running a quantizer. Plain types (F32, F16,
// BF16) get values uniform over 256 levels in ±scale·√3.
//
// The block types get these fields (q uniform over all its levels):
//
//	Q4_0, Q5_0, Q8_0   d = ±scale/rms(q − offset), the sign random per block
//	                   (their levels are not symmetric: this centres them)
//	Q4_1, Q5_1         d as above, m = −d·(levels−1)/2 (centred)
//	Q4_K, Q5_K         6-bit scales uniform in 32..63, each min equal to its
//	                   scale, dmin = d·(levels−1)/2 (centred per sub-block)
//	Q6_K               int8 scales uniform in 32..63, d's sign random
//
// RandomRow panics if t is not one of the types above or dst is not a
// whole number of its blocks.
func RandomRow(t DType, r *rand.Rand, dst []byte, scale float32) {
	bb := t.BlockBytes()
	if !t.Known() || bb == 0 || len(dst)%bb != 0 {
		panic(fmt.Sprintf("tensor: RandomRow: %d bytes is not a whole number of %s blocks", len(dst), t))
	}
	switch t {
	case F32, F16, BF16:
		randomPlain(t, r, dst, scale)
		return
	}
	// d so that d·rms(level spread) = scale; K types fold their sub-block
	// scale (rms √2341.5 for 32..63) into d.
	var d, dmin float32
	switch t {
	case Q4_0:
		d = scale / float32(math.Sqrt(21.5)) // q−8, q in 0..15
	case Q5_0:
		d = scale / float32(math.Sqrt(85.5)) // q−16, q in 0..31
	case Q8_0:
		d = scale / float32(math.Sqrt(5461.5)) // int8
	case Q4_1:
		d = scale / float32(math.Sqrt(21.25)) // q−7.5
		dmin = -7.5 * d
	case Q5_1:
		d = scale / float32(math.Sqrt(85.25)) // q−15.5
		dmin = -15.5 * d
	case Q4_K:
		d = scale / float32(math.Sqrt(21.25*2341.5))
		dmin = 7.5 * d
	case Q5_K:
		d = scale / float32(math.Sqrt(85.25*2341.5))
		dmin = 15.5 * d
	case Q6_K:
		d = scale / float32(math.Sqrt(341.5*2341.5)) // q−32, q in 0..63
	default:
		panic(fmt.Sprintf("tensor: RandomRow: type %s is not supported", t))
	}
	d16, m16 := F32ToF16(d), F32ToF16(dmin)
	fillRandom(r, dst)
	var signs uint64 // random sign bits for d
	for b := 0; b < len(dst)/bb; b++ {
		blk := dst[b*bb : (b+1)*bb]
		if b%64 == 0 {
			signs = r.Uint64()
		}
		sign := uint16(signs>>(b%64)&1) << 15
		switch t {
		case Q4_0, Q5_0, Q8_0:
			binary.LittleEndian.PutUint16(blk, d16|sign)
		case Q4_1, Q5_1:
			binary.LittleEndian.PutUint16(blk, d16)
			binary.LittleEndian.PutUint16(blk[2:], m16)
		case Q4_K, Q5_K:
			binary.LittleEndian.PutUint16(blk, d16)
			binary.LittleEndian.PutUint16(blk[2:], m16)
			sc := blk[4:16]
			rnd := r.Uint64()
			for j := 0; j < 8; j++ {
				v := 32 | uint8(rnd>>(5*j))&31 // scale = min, 32..63
				if j < 4 {
					sc[j] = v
					sc[j+4] = v
				} else {
					sc[j+4] = v&0xf | (v&0xf)<<4
					sc[j-4] = sc[j-4]&63 | (v>>4)<<6
					sc[j] = sc[j]&63 | (v>>4)<<6
				}
			}
		case Q6_K:
			binary.LittleEndian.PutUint16(blk[208:], d16|sign)
			for j := range blk[192:208] {
				blk[192+j] = 32 | blk[192+j]&31
			}
		}
	}
}

// fillRandom fills b with random bytes.
func fillRandom(r *rand.Rand, b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	if i < len(b) {
		v := r.Uint64()
		for ; i < len(b); i++ {
			b[i] = byte(v)
			v >>= 8
		}
	}
}

// randomPlain fills an F32, F16 or BF16 row with values drawn uniformly
// from 256 levels evenly spaced in ±scale·√3 (root mean square about
// scale), through a table of the levels' encodings so that the cost is one
// lookup per value.
func randomPlain(t DType, r *rand.Rand, dst []byte, scale float32) {
	step := scale / float32(math.Sqrt((256*256-1)/12.0))
	var table [256]uint32
	for k := range table {
		x := (float32(k) - 127.5) * step
		switch t {
		case F32:
			table[k] = math.Float32bits(x)
		case F16:
			table[k] = uint32(F32ToF16(x))
		case BF16:
			table[k] = uint32(F32ToBF16(x))
		}
	}
	n := len(dst) / t.BlockBytes()
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := i; j < min(n, i+8); j++ {
			e := table[byte(v)]
			v >>= 8
			if t == F32 {
				binary.LittleEndian.PutUint32(dst[4*j:], e)
			} else {
				binary.LittleEndian.PutUint16(dst[2*j:], uint16(e))
			}
		}
	}
}
