// Package safetensors reads and writes Hugging Face safetensors files and
// sharded checkpoints (a folder with model.safetensors, or with
// model.safetensors.index.json and model-0000K-of-0000N.safetensors shards).
//
// A file is an 8-byte little-endian header length N, N bytes of JSON naming
// every tensor's dtype, shape and byte range, then the raw row-major,
// little-endian tensor data. Reading is zero-copy: each Tensor's Data is a
// slice of the memory-mapped (or, with OpenOptions.NoMmap, read-into-memory)
// file, valid until the File or Checkpoint is closed.
//
// The reader treats its input as hostile: the header size is capped, every
// offset and size is checked with overflow checks, tensors must tile the data
// buffer exactly, duplicate names are rejected, and corruption is reported
// as a *FormatError naming the file and the problem.
package safetensors
