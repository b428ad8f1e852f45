package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gophi/gophi/quantize"
)

// syntheticSeed seeds the random weights of synthetic models, so a cached
// file is the same whoever wrote it.
const syntheticSeed = 1

// SyntheticPath returns where Synthetic caches the model of a shape and
// file type: os.UserCacheDir()/gophi/synthetic/SHAPE-TYPE.gguf, TYPE
// spelled as llama.cpp names it ("Q4_K_M").
func SyntheticPath(shape string, ftype quantize.FileType) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("bench: no cache folder for synthetic models: %w", err)
	}
	name := safeName(shape) + "-" + safeName(ftype.String()) + ".gguf"
	return filepath.Join(dir, "gophi", "synthetic", name), nil
}

// safeName keeps letters, digits, '.', '_' and '-', and replaces anything
// else with '_'.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// Synthetic returns the path of a GGUF model of the given shape (one of
// quantize.Shapes) with random weights of file type typ (as
// quantize.ParseFileType parses it: "Q4_0", "q8_0", "Q4_K_M"...), for
// benchmarking a model without having its weights. The file is written once
// with quantize.WriteRandom at SyntheticPath and reused by later calls. A
// line goes to progress, when it is not nil, before a file is written.
func Synthetic(ctx context.Context, shape, typ string, progress io.Writer) (string, error) {
	if _, err := quantize.ShapeConfig(shape); err != nil {
		return "", fmt.Errorf("bench: synthetic model: %w", err)
	}
	ft, err := quantize.ParseFileType(typ)
	if err != nil {
		return "", fmt.Errorf("bench: synthetic model: %w", err)
	}
	path, err := SyntheticPath(shape, ft)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("bench: synthetic model: %w", err)
	}
	if progress != nil {
		fmt.Fprintf(progress, "gophi bench: writing a synthetic %s %s model to %s\n", shape, ft, path)
	}
	// WriteRandom writes atomically (a temporary file renamed), so an
	// interrupted write leaves nothing a later run would take for finished.
	if err := quantize.WriteRandom(ctx, path, shape, ft, syntheticSeed); err != nil {
		return "", fmt.Errorf("bench: synthetic %s %s model: %w", shape, ft, err)
	}
	return path, nil
}
