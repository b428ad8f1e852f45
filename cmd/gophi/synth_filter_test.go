package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthFilterCLI(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(strings.Join([]string{
		`{"text":"The cat sat on the mat. It was a good day for the cat."}`,
		`{"text":"The cat sat on the mat. It was a good day for the cat!"}`,
		`{"text":"A dog ran. The dog was happy."}`,
		`{"text":"The dog was a bastard and the cat was sad."}`,
		`{"text":"Le chien est content et le chat est triste."}`,
		`{"text":"Hi."}`,
		`broken`,
		`{"text":"The dog saw a xylophone, a saxophone and a zeppelin."}`,
	}, "\n")+"\n"), 0o644)
	vocab := filepath.Join(dir, "vocab.txt")
	os.WriteFile(vocab, []byte("the\ncat\nsit\nsat\non\nmat\nit\nwas\na\ngood\nday\nfor\ndog\nrun\nran\nhappy\nsad\nand\nsee\nsaw\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	stdout, stderr, err := runCLI(t, "", "synth", "filter", "--dedup", "--near-dup", "0.8", "--lang", "en",
		"--vocab", vocab, "--max-oov", "0.1", "--min-words", "3", "--safety", "--sort", "readability", "-o", out, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	data, _ := os.ReadFile(out)
	// Flesch-Kincaid: the cat's one-syllable words (-1.06) before "happy" (-0.74).
	want := `{"text":"The cat sat on the mat. It was a good day for the cat."}` + "\n" + `{"text":"A dog ran. The dog was happy."}` + "\n"
	if string(data) != want {
		t.Errorf("output:\n%s\nwant:\n%s", data, want)
	}
	for _, row := range []string{"read", "length", "lang", "safety", "vocab", "dedup", "near-dup", "profanity: 1", "duplicate: 1", "wrote 2 records"} {
		if !strings.Contains(stdout, row) {
			t.Errorf("report lacks %q:\n%s", row, stdout)
		}
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("output file: %v, %v", st, err)
	}

	// stdin to stdout, the report on stderr; OUT may be an input.
	stdout, stderr, err = runCLI(t, string(data)+string(data), "synth", "filter", "--dedup", "-o", "-", "-")
	if err != nil || stdout != want || !strings.Contains(stderr, "duplicate: 2") {
		t.Errorf("stdin: %v\n%s\n%s", err, stdout, stderr)
	}
	if _, _, err = runCLI(t, "", "synth", "filter", "--dedup", "-o", out, out); err != nil {
		t.Errorf("OUT as its own input: %v", err)
	}
	if data2, _ := os.ReadFile(out); string(data2) != want {
		t.Errorf("OUT as its own input changed it:\n%s", data2)
	}
}

// TestFilterOutput: OUT is replaced by renaming only when it is a regular
// file (through a symlink, its target); a device like /dev/null is
// written in place. (Only stats here, so a bug cannot replace /dev/null.)
func TestFilterOutput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "real.jsonl")
	os.WriteFile(file, nil, 0o644)
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(file, link); err != nil {
		t.Skip(err)
	}
	for _, c := range []struct {
		out, path string
		inPlace   bool
	}{
		{file, file, false},
		{link, file, false},
		{filepath.Join(dir, "new.jsonl"), filepath.Join(dir, "new.jsonl"), false},
		{os.DevNull, os.DevNull, true},
	} {
		path, inPlace, err := filterOutput(c.out)
		if err != nil || inPlace != c.inPlace || (path != c.path && !c.inPlace) {
			t.Errorf("filterOutput(%q) = %q, %v, %v", c.out, path, inPlace, err)
		}
	}
	if _, _, err := filterOutput(dir); err == nil {
		t.Error("a folder as OUT: no error")
	}
	// Through the symlink, the link stays and the file gets the output.
	os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(`{"text":"hi"}`+"\n"), 0o644)
	if _, _, err := runCLI(t, "", "synth", "filter", "-o", link, filepath.Join(dir, "in.jsonl")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced")
	}
	if data, _ := os.ReadFile(file); string(data) != `{"text":"hi"}`+"\n" {
		t.Errorf("target holds %q", data)
	}
}

func TestSynthFilterCLIErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"text":"hi"}`+"\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	for _, args := range [][]string{{in}, {"-o", out}, {"--bogus", "-o", out, in}} {
		if _, _, err := runCLI(t, "", append([]string{"synth", "filter"}, args...)...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"--lang", "fr", "-o", out, in},
		{"--sort", "length", "-o", out, in},
		{"--near-dup", "1.5", "-o", out, in},
		{"--max-oov", "2", "-o", out, in},
		{"--vocab", filepath.Join(dir, "none.txt"), "-o", out, in},
		{"--min-words", "-1", "-o", out, in},
		{"-o", out, filepath.Join(dir, "missing.jsonl")},
		{"-o", filepath.Join(dir, "no", "such", "dir.jsonl"), in},
	} {
		if _, _, err := runCLI(t, "", append([]string{"synth", "filter"}, args...)...); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a plain error", args, err)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote the output")
	}
}
