// Package gguf reads GGUF files (versions 2 and 3, little-endian) and writes
// GGUF version 3, the format llama.cpp and Ollama store models in.
//
// A file is a header (magic "GGUF", version, tensor count, metadata count),
// typed metadata key/value pairs, tensor infos (name, dimensions innermost
// first, ggml type, offset), padding to the alignment, then the tensor data.
//
// Reading is zero-copy for tensor data: each TensorInfo's Data is a slice of
// the memory-mapped (or, with OpenOptions.NoMmap, read-into-memory) file,
// valid until the File is closed. Metadata values are decoded into Go values
// (see File.Get for the mapping) with typed getters for the common cases.
//
// The reader treats its input as hostile: every count is checked against the
// bytes that remain before anything is allocated, array nesting is bounded,
// every tensor's type, size, alignment and range are checked with overflow
// checks, and corruption is reported as a *FormatError with the file offset.
package gguf
