package tensor

import (
	"fmt"
	"unsafe"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

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
	if l := layouts[m.Type]; l != nil {
		l.row(m.Data[(r/16)*16*m.rowBytes:], r%16, dst[:m.Cols])
		return
	}
	if err := DequantizeRow(m.Type, m.Row(r), dst[:m.Cols]); err != nil {
		panic(err) // unreachable: NewMatrix validated the type and size
	}
}

// Kernel tiers: see package tensor/internal/kernels.

// KernelTiers lists the kernel tiers this CPU runs, best first ("avx512",
// "avx2", "generic").
func KernelTiers() []string {
	var out []string
	for _, t := range kernels.Available() {
		out = append(out, string(t))
	}
	return out
}

// KernelTier returns the tier in use.
func KernelTier() string { return string(kernels.Current()) }

// UseKernelTier switches all kernels to a tier (for tests and benchmarks);
// it must not be called while kernels run.
func UseKernelTier(t string) error { return kernels.Use(kernels.Tier(t)) }

// Dot returns Σ a[i]·b[i] over len(a) elements with the fastest kernel.
func Dot(a, b []float32) float32 { return kernels.DotF32(a, b) }

// Axpy computes y[i] += a·x[i] over len(y) elements.
func Axpy(y, x []float32, a float32) { kernels.Axpy(y, x, a) }

// DotRowsF32 sets dst[j] = q·k[j·stride:] for j < len(dst): one query's
// attention scores against float32 cached keys.
func DotRowsF32(k []float32, stride int, q, dst []float32) { kernels.DotRowsF32(k, stride, q, dst) }

// DotRowsF16 is DotRowsF32 for half-precision cached keys.
func DotRowsF16(k []uint16, stride int, q, dst []float32) { kernels.DotRowsF16(k, stride, q, dst) }

// WSumF32 adds Σ_j p[j]·v[j·stride:][:len(out)] into out.
func WSumF32(v []float32, stride int, p, out []float32) { kernels.WSumF32(v, stride, p, out) }

// WSumF16 is WSumF32 for half-precision cached values.
func WSumF16(v []uint16, stride int, p, out []float32) { kernels.WSumF16(v, stride, p, out) }

// PanelRows is the number of rows GemmPanel multiplies at once.
const PanelRows = kernels.PanelRows

// PackPanel stores rows (≤ PanelRows) rows of kc floats of src (row stride
// ld) transposed as kc groups of PanelRows floats (dst[k·32 + r] =
// src[r·ld + k]), zero-filling missing rows: the weight panel GemmPanel
// reads.
func PackPanel(dst, src []float32, ld, rows, kc int) { kernels.Pack(dst, src, ld, rows, kc) }

// GemmPanel computes c[i·ldc + r] (+)= Σ_{k<kc} w[k·32 + r]·x[i·ldx + k]
// for the 32 rows r of a packed panel w and toks tokens x, with the GEMM
// micro-kernel of MatMul's prefill path; add selects accumulation.
func GemmPanel(w []float32, kc int, x []float32, ldx int, c []float32, ldc, toks int, add bool) {
	kernels.GemmPacked(w, kc, x, ldx, c, ldc, toks, add)
}

// F16sToF32 converts IEEE halves to float32 (len(dst) values).
func F16sToF32(dst []float32, src []uint16) {
	kernels.CvtF16(dst, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), 2*len(dst)))
}

// ExpSub replaces x[i] by exp(x[i]−m), m ≥ max(x), and returns the sum.
func ExpSub(x []float32, m float32) float32 { return kernels.ExpSub(x, m) }

// Max returns the largest of x (len(x) > 0) on the vector kernel.
func Max(x []float32) float32 { return kernels.MaxF32(x) }

// SwiGLU sets h[i] = silu(g[i])·u[i] over len(h) values.
func SwiGLU(h, g, u []float32) { kernels.SwiGLU(h, g, u) }

// gemmMinTokens is the batch size from which MatMul switches from one dot
// product per row and token (memory-bound decoding) to dequantizing panels
// of rows and running the GEMM micro-kernel (compute-bound prefill).
const gemmMinTokens = 4

// gemmQ8MinTokens is the same threshold for the int8 GEMM path, whose
// panel packing costs about as much as a dozen single-token passes over
// the weights (measured on Phi-3-mini Q4_0: 12 tokens took 1.36 s through
// the GEMM against 0.9 s one token at a time; 30 tokens 1.7 s against 2.2 s).
const gemmQ8MinTokens = 20

// gemmHalfMinTokens is the threshold for F16 and BF16 weights in the
// file's layout (mapped files, which cannot be repacked): converting and
// packing their panels costs about as much as nine single-token passes
// (3072×8192, 2 threads: 4 tokens 23 ms through the GEMM against 10.5 ms
// one token at a time, 8 tokens 23 against 20, 16 tokens 21 against 39).
const gemmHalfMinTokens = 8

// gemmMin returns the batch size from which MatMul multiplies weights of
// type t through a GEMM path.
func gemmMin(t DType) int {
	switch {
	case usesGemmQ8(t):
		return gemmQ8MinTokens
	case t == F16 || t == BF16:
		return gemmHalfMinTokens
	}
	return gemmMinTokens
}

// panelRows is how many weight rows the GEMM path handles at once and
// kChunk how many columns of them it dequantizes and packs per step (32×256
// floats = 32 KiB, which stays in L1 while every token of the batch passes).
const (
	panelRows = kernels.PanelRows
	kChunk    = 256
)

// MatMul computes dst[i*w.Rows+r] = Σ_c w[r,c]·x[i*w.Cols+c] for the n
// activation vectors packed in x (n×Cols), i.e. y = x·Wᵀ for a batch of n
// tokens. Every matrix product in gophi goes through here, so the kernels
// behind it can change without touching the model.
//
// Precision: F32, F16 and BF16 weights multiply float32 activations; the
// block-quantized types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)
// multiply activations quantized to 8 bits per block of 32, as llama.cpp
// does (relative error of the activations ≈ 0.5% RMS, see
// kernels.TestQ8Error).
func (p *Pool) MatMul(dst []float32, w *Matrix, x []float32, n int) {
	if len(x) < n*w.Cols || len(dst) < n*w.Rows {
		panic(fmt.Sprintf("tensor: MatMul shapes: w %d×%d, x %d, dst %d, n %d", w.Rows, w.Cols, len(x), len(dst), n))
	}
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.matMul(dst, w, x, n, false)
}

// MatMulSwiGLU sets dst = w·h for the n rows of h = silu(gate)·up (a gated
// FFN's down projection), row i of gu holding gate then up, w.Cols values
// each. On the int8 prompt path each row of h is computed and quantized in
// one step, never stored (the SwiGLU pass fused into the activations'
// quantization); on the other paths h (n·w.Cols values) receives it first.
func (p *Pool) MatMulSwiGLU(dst []float32, w *Matrix, gu []float32, n int, h []float32) {
	f := w.Cols
	if len(gu) < 2*n*f || len(h) < n*f || len(dst) < n*w.Rows {
		panic(fmt.Sprintf("tensor: MatMulSwiGLU shapes: w %d×%d, gu %d, h %d, dst %d, n %d", w.Rows, f, len(gu), len(h), len(dst), n))
	}
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n >= gemmMin(w.Type) && usesGemmQ8(w.Type) && f%32 == 0 {
		p.matMul(dst, w, gu, n, true)
		return
	}
	p.glu = swigluTask{gu: gu, h: h, f: f}
	p.parallel(n, &p.glu)
	p.glu = swigluTask{}
	p.matMul(dst, w, h, n, false)
}

// swigluTask computes h = silu(gate)·up for rows [lo, hi) of gu (gate
// then up, f values each).
type swigluTask struct {
	gu, h []float32
	f     int
}

func (t *swigluTask) Run(_, lo, hi int) {
	f := t.f
	for i := lo; i < hi; i++ {
		gu := t.gu[i*2*f : (i+1)*2*f]
		kernels.SwiGLU(t.h[i*f:(i+1)*f], gu[:f], gu[f:])
	}
}

// matMul is MatMul with p.mu held; gated (int8 GEMM path only) takes x as
// gate and up rows of 2·w.Cols values (see MatMulSwiGLU).
func (p *Pool) matMul(dst []float32, w *Matrix, x []float32, n int, gated bool) {
	t := &p.mm
	*t = matmulTask{p: p, dst: dst, w: w, x: x, n: n}
	if n >= gemmMin(w.Type) {
		t.gemm = true
		if usesGemmQ8(w.Type) && w.Cols%32 == 0 {
			t.q8gemm = true
			p.acts.prepare(x, n, w.Cols, w.Type, gated)
		}
		if l := layouts[w.Type]; l != nil && l.cvt != nil {
			// Pack the activations once for every worker (see runGemmX),
			// chunks split over the threads: as floats, or as bfloat16
			// pairs for the bfloat16 products.
			p.xpack = growF32(p.xpack, n*w.Cols)
			p.pack = packTask{dst: p.xpack, x: x, n: n, cols: w.Cols}
			if p.bf16Products(w) {
				p.pack.pairs = unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(p.xpack))), n*w.Cols/2)
				t.xpairs = p.pack.pairs
			}
			p.parallel((w.Cols+kChunk-1)/kChunk, &p.pack)
			p.pack.x, p.pack.pairs = nil, nil
			t.xp = p.xpack
		}
		p.parallel((w.Rows+panelRows-1)/panelRows, t)
		return
	}
	if int8Decode(w.Type) {
		if cap(p.q8) < n {
			p.q8 = make([]kernels.Q8, n)
		}
		t.q8 = p.q8[:n]
		var want kernels.Layouts
		switch w.Type {
		case Q4_0:
			want = kernels.LayoutPairs
		case Q4_0R:
			want = kernels.LayoutRepacked
		case Q6_K, Q6_KX:
			want = kernels.LayoutN4
		}
		for i := range t.q8 {
			t.q8[i].QuantizeFor(x[i*w.Cols:(i+1)*w.Cols], want)
		}
	}
	if layouts[w.Type] != nil {
		p.parallel(w.Rows/16, t) // in groups of 16 rows
		return
	}
	p.parallel(w.Rows, t)
}

// int8Decode reports whether decoding type t multiplies 8-bit activations.
func int8Decode(t DType) bool {
	switch fileType(t) {
	case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K:
		return true
	}
	return false
}

// rowsKernel returns the multi-row int8 decode kernel of type t, or nil.
func rowsKernel(t DType) func(w []byte, stride, rows int, a *kernels.Q8, dst []float32) {
	switch t {
	case Q4_1:
		return kernels.DotQ4_1Rows
	case Q5_0:
		return kernels.DotQ5_0Rows
	case Q5_1:
		return kernels.DotQ5_1Rows
	case Q4_K:
		return kernels.DotQ4_KRows
	case Q5_K:
		return kernels.DotQ5_KRows
	case Q6_K:
		return kernels.DotQ6_KRows
	}
	return nil
}

type matmulTask struct {
	p      *Pool
	dst    []float32
	w      *Matrix
	x      []float32
	n      int
	gemm   bool
	q8gemm bool
	q8     []kernels.Q8
	xp     []float32 // activations packed by kernels.PackTokens, chunk by chunk
	xpairs []uint32  // or by kernels.PackTokensBF16, for bfloat16 products
}

func (t *matmulTask) Run(worker, lo, hi int) {
	w, n, cols, rows := t.w, t.n, t.w.Cols, t.w.Rows
	if t.q8gemm {
		t.runGemmQ8(worker, lo, hi)
		return
	}
	if t.gemm {
		if l := layouts[w.Type]; l != nil && l.cvt != nil {
			t.runGemmX(l, worker, lo, hi)
			return
		}
		t.runGemm(worker, lo, hi)
		return
	}
	if l := layouts[w.Type]; l != nil { // lo, hi count groups of 16 rows
		g := 16 * w.rowBytes
		if l.dotF != nil {
			for i := 0; i < n; i++ {
				l.dotF(w.Data[lo*g:hi*g], hi-lo, t.x[i*cols:(i+1)*cols], t.dst[i*rows+16*lo:i*rows+16*hi])
			}
			return
		}
		for i := 0; i < n; i++ {
			l.dot(w.Data[lo*g:hi*g], hi-lo, &t.q8[i], t.dst[i*rows+16*lo:i*rows+16*hi])
		}
		return
	}
	if w.Type == Q4_0R {
		for i := 0; i < n; i++ {
			kernels.DotQ4_0RRows(w.Data[lo*w.rowBytes:], w.rowBytes, hi-lo, &t.q8[i], t.dst[i*rows+lo:i*rows+hi])
		}
		return
	}
	if dot := rowsKernel(w.Type); dot != nil {
		for i := 0; i < n; i++ {
			dot(w.Data[lo*w.rowBytes:], w.rowBytes, hi-lo, &t.q8[i], t.dst[i*rows+lo:i*rows+hi])
		}
		return
	}
	if w.Type == F16 && cols%16 == 0 {
		// One kernel call streams the whole range of rows.
		h := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(w.Data))), len(w.Data)/2)
		for i := 0; i < n; i++ {
			kernels.DotRowsF16(h[lo*cols:], cols, t.x[i*cols:(i+1)*cols], t.dst[i*rows+lo:i*rows+hi])
		}
		return
	}
	if w.Type == F32 && cols%16 == 0 {
		f := f32View(w.Data)
		for i := 0; i < n; i++ {
			kernels.DotRowsF32(f[lo*cols:], cols, t.x[i*cols:(i+1)*cols], t.dst[i*rows+lo:i*rows+hi])
		}
		return
	}
	for r := lo; r < hi; r++ {
		row := w.Row(r)
		switch w.Type {
		case F32:
			f := f32View(row)
			for i := 0; i < n; i++ {
				t.dst[i*rows+r] = kernels.DotF32(f, t.x[i*cols:(i+1)*cols])
			}
		case F16:
			for i := 0; i < n; i++ {
				t.dst[i*rows+r] = kernels.DotF16(row, t.x[i*cols:(i+1)*cols])
			}
		case BF16:
			for i := 0; i < n; i++ {
				t.dst[i*rows+r] = kernels.DotBF16(row, t.x[i*cols:(i+1)*cols])
			}
		case Q8_0:
			for i := 0; i < n; i++ {
				t.dst[i*rows+r] = kernels.DotQ8_0(row, &t.q8[i])
			}
		case Q4_0:
			for i := 0; i < n; i++ {
				t.dst[i*rows+r] = kernels.DotQ4_0(row, &t.q8[i])
			}
		default:
			f := t.p.Scratch(worker, cols)
			w.RowF32(r, f)
			for i := 0; i < n; i++ {
				t.dst[i*rows+r] = kernels.DotF32(f, t.x[i*cols:(i+1)*cols])
			}
		}
	}
}

// packTask packs column chunks [lo, hi) of n activation rows for runGemmX.
type packTask struct {
	dst, x  []float32
	pairs   []uint32 // if set, packs bfloat16 pairs here instead of dst
	n, cols int
}

func (t *packTask) Run(_, lo, hi int) {
	for c := lo; c < hi; c++ {
		k0 := c * kChunk
		if t.pairs != nil {
			kernels.PackTokensBF16(t.pairs[t.n*k0/2:], t.x[k0:], t.cols, t.n, min(kChunk, t.cols-k0))
			continue
		}
		kernels.PackTokens(t.dst[t.n*k0:], t.x[k0:], t.cols, t.n, min(kChunk, t.cols-k0))
	}
}

// BF16Products reports whether the current kernel tier has bfloat16 dot
// products, which prompt products with F16 and BF16 weights then use
// unless the pool is set exact.
func BF16Products() bool { return kernels.CanBF16Dot() }

// bf16Products reports whether a product with w (an F16X or BF16X matrix)
// multiplies bfloat16 pairs (kernels.GemmBF16X16) rather than floats.
func (p *Pool) bf16Products(w *Matrix) bool {
	return !p.exactHalf && w.Cols%2 == 0 && kernels.CanBF16Dot()
}

// panelsOuterMax is the largest batch for which runGemmX goes panel by
// panel outside and column chunks inside (3072×8192 F16, 2 threads: 4
// tokens 39 → 51 GFLOPS, 16 tokens 97 → 111, 64 the same, 128 171 → 152;
// go test -run X -bench MatMulHalf ./tensor).
const panelsOuterMax = 64

// runGemmX is runGemm for half-precision types interleaved 16 rows at a
// time. MatMul has packed the activations of all tokens (t.xp, chunk by
// chunk of kChunk columns). For each (panel, chunk) pair the panel's two
// groups are converted to floats with one vectorised pass (their [k][16]
// order is already what the kernel reads: no transposing pack) and
// kernels.GemmF32X16 runs over all tokens. Up to panelsOuterMax tokens,
// panels go outside (each group is read straight through, which the
// prefetcher follows); beyond, chunks go outside (each chunk's activations,
// n·kChunk floats, stay in L2 for all panels: for 512 tokens 180 against
// 130 GFLOPS). Only the matrix's last panel can have fewer than 32 rows
// (16: its one group is used twice); it accumulates in a tile that is
// copied out at the end.
func (t *matmulTask) runGemmX(l *layout, worker, lo, hi int) {
	w, n, cols, rows := t.w, t.n, t.w.Cols, t.w.Rows
	g := 16 * w.rowBytes
	buf := t.p.Scratch(worker, 32*kChunk+16+n*panelRows)
	// Align the converted panel to 64 bytes: its loads must not split lines.
	wf := buf[(64-uintptr(unsafe.Pointer(&buf[0]))%64)%64/4:][:32*kChunk]
	ctile := buf[32*kChunk+16:]
	wp := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(wf))), len(wf))
	step := func(pn, k0 int) {
		kc := min(kChunk, cols-k0)
		r0 := pn * panelRows
		grp := w.Data[r0/16*g:]
		// The panel's first group, and its second unless the matrix ends.
		src, src2 := grp[32*k0:32*(k0+kc)], []byte(nil)
		c, ldc := t.dst[r0:], rows
		if rows-r0 > 16 {
			src2 = grp[g+32*k0 : g+32*(k0+kc)]
		} else {
			c, ldc = ctile, panelRows
		}
		if t.xpairs != nil {
			wa, wb := convertPanel(wp, 8*kc, l.pairs, src, src2)
			kernels.GemmBF16X16(wa, wb, kc/2, t.xpairs[n*k0/2:n*(k0+kc)/2], c, ldc, n, k0 > 0)
			return
		}
		wa, wb := convertPanel(wf, 16*kc, l.cvt, src, src2)
		kernels.GemmF32X16(wa, wb, kc, t.xp[n*k0:n*(k0+kc)], c, ldc, n, k0 > 0)
	}
	if n <= panelsOuterMax {
		for pn := lo; pn < hi; pn++ {
			for k0 := 0; k0 < cols; k0 += kChunk {
				step(pn, k0)
			}
		}
	} else {
		for k0 := 0; k0 < cols; k0 += kChunk {
			for pn := lo; pn < hi; pn++ {
				step(pn, k0)
			}
		}
	}
	if r0 := (hi - 1) * panelRows; hi > lo && rows-r0 <= 16 {
		for i := 0; i < n; i++ {
			copy(t.dst[i*rows+r0:i*rows+rows], ctile[i*panelRows:i*panelRows+rows-r0])
		}
	}
}

// convertPanel converts a panel chunk's first group (src) into buf[:size]
// and its second (src2) into buf[size:2·size]; without a second group
// (the matrix's last 16 rows) both halves are the first.
func convertPanel[E any](buf []E, size int, cvt func([]E, []byte), src, src2 []byte) (wa, wb []E) {
	wa = buf[:size]
	cvt(wa, src)
	if src2 == nil {
		return wa, wa
	}
	wb = buf[size : 2*size]
	cvt(wb, src2)
	return wa, wb
}

// runGemm handles panels [lo, hi) of panelRows rows: for each chunk of
// kChunk columns it dequantizes the panel's rows, packs them transposed and
// runs the packed micro-kernel over every token of the batch.
func (t *matmulTask) runGemm(worker, lo, hi int) {
	w, n, cols, rows := t.w, t.n, t.w.Cols, t.w.Rows
	kc0 := min(kChunk, cols)
	if w.Type.BlockElems() > kc0 {
		kc0 = w.Type.BlockElems()
	}
	// Scratch: unpacked rows, the packed panel, and a C tile for a partial
	// last panel.
	buf := t.p.Scratch(worker, 2*panelRows*kc0+n*panelRows+cols)
	rowsBuf := buf[:panelRows*kc0]
	packed := buf[panelRows*kc0 : 2*panelRows*kc0]
	ctile := buf[2*panelRows*kc0 : 2*panelRows*kc0+n*panelRows]
	full := buf[2*panelRows*kc0+n*panelRows:] // one whole row, for interleaved layouts
	be := w.Type.BlockElems()
	bb := w.Type.BlockBytes()
	for pn := lo; pn < hi; pn++ {
		r0 := pn * panelRows
		nr := min(panelRows, rows-r0)
		c, ldc := t.dst[r0:], rows
		if nr < panelRows {
			c, ldc = ctile, panelRows
		}
		for k0 := 0; k0 < cols; k0 += kc0 {
			kc := min(kc0, cols-k0)
			off := k0 / be * bb
			nbytes := kc / be * bb
			for r := 0; r < nr; r++ {
				if layouts[w.Type] != nil { // rows are interleaved: dequantize whole
					w.RowF32(r0+r, full)
					copy(rowsBuf[r*kc:(r+1)*kc], full[k0:k0+kc])
					continue
				}
				row := w.Row(r0 + r)[off : off+nbytes]
				if err := DequantizeRow(w.Type, row, rowsBuf[r*kc:(r+1)*kc]); err != nil {
					panic(err) // unreachable: NewMatrix validated the type and size
				}
			}
			kernels.Pack(packed, rowsBuf, kc, nr, kc)
			kernels.GemmPacked(packed, kc, t.x[k0:], cols, c, ldc, n, k0 > 0)
		}
		if nr < panelRows {
			for i := 0; i < n; i++ {
				copy(t.dst[i*rows+r0:i*rows+r0+nr], ctile[i*panelRows:i*panelRows+nr])
			}
		}
	}
}

// Repack rearranges the matrix's data in place into a faster layout for
// this CPU's kernels when there is one (with AVX-512 VNNI: Q4_0 → Q4_0X or
// Q4_0R, Q4_K → Q4_KX, Q6_K → Q6_KX, Q8_0 → Q8_0X, F16 → F16X, BF16 →
// BF16X) and reports whether it did. The data must be writable and not
// shared with anything that reads it as the file's type.
func (m *Matrix) Repack() bool {
	for t, l := range layouts {
		if l.from == m.Type && m.Rows%16 == 0 && l.can() {
			g := 16 * m.rowBytes
			for r := 0; r < m.Rows; r += 16 {
				l.repack(m.Data[r*m.rowBytes:r*m.rowBytes+g], m.Cols/m.Type.BlockElems())
			}
			m.Type = t
			return true
		}
	}
	if m.Type != Q4_0 || m.Cols%64 != 0 || !kernels.CanRepackQ4_0() {
		return false
	}
	for r := 0; r < m.Rows; r++ {
		kernels.RepackQ4_0(m.Row(r))
	}
	m.Type = Q4_0R
	rb, _ := Q4_0R.RowBytes(m.Cols)
	m.rowBytes = rb
	return true
}

// layout is an in-memory arrangement of 16 rows of a type, made by
// Matrix.Repack, for a decode kernel whose vector lanes are rows.
type layout struct {
	from   DType                                                    // the file's type
	can    func() bool                                              // the current tier has the kernel
	repack func(group []byte, nb int)                               // 16 rows of nb blocks, in place
	row    func(group []byte, r int, dst []float32)                 // dequantize row r of a group
	dot    func(w []byte, groups int, a *kernels.Q8, dst []float32) // 16 rows per group against a (int8 types)
	dotF   func(w []byte, groups int, x, dst []float32)             // 16 rows per group against x (float types)
	// cvt, for half-precision types, converts consecutive values to
	// float32 (a chunk of a group, for the GEMM: see runGemmX); pairs
	// converts a chunk to bfloat16 pairs for kernels.GemmBF16X16.
	cvt   func(dst []float32, src []byte)
	pairs func(dst []uint32, src []byte)
	// panel names the layout's int8 GEMM panel packer (kernels.PackPanelX16).
	panel kernels.PanelLayout
}

// layouts lists the interleaved layouts by their in-memory type.
var layouts = map[DType]*layout{
	Q4_0X: {from: Q4_0, can: kernels.CanRepackQ4_0X16, repack: kernels.RepackQ4_0X16, row: kernels.DequantQ4_0X16Row, dot: kernels.DotQ4_0X16, panel: kernels.PanelQ4_0X16},
	Q4_KX: {from: Q4_K, can: kernels.CanRepackQ4_KX16, repack: kernels.RepackQ4_KX16, row: kernels.DequantQ4_KX16Row, dot: kernels.DotQ4_KX16, panel: kernels.PanelQ4_KX16},
	Q6_KX: {from: Q6_K, can: kernels.CanRepackQ6_KX16, repack: kernels.RepackQ6_KX16, row: kernels.DequantQ6_KX16Row, dot: kernels.DotQ6_KX16, panel: kernels.PanelQ6_KX16},
	Q8_0X: {from: Q8_0, can: kernels.CanRepackQ8_0X16, repack: kernels.RepackQ8_0X16, row: kernels.DequantQ8_0X16Row, dot: kernels.DotQ8_0X16, panel: kernels.PanelQ8_0X16},
	F16X: {from: F16, can: kernels.CanRepackF16X16, repack: kernels.RepackHalfX16, row: kernels.DequantF16X16Row,
		dotF: kernels.DotF16X16, cvt: kernels.CvtF16, pairs: kernels.CvtF16Pairs},
	BF16X: {from: BF16, can: kernels.CanRepackBF16X16, repack: kernels.RepackHalfX16, row: kernels.DequantBF16X16Row,
		dotF: kernels.DotBF16X16, cvt: kernels.CvtBF16, pairs: kernels.CvtBF16Pairs},
}

// fileType returns the file type an in-memory type was made from (t
// itself for file types), for decisions that depend on the values, not
// their arrangement.
func fileType(t DType) DType {
	if l := layouts[t]; l != nil {
		return l.from
	}
	if t == Q4_0R {
		return Q4_0
	}
	return t
}

// Q8Vec is a vector quantized to 8 bits per block of 32 (llama.cpp's
// Q8_0 activations), for dot products with Q8_0 data such as a Q8_0 KV
// cache. The zero value is ready to use; Quantize reuses its buffers.
type Q8Vec struct{ q kernels.Q8 }

// Quantize sets v to x quantized (len(x) a multiple of 32).
func (v *Q8Vec) Quantize(x []float32) { v.q.QuantizeFor(x, 0) }

// DotRowsQ8_0 sets dst[j] = q·k_j for j < len(dst), where k_j is the Q8_0
// row k[j·stride:] (stride in bytes) with as many blocks as q: one query's
// attention scores against a Q8_0 key cache.
func DotRowsQ8_0(k []byte, stride int, q *Q8Vec, dst []float32) {
	kernels.DotRowsQ8_0(k, stride, &q.q, dst)
}

// WSumQ8_0 adds Σ_j p[j]·v_j into out, where v_j is the Q8_0 row
// v[j·stride:] (stride in bytes) of len(out)/32 blocks.
func WSumQ8_0(v []byte, stride int, p, out []float32) { kernels.WSumQ8_0(v, stride, p, out) }
