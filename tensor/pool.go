package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gophi/gophi/tensor/internal/kernels"
)

// Task is work that Pool.Parallel splits across threads: Run handles the
// range [lo, hi) on thread worker. Passing a pointer to a long-lived Task
// keeps Parallel free of allocations.
type Task interface {
	Run(worker, lo, hi int)
}

// TaskFunc adapts a function to a Task.
type TaskFunc func(worker, lo, hi int)

// Run calls f.
func (f TaskFunc) Run(worker, lo, hi int) { f(worker, lo, hi) }

// Pool is a persistent set of worker goroutines that split loops across
// CPU cores. One Pool serves a whole model; its workers live until Close.
// Parallel calls on one Pool are serialised, so a Pool may be shared by
// goroutines.
//
// Hand-offs are frequent (a few hundred per generated token) and short, so
// workers spin briefly on a generation counter before sleeping, and the
// caller spins while the last workers finish: a futex wake-up per hand-off
// would leave cores idle for tens of microseconds each time.
type Pool struct {
	threads int
	mu      sync.Mutex // serialises Parallel callers
	task    Task
	n       int
	next    atomic.Int64  // start of the part of [0, n) not yet taken
	gen     atomic.Uint32 // bumped to publish a task
	left    atomic.Int32  // workers still running the current task
	closed  atomic.Bool
	sleepMu sync.Mutex
	wake    *sync.Cond

	scratch [][]float32 // per-worker scratch space for kernels
	q8      []kernels.Q8
	acts    q8acts    // activations of the int8 prefill path
	bytes   [][]byte  // per-worker byte scratch
	xpack   []float32 // activations packed for the F16X/BF16X GEMM
	pack    packTask  // packs them
	mm      matmulTask
	glu     swigluTask    // MatMulSwiGLU's unfused pass
	gemmT   gemmTask      // GemmNT/GemmNN
	transT  transposeTask // Transpose
	// exactHalf keeps F16 and BF16 prompt products in float32 instead of
	// bfloat16 pairs (see SetExactHalf).
	exactHalf bool
}

// SetExactHalf chooses how prompts (batches of gemmMinTokens or more)
// multiply F16 and BF16 weights on CPUs with bfloat16 dot products
// (AVX512_BF16): by default as bfloat16 pairs, twice as fast, with the
// activations and F16 weights rounded to bfloat16; exact = true converts
// the weights to float32 instead and keeps the activations exact. Not
// safe to call while the pool runs a product.
func (p *Pool) SetExactHalf(exact bool) { p.exactHalf = exact }

// spinIters bounds how long an idle worker polls before sleeping (about a
// millisecond). Between two matrix products of a decoding step the caller
// runs norms, RoPE and quantization for tens to hundreds of microseconds; a
// worker that fell asleep in that gap costs a futex wake-up per hand-off.
// Measured on Phi-3-mini Q4_0 decoding, 2 threads: 2^15 → 11.6 tok/s,
// 2^20 → 14.5 tok/s.
const spinIters = 1 << 20

// NewPool starts a pool of the given number of threads; threads <= 0 means
// one per CPU core (runtime.NumCPU).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, scratch: make([][]float32, threads), bytes: make([][]byte, threads)}
	p.wake = sync.NewCond(&p.sleepMu)
	p.acts.pool = p
	for w := 1; w < threads; w++ {
		go p.worker(w)
	}
	return p
}

func (p *Pool) worker(w int) {
	var seen uint32
	for {
		g := p.await(seen)
		if p.closed.Load() {
			return
		}
		seen = g
		p.runPieces(w)
		p.left.Add(-1)
	}
}

// await returns once the generation differs from seen: spinning first,
// then sleeping on the condition variable.
func (p *Pool) await(seen uint32) uint32 {
	for i := 0; i < spinIters; i++ {
		if g := p.gen.Load(); g != seen {
			return g
		}
	}
	p.sleepMu.Lock()
	for p.gen.Load() == seen && !p.closed.Load() {
		p.wake.Wait()
	}
	p.sleepMu.Unlock()
	return p.gen.Load()
}

// runPieces runs ranges of the current task as worker w until none are
// left. Scheduling is guided: each range is a 1/(2·threads) share of what
// is still untaken, so ranges start long (sequential streams through the
// weights) and shrink to single units at the end, where a thread that
// finishes first would otherwise spin while the other runs out a long
// range. Against 8 equal ranges taken in turn (Phi-3-mini, 2 threads,
// alternating the two token by token in one process): idle time in
// decoding's parallel sections 6.1-7.8% → 0.7-2.2%, ms per token Q4_0
// 91.0 → 85.1, Q4_K_M 61.4 → 59.4, F16 218 → 207; a 128-token prompt Q4_0
// 2.30 → 2.11 s, F16 3.42 → 3.32 s. (Equal ranges taken in turn had in
// turn beaten a static split: the caller spun for 8% of F16 prefill.)
func (p *Pool) runPieces(w int) {
	n, div := int64(p.n), int64(2*p.threads)
	for {
		lo := p.next.Load()
		if lo >= n {
			return
		}
		hi := lo + max(1, (n-lo)/div)
		if p.next.CompareAndSwap(lo, hi) {
			p.task.Run(w, int(lo), int(hi))
		}
	}
}

// Threads returns the number of threads the pool runs loops on.
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return
	}
	p.sleepMu.Lock()
	p.gen.Add(1)
	p.wake.Broadcast()
	p.sleepMu.Unlock()
}

// Parallel calls t.Run(worker, lo, hi) over disjoint ranges covering
// [0, n), taken in turn (see runPieces), and returns when all are done. worker is in
// [0, Threads()) and identifies the calling thread's scratch space. The
// calling goroutine runs the first range itself.
func (p *Pool) Parallel(n int, t Task) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parallel(n, t)
}

func (p *Pool) parallel(n int, t Task) {
	if p.threads == 1 || n == 1 || p.closed.Load() {
		t.Run(0, 0, n)
		return
	}
	p.task, p.n = t, n
	p.next.Store(0)
	p.left.Store(int32(p.threads - 1))
	p.sleepMu.Lock()
	p.gen.Add(1)
	p.wake.Broadcast()
	p.sleepMu.Unlock()
	p.runPieces(0)
	for i := 0; p.left.Load() > 0; i++ {
		if i > spinIters {
			runtime.Gosched()
		}
	}
	p.task = nil
}

// Scratch returns worker w's scratch buffer with at least n floats. It is
// valid until that worker's next call to Scratch.
func (p *Pool) Scratch(w, n int) []float32 {
	if c := cap(p.scratch[w]); c < n {
		// Grow geometrically: attention asks for one more score per token.
		p.scratch[w] = make([]float32, n, max(n, 2*c))
	}
	return p.scratch[w][:n]
}

// byteScratch returns worker w's byte scratch buffer with at least n bytes.
func (p *Pool) byteScratch(w, n int) []byte {
	if cap(p.bytes[w]) < n {
		p.bytes[w] = make([]byte, n)
	}
	return p.bytes[w][:n]
}
