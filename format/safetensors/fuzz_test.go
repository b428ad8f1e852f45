package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds returns seed inputs: valid files, the real tiny checkpoint's
// header with a little data, and corrupted variants of them.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	var buf bytes.Buffer
	if _, err := Encode(&buf, sampleTensors(), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	valid := bytes.Clone(buf.Bytes())
	seeds = append(seeds, valid)

	real, err := os.ReadFile(filepath.Join(tinyDir, SingleFileName))
	if err != nil {
		t.Fatal(err)
	}
	hlen := binary.LittleEndian.Uint64(real)
	seeds = append(seeds, bytes.Clone(real[:8+hlen+512]))

	// The real file's tensor names and dtypes with small shapes, valid.
	f, err := Parse("real", real)
	if err != nil {
		t.Fatal(err)
	}
	var small []*Tensor
	for i, tt := range f.Tensors[:6] {
		small = append(small, &Tensor{Name: tt.Name, DType: tt.DType, Shape: []int{i % 3, 2}, Data: tt.Data[:(i%3)*4]})
	}
	buf.Reset()
	if _, err := Encode(&buf, small, f.Metadata); err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, bytes.Clone(buf.Bytes()))

	// Corrupted variants.
	lying := bytes.Clone(valid)
	binary.LittleEndian.PutUint64(lying, uint64(len(valid)))
	seeds = append(seeds, lying, valid[:len(valid)/2], valid[:9])
	flip := bytes.Clone(valid)
	if i := bytes.Index(flip, []byte(`"data_offsets":[0,`)); i >= 0 {
		flip[i+len(`"data_offsets":[`)] = '4'
	}
	seeds = append(seeds, flip)
	seeds = append(seeds, rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,4]}}`, 4))
	seeds = append(seeds, rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12))
	seeds = append(seeds, rawFile(`{"__metadata__":{"k":"v"},"a":{"dtype":"BF16","shape":[],"data_offsets":[0,2]}}`, 2))
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz", data)
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("error %v is %T, not *FormatError", err, err)
			}
			return
		}
		for _, tt := range file.Tensors {
			size, err := tt.DType.Bytes(uint64(tt.NumElements()))
			if err != nil || size != uint64(len(tt.Data)) {
				t.Fatalf("tensor %q: %d bytes for shape %v of %s (%v)", tt.Name, len(tt.Data), tt.Shape, tt.DType, err)
			}
		}
		// Whatever parses must re-encode, and re-encoding is a fixed point.
		var a, b bytes.Buffer
		if _, err := Encode(&a, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := Parse("again", a.Bytes())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if _, err := Encode(&b, again.Tensors, again.Metadata); err != nil {
			t.Fatalf("second re-encode: %v", err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("re-encoding is not stable")
		}
		for _, tt := range file.Tensors {
			u, ok := again.Tensor(tt.Name)
			if !ok || !bytes.Equal(u.Data, tt.Data) || u.DType != tt.DType {
				t.Fatalf("tensor %q changed in re-encoding", tt.Name)
			}
		}
	})
}
