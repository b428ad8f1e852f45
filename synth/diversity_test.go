package synth

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestDiversityDistinct(t *testing.T) {
	d := Diversity([]string{"a a a a"})
	if d.Distinct1 != 0.25 || math.Abs(d.Distinct2-1.0/3) > 1e-9 || d.Distinct3 != 0.5 {
		t.Errorf("a a a a: %+v", d)
	}
	d = Diversity([]string{"one two three", "Four, five! Six."})
	if d.Distinct1 != 1 || d.Distinct2 != 1 || d.Distinct3 != 1 || d.Words != 6 || d.NearDuplicates != 0 {
		t.Errorf("all distinct: %+v", d)
	}
}

func TestDiversityNearDuplicates(t *testing.T) {
	base := make([]string, 200)
	for i := range base {
		base[i] = fmt.Sprintf("w%d", i)
	}
	long := strings.Join(base, " ")
	oneChanged := strings.Replace(long, "w100 ", "changed ", 1) // Jaccard about 0.97
	half := strings.Join(base[:100], " ") + " " + strings.Repeat("x ", 0)
	var other []string
	for i := range base {
		other = append(other, fmt.Sprintf("v%d", i))
	}
	d := Diversity([]string{long, oneChanged, half, strings.Join(other, " "), long})
	// oneChanged and the second copy of long are near-duplicates; half
	// (Jaccard 0.5 with long) and other are not.
	if d.NearDuplicates != 2 || d.NearDupRate != 0.4 {
		t.Errorf("near-duplicates = %d (rate %.2f), want 2 (0.40)", d.NearDuplicates, d.NearDupRate)
	}
}

// TestStoriesAreDiverse is a floor on the generator's variety.
func TestStoriesAreDiverse(t *testing.T) {
	var texts []string
	for _, s := range stories(2000, 12) {
		texts = append(texts, s.Text)
	}
	d := Diversity(texts)
	if d.NearDupRate > 0.01 || d.Distinct3 < 0.1 {
		t.Errorf("diversity too low: %+v", d)
	}
	t.Logf("%+v", d)
}
