package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuantizeAndCreate(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "q.gguf")
	out, errOut, err := runCLI(t, "", "quantize", "--type", "q4_k_m", tinyModel, q)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Q4_K_M") || !strings.Contains(errOut, "output.weight") {
		t.Errorf("quantize output %q, progress %q", out, errOut)
	}
	q2 := filepath.Join(dir, "q2.gguf")
	if _, _, err := runCLI(t, "", "quantize", "--type", "Q8_0", q, q2); err == nil || !strings.Contains(err.Error(), "already quantized") {
		t.Errorf("re-quantizing: %v", err)
	}
	r := filepath.Join(dir, "r.gguf")
	if out, _, err = runCLI(t, "", "create", "--random", "--shape", "tiny", "--type", "Q5_K_M", "--seed", "3", r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "tiny Q5_K_M") {
		t.Errorf("create output %q", out)
	}
	for _, m := range []string{q, r} {
		gen, _, err := runCLI(t, "", "run", "--raw", "--temperature", "0", "-n", "4", m, "Once upon a time")
		if err != nil || gen == "" {
			t.Errorf("run %s: %q, %v", m, gen, err)
		}
	}
	show, _, err := runCLI(t, "", "show", q)
	// Rows of 64 are not whole Q4_K blocks: Q5_0, Q6_K → Q8_0.
	if err != nil || !strings.Contains(show, "Q5_0") || !strings.Contains(show, "Q8_0") {
		t.Errorf("show: %v\n%s", err, show)
	}
	for _, args := range [][]string{
		{"quantize", tinyModel},
		{"quantize", "--type", "Q9", tinyModel, q},
		{"create", "--shape", "tiny", r},
		{"create", "--random", "--type", "IQ2_XXS", r},
		{"create", "--random", "--shape", "phi9", r},
		{"quantize", filepath.Join(dir, "missing"), q},
	} {
		if _, _, err := runCLI(t, "", args...); err == nil {
			t.Errorf("%v: no error", args)
		} else if strings.Contains(strings.Join(args, " "), "Q9") && errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
