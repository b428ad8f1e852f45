package tensor

import "unsafe"

// f32View reinterprets little-endian F32 bytes as []float32 without copying.
// gophi's supported platforms are little-endian; the data must be 4-byte
// aligned, which GGUF (32-byte) and safetensors (8-byte header padding, F32
// offsets multiples of 4) guarantee for F32 tensors; unaligned data is copied.
func f32View(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		out := make([]float32, len(b)/4)
		_ = DequantizeRow(F32, b, out)
		return out
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}
