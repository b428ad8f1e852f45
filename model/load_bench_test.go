package model

import (
	"os"
	"testing"
)

// BenchmarkLoad loads GOPHI_BENCH_MODEL read into memory (skipped when
// unset): reading plus repacking, from the page cache after the first run.
func BenchmarkLoad(b *testing.B) {
	path := os.Getenv("GOPHI_BENCH_MODEL")
	if path == "" {
		b.Skip("GOPHI_BENCH_MODEL not set")
	}
	for i := 0; i < b.N; i++ {
		m, err := Load(path, LoadOptions{NoMmap: true, Threads: 2})
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}
