package tensor

import (
	"runtime"
	"sync"

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
type Pool struct {
	threads int
	mu      sync.Mutex
	work    []chan job
	done    sync.WaitGroup
	scratch [][]float32 // per-worker scratch space for kernels
	q8      []kernels.Q8
	acts    q8acts   // activations of the int8 prefill path
	bytes   [][]byte // per-worker byte scratch
	mm      matmulTask
}

type job struct {
	t      Task
	lo, hi int
}

// NewPool starts a pool of the given number of threads; threads <= 0 means
// one per CPU core (runtime.NumCPU).
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, scratch: make([][]float32, threads), bytes: make([][]byte, threads)}
	for w := 1; w < threads; w++ {
		ch := make(chan job, 1)
		p.work = append(p.work, ch)
		go func(w int, ch chan job) {
			for j := range ch {
				j.t.Run(w, j.lo, j.hi)
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

// Parallel calls t.Run(worker, lo, hi) over disjoint ranges covering
// [0, n), one range per thread, and returns when all are done. worker is in
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
	th := min(p.threads, n)
	if th == 1 {
		t.Run(0, 0, n)
		return
	}
	chunk := (n + th - 1) / th
	p.done.Add(th - 1)
	for w := 1; w < th; w++ {
		lo := min(n, w*chunk)
		hi := min(n, lo+chunk)
		p.work[w-1] <- job{t, lo, hi}
	}
	t.Run(0, 0, min(n, chunk))
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

// byteScratch returns worker w's byte scratch buffer with at least n bytes.
func (p *Pool) byteScratch(w, n int) []byte {
	if cap(p.bytes[w]) < n {
		p.bytes[w] = make([]byte, n)
	}
	return p.bytes[w][:n]
}
