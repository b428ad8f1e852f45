package teacher

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gophi/gophi/synth/teacher/teachertest"
)

// readRecords reads a JSONL file of records, failing on any bad line.
func readRecords(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: bad line %q: %v", path, sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// checkIndices checks that recs hold each of 0..n-1 exactly once.
func checkIndices(t *testing.T, recs []Record, n int) {
	t.Helper()
	seen := map[int]int{}
	for _, r := range recs {
		seen[r.Index]++
	}
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("index %d appears %d times", i, seen[i])
		}
	}
	if len(recs) != n {
		t.Errorf("%d records, want %d", len(recs), n)
	}
}

func TestGenerate(t *testing.T) {
	for _, api := range []API{OpenAI, Ollama} {
		srv := teachertest.NewServer(teachertest.Config{})
		c, _ := newClient(srv, api)
		out := filepath.Join(t.TempDir(), "stories.jsonl")
		cfg := GenerateConfig{Client: c, Words: DefaultWords(), N: 6, Seed: 5, Out: out, Options: Options{Temperature: 1, MaxTokens: 500}}
		st, err := Generate(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", api, err)
		}
		recs := readRecords(t, out)
		checkIndices(t, recs, 6)
		var usage Usage
		for _, r := range recs {
			p := MakePrompt(cfg.Words, 5, r.Index)
			if r.Seed != 5 || r.Instruction != p.Instruction || r.Words != p.Words || len(r.Features) != len(p.Features) ||
				!strings.Contains(r.Text, p.Words.Noun) || r.Model != "teacher-1" || r.Usage.CompletionTokens == 0 {
				t.Errorf("%s: record %+v", api, r)
			}
			usage = usage.Add(r.Usage)
		}
		if st.Kept != 6 || st.Before != 0 || st.Failed != 0 || st.Requests != 6 || st.Usage != usage || st.FileUsage != usage {
			t.Errorf("%s: stats %+v, usage %+v", api, st, usage)
		}
		if s := st.String(); !strings.Contains(s, "6/6 done") || !strings.Contains(s, fmt.Sprint(usage.PromptTokens+usage.CompletionTokens)) {
			t.Errorf("summary %q", s)
		}
		// Each prompt got its own seed.
		seeds := map[int64]bool{}
		for _, r := range srv.Requests() {
			seeds[*r.Seed] = true
		}
		if len(seeds) != 6 {
			t.Errorf("%s: %d distinct request seeds for 6 prompts", api, len(seeds))
		}

		// A second run has nothing left to do and says so.
		st, err = Generate(context.Background(), cfg)
		if err != nil || st.Before != 6 || st.Kept != 0 || st.Requests != 0 || st.FileUsage != usage {
			t.Errorf("%s: rerun: %+v, %v", api, st, err)
		}
		// A bigger -n continues it.
		cfg.N = 9
		if st, err = Generate(context.Background(), cfg); err != nil || st.Before != 6 || st.Kept != 3 {
			t.Errorf("%s: -n 9: %+v, %v", api, st, err)
		}
		checkIndices(t, readRecords(t, out), 9)
		srv.Close()
	}
}

// TestGenerateKillResume stops a concurrent run after some records (some
// requests still in flight), leaves a torn line as a kill in the middle of
// a write would, and resumes: every index ends up in the file exactly once.
func TestGenerateKillResume(t *testing.T) {
	const n, k = 30, 8
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stories atomic.Int32
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		if stories.Add(1) > k {
			cancel() // the "kill": later requests never complete
			<-r.Context().Done()
			return true
		}
		return false
	}})
	defer srv.Close()
	c, _ := newClient(srv, OpenAI)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	cfg := GenerateConfig{Client: c, Words: DefaultWords(), N: n, Seed: 11, Out: out, Concurrency: 4}
	st, err := Generate(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: error %v, want context.Canceled", err)
	}
	// Request k+1 came from a worker done with its previous one, so at
	// least k+1-4 answers were back; those in flight may have been cut.
	first := readRecords(t, out)
	if len(first) < k-3 || len(first) > k || st.Kept != len(first) || st.Failed != 0 {
		t.Fatalf("stopped run wrote %d records, stats %+v; want %d to %d", len(first), st, k-3, k)
	}
	// A write cut short by the kill.
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := `{"index":29,"seed":11,"instruction":"Write a sho`
	f.WriteString(torn)
	f.Close()

	srv2 := teachertest.NewServer(teachertest.Config{})
	defer srv2.Close()
	c2, _ := newClient(srv2, OpenAI)
	cfg.Client = c2
	st, err = Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Before != len(first) || st.Kept != n-len(first) || st.TornBytes != int64(len(torn)) || len(srv2.Requests()) != n-len(first) {
		t.Errorf("resumed run: stats %+v, %d requests", st, len(srv2.Requests()))
	}
	all := readRecords(t, out)
	checkIndices(t, all, n)
	for i, r := range all[:len(first)] {
		if r.Index != first[i].Index || r.Text != first[i].Text {
			t.Errorf("record %d changed on resume", i)
		}
	}
	// readRecords parsed every line: the torn one is gone.
	data, _ := os.ReadFile(out)
	if !strings.HasSuffix(string(data), "}\n") {
		t.Error("the file does not end with a whole record")
	}
}

// TestGenerateConcurrentFailures: many workers, a server that fails one
// request in four in various ways; every index arrives once. Run with -race.
func TestGenerateConcurrentFailures(t *testing.T) {
	var count atomic.Int32
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		switch count.Add(1) % 8 {
		case 1:
			teachertest.WriteError(w, req.API, 500, "boom")
		case 3:
			w.Header().Set("Retry-After", "1")
			teachertest.WriteError(w, req.API, 429, "slow down")
		case 5:
			w.Write([]byte(`{"choices": [{"message": {"content": "Once upon`))
		default:
			return false
		}
		return true
	}})
	defer srv.Close()
	c, clk := newClient(srv, OpenAI)
	c.Retries = 10
	c.Limiter, _ = NewLimiter(1000, 5, clk)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	st, err := Generate(context.Background(), GenerateConfig{Client: c, Words: DefaultWords(), N: 40, Seed: 3, Out: out, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	checkIndices(t, readRecords(t, out), 40)
	if st.Retries == 0 || st.Requests != int64(len(srv.Requests())) || st.Kept != 40 {
		t.Errorf("stats %+v, server saw %d requests", st, len(srv.Requests()))
	}
}

// TestGenerateGivesUp: samples whose retries run out are counted and left
// for the next run; a 401 stops the run at once.
func TestGenerateGivesUp(t *testing.T) {
	var count atomic.Int32
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		if strings.Contains(req.Prompt, `"ball"`) || count.Add(1)%3 == 0 {
			teachertest.WriteError(w, req.API, 502, "bad gateway")
			return true
		}
		return false
	}})
	defer srv.Close()
	c, _ := newClient(srv, Ollama)
	c.Retries = 1
	out := filepath.Join(t.TempDir(), "out.jsonl")
	words := WordList{Nouns: []string{"ball", "cat", "dog"}, Verbs: []string{"run"}, Adjectives: []string{"red"}}
	st, err := Generate(context.Background(), GenerateConfig{Client: c, Words: words, N: 30, Seed: 1, Out: out, Concurrency: 3})
	if !errors.Is(err, ErrIncomplete) || st.Failed == 0 || st.Kept+st.Failed != 30 {
		t.Fatalf("error %v, stats %+v", err, st)
	}
	for _, r := range readRecords(t, out) {
		if r.Words.Noun == "ball" {
			t.Errorf("a ball story was written: %+v", r)
		}
	}

	deny := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		teachertest.WriteError(w, req.API, 401, "invalid api key")
		return true
	}})
	defer deny.Close()
	c2, _ := newClient(deny, OpenAI)
	st, err = Generate(context.Background(), GenerateConfig{Client: c2, Words: words, N: 30, Seed: 1, Out: out, Concurrency: 3})
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 || errors.Is(err, ErrIncomplete) {
		t.Errorf("against a 401: error %v", err)
	}
	if n := len(deny.Requests()); n > 6 { // at most two rounds of 3 workers
		t.Errorf("%d requests after a 401; the run should stop", n)
	}
}

func TestGenerateRefusesOtherRuns(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{})
	defer srv.Close()
	c, _ := newClient(srv, OpenAI)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	cfg := GenerateConfig{Client: c, Words: DefaultWords(), N: 3, Seed: 1, Out: out}
	if _, err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Seed = 2
	if _, err := Generate(context.Background(), other); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("another seed: %v", err)
	}
	other = cfg
	other.Words = WordList{Nouns: []string{"zebra"}, Verbs: []string{"zoom"}, Adjectives: []string{"zany"}}
	if _, err := Generate(context.Background(), other); err == nil || !strings.Contains(err.Error(), "word list") {
		t.Errorf("another word list: %v", err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"index\":0,\"seed\":1}\nnot json\n"), 0o644)
	cfg.Out = bad
	if _, err := Generate(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("a corrupt file: %v", err)
	}
}

// TestGenerateWithJudge: stories are graded as they arrive; those below the
// threshold (or not child safe) go to the rejected file with their grades,
// and a rerun counts both files as done.
func TestGenerateWithJudge(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{
		Story: func(req teachertest.Request) string {
			s := teachertest.Story(req.Prompt)
			if strings.Contains(req.Prompt, "bad ending") {
				s += " It was scary."
			}
			return s
		},
		Grade: func(req teachertest.Request) string {
			story := teachertest.StoryOf(req.Prompt)
			if strings.Contains(story, "Tom") {
				return "Here you go: " // malformed every time
			}
			return teachertest.GradeJSON(teachertest.Grade(story))
		},
	})
	defer srv.Close()
	c, _ := newClient(srv, OpenAI)
	dir := t.TempDir()
	out := filepath.Join(dir, "kept.jsonl")
	cfg := GenerateConfig{Client: c, Words: DefaultWords(), N: 40, Seed: 9, Out: out, Concurrency: 4,
		Judge: &JudgeOptions{Threshold: 6, Retries: 1}}
	st, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	kept, rejected := readRecords(t, out), readRecords(t, RejectedPath(out))
	checkIndices(t, append(kept, rejected...), 40)
	if len(kept) == 0 || len(rejected) == 0 || st.Kept != len(kept) || st.Rejected != len(rejected) {
		t.Fatalf("kept %d, rejected %d, stats %+v", len(kept), len(rejected), st)
	}
	var usage Usage
	for _, r := range kept {
		j := r.Judge
		if j == nil || !j.Pass || j.Grade == nil || j.Score < 6 || !j.ChildSafe || strings.Contains(r.Text, "scary") {
			t.Errorf("kept record %d: judge %+v", r.Index, j)
		}
		usage = usage.Add(recordUsage(r))
	}
	malformed := 0
	for _, r := range rejected {
		j := r.Judge
		if j == nil || j.Pass {
			t.Errorf("rejected record %d: judge %+v", r.Index, j)
			continue
		}
		if j.Error != "" {
			malformed++
			if j.Attempts != 2 || !strings.Contains(r.Text, "Tom") {
				t.Errorf("unjudgeable record %d: judge %+v", r.Index, j)
			}
		}
		usage = usage.Add(recordUsage(r))
	}
	if malformed == 0 {
		t.Error("no unjudgeable records; the test does not test that")
	}
	if st.FileUsage != usage || st.Usage != usage {
		t.Errorf("stats usage %+v / %+v, records' %+v", st.Usage, st.FileUsage, usage)
	}
	st, err = Generate(context.Background(), cfg)
	if err != nil || st.Before != 40 || st.Requests != 0 {
		t.Errorf("rerun: %+v, %v", st, err)
	}
}

func TestJudgeFiles(t *testing.T) {
	dir := t.TempDir()
	in1, in2 := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf(`{"id": "s%d", "text": "Story number %d. Ben <3 cats & dogs.", "judge": {"old": true}}`, i, i))
	}
	os.WriteFile(in1, []byte(strings.Join(lines[:7], "\n")+"\nnot json\n\n{\"no_text\": 1}\n"), 0o644)
	os.WriteFile(in2, []byte(strings.Join(lines[7:], "\n")+"\n{}\n{\"text\": \"scary story\"}"), 0o644)

	var stop atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		if stop.Load() && n.Add(1) > 5 {
			cancel()
			<-r.Context().Done()
			return true
		}
		return false
	}})
	defer srv.Close()
	stop.Store(true)
	c, _ := newClient(srv, Ollama)
	out := filepath.Join(dir, "judged.jsonl")
	// One at a time, so exactly the 5 answered before the "kill" are kept.
	cfg := JudgeConfig{Client: c, Inputs: []string{in1, in2}, Out: out, Concurrency: 1, Judge: JudgeOptions{Threshold: 5}}
	if _, err := JudgeFiles(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	cfg.Concurrency = 3
	stop.Store(false)
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id": "s3", "te`)
	f.Close()

	st, err := JudgeFiles(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Before != 5 || st.Skipped != 3 || st.Total != 16 || st.Kept+st.Rejected != 8 {
		t.Errorf("stats %+v", st)
	}
	// Every good input exactly once, across both files, with its fields.
	seen := map[int]bool{}
	for _, path := range []string{out, RejectedPath(out)} {
		data, _ := os.ReadFile(path)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var r struct {
				ID    string    `json:"id"`
				Text  string    `json:"text"`
				Judge Judgement `json:"judge"`
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			if r.Judge.Input == nil || seen[*r.Judge.Input] || r.Judge.Grade == nil {
				t.Errorf("%s: %s", path, line)
				continue
			}
			seen[*r.Judge.Input] = true
			if r.Judge.Pass != (path == out) || (r.Judge.Pass && r.Judge.Score < 5) {
				t.Errorf("%s: %s", path, line)
			}
			if r.Text == "scary story" && r.Judge.Pass {
				t.Error("the scary story passed")
			}
			if r.Text != "scary story" && !strings.Contains(line, `"Story number`) {
				t.Errorf("text changed: %s", line)
			}
		}
	}
	// Inputs 0-6 in a.jsonl, 7 and 8 its bad lines, then b.jsonl: 9-13,
	// 14 "{}" (no text), 15 the scary story.
	for i := range 16 {
		if want := i != 7 && i != 8 && i != 14; seen[i] != want {
			t.Errorf("input %d judged: %v, want %v", i, seen[i], want)
		}
	}

	// Other inputs under the same output are refused.
	os.WriteFile(in1, []byte(`{"text": "something else"}`+"\n"), 0o644)
	if _, err := JudgeFiles(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "not the one") {
		t.Errorf("changed inputs: %v", err)
	}
	cfg.Inputs = []string{out}
	if _, err := JudgeFiles(context.Background(), cfg); err == nil {
		t.Error("output as input: no error")
	}
}

func TestWithJudge(t *testing.T) {
	in := 3
	j := Judgement{Grade: &Grade{Grammar: 1, Consistency: 2, Creativity: 3, Educational: 4}, Score: 2.5, Input: &in}
	for _, line := range []string{`{"text": "a <b> & c"}`, `  {"text":"x","n":[1,2]}  `, `{}`, `{"text":"x","judge":{"old":1}}`} {
		b, err := withJudge([]byte(line), j)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil || !strings.HasSuffix(string(b), "}\n") || strings.Count(string(b), "\n") != 1 {
			t.Fatalf("%s → %s: %v", line, b, err)
		}
		var got Judgement
		if err := json.Unmarshal(m["judge"], &got); err != nil || got.Grade == nil || *got.Grade != *j.Grade || *got.Input != 3 {
			t.Errorf("%s → %s", line, b)
		}
	}
	for _, bad := range []string{`null`, `[1]`, `"x"`, `{`} {
		if _, err := withJudge([]byte(bad), j); err == nil {
			t.Errorf("withJudge(%s): no error", bad)
		}
	}
}
