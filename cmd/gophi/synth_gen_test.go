package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gophi/gophi/synth"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestSynthStoriesCLI(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "c.jsonl")
	_, errOut, err := runCLI(t, "", "synth", "stories", "-n", "40", "--seed", "7", "-o", a, "--stats")
	if err != nil {
		t.Fatal(err, errOut)
	}
	for _, want := range []string{"wrote 40 stories", "stories/s", "distinct-1", "distinct-3", "near-duplicates"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Fewer stories are a prefix; more workers change nothing.
	if _, _, err := runCLI(t, "", "synth", "stories", "-n", "25", "--seed", "7", "-o", b, "--workers", "1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "", "synth", "stories", "-n", "40", "--seed", "8", "-o", c, "--workers", "3"); err != nil {
		t.Fatal(err)
	}
	la, lb, lc := readLines(t, a), readLines(t, b), readLines(t, c)
	if len(la) != 40 || len(lb) != 25 {
		t.Fatalf("%d and %d lines", len(la), len(lb))
	}
	for i := range lb {
		if la[i] != lb[i] {
			t.Fatalf("story %d differs between -n 40 and -n 25 --workers 1", i)
		}
	}
	if la[0] == lc[0] {
		t.Error("seeds 7 and 8 give the same story")
	}
	var s struct {
		ID          int
		Seed        uint64
		Instruction string
		Words       map[string]string
		Features    []string
		Text        string
	}
	if err := json.Unmarshal([]byte(la[3]), &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != 3 || s.Seed != synth.SampleSeed(7, 3) || s.Words["noun"] == "" || s.Words["verb"] == "" || s.Words["adjective"] == "" ||
		!strings.HasPrefix(s.Instruction, "Write a short story") || s.Features == nil || len(s.Text) < 200 {
		t.Errorf("story 3: %+v", s)
	}
	if again := synth.GenerateStory(3, s.Seed); again.Text != s.Text {
		t.Error("the recorded seed does not regenerate the story")
	}
	// Standard output is the default.
	out, _, err := runCLI(t, "", "synth", "stories", "-n", "3", "--seed", "7")
	if err != nil || out != strings.Join(la[:3], "\n")+"\n" {
		t.Errorf("stdout output differs from the file (err %v)", err)
	}
}

func TestSynthStoriesShards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shards") + "/"
	_, errOut, err := runCLI(t, "", "synth", "stories", "-n", "25", "-o", dir, "--shard-size", "10")
	if err != nil {
		t.Fatal(err, errOut)
	}
	var total int
	for i, name := range []string{"stories-00000.jsonl", "stories-00001.jsonl", "stories-00002.jsonl"} {
		n := len(readLines(t, filepath.Join(dir, name)))
		if want := []int{10, 10, 5}[i]; n != want {
			t.Errorf("%s has %d lines, want %d", name, n, want)
		}
		total += n
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 || total != 25 || !strings.Contains(errOut, "3 shards") {
		t.Errorf("%d files, %d lines; stderr %s", len(entries), total, errOut)
	}
}

func TestSynthQACLI(t *testing.T) {
	dir := t.TempDir()
	train, test := filepath.Join(dir, "qa.jsonl"), filepath.Join(dir, "qa-test.jsonl")
	_, errOut, err := runCLI(t, "", "synth", "qa", "-n", "600", "--seed", "3", "--heldout", "0.2", "-o", train)
	if err != nil {
		t.Fatal(err, errOut)
	}
	if !strings.Contains(errOut, "test split") || !strings.Contains(errOut, "dropped for sharing a 13-gram") {
		t.Errorf("stderr: %s", errOut)
	}
	type item struct {
		ID, Context, Question, Answer, Kind, Format, Key string
		Choices                                          []string
		Gold                                             *int
	}
	parse := func(path string) []item {
		var out []item
		for _, l := range readLines(t, path) {
			var it item
			if err := json.Unmarshal([]byte(l), &it); err != nil {
				t.Fatal(err)
			}
			out = append(out, it)
		}
		return out
	}
	tr, te := parse(train), parse(test)
	if len(te) == 0 || len(tr) < len(te) || len(tr)+len(te) > 600 {
		t.Fatalf("%d train, %d test items", len(tr), len(te))
	}
	d := synth.NewDecontaminator(13)
	testKeys := map[string]bool{}
	for _, it := range te {
		testKeys[it.Key] = true
		d.Add(it.Context + " " + it.Question + " " + it.Answer)
	}
	for _, it := range tr {
		if testKeys[it.Key] {
			t.Errorf("training item %s has a test key %s", it.ID, it.Key)
		}
		if d.Contaminated(it.Context + " " + it.Question + " " + it.Answer) {
			t.Errorf("training item %s shares a 13-gram with the test split", it.ID)
		}
		if it.Format == synth.MultipleChoice && (it.Gold == nil || it.Choices[*it.Gold] != it.Answer) {
			t.Errorf("item %s: gold does not point at the answer", it.ID)
		}
	}
	// --split test writes just the test split, the same items.
	only := filepath.Join(dir, "only-test.jsonl")
	if _, _, err := runCLI(t, "", "synth", "qa", "-n", "600", "--seed", "3", "--heldout", "0.2", "--split", "test", "-o", only); err != nil {
		t.Fatal(err)
	}
	if a, b := readLines(t, only), readLines(t, test); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("--split test differs from the test split")
	}
	// Stories decontaminated against the test split.
	st := filepath.Join(dir, "stories.jsonl")
	_, errOut, err = runCLI(t, "", "synth", "stories", "-n", "30", "-o", st, "--decontaminate", test, "--ngram", "8")
	if err != nil || !strings.Contains(errOut, "dropped by decontamination") || !strings.Contains(errOut, "held-out items") {
		t.Errorf("stories --decontaminate: %v\n%s", err, errOut)
	}
}

func TestSynthChatCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.jsonl")
	if _, errOut, err := runCLI(t, "", "synth", "chat", "-n", "30", "--seed", "2", "-o", path); err != nil {
		t.Fatal(err, errOut)
	}
	lines := readLines(t, path)
	if len(lines) != 30 {
		t.Fatalf("%d lines", len(lines))
	}
	var c struct {
		Messages []struct{ Role, Content string }
		Text     string
	}
	if err := json.Unmarshal([]byte(lines[0]), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Messages) < 2 || c.Messages[0].Role != "user" || !strings.HasPrefix(c.Text, "<|user|>\n"+c.Messages[0].Content+"<|end|>\n<|assistant|>\n") {
		t.Errorf("chat: %+v", c)
	}
	if !strings.Contains(lines[0], `"text":"<|user|>`) {
		t.Error("chat tokens are escaped in the JSON")
	}
	out, _, err := runCLI(t, "", "synth", "chat", "-n", "2", "--no-text")
	if err != nil || strings.Contains(out, `"text"`) {
		t.Errorf("--no-text: %v %s", err, out)
	}
}

func TestSynthGenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args  []string
		usage bool   // errUsage
		want  string // in the error, else in stderr
	}{
		{[]string{"synth", "stories", "-n", "-1"}, false, "-n must not be negative"},
		{[]string{"synth", "stories", "-n", "x"}, true, "invalid value"},
		{[]string{"synth", "stories", "extra"}, true, "unexpected argument"},
		{[]string{"synth", "stories", "--shard-size", "0"}, false, "--shard-size"},
		{[]string{"synth", "stories", "-o", filepath.Join(dir, "no", "x.jsonl")}, false, "does not exist"},
		{[]string{"synth", "stories", "--decontaminate", filepath.Join(dir, "none.jsonl")}, false, "--decontaminate"},
		{[]string{"synth", "qa", "--heldout", "1.5"}, false, "--heldout"},
		{[]string{"synth", "qa", "--split", "test"}, false, "--split needs --heldout"},
		{[]string{"synth", "qa", "--heldout", "0.1", "--split", "dev"}, false, "train or test"},
		{[]string{"synth", "qa", "--heldout", "0.1"}, false, "--test-out"},
		{[]string{"synth", "chat", "--workers", "-2"}, false, "--workers"},
	} {
		_, errOut, err := runCLI(t, "", c.args...)
		switch {
		case err == nil:
			t.Errorf("%v: no error", c.args)
		case c.usage != errors.Is(err, errUsage):
			t.Errorf("%v: err %v, usage error %v", c.args, err, c.usage)
		case !strings.Contains(err.Error()+errOut, c.want):
			t.Errorf("%v: %v / %s lacks %q", c.args, err, errOut, c.want)
		}
	}
	// Help is not an error, and the synth usage lists the commands.
	if _, errOut, err := runCLI(t, "", "synth", "stories", "-h"); err != nil || !strings.Contains(errOut, "--decontaminate") {
		t.Errorf("-h: %v %s", err, errOut)
	}
	out, _, _ := runCLI(t, "", "synth", "-h")
	for _, cmd := range []string{"stories", "qa", "chat"} {
		if !strings.Contains(out, "  "+cmd) {
			t.Errorf("synth usage lacks %s:\n%s", cmd, out)
		}
	}
	// A failed run leaves no file behind.
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"id\":1}\n"), 0o644)
	if _, _, err := runCLI(t, "", "synth", "stories", "-o", filepath.Join(dir, "s.jsonl"), "--decontaminate", bad); err == nil {
		t.Error("held-out file without texts accepted")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "tmp") || e.Name() == "s.jsonl" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
