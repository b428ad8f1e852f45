package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/synth/teacher/teachertest"
)

// jsonlIndices reads the "index" of every line of a JSONL file.
func jsonlIndices(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var idx []int
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			Index *int `json:"index"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Index == nil {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		idx = append(idx, *r.Index)
	}
	return idx
}

func TestSynthHelpListsCommands(t *testing.T) {
	out, _, err := runCLI(t, "", "synth", "-h")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"teacher", "filter"} {
		if !strings.Contains(out, "  "+want) {
			t.Errorf("synth -h lacks %q:\n%s", want, out)
		}
	}
}

func TestSynthTeacherCLI(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{})
	defer srv.Close()
	t.Setenv("GOPHI_TEACHER_API_KEY", "")
	t.Setenv("OPENAI_API_KEY", "sk-cli")
	dir := t.TempDir()
	out := filepath.Join(dir, "stories.jsonl")

	stdout, stderr, err := runCLI(t, "", "synth", "teacher", "--endpoint", srv.URL+"/v1", "--model", "big-teacher",
		"-n", "5", "--seed", "3", "--concurrency", "2", "--rps", "1000", "--burst", "5", "-o", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if idx := jsonlIndices(t, out); len(idx) != 5 {
		t.Errorf("indices %v", idx)
	}
	for _, want := range []string{"5 records written this run", "tokens this run:", "teacher: 5/5 done"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 5 || reqs[0].Header.Get("Authorization") != "Bearer sk-cli" || reqs[0].Model != "big-teacher" || reqs[0].API != "openai" {
		t.Errorf("requests %+v", reqs)
	}

	// More stories into the same file, with grading, over Ollama's API
	// (which is not sent OPENAI_API_KEY).
	stdout, stderr, err = runCLI(t, "", "synth", "teacher", "--endpoint", srv.URL, "--api", "ollama", "--model", "big-teacher",
		"-n", "12", "--seed", "3", "--judge-threshold", "6", "-o", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	kept, rejected := jsonlIndices(t, out), jsonlIndices(t, filepath.Join(dir, "stories.rejected.jsonl"))
	if len(kept)+len(rejected) != 12 || len(rejected) == 0 {
		t.Errorf("kept %v, rejected %v", kept, rejected)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.API != "ollama" || last.Header.Get("Authorization") != "" {
		t.Errorf("last request %+v", last)
	}
	if !strings.Contains(stdout, "rejected to") || !strings.Contains(stdout, "teacher: 12/12 done (5 before this run") {
		t.Errorf("output:\n%s", stdout)
	}

	// Grade the kept stories again, in --judge mode.
	judged := filepath.Join(dir, "judged.jsonl")
	stdout, stderr, err = runCLI(t, "", "synth", "teacher", "--judge", "--endpoint", srv.URL+"/api/chat", "--model", "m",
		"--judge-threshold", "8", "-o", judged, out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "teacher: "+itoa(len(kept))+"/"+itoa(len(kept))+" done") {
		t.Errorf("judge output:\n%s", stdout)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSynthTeacherCLIErrors(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{})
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "x.jsonl")
	for _, args := range [][]string{
		{"--endpoint", srv.URL + "/v1"},            // no model, no -o
		{"--model", "m", "-o", out, "--judge"},     // --judge without inputs
		{"--model", "m", "-o", out, "extra.jsonl"}, // inputs without --judge
		{"--model", "m", "-o", out, "--no-such-flag"},
	} {
		if _, _, err := runCLI(t, "", append([]string{"synth", "teacher"}, args...)...); !errors.Is(err, errUsage) {
			t.Errorf("%q: error %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"--endpoint", srv.URL, "--model", "m", "-o", out}, // cannot tell the API
		{"--endpoint", srv.URL + "/v1", "--model", "m", "-o", out, "--concurrency", "0"},
		{"--endpoint", srv.URL + "/v1", "--model", "m", "-o", out, "--judge-threshold", "11"},
		{"--endpoint", srv.URL + "/v1", "--model", "m", "-o", out, "--words", "/nonexistent"},
	} {
		if _, _, err := runCLI(t, "", append([]string{"synth", "teacher"}, args...)...); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%q: error %v, want a plain error", args, err)
		}
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("%d requests from bad command lines", len(srv.Requests()))
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a bad command line created the output")
	}
}

func TestSynthTeacherCLIWords(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{})
	defer srv.Close()
	dir := t.TempDir()
	words := filepath.Join(dir, "words.txt")
	os.WriteFile(words, []byte("kite noun\nfly verb\nwindy adjective\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	if _, stderr, err := runCLI(t, "", "synth", "teacher", "--endpoint", srv.URL+"/v1/chat/completions", "--model", "m",
		"-n", "2", "--words", words, "-o", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	data, _ := os.ReadFile(out)
	if strings.Count(string(data), `"words":{"noun":"kite","verb":"fly","adjective":"windy"}`) != 2 {
		t.Errorf("records:\n%s", data)
	}
}
