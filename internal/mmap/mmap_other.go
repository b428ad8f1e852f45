//go:build !unix

package mmap

// Open reads the whole file at path into memory: this platform has no mmap
// support in gophi, so Open behaves like ReadAll.
func Open(path string) (*Mapping, error) { return ReadAll(path) }
