package teacher

import (
	"math"
	"testing"
)

// FuzzParseGrade: any reply gives a valid grade or an error, never a panic.
func FuzzParseGrade(f *testing.F) {
	for _, s := range []string{
		`{"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`,
		"```json\n{\"grammar\": \"8/10\"}\n```", `{{{{`, `{"a": {"grammar": 1e999}}`, `{"grammar": "NaN"}`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		g, err := ParseGrade(reply)
		if err != nil {
			return
		}
		for _, x := range []float64{g.Grammar, g.Consistency, g.Creativity, g.Educational} {
			if math.IsNaN(x) || x < 1 || x > 10 {
				t.Fatalf("ParseGrade(%q) = %+v", reply, g)
			}
		}
	})
}
