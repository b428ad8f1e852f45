// Package mmap gives read-only access to a whole file as a byte slice, either
// memory-mapped (Open) or read into ordinary memory (ReadAll). Both return the
// same *Mapping type, so callers such as the safetensors and GGUF readers can
// offer a "no mmap" option without a second code path.
//
// The slice returned by Data must not be written to (a mapped file is mapped
// PROT_READ and writing faults) and must not be used after Close.
package mmap
