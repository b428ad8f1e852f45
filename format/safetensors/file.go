package safetensors

import (
	"fmt"
	"slices"

	"github.com/gophi/gophi/internal/mmap"
)

// OpenOptions controls how files are opened.
type OpenOptions struct {
	// NoMmap reads files into ordinary memory instead of memory-mapping
	// them.
	NoMmap bool
}

// File is a parsed safetensors file.
type File struct {
	// Name is the path or name the file was opened or parsed with.
	Name string
	// Metadata is the header's "__metadata__" map (nil when absent).
	Metadata map[string]string
	// Tensors lists the tensors in header order.
	Tensors []*Tensor

	byName map[string]*Tensor
	m      *mmap.Mapping // nil for Parse
}

// Open memory-maps and parses the safetensors file at path.
func Open(path string) (*File, error) { return OpenWith(path, OpenOptions{}) }

// OpenWith opens and parses the safetensors file at path with the given
// options. The File must be closed to release the mapping or memory.
func OpenWith(path string, opts OpenOptions) (*File, error) {
	open := mmap.Open
	if opts.NoMmap {
		open = mmap.ReadAll
	}
	m, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Parse(path, m.Data())
	if err != nil {
		m.Close()
		return nil, err
	}
	f.m = m
	return f, nil
}

// Tensor returns the tensor with the given name.
func (f *File) Tensor(name string) (*Tensor, bool) {
	t, ok := f.byName[name]
	return t, ok
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, len(f.Tensors))
	for i, t := range f.Tensors {
		names[i] = t.Name
	}
	slices.Sort(names)
	return names
}

// Close releases the file's mapping or memory. The Data of every tensor is
// set to nil: slices of it taken earlier must not be used afterwards.
// Closing a File from Parse only drops the references.
func (f *File) Close() error {
	for _, t := range f.Tensors {
		t.Data = nil
	}
	if f.m == nil {
		return nil
	}
	m := f.m
	f.m = nil
	if err := m.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
