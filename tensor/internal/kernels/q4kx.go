package kernels

import (
	"encoding/binary"
	"unsafe"
)

// Q4_KX16: Q4_K rows interleaved 16 at a time, so the decode kernel's
// vector lanes are rows (see dotQ4_KX16VNNI in _asm). Same size as the 16
// rows it replaces: per super-block, 2304 bytes =
//
//	[0:32)     d of the 16 rows (f16)
//	[32:64)    dmin of the 16 rows (f16)
//	[64:128)   A: bytes 0-3 of each row's 12 packed scale bytes
//	[128:192)  B: bytes 4-7
//	[192:256)  C: bytes 8-11
//	[256:2304) for step s = 0..7, chunk c = 0..3: bytes 32c+4s..+3 of each
//	           row's 128 nibble bytes (16 rows × 4 bytes)

// q4kxBlock is the size of one interleaved super-block of 16 rows.
const q4kxBlock = 16 * 144

// CanRepackQ4_KX16 reports whether the current tier has the 16-row Q4_K
// kernel.
func CanRepackQ4_KX16() bool { return current.dotQ4_KX16 != nil }

// RepackQ4_KX16 rearranges 16 consecutive Q4_K rows of nb super-blocks
// each (16·144·nb bytes) in place into the Q4_KX16 layout.
func RepackQ4_KX16(group []byte, nb int) {
	le := binary.LittleEndian
	buf := repackScratch(q4kxBlock * nb)
	defer repackBufs.Put(buf)
	tmp := *buf
	copy(tmp, group)
	for b := 0; b < nb; b++ {
		out := group[q4kxBlock*b : q4kxBlock*(b+1)]
		for r := 0; r < 16; r++ {
			blk := tmp[r*144*nb+144*b : r*144*nb+144*b+144]
			le.PutUint16(out[2*r:], le.Uint16(blk[0:]))
			le.PutUint16(out[32+2*r:], le.Uint16(blk[2:]))
			le.PutUint32(out[64+4*r:], le.Uint32(blk[4:]))
			le.PutUint32(out[128+4*r:], le.Uint32(blk[8:]))
			le.PutUint32(out[192+4*r:], le.Uint32(blk[12:]))
			for c := 0; c < 4; c++ {
				for s := 0; s < 8; s++ {
					le.PutUint32(out[256+64*(4*s+c)+4*r:], le.Uint32(blk[16+32*c+4*s:]))
				}
			}
		}
	}
}

// Q4_KX16Block rebuilds the original 144-byte Q4_K block of row r (0..15)
// from one interleaved super-block of a group.
func Q4_KX16Block(blk []byte, r int, out *[144]byte) {
	copy(out[0:2], blk[2*r:])
	copy(out[2:4], blk[32+2*r:])
	copy(out[4:8], blk[64+4*r:])
	copy(out[8:12], blk[128+4*r:])
	copy(out[12:16], blk[192+4*r:])
	for c := 0; c < 4; c++ {
		for s := 0; s < 8; s++ {
			o := 256 + 64*(4*s+c) + 4*r
			copy(out[16+32*c+4*s:16+32*c+4*s+4], blk[o:o+4])
		}
	}
}

// DequantQ4_KX16Row dequantizes row r (0..15) of a 16-row group.
func DequantQ4_KX16Row(group []byte, r int, dst []float32) {
	var blk [144]byte
	for b := 0; b < len(dst)/256; b++ {
		Q4_KX16Block(group[q4kxBlock*b:], r, &blk)
		DequantQ4_K(dst[256*b:256*b+256], blk[:])
	}
}

// DotQ4_KX16 computes dst[16·i + r] for groups consecutive 16-row groups
// of w against activations a.
func DotQ4_KX16(w []byte, groups int, a *Q8, dst []float32) {
	nb := len(a.D) / 8
	if groups <= 0 {
		return
	}
	_ = w[groups*q4kxBlock*nb-1]
	_ = dst[16*groups-1]
	if current.dotQ4_KX16 == nil {
		var blk [144]byte
		row := make([]byte, 144*nb)
		for gi := 0; gi < groups; gi++ {
			grp := w[gi*q4kxBlock*nb:]
			for r := 0; r < 16; r++ {
				for b := 0; b < nb; b++ {
					Q4_KX16Block(grp[q4kxBlock*b:], r, &blk)
					copy(row[144*b:], blk[:])
				}
				dst[16*gi+r] = dotQ4_KGeneric(row, a)
			}
		}
		return
	}
	current.dotQ4_KX16(unsafe.SliceData(w), groups, nb, unsafe.SliceData(a.Q), unsafe.SliceData(a.D), unsafe.SliceData(a.S), &dst[0])
}

// Q6_KX16: Q6_K rows interleaved 16 at a time (see dotQ6_KX16VNNI in
// _asm). Per super-block, 3360 bytes (the 16 rows' 210):
//
//	[0:32)      d of the 16 rows (f16)
//	[32:288)    scales: for group g = 0..15, the 16 rows' int8 scale
//	[288:3360)  for half h = 0, 1 and step s = 0..7, 192 bytes: the 16
//	            rows' bytes 4s..4s+3 of ql[64h:], of ql[64h+32:] and of
//	            qh[32h:] (64 bytes each)

// q6kxBlock is the size of one interleaved super-block of 16 rows.
const q6kxBlock = 16 * 210

// CanRepackQ6_KX16 reports whether the current tier has the 16-row Q6_K
// kernel.
func CanRepackQ6_KX16() bool { return current.dotQ6_KX16 != nil }

// q6kxMap calls f(interleaved offset, original offset, length) for every
// piece of row r's block.
func q6kxMap(r int, f func(x, o, n int)) {
	f(2*r, 208, 2)
	for g := 0; g < 16; g++ {
		f(32+16*g+r, 192+g, 1)
	}
	for h := 0; h < 2; h++ {
		for s := 0; s < 8; s++ {
			base := 288 + 192*(8*h+s) + 4*r
			f(base, 64*h+4*s, 4)
			f(base+64, 64*h+32+4*s, 4)
			f(base+128, 128+32*h+4*s, 4)
		}
	}
}

// RepackQ6_KX16 rearranges 16 consecutive Q6_K rows of nb super-blocks
// each (16·210·nb bytes) in place into the Q6_KX16 layout.
func RepackQ6_KX16(group []byte, nb int) {
	le := binary.LittleEndian
	buf := repackScratch(q6kxBlock * nb)
	defer repackBufs.Put(buf)
	tmp := *buf
	copy(tmp, group)
	for b := 0; b < nb; b++ {
		out := group[q6kxBlock*b : q6kxBlock*(b+1)]
		for r := 0; r < 16; r++ {
			blk := tmp[r*210*nb+210*b : r*210*nb+210*b+210]
			// As q6kxMap, with word moves (loading models spends its time here).
			le.PutUint16(out[2*r:], le.Uint16(blk[208:]))
			for g := 0; g < 16; g++ {
				out[32+16*g+r] = blk[192+g]
			}
			for h := 0; h < 2; h++ {
				for s := 0; s < 8; s++ {
					base := 288 + 192*(8*h+s) + 4*r
					le.PutUint32(out[base:], le.Uint32(blk[64*h+4*s:]))
					le.PutUint32(out[base+64:], le.Uint32(blk[64*h+32+4*s:]))
					le.PutUint32(out[base+128:], le.Uint32(blk[128+32*h+4*s:]))
				}
			}
		}
	}
}

// Q6_KX16Block rebuilds the original 210-byte Q6_K block of row r (0..15)
// from one interleaved super-block of a group.
func Q6_KX16Block(blk []byte, r int, out *[210]byte) {
	q6kxMap(r, func(x, o, n int) { copy(out[o:o+n], blk[x:x+n]) })
}

// DequantQ6_KX16Row dequantizes row r (0..15) of a 16-row group.
func DequantQ6_KX16Row(group []byte, r int, dst []float32) {
	var blk [210]byte
	for b := 0; b < len(dst)/256; b++ {
		Q6_KX16Block(group[q6kxBlock*b:], r, &blk)
		DequantQ6_K(dst[256*b:256*b+256], blk[:])
	}
}

// DotQ6_KX16 computes dst[16·i + r] for groups consecutive 16-row groups
// of w against activations a (quantized with LayoutN4).
func DotQ6_KX16(w []byte, groups int, a *Q8, dst []float32) {
	nb := len(a.D) / 8
	if groups <= 0 {
		return
	}
	_ = w[groups*q6kxBlock*nb-1]
	_ = dst[16*groups-1]
	if current.dotQ6_KX16 == nil || len(a.N16) != 16*nb {
		var blk [210]byte
		row := make([]byte, 210*nb)
		for gi := 0; gi < groups; gi++ {
			grp := w[gi*q6kxBlock*nb:]
			for r := 0; r < 16; r++ {
				for b := 0; b < nb; b++ {
					Q6_KX16Block(grp[q6kxBlock*b:], r, &blk)
					copy(row[210*b:], blk[:])
				}
				dst[16*gi+r] = dotQ6_KGeneric(row, a)
			}
		}
		return
	}
	current.dotQ6_KX16(unsafe.SliceData(w), groups, nb, unsafe.SliceData(a.Q), unsafe.SliceData(a.D), unsafe.SliceData(a.N16), &dst[0])
}

// Q8_0X16: Q8_0 rows interleaved 16 at a time (see dotQ8_0X16VNNI in
// _asm). Per block, 544 bytes (the 16 rows' 34): d of the 16 rows (f16),
// then for step s = 0..7 the 16 rows' weights 4s..4s+3 plus 128, as
// unsigned bytes (16 rows × 4 bytes).

// CanRepackQ8_0X16 reports whether the current tier has the 16-row Q8_0
// kernel.
func CanRepackQ8_0X16() bool { return current.dotQ8_0X16 != nil }

// RepackQ8_0X16 rearranges 16 consecutive Q8_0 rows of nb blocks each
// (16·34·nb bytes) in place into the Q8_0X16 layout.
func RepackQ8_0X16(group []byte, nb int) {
	le := binary.LittleEndian
	buf := repackScratch(16 * 34 * nb)
	defer repackBufs.Put(buf)
	tmp := *buf
	copy(tmp, group)
	for b := 0; b < nb; b++ {
		out := group[544*b : 544*b+544]
		for r := 0; r < 16; r++ {
			blk := tmp[r*34*nb+34*b : r*34*nb+34*b+34]
			le.PutUint16(out[2*r:], le.Uint16(blk))
			for s := 0; s < 8; s++ {
				le.PutUint32(out[32+64*s+4*r:], le.Uint32(blk[2+4*s:])^0x80808080)
			}
		}
	}
}

// Q8_0X16Block rebuilds the original 34-byte Q8_0 block of row r (0..15)
// from one interleaved block of a group.
func Q8_0X16Block(blk []byte, r int, out *[34]byte) {
	le := binary.LittleEndian
	le.PutUint16(out[0:], le.Uint16(blk[2*r:]))
	for s := 0; s < 8; s++ {
		le.PutUint32(out[2+4*s:], le.Uint32(blk[32+64*s+4*r:])^0x80808080)
	}
}

// DequantQ8_0X16Row dequantizes row r (0..15) of a 16-row group.
func DequantQ8_0X16Row(group []byte, r int, dst []float32) {
	var blk [34]byte
	for b := 0; b < len(dst)/32; b++ {
		Q8_0X16Block(group[544*b:], r, &blk)
		DequantQ8_0(dst[32*b:32*b+32], blk[:])
	}
}

// DotQ8_0X16 computes dst[16·i + r] for groups consecutive 16-row groups
// of w against activations a.
func DotQ8_0X16(w []byte, groups int, a *Q8, dst []float32) {
	nb := len(a.D)
	if groups <= 0 {
		return
	}
	_ = w[groups*544*nb-1]
	_ = dst[16*groups-1]
	if current.dotQ8_0X16 == nil || len(a.NB) != nb {
		var blk [34]byte
		row := make([]byte, 34*nb)
		for gi := 0; gi < groups; gi++ {
			grp := w[gi*544*nb:]
			for r := 0; r < 16; r++ {
				for b := 0; b < nb; b++ {
					Q8_0X16Block(grp[544*b:], r, &blk)
					copy(row[34*b:], blk[:])
				}
				dst[16*gi+r] = DotQ8_0(row, a)
			}
		}
		return
	}
	current.dotQ8_0X16(unsafe.SliceData(w), groups, nb, unsafe.SliceData(a.Q), unsafe.SliceData(a.NB), unsafe.SliceData(a.D), &dst[0])
}
