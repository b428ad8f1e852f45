package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gophi/gophi/tensor"
)

// raw builds GGUF bytes by hand, for files the Writer would never produce.
type raw struct{ b []byte }

func (r *raw) u8(v uint8) *raw   { r.b = append(r.b, v); return r }
func (r *raw) u32(v uint32) *raw { r.b = binary.LittleEndian.AppendUint32(r.b, v); return r }
func (r *raw) u64(v uint64) *raw { r.b = binary.LittleEndian.AppendUint64(r.b, v); return r }
func (r *raw) str(s string) *raw { r.u64(uint64(len(s))); r.b = append(r.b, s...); return r }
func (r *raw) bytes(b ...byte) *raw {
	r.b = append(r.b, b...)
	return r
}
func (r *raw) pad(a int) *raw {
	for len(r.b)%a != 0 {
		r.b = append(r.b, 0)
	}
	return r
}

// header starts a file with the given version and counts.
func header(version uint32, tensors, kvs uint64) *raw {
	r := &raw{}
	r.bytes([]byte(Magic)...)
	return r.u32(version).u64(tensors).u64(kvs)
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + 1)
	}
	return b
}

// sampleValues holds one value of every type the format has.
func sampleValues() [][2]any {
	return [][2]any{
		{"general.architecture", "phi3"},
		{"t.u8", uint8(200)},
		{"t.i8", int8(-100)},
		{"t.u16", uint16(60000)},
		{"t.i16", int16(-30000)},
		{"t.u32", uint32(4000000000)},
		{"t.i32", int32(-2000000000)},
		{"t.f32", float32(1.5e-5)},
		{"t.bool.true", true},
		{"t.bool.false", false},
		{"t.str.empty", ""},
		{"t.str.utf8", "héllo ▁wörld \x00 nul"},
		{"t.u64", uint64(math.MaxUint64)},
		{"t.i64", int64(math.MinInt64)},
		{"t.f64", math.Pi},
		{"a.u8", []uint8{0, 1, 255}},
		{"a.i8", []int8{-128, 0, 127}},
		{"a.u16", []uint16{1, 65535}},
		{"a.i16", []int16{-32768, 32767}},
		{"a.u32", []uint32{0, 1 << 31}},
		{"a.i32", []int32{-1, 2, 3}},
		{"a.f32", []float32{-1.25, 0, 3e38}},
		{"a.bool", []bool{true, false, true}},
		{"a.str", []string{"<s>", "", "▁the", "<0x0A>"}},
		{"a.u64", []uint64{math.MaxUint64, 0}},
		{"a.i64", []int64{math.MinInt64, math.MaxInt64}},
		{"a.f64", []float64{math.Inf(-1), 1e-300}},
		{"a.empty", []float32{}},
		{"a.nested", []any{[]int32{1, 2}, []string{"x"}, []any{[]uint8{9}}, []bool{}}},
		{"a.nested.empty", []any{}},
	}
}

// sampleTensors are tensors of several types with their exact sizes.
func sampleTensors() []struct {
	name string
	typ  tensor.DType
	dims []uint64
	size int
} {
	return []struct {
		name string
		typ  tensor.DType
		dims []uint64
		size int
	}{
		{"token_embd.weight", tensor.F32, []uint64{3, 2}, 24},
		{"blk.0.attn_norm.weight", tensor.F16, []uint64{5}, 10},
		{"blk.0.attn_qkv.weight", tensor.Q8_0, []uint64{64, 3}, 6 * 34},
		{"blk.0.ffn_up.weight", tensor.Q4_0, []uint64{32, 5}, 5 * 18},
		{"blk.0.ffn_down.weight", tensor.Q4_K, []uint64{256, 2}, 2 * 144},
		{"output.weight", tensor.BF16, []uint64{2, 2, 2, 2}, 32},
		{"scalar", tensor.I32, []uint64{}, 4},
		{"empty", tensor.F32, []uint64{0, 7}, 0},
	}
}

func sampleWriter(t testing.TB) *Writer {
	t.Helper()
	w := NewWriter()
	for _, kv := range sampleValues() {
		if err := w.SetKV(kv[0].(string), kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range sampleTensors() {
		if err := w.AddTensor(st.name, st.typ, st.dims, seq(st.size)); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func encode(t testing.TB, w *Writer) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func checkSample(t *testing.T, f *File, align uint64) {
	t.Helper()
	if f.Version != Version || f.Alignment != align || f.DataOffset%align != 0 {
		t.Errorf("version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
	}
	var wantKeys []string
	for _, kv := range sampleValues() {
		key := kv[0].(string)
		wantKeys = append(wantKeys, key)
		got, ok := f.Get(key)
		if !ok || !reflect.DeepEqual(got, kv[1]) {
			t.Errorf("Get(%q) = %#v, %v; want %#v", key, got, ok, kv[1])
		}
	}
	if keys := f.Keys(); !slices.Equal(keys[:len(wantKeys)], wantKeys) {
		t.Errorf("Keys() = %v, want %v first", keys, wantKeys)
	}
	sts := sampleTensors()
	if len(f.Tensors) != len(sts) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(sts))
	}
	for i, st := range sts {
		ti := f.Tensors[i]
		if ti.Name != st.name || ti.Type != st.typ || !slices.Equal(ti.Dims, st.dims) || !bytes.Equal(ti.Data, seq(st.size)) {
			t.Errorf("tensor %d: %s %s %v (%d bytes), want %s %s %v (%d bytes)",
				i, ti.Name, ti.Type, ti.Dims, len(ti.Data), st.name, st.typ, st.dims, st.size)
		}
		if ti.Offset%align != 0 {
			t.Errorf("tensor %s: offset %d not aligned to %d", ti.Name, ti.Offset, align)
		}
		if byName, ok := f.Tensor(st.name); !ok || byName != ti {
			t.Errorf("Tensor(%q) lookup failed", st.name)
		}
	}
	if n := f.Tensors[2].NumElements(); n != 192 {
		t.Errorf("NumElements = %d, want 192", n)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, align := range []uint64{0, 8, 32, 64, 4096} {
		w := sampleWriter(t)
		want := uint64(DefaultAlignment)
		if align != 0 {
			if err := w.SetKV(AlignmentKey, uint32(align)); err != nil {
				t.Fatal(err)
			}
			want = align
		}
		path := filepath.Join(dir, "model.gguf")
		if err := w.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(leftovers) > 0 {
			t.Fatalf("temporary files left behind: %v", leftovers)
		}
		fileBytes, _ := os.ReadFile(path)
		if !bytes.Equal(fileBytes, encode(t, w)) {
			t.Error("WriteFile and WriteTo differ")
		}
		if len(fileBytes)%int(want) != 0 {
			t.Errorf("file length %d is not padded to %d", len(fileBytes), want)
		}
		for _, opts := range []OpenOptions{{}, {NoMmap: true}, {NoMmap: true, Background: true}} {
			f, err := OpenWith(path, opts)
			if err != nil {
				t.Fatalf("align %d %+v: %v", align, opts, err)
			}
			if err := f.Loaded(); err != nil {
				t.Fatal(err)
			}
			checkSample(t, f, want)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if f.Tensors[0].Data != nil {
				t.Error("Close did not clear tensor data")
			}
		}
	}
}

func TestGetters(t *testing.T) {
	w := NewWriter()
	set := func(k string, v any) {
		if err := w.SetKV(k, v); err != nil {
			t.Fatal(err)
		}
	}
	set("u8", uint8(7))
	set("i8.neg", int8(-3))
	set("i32.pos", int32(5))
	set("u64.big", uint64(math.MaxUint64))
	set("u32", uint32(4096))
	set("f32", float32(0.5))
	set("f64", 0.25)
	set("s", "str")
	set("b", true)
	set("ss", []string{"a", "b"})
	set("f32s", []float32{1, 2})
	set("f64s", []float64{1.5})
	set("i32s", []int32{-1, 1})
	set("u32s", []uint32{1, 2})
	set("u32s.big", []uint32{1 << 31})
	set("i8s", []int8{-128, 127})
	set("i64s.big", []int64{math.MinInt64})
	set("u8s", []uint8{255})
	f, err := Parse("getters", encode(t, w))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		ok   bool
		want any
		wok  bool
	}{}
	add := func(name string, got any, ok bool, want any, wok bool) {
		tests = append(tests, struct {
			name string
			got  any
			ok   bool
			want any
			wok  bool
		}{name, got, ok, want, wok})
	}
	u, ok := f.Uint("u8")
	add("Uint(u8)", u, ok, uint64(7), true)
	u, ok = f.Uint("i8.neg")
	add("Uint(i8.neg)", u, ok, uint64(0), false)
	u, ok = f.Uint("i32.pos")
	add("Uint(i32.pos)", u, ok, uint64(5), true)
	u, ok = f.Uint("u64.big")
	add("Uint(u64.big)", u, ok, uint64(math.MaxUint64), true)
	u, ok = f.Uint("s")
	add("Uint(s)", u, ok, uint64(0), false)
	u, ok = f.Uint("missing")
	add("Uint(missing)", u, ok, uint64(0), false)
	i, ok := f.Int("i8.neg")
	add("Int(i8.neg)", i, ok, int64(-3), true)
	i, ok = f.Int("u32")
	add("Int(u32)", i, ok, int64(4096), true)
	i, ok = f.Int("u64.big")
	add("Int(u64.big)", i, ok, int64(0), false)
	i, ok = f.Int("f32")
	add("Int(f32)", i, ok, int64(0), false)
	fl, ok := f.Float("f32")
	add("Float(f32)", fl, ok, 0.5, true)
	fl, ok = f.Float("f64")
	add("Float(f64)", fl, ok, 0.25, true)
	fl, ok = f.Float("u8")
	add("Float(u8)", fl, ok, 0.0, false)
	s, ok := f.String("s")
	add("String(s)", s, ok, "str", true)
	s, ok = f.String("b")
	add("String(b)", s, ok, "", false)
	b, ok := f.Bool("b")
	add("Bool(b)", b, ok, true, true)
	b, ok = f.Bool("u8")
	add("Bool(u8)", b, ok, false, false)
	ss, ok := f.Strings("ss")
	add("Strings(ss)", ss, ok, []string{"a", "b"}, true)
	ss, ok = f.Strings("s")
	add("Strings(s)", ss, ok, []string(nil), false)
	f32s, ok := f.Float32s("f32s")
	add("Float32s(f32s)", f32s, ok, []float32{1, 2}, true)
	f32s, ok = f.Float32s("f64s")
	add("Float32s(f64s)", f32s, ok, []float32{1.5}, true)
	f32s, ok = f.Float32s("i32s")
	add("Float32s(i32s)", f32s, ok, []float32(nil), false)
	i32s, ok := f.Int32s("i32s")
	add("Int32s(i32s)", i32s, ok, []int32{-1, 1}, true)
	i32s, ok = f.Int32s("u32s")
	add("Int32s(u32s)", i32s, ok, []int32{1, 2}, true)
	i32s, ok = f.Int32s("u32s.big")
	add("Int32s(u32s.big)", i32s, ok, []int32(nil), false)
	i32s, ok = f.Int32s("i8s")
	add("Int32s(i8s)", i32s, ok, []int32{-128, 127}, true)
	i32s, ok = f.Int32s("i64s.big")
	add("Int32s(i64s.big)", i32s, ok, []int32(nil), false)
	i32s, ok = f.Int32s("u8s")
	add("Int32s(u8s)", i32s, ok, []int32{255}, true)
	i32s, ok = f.Int32s("ss")
	add("Int32s(ss)", i32s, ok, []int32(nil), false)
	for _, tc := range tests {
		if tc.ok != tc.wok || !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, %v; want %#v, %v", tc.name, tc.got, tc.ok, tc.want, tc.wok)
		}
	}
}

func TestSetKVOrderAndReplace(t *testing.T) {
	w := NewWriter()
	for _, kv := range []struct {
		k string
		v any
	}{{"a", uint32(1)}, {"b", "x"}, {"c", true}, {"a", "replaced"}, {"d", int64(4)}} {
		if err := w.SetKV(kv.k, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	w.DeleteKV("c")
	w.DeleteKV("nope")
	f, err := Parse("order", encode(t, w))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Keys(); !slices.Equal(got, []string{"a", "b", "d"}) {
		t.Errorf("Keys() = %v", got)
	}
	if s, _ := f.String("a"); s != "replaced" {
		t.Errorf("a = %q", s)
	}
}

func TestWriterErrors(t *testing.T) {
	long := strings.Repeat("x", MaxTensorNameLen+1)
	kvTests := []struct {
		name  string
		key   string
		value any
		want  string
	}{
		{"empty key", "", uint8(1), "must be 1 to"},
		{"long key", strings.Repeat("k", MaxKeyLen+1), uint8(1), "must be 1 to"},
		{"int", "k", 3, "unsupported value type int"},
		{"map", "k", map[string]int{}, "unsupported value type"},
		{"nested scalar", "k", []any{uint8(1)}, "not a slice"},
		{"too deep", "k", []any{[]any{[]any{[]any{[]uint8{}}}}}, "nested deeper"},
		{"alignment string", AlignmentKey, "32", "unsigned integer"},
		{"alignment 12", AlignmentKey, uint32(12), "power of two"},
		{"alignment 4", AlignmentKey, uint32(4), "multiple of 8"},
		{"alignment 0", AlignmentKey, uint32(0), "power of two"},
	}
	for _, tc := range kvTests {
		err := NewWriter().SetKV(tc.key, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: SetKV error = %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := NewWriter().SetKV("k", []any{[]any{[]any{[]uint8{}}}}); err != nil {
		t.Errorf("depth-4 array rejected: %v", err)
	}
	tensorTests := []struct {
		name string
		tn   string
		typ  tensor.DType
		dims []uint64
		size int
		want string
	}{
		{"empty name", "", tensor.F32, []uint64{1}, 4, "must be 1 to"},
		{"long name", long, tensor.F32, []uint64{1}, 4, "must be 1 to"},
		{"duplicate", "dup", tensor.F32, []uint64{1}, 4, "added twice"},
		{"five dims", "t", tensor.F32, []uint64{1, 1, 1, 1, 1}, 4, "5 dimensions"},
		{"unknown type", "t", tensor.DType(16), []uint64{256}, 66, "unknown ggml type 16"},
		{"partial block", "t", tensor.Q4_0, []uint64{16, 2}, 18, "not a multiple of the Q4_0 block size 32"},
		{"wrong size", "t", tensor.Q8_0, []uint64{32}, 32, "needs 34"},
		{"overflow", "t", tensor.F32, []uint64{1 << 40, 1 << 40}, 0, "overflow"},
	}
	for _, tc := range tensorTests {
		w := NewWriter()
		if err := w.AddTensor("dup", tensor.F32, []uint64{1}, seq(4)); err != nil {
			t.Fatal(err)
		}
		err := w.AddTensor(tc.tn, tc.typ, tc.dims, seq(tc.size))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: AddTensor error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestWriteToStreams checks that tensor data is streamed rather than
// buffered: writing a 64 MiB tensor allocates far less than 64 MiB.
func TestWriteToStreams(t *testing.T) {
	data := make([]byte, 64<<20)
	w := NewWriter()
	if err := w.AddTensor("big", tensor.I8, []uint64{uint64(len(data))}, data); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := w.WriteTo(discard{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if n < int64(len(data)) {
		t.Fatalf("wrote %d bytes", n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("WriteTo allocated %d bytes for a %d-byte tensor", alloc, len(data))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorsPropagate(t *testing.T) {
	w := sampleWriter(t)
	full := len(encode(t, w))
	for _, n := range []int{0, 10, full / 2, full - 1} {
		if _, err := w.WriteTo(&failWriter{n}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("fail after %d: err = %v", n, err)
		}
	}
	if err := w.WriteFile(filepath.Join(t.TempDir(), "missing-dir", "x.gguf")); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

// v2File builds a version-2 file by hand: same layout as v3.
func v2File() []byte {
	r := header(2, 1, 3)
	r.str("general.architecture").u32(uint32(TypeString)).str("llama")
	r.str("llama.context_length").u32(uint32(TypeUint32)).u32(4096)
	r.str("tokenizer.ggml.tokens").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(2).str("<s>").str("a")
	r.str("w").u32(2).u64(2).u64(1).u32(uint32(tensor.F32)).u64(0)
	r.pad(32)
	r.bytes(f32s(1, -2)...)
	return r.b
}

func f32s(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func TestV2(t *testing.T) {
	f, err := Parse("v2.gguf", v2File())
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 2 {
		t.Errorf("version %d", f.Version)
	}
	if s, _ := f.String("general.architecture"); s != "llama" {
		t.Errorf("architecture %q", s)
	}
	if n, _ := f.Uint("llama.context_length"); n != 4096 {
		t.Errorf("context length %d", n)
	}
	if toks, _ := f.Strings("tokenizer.ggml.tokens"); !slices.Equal(toks, []string{"<s>", "a"}) {
		t.Errorf("tokens %q", toks)
	}
	w, _ := f.Tensor("w")
	if w == nil || !bytes.Equal(w.Data, f32s(1, -2)) || !slices.Equal(w.Dims, []uint64{2, 1}) {
		t.Errorf("tensor w = %+v", w)
	}
}

func TestAlignmentHandBuilt(t *testing.T) {
	// general.alignment given as u64 and 64: offsets must be multiples of 64.
	r := header(3, 2, 1)
	r.str(AlignmentKey).u32(uint32(TypeUint64)).u64(64)
	r.str("a").u32(1).u64(4).u32(uint32(tensor.F32)).u64(0)
	r.str("b").u32(1).u64(4).u32(uint32(tensor.F32)).u64(64)
	r.pad(64)
	data := append(seq(16), make([]byte, 48)...)
	r.bytes(data...).bytes(seq(16)...)
	f, err := Parse("align.gguf", r.b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Alignment != 64 || f.DataOffset%64 != 0 {
		t.Errorf("alignment %d data offset %d", f.Alignment, f.DataOffset)
	}
	b, _ := f.Tensor("b")
	if !bytes.Equal(b.Data, seq(16)) {
		t.Errorf("tensor b data %v", b.Data)
	}
}

func TestNoTensorsNoPadding(t *testing.T) {
	r := header(3, 0, 1)
	r.str("k").u32(uint32(TypeUint8)).u8(1)
	f, err := Parse("kv-only.gguf", r.b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 0 || len(f.Keys()) != 1 {
		t.Errorf("unexpected contents")
	}
}

// TestTruncated parses every prefix of a valid file: each one that cuts into
// the header or any tensor's data must fail cleanly.
func TestTruncated(t *testing.T) {
	full := encode(t, sampleWriter(t))
	f, err := Parse("full", full)
	if err != nil {
		t.Fatal(err)
	}
	var end uint64
	for _, ti := range f.Tensors {
		end = max(end, f.DataOffset+ti.Offset+uint64(len(ti.Data)))
	}
	for n := range int(end) {
		_, err := Parse("model.gguf", full[:n])
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("prefix of %d bytes: error %v (%T), want *FormatError", n, err, err)
		}
		if !strings.HasPrefix(err.Error(), "gguf: model.gguf: ") {
			t.Fatalf("prefix of %d bytes: error %q does not name the file", n, err)
		}
	}
	for n := int(end); n <= len(full); n++ {
		if _, err := Parse("model.gguf", full[:n]); err != nil {
			t.Fatalf("prefix of %d bytes (all tensor data present): %v", n, err)
		}
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic only", []byte("GGUF"), "version: unexpected end of file"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), `not a GGUF file (magic "GGML")`},
		{"v1", header(1, 0, 0).b, "version 1 is not supported"},
		{"v4", header(4, 0, 0).b, "unsupported GGUF version 4"},
		{"big-endian v3", append([]byte("GGUF\x00\x00\x00\x03"), make([]byte, 16)...), "big-endian"},
		{"big-endian v2", append([]byte("GGUF\x00\x00\x00\x02"), make([]byte, 16)...), "big-endian"},
		{"swapped magic", []byte("FUGG\x00\x00\x00\x03"), "big-endian"},
	}
	for _, tc := range tests {
		_, err := Parse("model.gguf", tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCorrupt(t *testing.T) {
	// kv writes one key/value pair; tensorInfo one tensor info.
	kv := func(r *raw, key string, typ ValueType, val ...byte) *raw {
		return r.str(key).u32(uint32(typ)).bytes(val...)
	}
	info := func(r *raw, name string, dims []uint64, typ tensor.DType, off uint64) *raw {
		r.str(name).u32(uint32(len(dims)))
		for _, d := range dims {
			r.u64(d)
		}
		return r.u32(uint32(typ)).u64(off)
	}
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	arr := func(elem ValueType, n uint64, rest ...byte) []byte {
		return append(append(u32(uint32(elem)), u64(n)...), rest...)
	}
	oneTensor := func(dims []uint64, typ tensor.DType, off uint64, dataLen int) []byte {
		r := header(3, 1, 0)
		info(r, "w", dims, typ, off)
		return r.pad(32).bytes(make([]byte, dataLen)...).b
	}
	deep := arr(TypeArray, 1, arr(TypeArray, 1, arr(TypeArray, 1, arr(TypeArray, 1, arr(TypeUint8, 0)...)...)...)...)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"huge kv count", header(3, 0, 1e18).b, "offset 16: metadata key count 1000000000000000000 exceeds file size"},
		{"huge tensor count", header(3, 1e18, 0).b, "offset 8: tensor count 1000000000000000000 exceeds file size"},
		{"kv count vs remaining", kv(header(3, 0, 2), "k", TypeUint8, 1).b, "exceeds file size"},
		{"huge key length", header(3, 0, 1).u64(1 << 40).u32(0).u8(0).u8(0).b, "length 1099511627776 exceeds the limit of 65535"},
		{"key beyond eof", header(3, 0, 1).u64(60).u32(0).u8(0).u8(0).b, "length 60 exceeds the 6 bytes that remain"},
		{"empty key", kv(header(3, 0, 1), "", TypeUint8, 1, 0).b, "empty metadata key"},
		{"duplicate key", kv(kv(header(3, 0, 2), "k", TypeUint8, 1), "k", TypeUint8, 2).b, `duplicate metadata key "k"`},
		{"unknown value type", kv(header(3, 0, 1), "k", 13, 0, 0, 0, 0).b, `metadata "k": unknown value type 13`},
		{"bad bool", kv(header(3, 0, 1), "k", TypeBool, 2).b, "bool value 2 is not 0 or 1"},
		{"bad bool in array", kv(header(3, 0, 1), "k", TypeArray, arr(TypeBool, 2, 1, 7)...).b, "bool value 7"},
		{"huge string", kv(header(3, 0, 1), "k", TypeString, u64(1<<60)...).b, "exceeds the 0 bytes that remain"},
		{"huge u32 array", kv(header(3, 0, 1), "k", TypeArray, arr(TypeUint32, 1<<60)...).b, "array of 1152921504606846976 uint32 values"},
		{"huge string array", kv(header(3, 0, 1), "k", TypeArray, arr(TypeString, 1<<40)...).b, "array of 1099511627776 strings exceeds"},
		{"string array element beyond eof", kv(header(3, 0, 1), "k", TypeArray, arr(TypeString, 2, append(u64(7), "abcdefg?"...)...)...).b, "string 1 of 2: unexpected end"},
		{"string array element length beyond eof", kv(header(3, 0, 1), "k", TypeArray, arr(TypeString, 2, append(append(u64(1), 'a'), append(u64(5), 'b')...)...)...).b, "string 1 of 2: length 5 exceeds the 1 bytes"},
		{"string array element too long", kv(header(3, 0, 1), "k", TypeArray, arr(TypeString, 1, append(u64(9), 'a')...)...).b, "string 0 of 1: length 9 exceeds"},
		{"huge nested array", kv(header(3, 0, 1), "k", TypeArray, arr(TypeArray, 1<<40)...).b, "array of 1099511627776 arrays"},
		{"unknown element type", kv(header(3, 0, 1), "k", TypeArray, arr(42, 0)...).b, "unknown array element type 42"},
		{"nesting too deep", kv(header(3, 0, 1), "k", TypeArray, deep...).b, "nested deeper than 4"},
		{"alignment type", kv(header(3, 0, 1), AlignmentKey, TypeString, append(u64(2), "32"...)...).b, "has type string"},
		{"alignment not power of two", kv(header(3, 0, 1), AlignmentKey, TypeUint32, u32(24)...).b, "24 is not a power of two"},
		{"alignment 4", kv(header(3, 0, 1), AlignmentKey, TypeUint32, u32(4)...).b, "multiple of 8"},
		{"alignment 0", kv(header(3, 0, 1), AlignmentKey, TypeUint32, u32(0)...).b, "0 is not a power of two"},
		{"empty tensor name", info(header(3, 1, 0), "", []uint64{1}, tensor.F32, 0).pad(32).bytes(0, 0, 0, 0).b, "empty tensor name"},
		{"long tensor name", info(header(3, 1, 0), strings.Repeat("n", 300), []uint64{1}, tensor.F32, 0).b, "length 300 exceeds the limit of 256"},
		{"five dims", info(header(3, 1, 0), "w", []uint64{1, 1, 1, 1, 1}, tensor.F32, 0).b, `tensor "w": 5 dimensions exceed the limit of 4`},
		{"dim beyond int64", oneTensor([]uint64{1 << 63}, tensor.F32, 0, 0), "beyond the int64 range"},
		{"dims overflow", oneTensor([]uint64{1 << 32, 1 << 32}, tensor.F32, 0, 0), "overflow"},
		{"bytes overflow", oneTensor([]uint64{1 << 62}, tensor.F32, 0, 0), "overflow"},
		{"unknown ggml type", oneTensor([]uint64{32}, tensor.DType(4), 0, 32), `tensor "w": unknown ggml type 4`},
		{"IQ type unknown to gophi", oneTensor([]uint64{256}, tensor.DType(23), 0, 136), `tensor "w": unknown ggml type 23`},
		{"gophi's in-memory layout", oneTensor([]uint64{3072, 15}, tensor.Q4_0X, 0, 15*96*18), `tensor "w": unknown ggml type 201`},
		{"partial block", oneTensor([]uint64{16, 2}, tensor.Q4_0, 0, 18), "row length 16 is not a multiple of the Q4_0 block size 32"},
		{"misaligned offset", oneTensor([]uint64{4}, tensor.F32, 4, 64), `tensor "w": offset 4 is not a multiple of the alignment 32`},
		{"data beyond eof", oneTensor([]uint64{8}, tensor.F32, 0, 31), `tensor "w": 32 bytes of data at offset 0`},
		{"offset beyond eof", oneTensor([]uint64{1}, tensor.F32, 1<<62, 4), "extend beyond the end of the file"},
		{"offset overflow", oneTensor([]uint64{1}, tensor.F32, math.MaxUint64-31, 4), "extend beyond the end of the file"},
		{"duplicate tensor", func() []byte {
			r := header(3, 2, 0)
			info(r, "w", []uint64{1}, tensor.F32, 0)
			info(r, "w", []uint64{1}, tensor.F32, 32)
			return r.pad(32).bytes(make([]byte, 64)...).b
		}(), `duplicate tensor name "w"`},
		{"overlapping tensors", func() []byte {
			r := header(3, 2, 0)
			info(r, "a", []uint64{16}, tensor.F32, 0)
			info(r, "b", []uint64{8}, tensor.F32, 32)
			return r.pad(32).bytes(make([]byte, 64)...).b
		}(), `tensor "b": data at offset 32 overlaps tensor "a" at [0,64)`},
		{"tensor count vs remaining", info(header(3, 3, 0), "w", []uint64{1}, tensor.F32, 0).b, "tensor count 3 exceeds file size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("model.gguf", tc.data)
			if err == nil {
				t.Fatalf("no error; %d keys, %d tensors", len(f.Keys()), len(f.Tensors))
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *FormatError", err, err)
			}
			if !strings.HasPrefix(err.Error(), "gguf: model.gguf: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want one naming the file and containing %q", err, tc.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	bad := filepath.Join(dir, "bad.gguf")
	os.WriteFile(bad, []byte("GGUF\x01\x00\x00\x00"), 0o644)
	for _, opts := range []OpenOptions{{}, {NoMmap: true}} {
		_, err := OpenWith(bad, opts)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != bad || fe.Offset != 4 {
			t.Errorf("OpenWith(bad, %+v) = %v", opts, err)
		}
	}
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("Open(empty) = %v", err)
	}
}

// vocabFile builds a file with a Phi-4-mini sized vocabulary.
func vocabFile(tb testing.TB, n int) []byte {
	toks := make([]string, n)
	scores := make([]float32, n)
	types := make([]int32, n)
	for i := range toks {
		toks[i] = "▁tok" + string(rune('a'+i%26)) + strings.Repeat("x", i%7)
		scores[i] = -float32(i)
		types[i] = int32(i % 6)
	}
	w := NewWriter()
	for _, kv := range []struct {
		k string
		v any
	}{{"tokenizer.ggml.tokens", toks}, {"tokenizer.ggml.scores", scores}, {"tokenizer.ggml.token_type", types}} {
		if err := w.SetKV(kv.k, kv.v); err != nil {
			tb.Fatal(err)
		}
	}
	return encode(tb, w)
}

func TestVocab(t *testing.T) {
	data := vocabFile(t, 200064)
	f, err := Parse("vocab.gguf", data)
	if err != nil {
		t.Fatal(err)
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	scores, _ := f.Float32s("tokenizer.ggml.scores")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	if len(toks) != 200064 || len(scores) != 200064 || len(types) != 200064 {
		t.Fatalf("lengths %d %d %d", len(toks), len(scores), len(types))
	}
	if toks[28] != "▁tokc" || scores[5] != -5 || types[7] != 1 {
		t.Errorf("values %q %v %v", toks[28], scores[5], types[7])
	}
}

// TestParseWaits parses headers whose bytes arrive only when the decoder
// waits for them (a file read in the background): every byte the decoder
// looks at must be waited for first, or it reads the poison.
func TestParseWaits(t *testing.T) {
	for name, data := range map[string][]byte{
		"sample": encode(t, sampleWriter(t)),
		"vocab":  vocabFile(t, 5000),
	} {
		want, err := Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		buf := bytes.Repeat([]byte{0xA5}, len(data))
		ready := 0
		d := &decoder{file: name, data: buf, wait: func(end int) error {
			if end > ready {
				copy(buf[ready:end], data[ready:end])
				ready = end
			}
			return nil
		}}
		got, err := parse(d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got.kv, want.kv) || !slices.Equal(got.keys, want.keys) {
			t.Errorf("%s: metadata differs when parsed while arriving", name)
		}
		if len(got.Tensors) != len(want.Tensors) {
			t.Fatalf("%s: %d tensors, want %d", name, len(got.Tensors), len(want.Tensors))
		}
		for i, ti := range got.Tensors {
			w := want.Tensors[i]
			if ti.Name != w.Name || ti.Type != w.Type || !slices.Equal(ti.Dims, w.Dims) || ti.Offset != w.Offset {
				t.Errorf("%s: tensor %d: %+v, want %+v", name, i, ti, w)
			}
		}
		if ready > int(want.DataOffset) {
			t.Errorf("%s: waited for %d bytes, but the header ends at %d", name, ready, want.DataOffset)
		}
	}
}

func BenchmarkParseVocab(b *testing.B) {
	data := vocabFile(b, 200064)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("vocab.gguf", data); err != nil {
			b.Fatal(err)
		}
	}
}
