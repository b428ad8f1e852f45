//go:build linux

package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// smallChunks makes the chunked background reader take files of a few
// hundred kilobytes, for the duration of a test.
func smallChunks(t *testing.T) {
	c, m, w := chunkSize, minChunk, readWorkers
	chunkSize, minChunk, readWorkers = 64<<10, 64<<10, 3
	t.Cleanup(func() { chunkSize, minChunk, readWorkers = c, m, w })
}

// writeEvicted writes a file of n patterned bytes and drops it from the page
// cache, so that the reader sees a cold file.
func writeEvicted(t *testing.T, n int) (string, []byte) {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*131 + i>>9)
	}
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) // best effort
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// TestReadChunks reads files through every path of the chunked reader
// (direct, page cache, mixed, ordinary only, odd tail) and checks each byte.
func TestReadChunks(t *testing.T) {
	smallChunks(t)
	tests := []struct {
		name   string
		size   int
		direct bool
		warm   int // bytes read through the page cache first
	}{
		{"cold direct", 5*chunkSize + 1234, true, 0},
		{"cold page multiple", 4 * chunkSize, true, 0},
		{"half warm", 6*chunkSize + 17, true, 3 * chunkSize},
		{"no direct", 5*chunkSize + 99, false, 0},
		{"small file", chunkSize + 5, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func(d bool) { useDirect = d }(useDirect)
			useDirect = tc.direct
			path, data := writeEvicted(t, tc.size)
			if tc.warm > 0 {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.ReadAt(make([]byte, tc.warm), 0); err != nil {
					t.Fatal(err)
				}
				// Read-ahead may have cached more: drop the rest again.
				_ = unix.Fadvise(int(f.Fd()), int64(tc.warm), 0, unix.FADV_DONTNEED)
				f.Close()
			}
			before := directBytes.Load()
			m, err := ReadAll(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if !bytes.Equal(m.Data(), data) {
				t.Fatal("data differs from the file")
			}
			direct := directBytes.Load() - before
			t.Logf("%d of %d bytes read directly", direct, tc.size)
			if !tc.direct && direct != 0 {
				t.Errorf("%d bytes read directly with direct reads off", direct)
			}
			if direct > int64(tc.size-tc.warm) {
				t.Errorf("%d bytes read directly, but %d of %d were in the page cache", direct, tc.warm, tc.size)
			}
			if tc.name == "half warm" && direct == 0 {
				t.Log("no direct reads (file system without O_DIRECT, or eviction refused)")
			}
		})
	}
}

// TestReadAllAsync waits for pieces of a file in any order while it is read
// in the background, and closes a mapping in the middle of reading.
func TestReadAllAsync(t *testing.T) {
	smallChunks(t)
	path, data := writeEvicted(t, 9*chunkSize+4321)
	m, err := ReadAllAsync(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int{{len(data) - 10, len(data)}, {0, 4}, {chunkSize - 1, chunkSize + 1}, {5, 5}} {
		if err := m.Wait(r[0], r[1]); err != nil {
			t.Fatalf("Wait%v: %v", r, err)
		}
		if !bytes.Equal(m.Data()[r[0]:r[1]], data[r[0]:r[1]]) {
			t.Fatalf("bytes %v differ after Wait", r)
		}
	}
	if err := m.Wait(0, len(data)+1); err == nil {
		t.Error("Wait past the end: no error")
	}
	if err := m.Done(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Data(), data) {
		t.Fatal("data differs from the file after Done")
	}
	m.Close()

	// Closing while reading must stop the workers before the memory goes.
	for range 5 {
		m, err := ReadAllAsync(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Done(); err == nil && m.Data() != nil {
			t.Error("Done after Close: no error")
		}
	}
}

// TestReadShrunk reads a file whose size shrinks under the reader: the
// error must say so.
func TestReadShrunk(t *testing.T) {
	smallChunks(t)
	path, data := writeEvicted(t, 6*chunkSize)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf, free := anonAlloc(len(data) + 3*chunkSize) // larger than the file now
	defer free(buf)
	g, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := startRead(g, buf)
	if err != nil {
		t.Fatal(err)
	}
	err = fl.wait(0, len(buf))
	if err == nil {
		t.Fatal("reading past the end of the file: no error")
	}
	m := &Mapping{path: path}
	if got := m.readError(err).Error(); !bytes.Contains([]byte(got), []byte("shrank")) {
		t.Errorf("error %q does not say the file shrank", got)
	}
}
