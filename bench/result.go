package bench

import "math"

// Result is one test of one configuration. Its JSON form uses llama-bench's
// field names and types where llama-bench has the field, followed by
// gophi's own fields.
type Result struct {
	// BuildCommit is the VCS revision gophi was built from (with "-dirty"
	// for a modified tree), or its version when the binary has none.
	BuildCommit string `json:"build_commit"`
	// BuildNumber is 0: gophi has no build counter (see GophiVersion).
	BuildNumber int `json:"build_number"`
	// CPUInfo is the processor's model name.
	CPUInfo string `json:"cpu_info"`
	// GPUInfo is empty: gophi runs on the CPU.
	GPUInfo string `json:"gpu_info"`
	// Backends is "CPU".
	Backends string `json:"backends"`
	// ModelFilename is the model's path as given.
	ModelFilename string `json:"model_filename"`
	// ModelType is "ARCH PARAMS TYPE", e.g. "phi3 3.8B Q4_K_M", TYPE being
	// a GGUF file's general.file_type or else the type of most of the
	// layers' matrix bytes.
	ModelType string `json:"model_type"`
	// ModelSize is the byte size of all the model's tensors.
	ModelSize uint64 `json:"model_size"`
	// ModelNParams is the number of elements of all the model's tensors.
	ModelNParams uint64 `json:"model_n_params"`
	// NBatch and NUBatch are the tokens per forward pass: the prompt length
	// for pp (gophi evaluates a prompt in one batch), 1 for tg.
	NBatch  int `json:"n_batch"`
	NUBatch int `json:"n_ubatch"`
	// NThreads is the size of the kernels' worker pool.
	NThreads int `json:"n_threads"`
	// TypeK and TypeV are the KV cache's element type, "f32".
	TypeK string `json:"type_k"`
	TypeV string `json:"type_v"`
	// NGPULayers is 0.
	NGPULayers int `json:"n_gpu_layers"`
	// UseMmap tells whether the weights were mapped (true) or read into
	// memory.
	UseMmap bool `json:"use_mmap"`
	// LoadMode is "mmap" or "none", as newer llama-bench reports it.
	LoadMode string `json:"load_mode"`
	// NPrompt and NGen are the test's prompt and generation lengths; one of
	// them is 0.
	NPrompt int `json:"n_prompt"`
	NGen    int `json:"n_gen"`
	// NDepth is 0: tests start on an empty sequence.
	NDepth int `json:"n_depth"`
	// TestTime is when the test started, RFC 3339 in UTC.
	TestTime string `json:"test_time"`
	// AvgNs and StddevNs are the mean and sample standard deviation of the
	// whole test's time over the repetitions.
	AvgNs    uint64 `json:"avg_ns"`
	StddevNs uint64 `json:"stddev_ns"`
	// AvgTs and StddevTs are the mean and sample standard deviation of
	// (NPrompt+NGen)/time over the repetitions, in tokens per second.
	AvgTs    float64 `json:"avg_ts"`
	StddevTs float64 `json:"stddev_ts"`
	// SamplesNs and SamplesTs are each repetition's time and rate.
	SamplesNs []uint64  `json:"samples_ns"`
	SamplesTs []float64 `json:"samples_ts"`

	// GophiVersion is gophi's version.
	GophiVersion string `json:"gophi_version"`
	// NCtx is the KV cache size in tokens.
	NCtx int `json:"n_ctx"`
	// LoadMs is the configuration's model load time in milliseconds.
	LoadMs float64 `json:"load_ms"`
	// TTFTMs is the configuration's cold time to first token in
	// milliseconds, for a prompt of TTFTNPrompt tokens (see the package
	// documentation).
	TTFTMs      float64 `json:"ttft_ms"`
	TTFTNPrompt int     `json:"ttft_n_prompt"`
	// PeakRSSBytes is the peak resident set size of the configuration's
	// process.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
	// Isolated tells whether the configuration ran in a process of its own,
	// which makes PeakRSSBytes and LoadMs its own.
	Isolated bool `json:"isolated"`
	// WeightBytes (tg only) is the bytes of weights read per token.
	WeightBytes uint64 `json:"weight_bytes_per_token"`
	// GBps (tg only) is WeightBytes × NGen / AvgNs, in GB/s (10⁹ bytes).
	GBps float64 `json:"gbps"`
	// Flops (pp only) is the floating-point operations of one run of the
	// test (see the package documentation for the formula).
	Flops float64 `json:"flops"`
	// GFLOPS (pp only) is Flops / AvgNs, in 10⁹ operations per second.
	GFLOPS float64 `json:"gflops"`
}

// finish computes the averages from SamplesNs.
func (r *Result) finish() {
	n := float64(r.NPrompt + r.NGen)
	ns := make([]float64, len(r.SamplesNs))
	r.SamplesTs = make([]float64, len(r.SamplesNs))
	for i, s := range r.SamplesNs {
		ns[i] = float64(s)
		r.SamplesTs[i] = 1e9 * n / float64(s)
	}
	a, s := meanStd(ns)
	r.AvgNs, r.StddevNs = uint64(math.Round(a)), uint64(math.Round(s))
	r.AvgTs, r.StddevTs = meanStd(r.SamplesTs)
}

// meanStd returns the mean and the sample standard deviation (n−1 in the
// denominator, 0 for fewer than two values), as llama-bench computes them.
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

// Test returns the test's name as llama-bench prints it: "pp512", "tg128".
func (r *Result) Test() string { return testName(r.NPrompt, r.NGen) }
