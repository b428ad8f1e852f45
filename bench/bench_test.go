package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/convert"
	"github.com/gophi/gophi/tensor"
)

const tinyModel = "../testdata/phi3/phi3-mini-4k-tiny"

// childFlag makes the test binary act as a benchmark child (see TestMain),
// so the re-exec path is tested without building the CLI.
const childFlag = "-gophi-bench-child"

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == childFlag {
		if err := Child(context.Background(), os.Args[2], os.Stdout, os.Stderr); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func small(models ...string) Config {
	return Config{Models: models, Prompt: []int{8}, Gen: []int{4}, Reps: 2, Threads: []int{2}, Version: "test"}
}

// llamaBenchFields are llama-bench's JSON field names gophi fills in.
var llamaBenchFields = []string{
	"build_commit", "build_number", "cpu_info", "gpu_info", "backends", "model_filename", "model_type",
	"model_size", "model_n_params", "n_batch", "n_ubatch", "n_threads", "type_k", "type_v", "n_gpu_layers",
	"load_mode", "n_prompt", "n_gen", "n_depth", "test_time", "avg_ns", "stddev_ns", "avg_ts", "stddev_ts",
	"samples_ns", "samples_ts",
	"use_mmap", // older llama-bench
}

var gophiFields = []string{"gophi_version", "n_ctx", "load_ms", "ttft_ms", "ttft_n_prompt", "peak_rss_bytes",
	"isolated", "weight_bytes_per_token", "gbps", "flops", "gflops"}

// checkJSON parses JSON output and checks fields and values against the
// tests of cfg (prompt 8, generation 4, 2 repetitions).
func checkJSON(t *testing.T, data []byte, wantRows int, isolated bool) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatalf("output is not a JSON array: %v\n%s", err, data)
	}
	if len(rows) != wantRows {
		t.Fatalf("%d results, want %d", len(rows), wantRows)
	}
	for i, r := range rows {
		for _, f := range append(llamaBenchFields, gophiFields...) {
			if _, ok := r[f]; !ok {
				t.Errorf("result %d lacks %q", i, f)
			}
		}
		num := func(k string) float64 { v, _ := r[k].(float64); return v }
		if num("avg_ts") <= 0 || num("avg_ns") <= 0 {
			t.Errorf("result %d: avg_ts %v, avg_ns %v", i, r["avg_ts"], r["avg_ns"])
		}
		if num("n_threads") != 2 || r["backends"] != "CPU" || r["gpu_info"] != "" {
			t.Errorf("result %d: n_threads %v backends %v gpu_info %v", i, r["n_threads"], r["backends"], r["gpu_info"])
		}
		if s, _ := r["samples_ns"].([]any); len(s) != 2 {
			t.Errorf("result %d: samples_ns %v, want 2", i, r["samples_ns"])
		}
		if num("load_ms") <= 0 || num("ttft_ms") <= 0 || num("peak_rss_bytes") < 1<<20 || num("ttft_n_prompt") != 8 {
			t.Errorf("result %d: load_ms %v ttft_ms %v peak_rss_bytes %v ttft_n_prompt %v", i, r["load_ms"], r["ttft_ms"], r["peak_rss_bytes"], r["ttft_n_prompt"])
		}
		if r["isolated"] != isolated || num("n_ctx") != 12 || num("model_size") <= 0 || num("model_n_params") <= 0 {
			t.Errorf("result %d: isolated %v n_ctx %v model_size %v model_n_params %v", i, r["isolated"], r["n_ctx"], r["model_size"], r["model_n_params"])
		}
		switch i % 2 {
		case 0:
			if num("n_prompt") != 8 || num("n_gen") != 0 || num("gflops") <= 0 || num("gbps") != 0 || num("n_batch") != 8 {
				t.Errorf("result %d should be pp8 with gflops: %v", i, r)
			}
		case 1:
			if num("n_prompt") != 0 || num("n_gen") != 4 || num("gbps") <= 0 || num("gflops") != 0 || num("n_batch") != 1 {
				t.Errorf("result %d should be tg4 with gbps: %v", i, r)
			}
		}
	}
	return rows
}

func TestRunHFFolder(t *testing.T) {
	var progress bytes.Buffer
	cfg := small(tinyModel)
	cfg.Progress = &progress
	var streamed int
	cfg.OnResult = func(Result) error { streamed++; return nil }
	rs, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if streamed != len(rs) {
		t.Errorf("OnResult saw %d results of %d", streamed, len(rs))
	}
	var js bytes.Buffer
	if err := JSON(&js, rs); err != nil {
		t.Fatal(err)
	}
	rows := checkJSON(t, js.Bytes(), 2, false)
	if got := rows[0]["model_type"]; got != "phi3 4.2M BF16" {
		t.Errorf("model_type %q", got)
	}
	if rows[0]["use_mmap"] != true || rows[0]["load_mode"] != "mmap" {
		t.Errorf("use_mmap %v load_mode %v", rows[0]["use_mmap"], rows[0]["load_mode"])
	}
	for _, want := range []string{"configuration 1/1", "loading", "time to first token", "pp8 warmup", "pp8 run 2/2", "tg4 run 1/2"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}

	var md bytes.Buffer
	if err := Markdown(&md, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(md.String(), "\n")
	header := "| model                          |       size |     params | backend    | threads | mmap |            test |                  t/s |    load ms |    TTFT ms | peak RSS MiB |     GB/s |   GFLOPS |"
	if lines[0] != header {
		t.Errorf("markdown header\n%s\nwant\n%s", lines[0], header)
	}
	if !strings.HasPrefix(lines[1], "| ------------------------------ | ---------: |") {
		t.Errorf("markdown separator %q", lines[1])
	}
	if !strings.Contains(lines[2], "pp8") || !strings.Contains(lines[3], "tg4") || !strings.Contains(lines[2], "CPU (Go)") || !strings.Contains(lines[2], " ± ") {
		t.Errorf("markdown rows:\n%s", md.String())
	}
	if !strings.Contains(md.String(), "\nbuild: ") {
		t.Errorf("markdown has no build line:\n%s", md.String())
	}
}

// TestRunGGUFIsolated converts the tiny model to GGUF and benchmarks it
// mapped and read into memory, each configuration in a child process (this
// test binary, see TestMain).
func TestRunGGUFIsolated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny-q8.gguf")
	if err := convert.HFToGGUF(context.Background(), tinyModel, path, convert.Options{Type: tensor.Q8_0}); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := small(path)
	cfg.Mmap = []bool{true, false}
	cfg.Exec = []string{exe, childFlag}
	rs, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := JSON(&js, rs); err != nil {
		t.Fatal(err)
	}
	rows := checkJSON(t, js.Bytes(), 4, true)
	if got := rows[0]["model_type"]; got != "phi3 4.2M Q8_0" {
		t.Errorf("model_type %q", got)
	}
	if rows[0]["use_mmap"] != true || rows[2]["use_mmap"] != false || rows[2]["load_mode"] != "none" {
		t.Errorf("mmap modes: %v %v %v", rows[0]["use_mmap"], rows[2]["use_mmap"], rows[2]["load_mode"])
	}
	// Each configuration ran in its own process: its own load and RSS.
	if rows[0]["load_ms"] != rows[1]["load_ms"] || rows[0]["load_ms"] == rows[2]["load_ms"] {
		t.Errorf("load_ms not per configuration: %v %v %v", rows[0]["load_ms"], rows[1]["load_ms"], rows[2]["load_ms"])
	}
	// Per token the matrices are read, the embedding is not.
	if rs[1].WeightBytes == 0 || rs[1].WeightBytes >= rs[1].ModelSize {
		t.Errorf("weight bytes per token %d of a %d-byte model", rs[1].WeightBytes, rs[1].ModelSize)
	}
}

func TestChildReportsErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Child(context.Background(), `{"model": 3}`, &out, &errb); err == nil {
		t.Error("bad spec accepted")
	}
	var rep childReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !strings.Contains(rep.Error, "bad configuration") {
		t.Errorf("report %q (%v)", out.String(), err)
	}

	insts, err := small(filepath.Join(t.TempDir(), "missing.gguf")).Instances()
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(insts[0])
	out.Reset()
	if err := Child(context.Background(), string(spec), &out, &errb); err == nil || !strings.Contains(err.Error(), "missing.gguf") {
		t.Errorf("missing model: %v", err)
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !strings.Contains(rep.Error, "missing.gguf") {
		t.Errorf("report %q (%v)", out.String(), err)
	}

	// In-process child on a good model.
	insts, err = small(tinyModel).Instances()
	if err != nil {
		t.Fatal(err)
	}
	spec, _ = json.Marshal(insts[0])
	out.Reset()
	if err := Child(context.Background(), string(spec), &out, &errb); err != nil {
		t.Fatal(err)
	}
	rep = childReport{}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Results) != 2 || rep.Error != "" {
		t.Errorf("report %q (%v)", out.String(), err)
	}
}

// TestChildFailure: a child that dies without a report gives an error
// with its stderr.
func TestChildFailure(t *testing.T) {
	cfg := small(tinyModel)
	cfg.Exec = []string{"/bin/sh", "-c", "echo boom >&2; exit 3", "sh"}
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("error %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no model"},
		{Config{Models: []string{"m"}, Reps: -1}, "repetitions"},
		{Config{Models: []string{"m"}, Prompt: []int{-1}}, "prompt length -1"},
		{Config{Models: []string{"m"}, Gen: []int{-2}}, "generation length -2"},
		{Config{Models: []string{"m"}, Prompt: []int{0}, Gen: []int{0}}, "no tests"},
		{Config{Models: []string{"m"}, Threads: []int{0}}, "thread count"},
		{Config{Models: []string{"m"}, Threads: []int{}}, "empty list"},
		{Config{Models: []string{"m"}, Ctx: 100}, "context of 100 tokens is too small: the tests need 640"},
	} {
		_, err := tc.cfg.Instances()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
	_, err := Run(context.Background(), Config{Models: []string{tinyModel}, Prompt: []int{8}, Gen: []int{0}, Reps: 1, Ctx: 5000})
	if err == nil || !strings.Contains(err.Error(), "exceeds the model's maximum") {
		t.Errorf("context past the model's: %v", err)
	}
}

func TestInstancesDefaults(t *testing.T) {
	insts, err := Config{Models: []string{"a", "b"}, Mmap: []bool{true, false}, Threads: []int{1, 2}}.Instances()
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 8 {
		t.Fatalf("%d instances", len(insts))
	}
	in := insts[0]
	if in.Reps != 5 || in.Prompt[0] != 512 || in.Gen[0] != 128 || in.Ctx != 640 || !in.Warmup || in.Index != 1 || in.Count != 8 {
		t.Errorf("defaults: %+v", in)
	}
	// llama-bench's order: model, then load mode, then threads.
	if insts[1].Threads != 2 || insts[2].Mmap || insts[4].Model != "b" {
		t.Errorf("order: %+v", insts)
	}
	insts, _ = Config{Models: []string{"a"}, Prompt: []int{0}, Gen: []int{16}}.Instances()
	if insts[0].Ctx != 17 {
		t.Errorf("ctx for tg only: %d, want 16 + a 1-token TTFT prompt", insts[0].Ctx)
	}
}

func TestMeanStd(t *testing.T) {
	m, s := meanStd([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || math.Abs(s-2.138089935) > 1e-6 {
		t.Errorf("mean %v std %v", m, s)
	}
	if m, s := meanStd([]float64{3}); m != 3 || s != 0 {
		t.Errorf("one value: %v %v", m, s)
	}
	r := Result{NPrompt: 10, SamplesNs: []uint64{1e9, 2e9}}
	r.finish()
	if r.AvgNs != 15e8 || r.AvgTs != 7.5 || r.SamplesTs[1] != 5 || math.Abs(r.StddevTs-math.Sqrt(12.5)) > 1e-9 {
		t.Errorf("finish: %+v", r)
	}
}

func TestFormats(t *testing.T) {
	rs := []Result{{NPrompt: 8, AvgTs: 1}, {NGen: 4, AvgTs: 2}}
	var b bytes.Buffer
	if err := JSONL(&b, rs); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d JSONL lines", n)
	}
	b.Reset()
	if err := JSON(&b, nil); err != nil || b.String() != "[]\n" {
		t.Errorf("empty JSON %q %v", b.String(), err)
	}
	b.Reset()
	if err := Markdown(&b, nil); err != nil || b.String() != "" {
		t.Errorf("empty markdown %q %v", b.String(), err)
	}
	for s, want := range map[string]Format{"md": FormatMarkdown, "markdown": FormatMarkdown, "json": FormatJSON, "JSONL": FormatJSONL} {
		if f, err := ParseFormat(s); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("csv"); err == nil || !strings.Contains(err.Error(), "use md, json or jsonl") {
		t.Errorf("csv: %v", err)
	}
}

func TestPPFlops(t *testing.T) {
	info, err := describe(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	c := info.cfg
	layer := uint64(c.QKVDim()*c.Hidden + c.Hidden*c.Heads*c.HeadDim + 2*c.Intermediate*c.Hidden + c.Hidden*c.Intermediate)
	if info.layerMat != uint64(c.Layers)*layer {
		t.Errorf("layer matrices %d, want %d", info.layerMat, uint64(c.Layers)*layer)
	}
	// BF16: 2 bytes per element, the lm_head included, the embedding not.
	if want := 2 * (info.layerMat + uint64(c.VocabSize*c.Hidden)); info.matBytes != want {
		t.Errorf("weight bytes per token %d, want %d", info.matBytes, want)
	}
	// p = 2: keys 1 + 2.
	want := 2*2*float64(info.layerMat) + 2*float64(c.VocabSize*c.Hidden) + float64(c.Layers)*4*float64(c.Heads*c.HeadDim)*3
	if got := info.ppFlops(2); got != want {
		t.Errorf("ppFlops(2) = %v, want %v", got, want)
	}
}

func TestSynthetic(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	var progress bytes.Buffer
	ctx := context.Background()
	path, err := Synthetic(ctx, "tiny", "q8_0", &progress)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "tiny-Q8_0.gguf" || !strings.HasPrefix(path, cache) {
		t.Errorf("path %s", path)
	}
	if !strings.Contains(progress.String(), "writing a synthetic tiny Q8_0 model") {
		t.Errorf("progress %q", progress.String())
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	progress.Reset()
	again, err := Synthetic(ctx, "tiny", "Q8_0", &progress)
	if err != nil || again != path || progress.Len() != 0 {
		t.Errorf("second call: %s %v, progress %q", again, err, progress.String())
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("cached model rewritten")
	}
	cfg := small(path)
	cfg.Reps = 1
	rs, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ModelType != "phi3 4.2M Q8_0" || rs[1].AvgTs <= 0 {
		t.Errorf("results %+v", rs)
	}

	if _, err := Synthetic(ctx, "huge", "Q8_0", nil); err == nil || !strings.Contains(err.Error(), `unknown shape "huge"`) {
		t.Errorf("unknown shape: %v", err)
	}
	if _, err := Synthetic(ctx, "tiny", "Q9_9", nil); err == nil || !strings.Contains(err.Error(), `unknown file type "Q9_9"`) {
		t.Errorf("unknown type: %v", err)
	}
}
