package bpetrain

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	data := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInputDocuments(t *testing.T) {
	dir := t.TempDir()
	jsonl := `{"text": "first doc"}
{"text": "second\ndoc", "other": 1}

{"body": "custom field", "text": null}
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": [{"type": "text", "text": "Hello"}, {"type": "image"}]}]}
{"id": 7}
`
	text := "line one\r\nline two\n\n  \nline three\nstill three\n\nlast"
	tests := []struct {
		name    string
		in      Input
		stdin   string
		want    []string
		skipped int64
	}{
		{
			name:    "jsonl text field, messages joined, records without text skipped",
			in:      Input{Paths: []string{writeFile(t, dir, "a.jsonl", jsonl)}},
			want:    []string{"first doc", "second\ndoc", "Hi\nHello"},
			skipped: 2,
		},
		{
			name:    "jsonl custom field",
			in:      Input{Paths: []string{writeFile(t, dir, "b.json", jsonl)}, Field: "body"},
			want:    []string{"custom field", "Hi\nHello"},
			skipped: 3,
		},
		{
			name: "jsonl messages rendered as chat",
			in: Input{Paths: []string{writeFile(t, dir, "c.jsonl.gz", jsonl)}, Field: "none",
				Chat: ChatRenderer(phi3Specials)},
			want:    []string{"<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n"},
			skipped: 4,
		},
		{
			name: "text lines",
			in:   Input{Paths: []string{writeFile(t, dir, "t.txt", text)}},
			want: []string{"line one", "line two", "  ", "line three", "still three", "last"},
		},
		{
			name: "text paragraphs",
			in:   Input{Paths: []string{writeFile(t, dir, "t2.txt", text)}, TextDocs: DocsParagraph},
			want: []string{"line one\nline two", "line three\nstill three", "last"},
		},
		{
			name: "text files, gzipped",
			in:   Input{Paths: []string{writeFile(t, dir, "t3.txt.gz", text), writeFile(t, dir, "t4.txt", "second file")}, TextDocs: DocsFile},
			want: []string{text, "second file"},
		},
		{
			name: "unknown extension sniffed as JSONL",
			in:   Input{Paths: []string{writeFile(t, dir, "data", "  \n"+jsonl)}},
			want: []string{"first doc", "second\ndoc", "Hi\nHello"}, skipped: 2,
		},
		{
			name:  "stdin sniffed as text",
			in:    Input{Paths: []string{"-"}},
			stdin: "plain\ntext",
			want:  []string{"plain", "text"},
		},
		{
			name: "format forced to text",
			in:   Input{Paths: []string{filepath.Join(dir, "a.jsonl")}, Format: FormatText},
			want: []string{`{"text": "first doc"}`, `{"text": "second\ndoc", "other": 1}`, `{"body": "custom field", "text": null}`,
				jsonlLine(jsonl, 4), `{"id": 7}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Stdin = strings.NewReader(tt.stdin)
			var got []string
			st, err := in.Documents(context.Background(), func(d string) error {
				got = append(got, d)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("documents %q, want %q", got, tt.want)
			}
			if st.Skipped != tt.skipped || st.Documents != int64(len(tt.want)) || st.Files != len(in.Paths) || st.Bytes == 0 {
				t.Errorf("stats %+v, want %d documents, %d skipped", st, len(tt.want), tt.skipped)
			}
			// The parallel reader sees the same documents.
			in.Stdin = strings.NewReader(tt.stdin)
			counts, st2, err := Count(context.Background(), &in, nil, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if counts.Documents() != st.Documents || st2.Documents != st.Documents || st2.Skipped != st.Skipped {
				t.Errorf("Count saw %d documents (stats %+v), Documents %+v", counts.Documents(), st2, st)
			}
		})
	}
}

func jsonlLine(s string, i int) string { return strings.Split(s, "\n")[i] }

func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	badGz := filepath.Join(dir, "raw.txt.gz")
	if err := os.WriteFile(badGz, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"bad json", Input{Paths: []string{writeFile(t, dir, "bad.jsonl", "{\"text\": \"ok\"}\n{broken\n")}}, "bad.jsonl:2:"},
		{"field not a string", Input{Paths: []string{writeFile(t, dir, "num.jsonl", "{\"text\": 5}\n")}}, `field "text" is not a string`},
		{"bad messages", Input{Paths: []string{writeFile(t, dir, "msg.jsonl", "{\"messages\": 3}\n")}}, "messages"},
		{"missing file", Input{Paths: []string{filepath.Join(dir, "nope.txt")}}, "no such file"},
		{"bad gzip", Input{Paths: []string{badGz}}, "gzip"},
		{"no stdin", Input{Paths: []string{"-"}}, "no stdin"},
		{"no inputs", Input{}, "no input files"},
		{"bad format", Input{Paths: []string{"x"}, Format: "xml"}, "unknown input format"},
		{"bad unit", Input{Paths: []string{"x"}, TextDocs: "page"}, "unknown text document unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.Documents(context.Background(), func(string) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Documents: %v, want an error containing %q", err, tt.want)
			}
			_, _, err = Count(context.Background(), &tt.in, nil, 2, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Count: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestCountDeterministic: counting with several workers in any batch
// order trains the same vocabulary as counting in one goroutine.
func TestCountDeterministic(t *testing.T) {
	lines := storyCorpus(2500)
	var jsonl strings.Builder
	for _, l := range lines {
		b, _ := json.Marshal(map[string]string{"text": l})
		jsonl.Write(b)
		jsonl.WriteByte('\n')
	}
	p := writeFile(t, t.TempDir(), "corpus.jsonl", jsonl.String())
	in := &Input{Paths: []string{p}}
	one := NewCounts(phi3Specials)
	for _, l := range lines {
		one.Add(l)
	}
	par, _, err := Count(context.Background(), in, phi3Specials, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if par.Words() != one.Words() || par.Documents() != one.Documents() || par.Bytes() != one.Bytes() {
		t.Fatalf("parallel counts: %d words, %d docs, %d bytes; sequential %d, %d, %d",
			par.Words(), par.Documents(), par.Bytes(), one.Words(), one.Documents(), one.Bytes())
	}
	opts := Options{VocabSize: 700, Specials: phi3Specials}
	m1, err := Train(context.Background(), one, opts)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Train(context.Background(), par, opts)
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 bytes.Buffer
	m1.WriteJSON(&b1)
	m2.WriteJSON(&b2)
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Error("parallel and sequential counts train different tokenizers")
	}
}
