package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// inProcessBench makes "gophi bench" run its configurations in the test
// process: the test binary cannot be re-executed as the CLI.
func inProcessBench(t *testing.T) {
	old := benchExec
	benchExec = func() ([]string, error) { return nil, nil }
	t.Cleanup(func() { benchExec = old })
}

func TestBenchInProcess(t *testing.T) {
	inProcessBench(t)
	out, errOut, err := runCLI(t, "", "bench", "-p", "8", "-n", "4", "-r", "2", "-t", "2", "-o", "json", tinyModel)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if errOut != "" {
		t.Errorf("progress without -v on a non-terminal: %q", errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 2 || rows[0]["n_prompt"] != 8.0 || rows[1]["n_gen"] != 4.0 || rows[0]["n_threads"] != 2.0 ||
		rows[0]["isolated"] != false || rows[0]["gophi_version"] != version {
		t.Errorf("results: %v", rows)
	}
	for _, r := range rows {
		if ts, _ := r["avg_ts"].(float64); ts <= 0 {
			t.Errorf("avg_ts %v", r["avg_ts"])
		}
	}

	out, errOut, err = runCLI(t, "", "bench", "-v", "-p", "8", "-n", "0", "-r", "1", "--no-warmup", tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "| model ") || !strings.Contains(out, "pp8") || strings.Contains(out, "tg") {
		t.Errorf("markdown:\n%s", out)
	}
	if !strings.Contains(errOut, "configuration 1/1") || strings.Contains(errOut, "warmup") {
		t.Errorf("progress with -v and --no-warmup:\n%s", errOut)
	}
}

func TestBenchSynthetic(t *testing.T) {
	inProcessBench(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	for range 2 { // the second run reuses the cached file
		out, errOut, err := runCLI(t, "", "bench", "--synthetic", "tiny", "--type", "q8_0", "-p", "8", "-n", "4", "-r", "1", "-o", "jsonl")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var r map[string]any
		if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &r) != nil || r["model_type"] != "phi3 4.2M Q8_0" ||
			!strings.HasSuffix(r["model_filename"].(string), filepath.Join("gophi", "synthetic", "tiny-Q8_0.gguf")) {
			t.Errorf("jsonl output:\n%s", out)
		}
	}
	_, _, err := runCLI(t, "", "bench", "--synthetic", "tiny", "--type", "Q9_9")
	if err == nil || !strings.Contains(err.Error(), `unknown file type "Q9_9"`) {
		t.Errorf("bad type: %v", err)
	}
}

func TestBenchBadFlags(t *testing.T) {
	inProcessBench(t)
	for _, tc := range []struct {
		args  []string
		usage bool   // errUsage, message on stderr
		want  string // in the error or stderr
	}{
		{[]string{"-p", "abc", tinyModel}, true, `invalid value "abc" for flag -p: "abc" is not a whole number`},
		{[]string{"-n", "-3", tinyModel}, true, "-3 is negative"},
		{[]string{"-mmp", "2", tinyModel}, true, `"2" is not 0 or 1`},
		{[]string{"--bogus", tinyModel}, true, "flag provided but not defined: -bogus"},
		{[]string{}, true, "Usage: gophi bench"},
		{[]string{"-o", "csv", tinyModel}, false, "use md, json or jsonl"},
		{[]string{"-r", "0", tinyModel}, false, "repetitions must be at least 1"},
		{[]string{"-t", "0", tinyModel}, false, "thread count must be at least 1"},
		{[]string{"-p", "0", "-n", "0", tinyModel}, false, "no tests"},
		{[]string{"--ctx", "4", "-p", "8", tinyModel}, false, "context of 4 tokens is too small: the tests need 136"},
		{[]string{"--mmap", "0,1", tinyModel}, false, `"0,1" is not a model: give mmap modes as -mmp 0,1 or --mmap=0,1`},
		{[]string{"--synthetic", "phi3-mini"}, false, "--synthetic needs --type"},
		{[]string{"--type", "Q4_0", tinyModel}, false, "--type is for --synthetic models"},
		{[]string{"--synthetic", "phi3-mini", "--type", "Q4_0", tinyModel}, false, "either MODEL or --synthetic"},
		{[]string{"no-such-model.gguf"}, false, "no-such-model.gguf: no such file"},
	} {
		_, errOut, err := runCLI(t, "", append([]string{"bench"}, tc.args...)...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		if tc.usage != errors.Is(err, errUsage) {
			t.Errorf("%v: error %v, usage error %v", tc.args, err, tc.usage)
		}
		if msg := err.Error() + errOut; !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %q lacks %q", tc.args, msg, tc.want)
		}
	}
}

// TestBenchBinary builds gophi and benchmarks the tiny model with each
// configuration in a child process, the way users run it.
func TestBenchBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gophi")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "gophi")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "bench", "-p", "8", "-n", "4", "-r", "2", "-t", "2", "-mmp", "0,1", "-o", "json", tinyModel)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(rows) != 4 {
		t.Fatalf("%d results, want 4", len(rows))
	}
	for i, r := range rows {
		rss, _ := r["peak_rss_bytes"].(float64)
		if r["isolated"] != true || rss < 1<<20 || r["use_mmap"] != (i >= 2) {
			t.Errorf("result %d: isolated %v peak_rss_bytes %v use_mmap %v", i, r["isolated"], r["peak_rss_bytes"], r["use_mmap"])
		}
	}

	// A child's failure reaches the user with its cause.
	cmd = exec.Command(bin, "bench", "-p", "8", "-n", "0", "-r", "1", "--ctx", "5000", tinyModel)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "exceeds the model's maximum of 4096") {
		t.Errorf("context past the model's: %v\n%s", err, out)
	}
}
