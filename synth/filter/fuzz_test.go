package filter

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
)

// FuzzPipeline: any input is filtered without a panic, and every line
// written is one of the input's records.
func FuzzPipeline(f *testing.F) {
	for _, s := range []string{
		`{"text":"The cat sat. The cat sat."}` + "\n" + `{"text":"The cat sat! the CAT sat"}`,
		`{"text":"Lily's dog didn't run’s... 123 ééé", "judge": {"child_safe": "no"}}`,
		"\x00\xff\n\n{\"text\":\"\"}", `{"text":"ass class"}`, `{"text":"'''"}`,
	} {
		f.Add(s)
	}
	nd, _ := NewNearDedup(0.8, 32, 3)
	f.Fuzz(func(t *testing.T, in string) {
		p := Pipeline{Steps: []Step{Length{MinWords: 1, MaxChars: 1000}, English{}, Safety{List: DefaultBlocklist(), UseVerdict: true},
			VocabCheck{Vocab: NewVocabulary("the", "cat"), MaxOOV: 0.5, Names: true}, NewExactDedup(), nd}, Order: Readability{}}
		var out bytes.Buffer
		rep, err := p.Run(context.Background(), []Input{{Name: "fuzz", R: strings.NewReader(in)}}, &out)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(rep.MinKey) || math.IsNaN(rep.MaxKey) {
			t.Fatalf("NaN readability for %q", in)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if line != "" && !strings.Contains(in, line) {
				t.Fatalf("wrote %q, not an input line", line)
			}
		}
	})
}
