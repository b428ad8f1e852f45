package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenAndReadAll(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("gophi"), 100000)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{42}},
		{"page", bytes.Repeat([]byte{7}, 4096)},
		{"large", big},
	}
	openers := []struct {
		name string
		open func(string) (*Mapping, error)
	}{
		{"Open", Open},
		{"ReadAll", ReadAll},
	}
	for _, tc := range tests {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, o := range openers {
			t.Run(tc.name+"/"+o.name, func(t *testing.T) {
				m, err := o.open(path)
				if err != nil {
					t.Fatal(err)
				}
				if m.Path() != path {
					t.Errorf("Path() = %q, want %q", m.Path(), path)
				}
				if !bytes.Equal(m.Data(), tc.data) || len(m.Data()) != len(tc.data) {
					t.Errorf("Data() differs from file contents (len %d, want %d)", len(m.Data()), len(tc.data))
				}
				if len(tc.data) == 0 && m.Mapped() {
					t.Error("empty file reports Mapped() = true")
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				if m.Data() != nil {
					t.Error("Data() not nil after Close")
				}
				if err := m.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
			})
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
	}{
		{"missing", filepath.Join(dir, "nope")},
		{"directory", dir},
	}
	for _, tc := range tests {
		for _, open := range []func(string) (*Mapping, error){Open, ReadAll} {
			if m, err := open(tc.path); err == nil {
				m.Close()
				t.Errorf("%s: no error", tc.name)
			}
		}
	}
}

func TestNilMapping(t *testing.T) {
	var m *Mapping
	if m.Data() != nil || m.Mapped() || m.Close() != nil {
		t.Error("nil Mapping misbehaves")
	}
}

// TestReadAllParallel reads a file in several concurrent pieces (the path
// large files take) and checks every byte.
func TestReadAllParallel(t *testing.T) {
	defer func(r, p int) { readers, minPiece = r, p }(readers, minPiece)
	readers, minPiece = 4, 1000
	data := make([]byte, 10007)
	for i := range data {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !bytes.Equal(m.Data(), data) {
		t.Fatal("parallel read differs from the file")
	}
}
