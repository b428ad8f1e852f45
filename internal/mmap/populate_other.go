//go:build !linux

package mmap

// Populate reads a mapped file in at once where the OS can (Linux); here
// it does nothing.
func (m *Mapping) Populate() {}
