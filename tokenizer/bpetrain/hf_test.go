package bpetrain

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// hfScript encodes each {"text"} line of stdin with Hugging Face
// tokenizers' Node binding (npm package "tokenizers", the Rust library) and
// prints {"ids", "decoded"} lines.
const hfScript = `const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
  const tok = Tokenizer.fromFile(process.argv[2]);
  const out = [];
  for (const l of fs.readFileSync(0, 'utf8').split('\n').filter(l => l.length)) {
    const e = await tok.encode(JSON.parse(l).text, null, { addSpecialTokens: false });
    const ids = Array.from(e.getIds());
    out.push(JSON.stringify({ ids: ids, decoded: await tok.decode(ids, false) }));
  }
  fs.writeFileSync(1, out.join('\n') + '\n');
})().catch(e => { console.error(e); process.exit(1); });
`

// hfResult is Hugging Face's encoding and decoding of one text.
type hfResult struct {
	IDs     []int32 `json:"ids"`
	Decoded string  `json:"decoded"`
}

// hfModules returns $GOPHI_HF_TOKENIZERS and node's path, or skips.
func hfModules(t *testing.T) (mods, node string) {
	t.Helper()
	mods = os.Getenv("GOPHI_HF_TOKENIZERS")
	if mods == "" {
		t.Skip("set GOPHI_HF_TOKENIZERS to a node_modules folder with the npm package tokenizers to compare with Hugging Face")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	return mods, node
}

// hfEncode encodes texts (valid UTF-8) with Hugging Face tokenizers loaded
// from tokenizerJSON.
func hfEncode(t *testing.T, mods, node, tokenizerJSON string, texts []string) []hfResult {
	t.Helper()
	script := filepath.Join(t.TempDir(), "enc.js")
	if err := os.WriteFile(script, []byte(hfScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, s := range texts {
		b, _ := json.Marshal(map[string]string{"text": s})
		in.Write(b)
		in.WriteByte('\n')
	}
	cmd := exec.Command(node, script, tokenizerJSON)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%d results for %d texts", len(lines), len(texts))
	}
	res := make([]hfResult, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &res[i]); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// compareHF encodes texts with gophi's tokenizer for m and with Hugging
// Face's for the same tokenizer.json, reports differences and returns
// their number.
func compareHF(t *testing.T, mods, node, name string, m *Model, texts []string) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".json")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	tok, err := m.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, r := range hfEncode(t, mods, node, path, texts) {
		ids := tok.Encode(texts[i], false)
		if dec := tok.Decode(ids); !slices.Equal(ids, r.IDs) || dec != r.Decoded {
			if bad++; bad <= 5 {
				t.Errorf("%s: %q:\n gophi %v %q\n HF    %v %q", name, texts[i], ids, dec, r.IDs, r.Decoded)
			}
		}
	}
	return bad
}

// TestCompareHFTokenizers loads tokenizer.json files written here with
// Hugging Face tokenizers and checks that it encodes and decodes many texts
// exactly as gophi's tokenizer package does. It runs only when
// GOPHI_HF_TOKENIZERS names a node_modules folder with the npm package
// "tokenizers" (npm install tokenizers) and node is on PATH.
func TestCompareHFTokenizers(t *testing.T) {
	mods, node := hfModules(t)
	var texts []string
	for _, s := range slices.Concat(storyCorpus(3000), trickyTexts, lossyTexts) {
		if utf8.ValidString(s) { // JSON cannot carry invalid UTF-8
			texts = append(texts, s)
		}
	}
	story, _ := storyTokenizer(t)
	models := []struct {
		name string
		m    *Model
	}{
		{"story-1000", story},
		{"split-digits-600", trainLines(t, storyCorpus(1000), Options{VocabSize: 600, SplitDigits: true, Specials: []string{"<|end|>", "<|user|>"}})},
		{"minimum", trainLines(t, storyCorpus(100), Options{VocabSize: MinVocabSize(0)})},
	}
	for _, tt := range models {
		bad := compareHF(t, mods, node, tt.name, tt.m, texts)
		t.Logf("%s: %d texts, %d differ", tt.name, len(texts), bad)
	}
}
