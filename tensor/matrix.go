package tensor

import "fmt"

// Matrix is a row-major weight matrix of Rows×Cols elements of Type, stored
// as raw bytes (usually a slice of a mapped model file). Row r holds the
// weights of output feature r, as in Hugging Face's [out, in] layout and
// ggml's ne = [in, out].
type Matrix struct {
	Type       DType
	Rows, Cols int
	Data       []byte
	rowBytes   int
}

// NewMatrix checks that data holds exactly rows×cols elements of type t.
func NewMatrix(t DType, rows, cols int, data []byte) (*Matrix, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("tensor: bad matrix shape %d×%d", rows, cols)
	}
	rb, err := t.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	if rb*rows != len(data) || len(data)/rows != rb {
		return nil, fmt.Errorf("tensor: %s matrix %d×%d needs %d bytes, have %d", t, rows, cols, rb*rows, len(data))
	}
	return &Matrix{Type: t, Rows: rows, Cols: cols, Data: data, rowBytes: rb}, nil
}

// Row returns the raw bytes of row r.
func (m *Matrix) Row(r int) []byte { return m.Data[r*m.rowBytes : (r+1)*m.rowBytes] }

// RowBytes returns the size of one row in bytes.
func (m *Matrix) RowBytes() int { return m.rowBytes }

// RowF32 dequantizes row r into dst (len(dst) must be Cols).
func (m *Matrix) RowF32(r int, dst []float32) {
	if err := DequantizeRow(m.Type, m.Row(r), dst[:m.Cols]); err != nil {
		panic(err) // unreachable: NewMatrix validated the type and size
	}
}

// MatMul computes dst[i*w.Rows+r] = Σ_c w[r,c]·x[i*w.Cols+c] for the n
// activation vectors packed in x (n×Cols), i.e. y = x·Wᵀ for a batch of n
// tokens. Every matrix product in gophi goes through here, so the kernels
// behind it can change without touching the model.
func (p *Pool) MatMul(dst []float32, w *Matrix, x []float32, n int) {
	if len(x) < n*w.Cols || len(dst) < n*w.Rows {
		panic(fmt.Sprintf("tensor: MatMul shapes: w %d×%d, x %d, dst %d, n %d", w.Rows, w.Cols, len(x), len(dst), n))
	}
	p.Parallel(w.Rows, func(worker, lo, hi int) {
		matmulRows(dst, w, x, n, lo, hi, p.Scratch(worker, w.Cols))
	})
}

// matmulRows is the generic kernel: it dequantizes each row once into
// scratch and dots it with every activation vector. Every type therefore
// computes exactly Σ (dequantized weight)·x in the same order, so one token
// and a batch of tokens give bit-identical results.
func matmulRows(dst []float32, w *Matrix, x []float32, n, lo, hi int, scratch []float32) {
	cols, rows := w.Cols, w.Rows
	for r := lo; r < hi; r++ {
		row := scratch
		if w.Type == F32 {
			row = f32View(w.Row(r))
		} else {
			w.RowF32(r, row)
		}
		for i := 0; i < n; i++ {
			dst[i*rows+r] = Dot(row, x[i*cols:(i+1)*cols])
		}
	}
}

// Dot returns Σ a[i]·b[i] over len(a) elements, accumulated in a fixed
// order (eight interleaved partial sums) so results are reproducible.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
