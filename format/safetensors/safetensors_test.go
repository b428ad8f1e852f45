package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gophi/gophi/tensor"
)

// rawFile builds a safetensors file from a literal header and dataLen bytes
// of data (bytes 0, 1, 2, ...).
func rawFile(header string, dataLen int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	for i := range dataLen {
		b = append(b, byte(i))
	}
	return b
}

func f32Bytes(vals ...float32) []byte {
	var b []byte
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

func sampleTensors() []*Tensor {
	return []*Tensor{
		{Name: "w.f32", DType: tensor.F32, Shape: []int{2, 3}, Data: f32Bytes(1, 2, 3, 4, 5, 6)},
		{Name: "w.bf16", DType: tensor.BF16, Shape: []int{3}, Data: seq(6)},
		{Name: "w.f16", DType: tensor.F16, Shape: []int{1, 1, 5}, Data: seq(10)},
		{Name: "scalar.f64", DType: tensor.F64, Shape: []int{}, Data: seq(8)},
		{Name: "empty", DType: tensor.F32, Shape: []int{0, 4}, Data: nil},
		{Name: "ids.i64", DType: tensor.I64, Shape: []int{2}, Data: seq(16)},
		{Name: "ids.i32", DType: tensor.I32, Shape: []int{1}, Data: seq(4)},
		{Name: "ids.i16", DType: tensor.I16, Shape: []int{3}, Data: seq(6)},
		{Name: "ids.i8 <&> \"quoted\" ünï", DType: tensor.I8, Shape: []int{5}, Data: seq(5)},
	}
}

func checkSame(t *testing.T, got, want *Tensor) {
	t.Helper()
	if got.Name != want.Name || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
		t.Errorf("tensor %q: got %s %v (%d bytes), want %s %v (%d bytes)",
			want.Name, got.DType, got.Shape, len(got.Data), want.DType, want.Shape, len(want.Data))
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rt.safetensors")
	want := sampleTensors()
	meta := map[string]string{"format": "pt", "note": "round <trip>"}
	if err := Write(path, want, meta); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hlen := binary.LittleEndian.Uint64(raw)
	if hlen%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", hlen)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	for _, opts := range []OpenOptions{{}, {NoMmap: true}} {
		f, err := OpenWith(path, opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		if !reflect.DeepEqual(f.Metadata, meta) {
			t.Errorf("metadata = %v, want %v", f.Metadata, meta)
		}
		if len(f.Tensors) != len(want) {
			t.Fatalf("%d tensors, want %d", len(f.Tensors), len(want))
		}
		var pos int
		for i, w := range want {
			checkSame(t, f.Tensors[i], w) // header order is write order
			got, ok := f.Tensor(w.Name)
			if !ok {
				t.Fatalf("Tensor(%q) not found", w.Name)
			}
			checkSame(t, got, w)
			// offsets are contiguous in the order given
			if len(got.Data) > 0 {
				start := int(8 + hlen)
				off := bytes.Index(raw[start+pos:], got.Data)
				if off != 0 {
					t.Errorf("tensor %q not at data offset %d", w.Name, pos)
				}
			}
			pos += len(w.Data)
			if got.NumElements()*len(w.Data) != len(w.Data)*w.NumElements() {
				t.Errorf("NumElements mismatch")
			}
		}
		names := f.Names()
		if !slices.IsSorted(names) || len(names) != len(want) {
			t.Errorf("Names() = %v, want %d sorted names", names, len(want))
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if f.Tensors[0].Data != nil {
			t.Error("tensor Data not cleared by Close")
		}
	}
}

func TestEncodeNoMetadata(t *testing.T) {
	var buf bytes.Buffer
	n, err := Encode(&buf, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n != 16 {
		t.Errorf("Encode wrote %d bytes (reported %d), want 16", buf.Len(), n)
	}
	f, err := Parse("empty", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 0 || f.Metadata != nil {
		t.Errorf("unexpected contents: %+v", f)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors []*Tensor
		meta    map[string]string
		want    string
	}{
		{"duplicate", []*Tensor{{Name: "a", DType: tensor.I8, Shape: []int{1}, Data: seq(1)}, {Name: "a", DType: tensor.I8, Shape: []int{1}, Data: seq(1)}}, nil, "duplicate name"},
		{"short data", []*Tensor{{Name: "a", DType: tensor.F32, Shape: []int{2}, Data: seq(4)}}, nil, "needs 8"},
		{"quantized", []*Tensor{{Name: "a", DType: tensor.Q8_0, Shape: []int{32}, Data: seq(34)}}, nil, "cannot be stored"},
		{"negative", []*Tensor{{Name: "a", DType: tensor.F32, Shape: []int{-1}, Data: nil}}, nil, "negative"},
		{"reserved", []*Tensor{{Name: "__metadata__", DType: tensor.F32, Shape: []int{}, Data: seq(4)}}, nil, "reserved"},
		{"overflow", []*Tensor{{Name: "a", DType: tensor.F32, Shape: []int{math.MaxInt / 2, 4}, Data: nil}}, nil, "overflows"},
		{"nil", []*Tensor{nil}, nil, "nil"},
		{"bad utf8 name", []*Tensor{{Name: "\xff", DType: tensor.I8, Shape: []int{1}, Data: seq(1)}}, nil, "UTF-8"},
		{"bad utf8 meta", nil, map[string]string{"k": "\xff"}, "UTF-8"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			err := Write(path, tc.tensors, tc.meta)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write error = %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed Write left %s behind", path)
			}
		})
	}
}

func TestWriteShardedRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := sampleTensors()
	meta := map[string]string{"format": "pt"}
	var total int
	for _, w := range want {
		total += len(w.Data)
	}
	// 24-byte cap: w.f32 alone, then the rest grouped greedily.
	if err := WriteSharded(dir, want, meta, 24); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Metadata  map[string]int64  `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	if index.Metadata["total_size"] != int64(total) {
		t.Errorf("total_size = %d, want %d", index.Metadata["total_size"], total)
	}
	shards := map[string]bool{}
	for _, s := range index.WeightMap {
		shards[s] = true
	}
	if len(shards) < 3 {
		t.Errorf("only %d shards written", len(shards))
	}
	for s := range shards {
		if !shardPattern.MatchString(s) || !strings.HasSuffix(s, "-of-"+ShardName(1, len(shards))[len("model-00001-of-"):]) {
			t.Errorf("bad shard name %q", s)
		}
		f, err := Open(filepath.Join(dir, s))
		if err != nil {
			t.Fatal(err)
		}
		var size int
		for _, t := range f.Tensors {
			size += len(t.Data)
		}
		if size > 24 && len(f.Tensors) > 1 {
			t.Errorf("shard %s holds %d bytes in %d tensors, over the 24-byte cap", s, size, len(f.Tensors))
		}
		f.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, SingleFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sharded save left %s", SingleFileName)
	}
	for _, opts := range []OpenOptions{{}, {NoMmap: true}} {
		c, err := OpenDir(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Files) != len(shards) {
			t.Errorf("%d files open, want %d", len(c.Files), len(shards))
		}
		if !reflect.DeepEqual(c.Metadata(), meta) {
			t.Errorf("Metadata() = %v", c.Metadata())
		}
		names := c.Names()
		if len(names) != len(want) || !slices.IsSorted(names) {
			t.Errorf("Names() = %v", names)
		}
		for _, w := range want {
			got, ok := c.Tensor(w.Name)
			if !ok {
				t.Fatalf("tensor %q missing", w.Name)
			}
			checkSame(t, got, w)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Saving again as one file replaces the sharded layout.
	if err := WriteSharded(dir, want, meta, 0); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != SingleFileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after single-file save the folder holds %v", names)
	}
	c, err := OpenDir(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, w := range want {
		got, _ := c.Tensor(w.Name)
		checkSame(t, got, w)
	}
}

// writeIndex writes an index file with the given weight map JSON.
func writeIndex(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, IndexFileName), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDirErrors(t *testing.T) {
	good := []*Tensor{{Name: "a", DType: tensor.F32, Shape: []int{1}, Data: seq(4)}}
	tests := []struct {
		name  string
		index string // "" means no index
		shard bool   // write model-00001-of-00001.safetensors holding tensor "a"
		want  string
	}{
		{"empty folder", "", false, "no model.safetensors"},
		{"dotdot", `{"weight_map":{"a":"../x.safetensors"}}`, false, `contains ".."`},
		{"dotdot inner", `{"weight_map":{"a":"sub/../../x.safetensors"}}`, false, `contains ".."`},
		{"absolute", `{"weight_map":{"a":"/etc/passwd"}}`, false, "absolute"},
		{"empty path", `{"weight_map":{"a":""}}`, false, "empty shard path"},
		{"missing shard", `{"weight_map":{"a":"model-00001-of-00001.safetensors"}}`, false, "no such file"},
		{"tensor not in shard", `{"weight_map":{"b":"model-00001-of-00001.safetensors"}}`, true, `tensor "b" is not in shard`},
		{"duplicate tensor", `{"weight_map":{"a":"model-00001-of-00001.safetensors","a":"x"}}`, true, "duplicate tensor"},
		{"duplicate key", `{"weight_map":{},"weight_map":{}}`, true, "duplicate key"},
		{"no weight map", `{"metadata":{"total_size":4}}`, true, "no weight_map"},
		{"bad json", `{"weight_map":{"a":}`, true, "shard must be a string"},
		{"truncated json", `{"weight_map":{"a":"m`, true, "ends early"},
		{"non-string shard", `{"weight_map":{"a":3}}`, true, "must be a string"},
		{"weight map not object", `{"weight_map":[]}`, true, "expected"},
		{"trailing data", `{"weight_map":{}} x`, true, "after the JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.index != "" {
				writeIndex(t, dir, tc.index)
			}
			if tc.shard {
				if err := Write(filepath.Join(dir, ShardName(1, 1)), good, nil); err != nil {
					t.Fatal(err)
				}
			}
			c, err := OpenDir(dir, OpenOptions{})
			if err == nil {
				c.Close()
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestOpenDirSubdirShard(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := &Tensor{Name: "a", DType: tensor.F32, Shape: []int{1}, Data: seq(4)}
	if err := Write(filepath.Join(dir, "sub", "s.safetensors"), []*Tensor{want}, nil); err != nil {
		t.Fatal(err)
	}
	writeIndex(t, dir, `{"metadata":{"total_size":4},"weight_map":{"a":"sub/s.safetensors"}}`)
	c, err := OpenDir(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, ok := c.Tensor("a")
	if !ok {
		t.Fatal("tensor a missing")
	}
	checkSame(t, got, want)
}

// tinyDir is a real Hugging Face Phi-3 checkpoint with hidden size 96,
// 6 heads, 2 KV heads, 3 layers, intermediate 256 and vocabulary 512.
const tinyDir = "../../testdata/phi3/phi3-gqa-tiny"

func TestRealFile(t *testing.T) {
	var cfg struct {
		Hidden       int `json:"hidden_size"`
		Heads        int `json:"num_attention_heads"`
		KVHeads      int `json:"num_key_value_heads"`
		Layers       int `json:"num_hidden_layers"`
		Intermediate int `json:"intermediate_size"`
		Vocab        int `json:"vocab_size"`
	}
	raw, err := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	headDim := cfg.Hidden / cfg.Heads
	want := map[string][]int{
		"model.layers.0.self_attn.qkv_proj.weight":       {cfg.Hidden + 2*cfg.KVHeads*headDim, cfg.Hidden},
		"model.layers.2.self_attn.o_proj.weight":         {cfg.Hidden, cfg.Hidden},
		"model.layers.1.mlp.gate_up_proj.weight":         {2 * cfg.Intermediate, cfg.Hidden},
		"model.layers.1.mlp.down_proj.weight":            {cfg.Hidden, cfg.Intermediate},
		"model.layers.0.input_layernorm.weight":          {cfg.Hidden},
		"model.layers.0.post_attention_layernorm.weight": {cfg.Hidden},
		"model.embed_tokens.weight":                      {cfg.Vocab, cfg.Hidden},
		"lm_head.weight":                                 {cfg.Vocab, cfg.Hidden},
		"model.norm.weight":                              {cfg.Hidden},
	}
	if got := want["model.layers.0.self_attn.qkv_proj.weight"][0]; got != 160 {
		t.Fatalf("config gives %d qkv rows, want 160", got)
	}
	c, err := OpenDir(tinyDir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := len(c.Names()); n != 3+6*cfg.Layers {
		t.Errorf("%d tensors, want %d", n, 3+6*cfg.Layers)
	}
	if c.Metadata()["format"] != "pt" {
		t.Errorf("metadata = %v", c.Metadata())
	}
	for name, shape := range want {
		tt, ok := c.Tensor(name)
		if !ok {
			t.Errorf("tensor %s missing", name)
			continue
		}
		if tt.DType != tensor.BF16 || !slices.Equal(tt.Shape, shape) || len(tt.Data) != 2*tt.NumElements() {
			t.Errorf("%s: %s %v (%d bytes), want BF16 %v", name, tt.DType, tt.Shape, len(tt.Data), shape)
		}
	}
	// RMSNorm weights of a trained-from-init model are near 1; check the
	// bytes decode to finite, plausible values.
	norm, _ := c.Tensor("model.norm.weight")
	for i := 0; i < len(norm.Data); i += 2 {
		v := math.Float32frombits(uint32(binary.LittleEndian.Uint16(norm.Data[i:])) << 16)
		if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 100 {
			t.Fatalf("model.norm.weight[%d] = %v", i/2, v)
		}
	}

	// Reading and rewriting the file in data order reproduces its data.
	f, err := OpenWith(filepath.Join(tinyDir, SingleFileName), OpenOptions{NoMmap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := Encode(&buf, f.Tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	g, err := Parse("rewritten", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range f.Tensors {
		got, _ := g.Tensor(w.Name)
		checkSame(t, got, w)
	}
}

func TestParseCorrupt(t *testing.T) {
	entry := `"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "too short"},
		{"short length", []byte{1, 0, 0}, "too short"},
		{"header length beyond file", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), "header length 100 exceeds file size 10"},
		{"huge header length", binary.LittleEndian.AppendUint64(nil, 1<<62), "exceeds the 104857600-byte limit"},
		{"empty header", rawFile("", 0), "does not start"},
		{"not an object", rawFile(`[]`, 0), "does not start"},
		{"truncated header", rawFile(`{"a":{"dtype":"F32"`, 0), "ends early"},
		{"bad json", rawFile(`{"a":{"dtype":F32}}`, 0), "offset 22: tensor \"a\": dtype must be a string, found 'F'"},
		{"bad json key", rawFile(`{1:2}`, 0), "offset 9: header: expected a string key, found a number"},
		{"missing colon", rawFile(`{"a" {}}`, 0), "expected ':'"},
		{"trailing comma", rawFile(`{"__metadata__":{},}`, 0), "trailing comma"},
		{"trailing comma in shape", rawFile(`{"a":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}`, 4), "trailing comma"},
		{"missing comma", rawFile(`{"__metadata__":{} "a":1}`, 0), "expected ',' or '}'"},
		{"unterminated string", rawFile(`{"abc`, 0), "ends early, in a string"},
		{"unterminated escape", rawFile(`{"abc\`, 0), "ends early, in a string"},
		{"bad escape", rawFile(`{"a\x":1}`, 0), `bad escape \x`},
		{"bad unicode escape", rawFile(`{"a\u12G4":1}`, 0), `bad \u escape`},
		{"control char", rawFile("{\"a\tb\":1}", 0), "control character 0x09"},
		{"leading zero", rawFile(`{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}`, 4), "malformed number"},
		{"bare minus", rawFile(`{"a":{"dtype":"F32","shape":[-],"data_offsets":[0,4]}}`, 4), "malformed number"},
		{"bad fraction", rawFile(`{"a":{"dtype":"F32","shape":[1.],"data_offsets":[0,4]}}`, 4), "malformed number"},
		{"bad literal", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":nul}}`, 4), "invalid JSON value"},
		{"unknown field bad json", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":[1 2]}}`, 4), "expected ',' or ']'"},
		{"deep unknown field", rawFile(`{"a":{"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}}`, 0), "nested deeper than 64"},
		{"invalid utf8", rawFile("{\"\xff\":{}}", 0), "UTF-8"},
		{"trailing garbage", rawFile(`{} x`, 0), "after the JSON object"},
		{"second object", rawFile(`{}{}`, 0), "after the JSON object"},
		{"duplicate tensor", rawFile("{"+entry+","+entry+"}", 8), `duplicate key "a"`},
		{"duplicate field", rawFile(`{"a":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4), `duplicate field "dtype"`},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, 0), "duplicate key"},
		{"duplicate metadata key", rawFile(`{"__metadata__":{"k":"v","k":"w"}}`, 0), `duplicate key "k"`},
		{"metadata not strings", rawFile(`{"__metadata__":{"k":1}}`, 0), "must be a string"},
		{"metadata array", rawFile(`{"__metadata__":[]}`, 0), "must be an object"},
		{"entry not object", rawFile(`{"a":[]}`, 0), "expected"},
		{"missing dtype", rawFile(`{"a":{"shape":[],"data_offsets":[0,4]}}`, 4), "missing dtype"},
		{"missing shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4), "missing shape"},
		{"missing offsets", rawFile(`{"a":{"dtype":"F32","shape":[]}}`, 4), "missing data_offsets"},
		{"dtype not string", rawFile(`{"a":{"dtype":1,"shape":[],"data_offsets":[0,4]}}`, 4), "dtype must be a string"},
		{"unknown dtype", rawFile(`{"a":{"dtype":"F7","shape":[],"data_offsets":[0,4]}}`, 4), "unsupported dtype"},
		{"unsupported dtype", rawFile(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, 4), `unsupported dtype "U8"`},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "negative"},
		{"fractional dim", rawFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), "not an integer"},
		{"exponent dim", rawFile(`{"a":{"dtype":"F32","shape":[1e3],"data_offsets":[0,4]}}`, 4), "not an integer"},
		{"dim too big", rawFile(`{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}`, 4), "does not fit in 64 bits"},
		{"dim beyond int", rawFile(`{"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}}`, 4), "too large"},
		{"shape not array", rawFile(`{"a":{"dtype":"F32","shape":3,"data_offsets":[0,4]}}`, 4), "expected"},
		{"shape element string", rawFile(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, 4), "expected an integer"},
		{"rank too high", rawFile(`{"a":{"dtype":"F32","shape":[`+strings.Repeat("1,", 40)+`1],"data_offsets":[0,4]}}`, 4), "more than 32 values"},
		{"shape overflow", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,4]}}`, 4), "overflows|too large"},
		{"byte size overflow", rawFile(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}`, 4), "overflow|too large"}, // 64|32-bit
		{"one offset", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[4]}}`, 4), "has 1 values, want 2"},
		{"three offsets", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}`, 4), "more than 2 values"},
		{"offsets beyond data", rawFile(`{"x":{"dtype":"F32","shape":[],"data_offsets":[0,10]}}`, 8), `tensor "x": data_offsets [0,10] exceed data size 8`},
		{"reversed offsets", rawFile(`{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8), "reversed"},
		{"lying size", rawFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), "overlap"},
		{"same range", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8), "overlap"},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "gap of 4 bytes"},
		{"trailing data", rawFile("{"+entry+"}", 12), "4 bytes of data after the last tensor"},
		{"data without tensors", rawFile(`{}`, 3), "3 bytes of data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("model.safetensors", tc.data)
			if err == nil {
				t.Fatalf("no error; tensors %v", f.Names())
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, not *FormatError", err, err)
			}
			msg := err.Error()
			found := false
			for _, want := range strings.Split(tc.want, "|") { // alternatives
				found = found || strings.Contains(msg, want)
			}
			if !strings.HasPrefix(msg, "safetensors: model.safetensors: ") || !found {
				t.Fatalf("error %q does not name the file or contain %q", msg, tc.want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		shapes map[string][]int
		meta   map[string]string
	}{
		{"empty", rawFile(`{}`, 0), map[string][]int{}, nil},
		{"padded", rawFile(`{}      `, 0), map[string][]int{}, nil},
		{"null metadata", rawFile(`{"__metadata__":null}`, 0), map[string][]int{}, nil},
		{"scalar", rawFile(`{"s":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}`, 4), map[string][]int{"s": {}}, nil},
		{"unknown field ignored", rawFile(`{"s":{"dtype":"I8","shape":[2],"data_offsets":[0,2],"extra":{"x":[1,2]}}}`, 2), map[string][]int{"s": {2}}, nil},
		{"zero dim with huge dims", rawFile(`{"z":{"dtype":"F32","shape":[2147483647,2147483647,2147483647,0],"data_offsets":[0,0]}}`, 0), map[string][]int{"z": {math.MaxInt32, math.MaxInt32, math.MaxInt32, 0}}, nil},
		{"empty tensors share offset", rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`, 4),
			map[string][]int{"a": {0}, "b": {1}, "c": {0}}, nil},
		{"out of order", rawFile(`{"b":{"dtype":"I8","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}`, 4),
			map[string][]int{"a": {2}, "b": {2}}, nil},
		{"metadata", rawFile(`{"__metadata__":{"format":"pt","é":"\u00e9"}}`, 0), map[string][]int{}, map[string]string{"format": "pt", "é": "é"}},
		{"escapes", rawFile(`{"__metadata__":{"k\"\\\/\b\f\n\r\t":"\ud83d\ude00 \ud83d \ude00 \ud83d\u0041"}}`, 0), map[string][]int{},
			map[string]string{"k\"\\/\b\f\n\r\t": "😀 \ufffd \ufffd \ufffdA"}},
		{"whitespace everywhere", rawFile(" {\n \"a\" : { \"dtype\" : \"I8\" , \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 1 ] } }  "[1:], 1), map[string][]int{"a": {1}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.name, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]int{}
			for _, tt := range f.Tensors {
				got[tt.Name] = tt.Shape
			}
			if !reflect.DeepEqual(got, tc.shapes) {
				t.Errorf("shapes = %v, want %v", got, tc.shapes)
			}
			if !reflect.DeepEqual(f.Metadata, tc.meta) && !(len(f.Metadata) == 0 && len(tc.meta) == 0) {
				t.Errorf("metadata = %v, want %v", f.Metadata, tc.meta)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.safetensors")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte("short"), 0o644)
	for _, opts := range []OpenOptions{{}, {NoMmap: true}} {
		_, err := OpenWith(bad, opts)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != bad {
			t.Errorf("OpenWith(bad, %+v) = %v", opts, err)
		}
	}
}
