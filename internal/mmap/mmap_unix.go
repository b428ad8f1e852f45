//go:build unix

package mmap

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open memory-maps the whole file at path read-only. An empty file gives a
// Mapping with empty Data and no mapping behind it. The file descriptor is
// closed before Open returns; the mapping stays valid until Close.
func Open(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	defer f.Close()
	size, err := fileSize(f)
	if err != nil {
		return nil, err
	}
	m := &Mapping{path: path}
	if size == 0 {
		return m, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: map %s (%d bytes): %w", path, size, err)
	}
	// Start reading the file in: weights are streamed in full for every
	// token. Asynchronous read-ahead beat populating the mapping up front
	// (MADV_POPULATE_READ, as llama.cpp's MAP_POPULATE): cold page cache,
	// Phi-3-mini F16, gophi run --raw --mmap -n 1, alternating, wall s:
	// 4.93/7.93, 6.91/10.00, 6.26/12.33 (llama-simple 8.60, 11.21, 8.27).
	_ = unix.Madvise(data, unix.MADV_WILLNEED)
	m.data = data
	m.unmap = unix.Munmap
	return m, nil
}
