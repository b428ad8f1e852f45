package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tinyModel = "../../testdata/phi3/phi3-mini-4k-tiny"

func runCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestRunOneShot(t *testing.T) {
	out, _, err := runCLI(t, "", "run", "--temperature", "0", "-n", "8", tinyModel, "Tell", "me", "a", "story")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "<|end|>") || strings.Contains(out, "<|assistant|>") {
		t.Errorf("special tokens printed: %q", out)
	}
	out2, _, err := runCLI(t, "", "run", "--temperature", "0", "-n", "8", tinyModel, "Tell me a story")
	if err != nil {
		t.Fatal(err)
	}
	if out != out2 {
		t.Errorf("greedy runs differ: %q vs %q", out, out2)
	}
}

func TestRunStdinAndVerbose(t *testing.T) {
	out, errOut, err := runCLI(t, "Tell me a story\n", "run", "--verbose", "--seed", "3", "--num-predict", "4", tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	if out == "" {
		t.Error("no output")
	}
	for _, want := range []string{"loaded", "prompt:", "tokens/s", "generation: 4 tokens"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("--verbose output lacks %q:\n%s", want, errOut)
		}
	}
}

// TestRunRaw: --raw feeds the text without the template and prints only the
// generation (no trailing newline added).
func TestRunRaw(t *testing.T) {
	a, _, err := runCLI(t, "", "run", "--raw", "--temperature", "0", "-n", "5", tinyModel, "Once upon a time")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runCLI(t, "", "run", "--temperature", "0", "-n", "5", tinyModel, "Once upon a time")
	if err != nil {
		t.Fatal(err)
	}
	if a == strings.TrimSuffix(b, "\n") {
		t.Errorf("--raw and templated prompts gave the same text %q; the template was not applied or not skipped", a)
	}
}

func TestShow(t *testing.T) {
	out, _, err := runCLI(t, "", "show", tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"phi3", "context length", "4096", "BF16", "parameters", "<|user|>", "<|end|> (32007)"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
}

func TestConvertAndRunGGUF(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "tiny.gguf")
	if _, _, err := runCLI(t, "", "convert", "--type", "F32", tinyModel, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dst); err != nil {
		t.Fatal(err)
	}
	a, _, err := runCLI(t, "", "run", "--temperature", "0", "-n", "8", tinyModel, "Hello there")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runCLI(t, "", "run", "--temperature", "0", "-n", "8", dst, "Hello there")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("safetensors and converted GGUF disagree: %q vs %q", a, b)
	}
	out, _, err := runCLI(t, "", "show", dst)
	if err != nil || !strings.Contains(out, "gguf") {
		t.Errorf("show on GGUF: %v\n%s", err, out)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "no/such/model", "hi"}, "no such file"},
		{[]string{"run", "--temperature", "-1", tinyModel, "hi"}, "temperature"},
		{[]string{"run", "--ctx", "8", tinyModel, strings.Repeat("long prompt ", 10)}, "--ctx"},
		{[]string{"convert", "--type", "Q9_9", tinyModel, "x.gguf"}, "unknown type"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, "", tt.args...)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.want)) {
			t.Errorf("%v: got error %v, want one mentioning %q", tt.args, err, tt.want)
		}
	}
	if _, _, err := runCLI(t, ""); err != errUsage {
		t.Errorf("no arguments: %v", err)
	}
	if _, _, err := runCLI(t, "", "frobnicate"); err != errUsage {
		t.Errorf("unknown command: %v", err)
	}
}
