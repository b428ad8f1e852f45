package mmap

import (
	"sync"
	"sync/atomic"
)

// filler tracks a buffer being filled chunk by chunk by background workers,
// so that readers can wait for just the part they need.
type filler struct {
	size, chunk int
	next        atomic.Int64 // next chunk to hand out
	stop        atomic.Bool  // set by Close: workers stop taking chunks
	workers     sync.WaitGroup

	mu     sync.Mutex
	cond   sync.Cond
	done   []bool // per chunk
	prefix int    // chunks [0, prefix) are all done
	err    error  // first read error
	over   bool   // every worker has returned
}

func newFiller(size, chunk int) *filler {
	fl := &filler{size: size, chunk: chunk, done: make([]bool, (size+chunk-1)/chunk)}
	fl.cond.L = &fl.mu
	return fl
}

// run starts n workers that call read(lo, hi) for each chunk in order until
// all are read, one fails, or stop is set, then calls cleanup once.
func (fl *filler) run(n int, read func(lo, hi int) error, cleanup func()) {
	n = min(n, len(fl.done))
	fl.workers.Add(n)
	for range n {
		go func() {
			defer fl.workers.Done()
			for !fl.stop.Load() {
				i := int(fl.next.Add(1)) - 1
				if i >= len(fl.done) {
					return
				}
				lo := i * fl.chunk
				err := read(lo, min(fl.size, lo+fl.chunk))
				fl.mu.Lock()
				if err != nil {
					if fl.err == nil {
						fl.err = err
					}
					fl.stop.Store(true)
				} else {
					fl.done[i] = true
					for fl.prefix < len(fl.done) && fl.done[fl.prefix] {
						fl.prefix++
					}
				}
				fl.cond.Broadcast()
				fl.mu.Unlock()
			}
		}()
	}
	go func() {
		fl.workers.Wait()
		cleanup()
		fl.mu.Lock()
		fl.over = true
		fl.cond.Broadcast()
		fl.mu.Unlock()
	}()
}

// wait blocks until bytes [lo, hi) are filled and returns nil, or returns
// the read error that stopped the filling.
func (fl *filler) wait(lo, hi int) error {
	if hi <= lo {
		return nil
	}
	first, last := lo/fl.chunk, (hi-1)/fl.chunk
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for {
		if fl.err != nil {
			return fl.err
		}
		ready := true
		for i := max(first, fl.prefix); i <= last && ready; i++ {
			ready = fl.done[i]
		}
		if ready {
			return nil
		}
		if fl.over {
			return errStopped
		}
		fl.cond.Wait()
	}
}

// halt stops the workers after their current chunk and waits for them.
func (fl *filler) halt() {
	fl.stop.Store(true)
	fl.workers.Wait()
}
