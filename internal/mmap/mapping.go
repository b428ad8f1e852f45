package mmap

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unsafe"
)

// Mapping is a read-only view of a whole file's contents. The zero value is
// not useful; get one from Open or ReadAll. A Mapping is safe for concurrent
// reads of Data, but Close must not race with other use.
type Mapping struct {
	path   string
	data   []byte
	unmap  func([]byte) error // nil when data is ordinary Go memory
	anon   bool               // read into anonymous memory by ReadAll
	fill   *filler            // non-nil while (or after) reading in the background
	closed bool
}

// Data returns the file's contents. The slice is read-only and becomes
// invalid after Close; Data returns nil once the Mapping is closed.
func (m *Mapping) Data() []byte {
	if m == nil || m.closed {
		return nil
	}
	return m.data
}

// Path returns the path the Mapping was opened with.
func (m *Mapping) Path() string { return m.path }

// Anonymous reports whether the data was read into anonymous memory
// (ReadAll) rather than mapped from the file.
func (m *Mapping) Anonymous() bool { return m != nil && m.anon }

// Mapped reports whether the data is memory-mapped (as opposed to read into
// ordinary memory or empty).
func (m *Mapping) Mapped() bool { return m != nil && m.unmap != nil && !m.anon && !m.closed }

// Close releases the mapping or memory. Every slice obtained from Data must
// be dropped before calling Close: touching a slice of an unmapped file
// crashes the program. Calling Close more than once is harmless.
func (m *Mapping) Close() error {
	if m == nil || m.closed {
		return nil
	}
	m.closed = true
	if m.fill != nil {
		m.fill.halt() // no reader may write into memory we free
	}
	data, unmap := m.data, m.unmap
	m.data, m.unmap = nil, nil
	if unmap != nil && len(data) > 0 {
		if err := unmap(data); err != nil {
			return fmt.Errorf("mmap: unmap %s: %w", m.path, err)
		}
	}
	return nil
}

// ReadAll reads the whole file at path into ordinary (anonymous) memory and
// returns it as a Mapping, for callers that prefer not to memory-map (for
// example because the kernel evicts cold mapped pages under pressure).
func ReadAll(path string) (*Mapping, error) {
	m, err := ReadAllAsync(path)
	if err != nil {
		return nil, err
	}
	if err := m.Done(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// ReadAllAsync is ReadAll that may return while the file is still being
// read in the background, in file order: Data's bytes may be used only after
// Wait (or Done) has returned nil for them. This lets a loader parse a
// header and process the first tensors while the rest is still on its way.
// Close stops the reading.
func ReadAllAsync(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	size, err := fileSize(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	m := &Mapping{path: path}
	if size == 0 {
		f.Close()
		return m, nil
	}
	buf, free := anonAlloc(size)
	fill, err := startRead(f, buf) // owns f from here
	if err != nil {
		if free != nil {
			free(buf)
		}
		return nil, m.readError(err)
	}
	m.data, m.unmap, m.anon, m.fill = buf, free, true, fill
	return m, nil
}

// Wait blocks until Data()[lo:hi] has been read and returns nil, or returns
// the error that stopped reading the file. It returns nil at once for a
// mapped file or one read in full.
func (m *Mapping) Wait(lo, hi int) error {
	if m == nil || m.fill == nil {
		return nil
	}
	if lo < 0 || hi > len(m.data) || lo > hi {
		return fmt.Errorf("mmap: wait for bytes [%d,%d) of a %d-byte file", lo, hi, len(m.data))
	}
	if err := m.fill.wait(lo, hi); err != nil {
		return m.readError(err)
	}
	return nil
}

// Done waits until the whole file has been read (see Wait).
func (m *Mapping) Done() error {
	if m == nil {
		return nil
	}
	return m.Wait(0, len(m.data))
}

// readError words a read failure for the user.
func (m *Mapping) readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("mmap: read %s: file shrank while reading", m.path)
	}
	return fmt.Errorf("mmap: read %s: %w", m.path, err)
}

// errStopped is what waiting for bytes returns after Close stopped reading.
var errStopped = errors.New("reading stopped: the file was closed")

// readParallel fills buf from the start of f with a few concurrent
// positioned reads of large pieces: on virtual and solid-state disks,
// several requests in flight read a cold file faster than one stream.
func readParallel(f *os.File, buf []byte) error {
	n := min(readers, max(1, len(buf)/minPiece))
	if n == 1 {
		_, err := io.ReadFull(f, buf)
		return err
	}
	piece := (len(buf) + n - 1) / n
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		lo, hi := i*piece, min(len(buf), (i+1)*piece)
		go func() {
			_, err := f.ReadAt(buf[lo:hi], int64(lo))
			if err == io.EOF && hi == len(buf) {
				err = io.ErrUnexpectedEOF
			}
			errs <- err
		}()
	}
	var first error
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// readers is how many concurrent reads ReadAll issues for a large file,
// each of at least minPiece bytes. Cold Phi-3-mini Q4_0 (2.2 GB) load plus
// first token on the dev VM: 3.2-3.3 s with one read, 2.3-2.4 s with four.
var (
	readers  = 4
	minPiece = 64 << 20
)

// fileSize returns the size of the open regular file f, checking that it is
// a regular file that fits in the address space.
func fileSize(f *os.File) (int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("mmap: %s: not a regular file (%s)", f.Name(), fi.Mode().Type())
	}
	size := fi.Size()
	if size < 0 || uint64(size) > math.MaxInt {
		return 0, fmt.Errorf("mmap: %s: size %d does not fit in memory on this platform", f.Name(), size)
	}
	return int(size), nil
}

// uintptrOf returns the address of b's first byte (0 for an empty slice).
func uintptrOf(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}
