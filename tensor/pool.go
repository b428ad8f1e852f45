package tensor

import (
	"runtime"
	"sync"
)

// Pool is a persistent set of worker goroutines that split loops across
// CPU cores. One Pool serves a whole model; its workers live until Close.
// Parallel calls on one Pool are serialised, so a Pool may be shared by
// goroutines.
type Pool struct {
	threads int
	mu      sync.Mutex
	work    []chan job
	done    sync.WaitGroup
	scratch [][]float32 // per-worker scratch space for kernels
}

type job struct {
	fn     func(worker, lo, hi int)
	lo, hi int
}

// NewPool starts a pool of the given number of threads; threads <= 0 means
// one per CPU core (runtime.NumCPU).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, scratch: make([][]float32, threads)}
	for w := 1; w < threads; w++ {
		ch := make(chan job, 1)
		p.work = append(p.work, ch)
		go func(w int, ch chan job) {
			for j := range ch {
				j.fn(w, j.lo, j.hi)
				p.done.Done()
			}
		}(w, ch)
	}
	return p
}

// Threads returns the number of threads the pool runs loops on.
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ch := range p.work {
		close(ch)
	}
	p.work = nil
	p.threads = 1
}

// Parallel calls fn(worker, lo, hi) over disjoint ranges covering [0, n),
// one range per thread, and returns when all are done. worker is in
// [0, Threads()) and identifies the calling thread's scratch space. The
// calling goroutine runs the first range itself.
func (p *Pool) Parallel(n int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := min(p.threads, n)
	if t == 1 {
		fn(0, 0, n)
		return
	}
	chunk := (n + t - 1) / t
	p.done.Add(t - 1)
	for w := 1; w < t; w++ {
		lo := min(n, w*chunk)
		hi := min(n, lo+chunk)
		p.work[w-1] <- job{fn, lo, hi}
	}
	fn(0, 0, min(n, chunk))
	p.done.Wait()
}

// Scratch returns worker w's scratch buffer with at least n floats. It is
// valid until that worker's next call to Scratch.
func (p *Pool) Scratch(w, n int) []float32 {
	if cap(p.scratch[w]) < n {
		p.scratch[w] = make([]float32, n)
	}
	return p.scratch[w][:n]
}
