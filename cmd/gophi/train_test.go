package main

import (
	"bufio"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// trainCorpus makes stories, a tokenizer (vocab ids, trained on seed's
// stories) and shards of them in dir, with gophi's own commands, and
// returns the tokenizer and shard paths.
func trainCorpus(t *testing.T, dir string, seed string, vocab string, extra ...string) (tok, shards string) {
	t.Helper()
	stories := filepath.Join(dir, "stories.jsonl")
	tok, shards = filepath.Join(dir, "tok.json"), filepath.Join(dir, "shards")
	steps := [][]string{
		{"synth", "stories", "-n", "300", "--seed", seed, "-o", stories},
		append([]string{"tokenizer", "train", "--vocab-size", vocab, "-o", tok}, append(extra, stories)...),
		{"tokenize", "--quiet", "--tokenizer", tok, "-o", shards, stories},
	}
	for _, args := range steps {
		if _, errOut, err := runCLI(t, "", args...); err != nil {
			t.Fatalf("gophi %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
	}
	return tok, shards
}

// tinyTrain are the flags of a model small enough for tests under -race.
var tinyTrain = []string{"--layers", "2", "--hidden", "32", "--heads", "2", "--kv-heads", "1", "--ffn", "64",
	"--ctx", "32", "--batch", "2", "--warmup", "5", "--lr", "3e-3", "--min-lr", "3e-4", "--threads", "2"}

func trainArgs(tok, shards, out string, more ...string) []string {
	args := append([]string{"train", "--data", shards, "--tokenizer", tok, "--out", out}, tinyTrain...)
	return append(args, more...)
}

// metricsWithoutSpeed returns metrics.csv's lines without the tokens_per_s
// column, which measures the machine, not the run.
func metricsWithoutSpeed(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 6 {
			t.Fatalf("%s: line %q has %d fields", path, line, len(f))
		}
		out = append(out, strings.Join(append(f[:4:4], f[5]), ","))
	}
	return out
}

// TestTrainLowersLossAndResumesAfterKill trains a tiny model on gophi's
// own stories, kills a real gophi train process with SIGKILL mid-run,
// resumes it, and checks that its metrics.csv equals the uninterrupted
// run's row by row (tokens/s aside), that the loss fell, that the
// checkpoints were pruned to two, that loss.svg is an SVG and that the
// final checkpoint runs in gophi run.
func TestTrainLowersLossAndResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gophi")
	}
	dir := t.TempDir()
	tok, shards := trainCorpus(t, dir, "1", "320")
	const steps = "200"
	more := []string{"--steps", steps, "--eval-every", "10", "--checkpoint-every", "20", "--sample-tokens", "0"}

	ref := filepath.Join(dir, "ref")
	if out, errOut, err := runCLI(t, "", trainArgs(tok, shards, ref, more...)...); err != nil {
		t.Fatalf("train: %v\n%s%s", err, out, errOut)
	}
	want := metricsWithoutSpeed(t, filepath.Join(ref, "metrics.csv"))
	if len(want) != 201 {
		t.Fatalf("metrics.csv has %d lines, want a header and 200 rows", len(want))
	}
	first, last := lossAt(t, want, 1), lossAt(t, want, 200)
	if !(last < first-1.5) {
		t.Errorf("training loss %.3f -> %.3f: did not learn", first, last)
	}

	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "gophi")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	killed := filepath.Join(dir, "killed")
	cmd := exec.Command(bin, trainArgs(tok, shards, killed, more...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once a checkpoint exists and it has gone past it.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if rows := countLines(filepath.Join(killed, "metrics.csv")); rows > 27 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child made no progress")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if rows := countLines(filepath.Join(killed, "metrics.csv")); rows >= 201 {
		t.Skip("the child finished before it was killed")
	}
	if out, errOut, err := runCLI(t, "", "train", "--resume", "--out", killed); err != nil {
		t.Fatalf("resume: %v\n%s%s", err, out, errOut)
	} else if !strings.Contains(errOut, "resuming from") {
		t.Errorf("resume did not say where it resumed from:\n%s", errOut)
	}
	got := metricsWithoutSpeed(t, filepath.Join(killed, "metrics.csv"))
	if len(got) != len(want) {
		t.Fatalf("resumed run has %d lines, the uninterrupted %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d differs:\nresumed       %s\nuninterrupted %s", i, got[i], want[i])
		}
	}

	// Resuming a complete run says so and changes nothing.
	if out, _, err := runCLI(t, "", "train", "--resume", "--out", killed); err != nil || !strings.Contains(out, "nothing to do") {
		t.Errorf("resume of a complete run: %v %q", err, out)
	}
	if again := metricsWithoutSpeed(t, filepath.Join(killed, "metrics.csv")); len(again) != len(want) {
		t.Errorf("resuming a complete run changed metrics.csv to %d lines", len(again))
	}
	ents, _ := filepath.Glob(filepath.Join(killed, "checkpoint-*"))
	if len(ents) != 2 {
		t.Errorf("%d checkpoints kept, want 2: %v", len(ents), ents)
	}
	svg, err := os.ReadFile(filepath.Join(killed, "loss.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(svg, new(struct{})); err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("loss.svg is not an SVG: %v", err)
	}
	final := filepath.Join(killed, "checkpoint-000200")
	out, errOut, err := runCLI(t, "", "run", "--raw", "--temperature", "0", "-n", "12", final, "Once upon a time")
	if err != nil || out == "" {
		t.Errorf("gophi run on the checkpoint: %v %q\n%s", err, out, errOut)
	}
}

// lossAt returns the train_loss of line i of metricsWithoutSpeed's lines.
func lossAt(t *testing.T, lines []string, i int) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.Split(lines[i], ",")[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	return n
}

// TestTrainBadInput: each bad input ends in a clear error, no panic.
func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a", "b", "c"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	tok, shards := trainCorpus(t, filepath.Join(dir, "a"), "1", "320")
	otherTok, otherShards := trainCorpus(t, filepath.Join(dir, "b"), "2", "400")
	sameSizeTok, _ := trainCorpus(t, filepath.Join(dir, "c"), "3", "320")
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o755)
	truncated := filepath.Join(dir, "truncated")
	copyDir(t, shards, truncated)
	bin := filepath.Join(truncated, "train-00000.bin")
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	os.Truncate(bin, fi.Size()-2)
	_ = otherTok

	// A run with a checkpoint, for the resume cases.
	good := filepath.Join(dir, "good")
	if _, errOut, err := runCLI(t, "", trainArgs(tok, shards, good, "--steps", "4", "--checkpoint-every", "2", "--sample-tokens", "0")...); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	corrupt := filepath.Join(dir, "corrupt")
	copyDir(t, good, corrupt)
	st := filepath.Join(corrupt, "checkpoint-000004", "model.safetensors")
	data, _ := os.ReadFile(st)
	data[len(data)-1] ^= 0x40
	os.WriteFile(st, data, 0o644)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing data", trainArgs(tok, filepath.Join(dir, "nope"), filepath.Join(dir, "o1")), "no index.json"},
		{"empty data", trainArgs(tok, empty, filepath.Join(dir, "o2")), "no index.json"},
		{"other vocabulary", trainArgs(tok, otherShards, filepath.Join(dir, "o3")), "vocabulary of 400 ids, the tokenizer has 320"},
		{"other tokenizer", trainArgs(sameSizeTok, shards, filepath.Join(dir, "o4")), "tokenized with another tokenizer"},
		{"truncated shard", trainArgs(tok, truncated, filepath.Join(dir, "o5")), "bytes"},
		{"head size", trainArgs(tok, shards, filepath.Join(dir, "o6"), "--hidden", "30", "--heads", "4"), "not a multiple of --heads"},
		{"kv heads", trainArgs(tok, shards, filepath.Join(dir, "o7"), "--heads", "4", "--kv-heads", "3"), "not a multiple of --kv-heads"},
		{"too big", trainArgs(tok, shards, filepath.Join(dir, "o8"), "--hidden", "16384", "--heads", "128", "--layers", "96", "--ffn", "65536"), "memory is available"},
		{"no steps", trainArgs(tok, shards, filepath.Join(dir, "o9"), "--steps", "0"), "--steps 0"},
		{"not finite", trainArgs(tok, shards, filepath.Join(dir, "o10"), "--lr", "1e30", "--clip", "0", "--warmup", "1", "--checkpoint-every", "1", "--steps", "50", "--sample-tokens", "0"), "not finite"},
		{"resume nothing", []string{"train", "--resume", "--out", filepath.Join(dir, "o11")}, "run.json is missing"},
		{"resume corrupt", []string{"train", "--resume", "--out", corrupt}, "corrupt checkpoint"},
		{"resume other shape", []string{"train", "--resume", "--out", good, "--hidden", "64"}, "another model shape"},
		{"out in use", trainArgs(tok, shards, good), "add --resume"},
		{"bad config", []string{"train", "--config", filepath.Join(dir, "a", "stories.jsonl"), "--out", filepath.Join(dir, "o12"), "--data", shards}, "train:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := runCLI(t, "", tc.args...)
			if err == nil {
				t.Fatalf("no error\n%s", errOut)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
	// The NaN run kept its last good checkpoint, and it loads.
	if _, _, err := runCLI(t, "", "run", "--raw", "-n", "2", filepath.Join(dir, "o10", "checkpoint-000001"), "Once"); err != nil {
		t.Errorf("the last good checkpoint does not run: %v", err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrainChat fine-tunes on chats: the shards carry loss masks, the
// trainer counts only the assistant's tokens, and the checkpoint renders
// the Phi-3 chat template.
func TestTrainChat(t *testing.T) {
	dir := t.TempDir()
	chats := filepath.Join(dir, "chats.jsonl")
	tok, shards := filepath.Join(dir, "tok.json"), filepath.Join(dir, "shards")
	for _, args := range [][]string{
		{"synth", "chat", "-n", "200", "-o", chats},
		{"tokenizer", "train", "--vocab-size", "400", "--special", "<|user|>,<|assistant|>,<|end|>,<|system|>,<|endoftext|>", "-o", tok, chats},
		{"tokenize", "--quiet", "--tokenizer", tok, "-o", shards, chats},
	} {
		if _, errOut, err := runCLI(t, "", args...); err != nil {
			t.Fatalf("gophi %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
	}
	idx, err := os.ReadFile(filepath.Join(shards, "index.json"))
	if err != nil || !strings.Contains(string(idx), `"masked": true`) {
		t.Fatalf("tokenized chats are not masked: %v\n%s", err, idx)
	}
	out := filepath.Join(dir, "run")
	_, errOut, err := runCLI(t, "", trainArgs(tok, shards, out, "--steps", "6", "--checkpoint-every", "6", "--sample-tokens", "4")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "Tell me a story") {
		t.Errorf("the checkpoint's sample was not a chat request:\n%s", errOut)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "checkpoint-000006", "tokenizer_config.json"))
	if err != nil || !strings.Contains(string(cfg), "<|assistant|>") {
		t.Errorf("tokenizer_config.json has no Phi-3 chat template: %v", err)
	}
	if _, _, err := runCLI(t, "", "run", "-n", "3", filepath.Join(out, "checkpoint-000006"), "Why is the sky blue?"); err != nil {
		t.Errorf("chat with the checkpoint: %v", err)
	}
	// Fine-tuning from that checkpoint (--init) starts where it ended, not
	// from random weights.
	tuned := filepath.Join(dir, "tuned")
	_, errOut, err = runCLI(t, "", "train", "--init", filepath.Join(out, "checkpoint-000006"), "--data", shards, "--tokenizer", tok,
		"--out", tuned, "--steps", "2", "--batch", "2", "--ctx", "32", "--sample-tokens", "0")
	if err != nil {
		t.Fatalf("--init: %v\n%s", err, errOut)
	}
	from := metricsWithoutSpeed(t, filepath.Join(out, "metrics.csv"))
	init := metricsWithoutSpeed(t, filepath.Join(tuned, "metrics.csv"))
	if fresh, first := lossAt(t, from, 1), lossAt(t, init, 1); !(first < fresh-0.1) {
		t.Errorf("fine-tuning started at loss %.3f, the fresh run at %.3f (ended at %.3f)", first, fresh, lossAt(t, from, len(from)-1))
	}
}

// TestTrainResumeTornMetrics: a kill during an append leaves half a line at
// the end of metrics.csv; resume keeps the rows before it and goes on.
func TestTrainResumeTornMetrics(t *testing.T) {
	dir := t.TempDir()
	tok, shards := trainCorpus(t, dir, "1", "320")
	out := filepath.Join(dir, "run")
	more := []string{"--steps", "8", "--checkpoint-every", "4", "--sample-tokens", "0"}
	if _, errOut, err := runCLI(t, "", trainArgs(tok, shards, out, more...)...); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	want := metricsWithoutSpeed(t, filepath.Join(out, "metrics.csv"))
	// Back to the state of a run killed while writing step 6's row: the
	// checkpoint of step 4 and a torn line.
	os.RemoveAll(filepath.Join(out, "checkpoint-000008"))
	data, _ := os.ReadFile(filepath.Join(out, "metrics.csv"))
	lines := strings.SplitAfter(string(data), "\n")
	torn := strings.Join(lines[:6], "") + lines[6][:len(lines[6])/2]
	os.WriteFile(filepath.Join(out, "metrics.csv"), []byte(torn), 0o644)
	_, errOut, err := runCLI(t, "", "train", "--resume", "--out", out)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "keeping the") {
		t.Errorf("resume did not report the torn line:\n%s", errOut)
	}
	got := metricsWithoutSpeed(t, filepath.Join(out, "metrics.csv"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("metrics after resume:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
