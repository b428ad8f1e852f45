//go:build linux

package mmap

import (
	"errors"
	"io"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Reading a model file into memory on Linux goes by chunks, each read the
// way that is fastest for where its bytes are now:
//
//   - chunks that are mostly in the page cache are copied from it with
//     ordinary reads (Phi-3-mini F16, 7.6 GB, warm: 1.0-1.2 s against
//     4.5-11 s reading the disk again);
//   - the rest are read with O_DIRECT straight into our memory, bypassing
//     the page cache: no second 7.6 GB copy of the weights in the cache and
//     no copy from it, with several requests in flight (cold: 3.7-4.9 s with
//     8 workers × 8 MiB, against 7.5-12.7 s for four buffered reads of a
//     quarter each and 8.4-11.9 s for buffered 16 MiB chunks, alternating on
//     the dev VM).
//
// Workers take chunks in file order, so a file's beginning (a GGUF header)
// arrives first and its tensors roughly in order (see ReadAllAsync).
// Direct reads need page-aligned memory, offsets and lengths; the file's
// last partial page is read normally. A file system that refuses O_DIRECT
// (tmpfs, some network ones) gets ordinary reads throughout.

// chunkSize is the largest read request and readWorkers how many are in
// flight; files under 64 chunks read in smaller ones (64 KiB at least), so
// that loading even a small model exercises the background path.
var (
	chunkSize   = 8 << 20
	minChunk    = 64 << 10
	readWorkers = 8
	// useDirect can be cleared by tests to force ordinary reads.
	useDirect = true
	// directBytes counts the bytes read with O_DIRECT, for tests.
	directBytes atomic.Int64
)

const pageSize = 4096

// startRead starts filling buf (len(buf) == size of f) with the contents of
// f and takes ownership of f. Small files are read before it returns (nil
// filler).
func startRead(f *os.File, buf []byte) (*filler, error) {
	chunk := min(chunkSize, max(minChunk, (len(buf)/64+pageSize-1)&^(pageSize-1)))
	if len(buf) < 2*chunk {
		defer f.Close()
		return nil, readParallel(f, buf)
	}
	var direct *os.File
	if useDirect && uintptrOf(buf)%pageSize == 0 {
		direct, _ = os.OpenFile(f.Name(), os.O_RDONLY|unix.O_DIRECT, 0)
	}
	cached := residency(f, len(buf))
	fl := newFiller(len(buf), chunk)
	aligned := len(buf) &^ (pageSize - 1)
	var noDirect atomic.Bool
	noDirect.Store(direct == nil)
	fl.run(readWorkers, func(lo, hi int) error {
		return readChunk(f, direct, buf, lo, hi, aligned, cached, &noDirect)
	}, func() {
		f.Close()
		if direct != nil {
			direct.Close()
		}
	})
	return fl, nil
}

// readChunk reads buf[lo:hi] from offset lo: from the page cache when most
// of it is there, else directly; the part past the last whole page always
// normally.
func readChunk(f, direct *os.File, buf []byte, lo, hi, aligned int, cached func(lo, hi int) bool, noDirect *atomic.Bool) error {
	dhi := min(hi, aligned)
	if lo < dhi && !noDirect.Load() && !cached(lo, dhi) {
		_, err := direct.ReadAt(buf[lo:dhi], int64(lo))
		switch {
		case err == nil:
			directBytes.Add(int64(dhi - lo))
			lo = dhi
		case errors.Is(err, unix.EINVAL):
			noDirect.Store(true) // alignment this file system will not take
		default:
			return eofIsShrink(err)
		}
	}
	if lo < hi {
		if _, err := f.ReadAt(buf[lo:hi], int64(lo)); err != nil {
			return eofIsShrink(err)
		}
	}
	return nil
}

// eofIsShrink reports an end of file inside the expected size as an
// unexpected one: the file was shorter than its size said.
func eofIsShrink(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// residency returns a function telling whether at least half of the pages
// of file bytes [lo, hi) are in the page cache, from one mincore call over a
// temporary mapping. If that fails every chunk counts as not cached.
func residency(f *os.File, size int) func(lo, hi int) bool {
	none := func(int, int) bool { return false }
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return none
	}
	defer unix.Munmap(m)
	vec := make([]byte, (size+pageSize-1)/pageSize)
	// x/sys/unix has no wrapper for mincore(2).
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptrOf(m), uintptr(size), uintptrOf(vec)); e != 0 {
		return none
	}
	return func(lo, hi int) bool {
		n := 0
		for _, v := range vec[lo/pageSize : (hi+pageSize-1)/pageSize] {
			n += int(v & 1)
		}
		return 2*n >= (hi-lo+pageSize-1)/pageSize
	}
}
