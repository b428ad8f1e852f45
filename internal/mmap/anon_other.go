//go:build !linux

package mmap

// anonAlloc returns size bytes of ordinary memory (huge pages are only
// requested on Linux) and no free function.
func anonAlloc(size int) ([]byte, func([]byte) error) { return make([]byte, size), nil }
