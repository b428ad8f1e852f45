package tensor

import (
	"unsafe"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

// Float32 matrix products for the trainer. Training multiplies float32
// matrices three ways per weight: the forward product Y = X·Wᵀ, the input
// gradient dX = dY·W and the weight gradient dW += dYᵀ·X. All three run on
// the GEMM micro-kernel of MatMul's prefill path (kernels.GemmPacked: a
// 32-row panel of one operand, packed as [k][32], times a tile of up to 12
// "tokens", rows of the other operand read in place), which has an
// AVX-512, an AVX2 and a pure-Go tier. The two forms below differ only in
// how the panel is packed: GemmNT transposes 32 rows of W (W is [m][k]),
// GemmNN copies 32 columns of W (W is [k][m]). The weight gradient is
// GemmNN of dYᵀ (made with Transpose) and X.
//
// Every element of C is computed by one worker with a fixed order of
// summation, so results do not depend on how the pool splits the work:
// training runs are reproducible bit for bit for a given kernel tier.

// gemmKC is the depth of one packed panel (32×256 floats = 32 KiB, in L1/L2).
const gemmKC = 256

// GemmScratch is the number of floats of scratch a serial GEMM call over n
// tokens needs (see GemmNTSerial).
func GemmScratch(n int) int { return PanelRows*gemmKC + 16 + n*PanelRows }

// GemmNT sets (add: adds to) C[i·ldc + r] = Σ_{j<k} X[i·ldx + j]·W[r·ldw + j]
// for i < n, r < m: C = X·Wᵀ with X [n][k] and W [m][k], on the pool.
func (p *Pool) GemmNT(c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add bool) {
	p.gemm(c, ldc, x, ldx, w, ldw, n, m, k, add, true)
}

// GemmNN sets (add: adds to) C[i·ldc + r] = Σ_{j<k} X[i·ldx + j]·W[j·ldw + r]
// for i < n, r < m: C = X·W with X [n][k] and W [k][m], on the pool.
func (p *Pool) GemmNN(c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add bool) {
	p.gemm(c, ldc, x, ldx, w, ldw, n, m, k, add, false)
}

// GemmNTSerial is GemmNT on the calling goroutine, with scratch buf of at
// least GemmScratch(n) floats: for callers that are already one pool task
// among many (attention, one head per task).
func GemmNTSerial(buf, c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add bool) {
	GemmCausalSerial(buf, c, ldc, x, ldx, w, ldw, n, m, k, add, true, Full)
}

// GemmNNSerial is GemmNN on the calling goroutine (see GemmNTSerial).
func GemmNNSerial(buf, c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add bool) {
	GemmCausalSerial(buf, c, ldc, x, ldx, w, ldw, n, m, k, add, false, Full)
}

// Causal says which part of a serial product over one sequence's causal
// attention matrix (rows i, columns j, zero where j > i) is computed.
type Causal int

const (
	// Full computes every element.
	Full Causal = iota
	// RowsFrom computes C[i][r] only for tokens i ≥ the first row r of
	// each 32-row panel (S = Q·Kᵀ, dP = dO·Vᵀ: keys after the query are
	// not needed); other elements of C are left as they were.
	RowsFrom
	// TokensFromK takes X[i][j] = 0 for j > i (X is P or dS): in each
	// depth chunk starting at j0, tokens i < j0 are skipped (O = P·V,
	// dQ = dS·K). Every element of C is written.
	TokensFromK
	// KFromRows takes W[j][r] = 0 for j < r (W is P or dS, r a key): the
	// depth of panel r0 starts at r0 (dKᵀ = Qᵀ·dS, dVᵀ = dOᵀ·P). Every
	// element of C is written.
	KFromRows
)

// causalKC is the depth chunk of TokensFromK: smaller chunks skip more of
// the zero triangle.
const causalKC = 64

// GemmCausalSerial is GemmNTSerial (nt) or GemmNNSerial restricted as
// mode says, for the products of causal attention over one sequence.
func GemmCausalSerial(buf, c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add, nt bool, mode Causal) {
	g := gemmTask{c: c, ldc: ldc, x: x, ldx: ldx, w: w, ldw: ldw, n: n, m: m, k: k, add: add, nt: nt, tc: max(n, 1), causal: mode}
	for pn := 0; pn < (m+PanelRows-1)/PanelRows; pn++ {
		i0 := 0
		if mode == RowsFrom {
			i0 = min(n, pn*PanelRows)
		}
		g.unit(buf, pn, i0, n)
	}
}

func (p *Pool) gemm(c []float32, ldc int, x []float32, ldx int, w []float32, ldw int, n, m, k int, add, nt bool) {
	if n <= 0 || m <= 0 {
		return
	}
	if k <= 0 {
		if !add {
			for i := 0; i < n; i++ {
				clear(c[i*ldc : i*ldc+m])
			}
		}
		return
	}
	panels := (m + PanelRows - 1) / PanelRows
	// Split the tokens too when there are few panels, so every thread has
	// several units to take (the pool hands ranges out guided).
	// With many panels each unit takes all tokens, so every panel is
	// packed once (the head: 1000 panels of 32000 rows).
	tc := n
	if want := 8 * p.threads; panels < want && n > 96 {
		chunks := (want + panels - 1) / panels
		tc = max(96, (n+chunks-1)/chunks)
		tc = min((tc+11)/12*12, 384)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gemmT = gemmTask{p: p, c: c, ldc: ldc, x: x, ldx: ldx, w: w, ldw: ldw, n: n, m: m, k: k, add: add, nt: nt, tc: tc}
	p.parallel(panels*((n+tc-1)/tc), &p.gemmT)
	p.gemmT = gemmTask{}
}

// gemmTask is one GEMM as pool units: unit u is panel u / chunks over the
// tokens of chunk u % chunks.
type gemmTask struct {
	p        *Pool
	c, x, w  []float32
	ldc, ldx int
	ldw      int
	n, m, k  int
	add, nt  bool
	tc       int // tokens per unit
	causal   Causal
}

func (g *gemmTask) Run(worker, lo, hi int) {
	chunks := (g.n + g.tc - 1) / g.tc
	buf := g.p.Scratch(worker, GemmScratch(g.tc))
	for u := lo; u < hi; u++ {
		pn, ch := u/chunks, u%chunks
		i0 := ch * g.tc
		g.unit(buf, pn, i0, min(g.n, i0+g.tc))
	}
}

// unit computes panel pn (rows 32·pn … of C's columns) for tokens [i0, i1).
func (g *gemmTask) unit(buf []float32, pn, i0, i1 int) {
	nt := i1 - i0
	r0 := pn * PanelRows
	nr := min(PanelRows, g.m-r0)
	// Align the packed panel to 64 bytes so its loads never split lines.
	off := 0
	for ; off < 16 && uintptr(unsafe.Pointer(&buf[off]))%64 != 0; off++ {
	}
	panel := buf[off : off+PanelRows*gemmKC]
	c, ldc := g.c[i0*g.ldc+r0:], g.ldc
	partial := nr < PanelRows
	add := g.add
	if partial {
		c, ldc = buf[PanelRows*gemmKC+16:][:nt*PanelRows], PanelRows
		if add {
			for i := 0; i < nt; i++ {
				row := c[i*PanelRows : (i+1)*PanelRows]
				copy(row, g.c[(i0+i)*g.ldc+r0:(i0+i)*g.ldc+r0+nr])
				clear(row[nr:])
			}
		}
	}
	kstart, kstep := 0, gemmKC
	switch g.causal {
	case KFromRows:
		kstart = min(r0, g.k)
	case TokensFromK:
		kstep = causalKC
	}
	if kstart > 0 && !add {
		width := nr
		if partial {
			width = PanelRows
		}
		for i := 0; i < nt; i++ { // the skipped depth contributes zero
			clear(c[i*ldc : i*ldc+width])
		}
		add = true
	}
	for k0 := kstart; k0 < g.k; k0 += kstep {
		kc := min(kstep, g.k-k0)
		ti := 0 // first token of this chunk
		if g.causal == TokensFromK {
			ti = min(max(0, k0-i0), nt)
		}
		if g.nt {
			kernels.Pack(panel, g.w[r0*g.ldw+k0:], g.ldw, nr, kc)
		} else {
			for j := 0; j < kc; j++ {
				dst := panel[j*PanelRows : (j+1)*PanelRows]
				copy(dst, g.w[(k0+j)*g.ldw+r0:(k0+j)*g.ldw+r0+nr])
				if partial {
					clear(dst[nr:])
				}
			}
		}
		if ti < nt {
			kernels.GemmPacked(panel, kc, g.x[(i0+ti)*g.ldx+k0:], g.ldx, c[ti*ldc:], ldc, nt-ti, add || k0 > kstart)
		}
	}
	if partial {
		for i := 0; i < nt; i++ {
			copy(g.c[(i0+i)*g.ldc+r0:(i0+i)*g.ldc+r0+nr], c[i*PanelRows:i*PanelRows+nr])
		}
	}
}

// Transpose sets dst[c·rows + r] = src[r·ld + c] for r < rows, c < cols
// (dst is cols×rows, dense), on the pool in 32×32 blocks that stay in cache.
func (p *Pool) Transpose(dst, src []float32, ld, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.transT = transposeTask{dst: dst, src: src, ld: ld, rows: rows, cols: cols}
	p.parallel((cols+31)/32, &p.transT)
	p.transT = transposeTask{}
}

type transposeTask struct {
	dst, src       []float32
	ld, rows, cols int
}

func (t *transposeTask) Run(_, lo, hi int) {
	transposeCols(t.dst, t.src, t.ld, t.rows, t.cols, lo*32, min(t.cols, hi*32))
}

// TransposeSerial is Transpose on the calling goroutine, for callers that
// are one pool task among many.
func TransposeSerial(dst, src []float32, ld, rows, cols int) {
	transposeCols(dst, src, ld, rows, cols, 0, cols)
}

// transposeCols writes rows [c0, c1) of dst = srcᵀ (dst is cols×rows).
func transposeCols(dst, src []float32, ld, rows, cols, c0, c1 int) {
	const b = 32
	for cb := c0; cb < c1; cb += b {
		for r0 := 0; r0 < rows; r0 += b {
			r1 := min(rows, r0+b)
			// Rows of dst are written straight through; the 32×32 block
			// of src they read stays in L1.
			for c := cb; c < min(c1, cb+b); c++ {
				d := dst[c*rows+r0 : c*rows+r1]
				s := src[r0*ld+c:]
				for j := range d {
					d[j] = s[j*ld]
				}
			}
		}
	}
}
