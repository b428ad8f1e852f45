package bpetrain

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// buildCorpus writes about maxBytes of English text found on a Debian
// machine to path, one sentence-sized line per line, and returns the
// number of bytes written. The sources, in this order: the license texts
// in /usr/share/common-licenses, the gzipped changelogs, NEWS and README
// files under /usr/share/doc (at most 64 KB each), and the comments of
// Go's standard library (/usr/local/go/src, at most 16 KB per package
// directory). Lines that are not valid UTF-8, contain NUL or SentencePiece's
// reserved U+2585, or are empty are left out; lines longer than 2000 bytes
// are cut at spaces (spm_train skips lines longer than 4192 bytes).
func buildCorpus(path string, maxBytes int) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	total := 0
	full := func() bool { return total >= maxBytes }
	emit := func(text string, limit int) {
		used := 0
		for line := range strings.Lines(text) {
			line = strings.TrimRight(line, "\r\n")
			if strings.TrimSpace(line) == "" || !utf8.ValidString(line) || strings.ContainsAny(line, "\x00▅") {
				continue
			}
			for len(line) > 0 {
				piece := line
				if len(piece) > 2000 {
					cut := strings.LastIndexByte(piece[:2000], ' ')
					if cut <= 0 {
						cut = 2000
						for !utf8.RuneStart(piece[cut]) {
							cut--
						}
					}
					piece = piece[:cut]
				}
				line = strings.TrimLeft(line[len(piece):], " ")
				if full() || used >= limit {
					return
				}
				w.WriteString(piece)
				w.WriteByte('\n')
				total += len(piece) + 1
				used += len(piece) + 1
			}
		}
	}
	// Licenses.
	lic, _ := filepath.Glob("/usr/share/common-licenses/*")
	for _, p := range lic {
		if data, err := os.ReadFile(p); err == nil {
			emit(string(data), 1<<30)
		}
	}
	// Changelogs, NEWS, READMEs.
	var docs []string
	filepath.WalkDir("/usr/share/doc", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ".gz") {
			b := strings.ToLower(filepath.Base(p))
			if strings.HasPrefix(b, "changelog") || strings.HasPrefix(b, "news") || strings.HasPrefix(b, "readme") {
				docs = append(docs, p)
			}
		}
		return nil
	})
	for _, p := range docs {
		if full() {
			break
		}
		zf, err := os.Open(p)
		if err != nil {
			continue
		}
		if zr, err := gzip.NewReader(zf); err == nil {
			data, _ := io.ReadAll(io.LimitReader(zr, 1<<20))
			emit(string(data), 64<<10)
		}
		zf.Close()
	}
	// Go comments.
	perDir := map[string]int{}
	filepath.WalkDir("/usr/local/go/src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || full() {
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(p, ".go") || strings.Contains(p, "testdata") {
			return nil
		}
		dir := filepath.Dir(p)
		if perDir[dir] >= 16<<10 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		var b strings.Builder
		for line := range strings.Lines(string(data)) {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, "// ") {
				b.WriteString(l[3:])
				b.WriteByte('\n')
			}
		}
		before := total
		emit(b.String(), 16<<10-perDir[dir])
		perDir[dir] += total - before
		return nil
	})
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return total, f.Close()
}

// TestCompareSentencePiece trains a vocabulary with this package and with
// SentencePiece's spm_train (BPE, byte fallback, Phi-3/LLaMA's settings:
// identity normalization, no whitespace collapsing, whitespace-only pieces)
// on the same corpus for several vocabulary sizes, and checks that
// encoding the corpus line by line with gophi's tokenizer takes at most 2%
// more tokens than spm_encode with spm_train's model.
//
// It runs only with GOPHI_SPM_COMPARE=1 and spm_train and spm_encode on
// PATH (Debian: apt-get install sentencepiece). GOPHI_SPM_VOCABS lists the
// sizes (default 1000,4000,8000,32000), GOPHI_SPM_MB the corpus size in MB
// (default 5), GOPHI_SPM_CORPUS a text file to use instead of building one.
func TestCompareSentencePiece(t *testing.T) {
	if os.Getenv("GOPHI_SPM_COMPARE") == "" {
		t.Skip("set GOPHI_SPM_COMPARE=1 to compare with SentencePiece's spm_train")
	}
	spmTrain, err1 := exec.LookPath("spm_train")
	spmEncode, err2 := exec.LookPath("spm_encode")
	if err1 != nil || err2 != nil {
		t.Skip("spm_train or spm_encode not on PATH (Debian: apt-get install sentencepiece)")
	}
	dir := t.TempDir()
	corpus := os.Getenv("GOPHI_SPM_CORPUS")
	if corpus == "" {
		mb := 5.0
		if s := os.Getenv("GOPHI_SPM_MB"); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			mb = v
		}
		corpus = filepath.Join(dir, "corpus.txt")
		n, err := buildCorpus(corpus, int(mb*1e6))
		if err != nil {
			t.Fatal(err)
		}
		if n < 100_000 {
			t.Skipf("only %d bytes of text found on this machine", n)
		}
	}
	data, err := os.ReadFile(corpus)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	vocabs := []int{1000, 4000, 8000, 32000}
	if s := os.Getenv("GOPHI_SPM_VOCABS"); s != "" {
		vocabs = nil
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatal(err)
			}
			vocabs = append(vocabs, v)
		}
	}
	t.Logf("corpus: %s, %.2f MB, %d lines; %d threads", corpus, float64(len(data))/1e6, len(lines), runtime.GOMAXPROCS(0))
	t.Logf("| vocab | tokens gophi | tokens spm | gophi/spm | train gophi | train spm_train |")
	t.Logf("|---:|---:|---:|---:|---:|---:|")
	for _, n := range vocabs {
		prefix := filepath.Join(dir, fmt.Sprintf("spm%d", n))
		args := []string{
			"--input=" + corpus, "--model_prefix=" + prefix, "--model_type=bpe",
			"--vocab_size=" + strconv.Itoa(n), "--byte_fallback=true", "--character_coverage=0.9995",
			"--normalization_rule_name=identity", "--remove_extra_whitespaces=false",
			"--allow_whitespace_only_pieces=true", "--split_digits=false",
			"--num_threads=" + strconv.Itoa(runtime.GOMAXPROCS(0)), "--minloglevel=2",
		}
		t0 := time.Now()
		if out, err := exec.Command(spmTrain, args...).CombinedOutput(); err != nil {
			t.Fatalf("spm_train %s: %v\n%s", strings.Join(args, " "), err, lastLines(out, 20))
		}
		spmTime := time.Since(t0)
		enc := exec.Command(spmEncode, "--model="+prefix+".model", "--output_format=id")
		enc.Stdin = bytes.NewReader(data)
		out, err := enc.Output()
		if err != nil {
			t.Fatalf("spm_encode: %v", err)
		}
		spmTokens := len(bytes.Fields(out))

		t0 = time.Now()
		in := &Input{Paths: []string{corpus}, Format: FormatText, TextDocs: DocsLine}
		counts, _, err := Count(context.Background(), in, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Train(context.Background(), counts, Options{VocabSize: n})
		if err != nil {
			t.Fatal(err)
		}
		gophiTime := time.Since(t0)
		tok, err := m.Tokenizer()
		if err != nil {
			t.Fatal(err)
		}
		gophiTokens := 0
		for _, l := range lines {
			gophiTokens += len(tok.Encode(l, false))
		}
		if int64(gophiTokens) != m.Stats.Tokens {
			t.Errorf("vocab %d: Stats.Tokens %d, encoding the lines gives %d", n, m.Stats.Tokens, gophiTokens)
		}
		if os.Getenv("GOPHI_HF_TOKENIZERS") != "" {
			mods, node := hfModules(t)
			var sample []string
			for i := 0; i < len(lines); i += 10 {
				sample = append(sample, lines[i])
			}
			bad := compareHF(t, mods, node, fmt.Sprintf("vocab%d", n), m, sample)
			t.Logf("vocab %d: Hugging Face tokenizers on every 10th line (%d): %d differ", n, len(sample), bad)
		}
		ratio := float64(gophiTokens) / float64(spmTokens)
		t.Logf("| %d | %d | %d | %.4f | %.2fs | %.2fs |", n, gophiTokens, spmTokens, ratio,
			gophiTime.Seconds(), spmTime.Seconds())
		if ratio > 1.02 {
			t.Errorf("vocab %d: gophi's tokenizer takes %.2f%% more tokens than spm_train's", n, 100*(ratio-1))
		}
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
