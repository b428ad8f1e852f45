package quantize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/gophi/gophi/convert"
	"github.com/gophi/gophi/format/gguf"
	"github.com/gophi/gophi/tensor"
)

// Quantize writes a GGUF file of type ftype at out from in, which is
// either a GGUF file of arch phi3 whose tensors are F32, F16 or BF16 (such
// as one written by gophi convert or llama.cpp's converter), or a Hugging
// Face model folder (converted directly to the target types, with the
// metadata and vocabulary convert.HFToGGUF writes; a folder without
// tokenizer.json gives a file without a vocabulary).
//
// Each tensor gets the type TensorTypeFor chooses, quantized with
// llama.cpp's reference quantizers; all metadata of a GGUF input
// (tokenizer, chat template, ...) is copied, general.file_type is set to
// ftype and general.quantization_version to 2, as llama-quantize does.
// Already quantized inputs are refused: re-quantizing compounds the
// rounding errors of both types (llama-quantize refuses too unless told
// --allow-requantize); quantize the original F32/F16/BF16 model instead.
//
// Rows are quantized in parallel, one goroutine per CPU (GOMAXPROCS), and
// streamed to the file one tensor at a time, which is written atomically
// (a temporary file renamed over out). progress, when not nil, is called
// after each tensor with the number done, the total and its GGUF name.
func Quantize(ctx context.Context, in, out string, ftype FileType, progress func(done, total int, name string)) error {
	if !ftype.Supported() {
		return fmt.Errorf("quantize: file type %s is not supported (use one of %v)", ftype, FileTypes())
	}
	st, err := os.Stat(in)
	if err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	w := gguf.NewWriter()
	var tensors []convert.Tensor
	var nLayers int
	var tied bool
	if st.IsDir() {
		src, err := convert.Open(in, nil)
		if err != nil {
			return fmt.Errorf("quantize: %w", err)
		}
		defer src.Close()
		if err := convert.WriteMetadata(w, src.Config, filepath.Base(filepath.Clean(in)), uint32(ftype), true); err != nil {
			return fmt.Errorf("quantize: %w", err)
		}
		if src.Tokenizer != nil {
			if err := convert.WriteVocab(w, src.Tokenizer, src.Config.VocabSize); err != nil {
				return fmt.Errorf("quantize: %w", err)
			}
		}
		tensors, nLayers, tied = src.Tensors, src.Config.Layers, src.Config.TieEmbeddings
	} else {
		f, err := gguf.Open(in)
		if err != nil {
			return fmt.Errorf("quantize: %w", err)
		}
		defer f.Close()
		if tensors, nLayers, tied, err = fromGGUF(f, w, ftype); err != nil {
			return fmt.Errorf("quantize: %s: %w", in, err)
		}
	}
	for _, t := range tensors {
		switch t.Type {
		case tensor.F32, tensor.F16, tensor.BF16:
		default:
			if t.Type.Quantized() {
				return fmt.Errorf("quantize: %s: tensor %s is already quantized (%s); re-quantizing compounds the errors, so quantize from an F32, F16 or BF16 model", in, t.Name, t.Type)
			}
			return fmt.Errorf("quantize: %s: tensor %s has type %s; only F32, F16 and BF16 tensors can be quantized", in, t.Name, t.Type)
		}
	}
	return writeTensors(ctx, w, out, len(tensors), progress, func(i int) (string, tensor.DType, []uint64, rowFiller, error) {
		t := tensors[i]
		to := TensorTypeFor(ftype, t.Name, t.Dims, nLayers, tied)
		fill, err := recoder(t, to)
		return t.Name, to, t.Dims, fill, err
	})
}

// fromGGUF copies f's metadata into w with ftype's general.file_type and
// lists its tensors.
func fromGGUF(f *gguf.File, w *gguf.Writer, ftype FileType) (tensors []convert.Tensor, nLayers int, tied bool, err error) {
	if arch, _ := f.String("general.architecture"); arch != "phi3" {
		return nil, 0, false, fmt.Errorf("architecture %q is not supported (gophi quantizes \"phi3\" models)", arch)
	}
	n, ok := f.Uint("phi3.block_count")
	if !ok || n > 1<<16 {
		return nil, 0, false, errors.New("metadata phi3.block_count is missing or out of range")
	}
	for _, k := range f.Keys() {
		v, _ := f.Get(k)
		if err := w.SetKV(k, v); err != nil {
			return nil, 0, false, err
		}
	}
	// As llama-quantize: drop split bookkeeping, set the type and version.
	for _, k := range []string{"split.no", "split.count", "split.tensors.count"} {
		w.DeleteKV(k)
	}
	if err := w.SetKV("general.file_type", uint32(ftype)); err != nil {
		return nil, 0, false, err
	}
	if err := w.SetKV("general.quantization_version", uint32(2)); err != nil {
		return nil, 0, false, err
	}
	_, hasOutput := f.Tensor("output.weight")
	for _, t := range f.Tensors {
		tensors = append(tensors, convert.Tensor{Name: t.Name, Type: t.Type, Dims: t.Dims, Data: t.Data})
	}
	return tensors, int(n), !hasOutput, nil
}

// rowFiller writes rows [r0, r1) of a tensor into dst.
type rowFiller func(r0, r1 int, dst []byte) error

// recoder returns the rowFiller that converts t's rows to type to.
func recoder(t convert.Tensor, to tensor.DType) (rowFiller, error) {
	cols, rows, err := shape(t.Dims)
	if err != nil {
		return nil, err
	}
	inRow, err := t.Type.RowBytes(cols)
	if err != nil {
		return nil, err
	}
	if _, err := to.RowBytes(cols); err != nil {
		return nil, err
	}
	if len(t.Data) != inRow*rows {
		return nil, fmt.Errorf("tensor %s has %d bytes, want %d", t.Name, len(t.Data), inRow*rows)
	}
	if t.Type == to {
		return func(r0, r1 int, dst []byte) error {
			copy(dst, t.Data[r0*inRow:r1*inRow])
			return nil
		}, nil
	}
	return func(r0, r1 int, dst []byte) error {
		buf := make([]float32, cols)
		outRow := len(dst) / (r1 - r0)
		for r := r0; r < r1; r++ {
			if err := tensor.DequantizeRow(t.Type, t.Data[r*inRow:(r+1)*inRow], buf); err != nil {
				return err
			}
			o := (r - r0) * outRow
			if err := tensor.QuantizeRow(to, buf, dst[o:o+outRow]); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// shape returns a tensor's row length and row count.
func shape(dims []uint64) (cols, rows int, err error) {
	if len(dims) == 0 {
		return 1, 1, nil
	}
	const limit = 1 << 40
	n := uint64(1)
	for _, d := range dims[1:] {
		if d != 0 && n > limit/d {
			return 0, 0, fmt.Errorf("dimensions %v are too large", dims)
		}
		n *= d
	}
	if dims[0] > limit {
		return 0, 0, fmt.Errorf("dimensions %v are too large", dims)
	}
	return int(dims[0]), int(n), nil
}

// tensorSpec describes the i-th tensor to write: name, type, GGUF dims and
// how to produce its rows.
type tensorSpec func(i int) (name string, typ tensor.DType, dims []uint64, fill rowFiller, err error)

// writeTensors adds n tensors to w, each produced while the file is
// written, and writes the file atomically to out.
func writeTensors(ctx context.Context, w *gguf.Writer, out string, n int, progress func(done, total int, name string), spec tensorSpec) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	for i := 0; i < n; i++ {
		name, typ, dims, fill, err := spec(i)
		if err != nil {
			return fmt.Errorf("quantize: tensor %s: %w", name, err)
		}
		cols, rows, err := shape(dims)
		if err != nil {
			return fmt.Errorf("quantize: tensor %s: %w", name, err)
		}
		rowBytes, err := typ.RowBytes(cols)
		if err != nil {
			return fmt.Errorf("quantize: tensor %s: %w", name, err)
		}
		err = w.AddTensorFunc(name, typ, dims, func(dst io.Writer) error {
			if err := streamRows(ctx, dst, rows, rowBytes, workers, fill); err != nil {
				return err
			}
			if progress != nil {
				progress(i+1, n, name)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("quantize: %w", err)
		}
	}
	if err := w.WriteFile(out); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		return fmt.Errorf("quantize: %w", err)
	}
	return nil
}

// chunkBytes is the size of the pieces a tensor is produced and written
// in: two are in memory at a time, one being filled while the other is
// written.
const chunkBytes = 8 << 20

// streamRows produces rows rows of rowBytes bytes each with fill, in
// chunks split across workers goroutines, and writes them to w in order.
// The next chunk is computed while the previous one is written. It returns
// only when no goroutine is using fill any more.
func streamRows(ctx context.Context, w io.Writer, rows, rowBytes, workers int, fill rowFiller) error {
	if rows == 0 || rowBytes == 0 {
		return nil
	}
	chunkRows := max(1, chunkBytes/rowBytes)
	if chunkRows < workers*4 && rows > chunkRows { // keep every worker busy on wide rows
		chunkRows = min(rows, workers*4)
	}
	nChunks := (rows + chunkRows - 1) / chunkRows
	ctx, cancel := context.WithCancel(ctx)
	type chunk struct {
		data []byte
		err  error
	}
	free := make(chan []byte, 2)
	ready := make(chan chunk, 2)
	free <- make([]byte, min(rows, chunkRows)*rowBytes)
	if nChunks > 1 {
		free <- make([]byte, chunkRows*rowBytes)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ready)
		for c := 0; c < nChunks; c++ {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			r0, r1 := c*chunkRows, min(rows, (c+1)*chunkRows)
			data := buf[:(r1-r0)*rowBytes]
			err := parallelRows(ctx, r0, r1, workers, func(a, b int) error {
				return fill(a, b, data[(a-r0)*rowBytes:(b-r0)*rowBytes])
			})
			ready <- chunk{data, err} // never blocks: at most two buffers exist
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()
	for c := range ready {
		if c.err != nil {
			return c.err
		}
		if _, err := w.Write(c.data); err != nil {
			return err
		}
		free <- c.data[:cap(c.data)]
	}
	return ctx.Err()
}

// parallelRows runs f over [r0, r1) split into up to workers contiguous
// ranges, one goroutine each, and returns the first error.
func parallelRows(ctx context.Context, r0, r1, workers int, f func(a, b int) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := r1 - r0
	workers = min(workers, n)
	if workers <= 1 {
		return f(r0, r1)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		a, b := r0+n*k/workers, r0+n*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = f(a, b)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
