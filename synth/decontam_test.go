package synth

import (
	"strings"
	"testing"
)

func TestDecontaminate(t *testing.T) {
	heldout := []string{
		"Lily dropped a glass on the hard floor. What happened to the glass? It broke into many little pieces.",
		"Too short.",
	}
	train := []string{
		// Shares "dropped a glass on the hard floor what happened to" (and
		// more) with the first held-out text, case and punctuation aside.
		"Once, TOM dropped a glass on the hard floor; what happened to the glass? It broke into many little pieces!",
		"Tom dropped a ball on the soft grass. It bounced and rolled away to the big old tree by the house.",
		"It was too short, they said.", // contains the short held-out text
	}
	kept, dropped := Decontaminate(train, heldout, 8)
	if dropped != 2 || len(kept) != 1 || kept[0] != 1 {
		t.Errorf("kept %v, dropped %d; want kept [1], dropped 2", kept, dropped)
	}
	kept, dropped = Decontaminate(train[1:2], heldout, 13)
	if dropped != 0 || len(kept) != 1 {
		t.Errorf("13-grams: kept %v, dropped %d", kept, dropped)
	}
	if NewDecontaminator(0).N() != DefaultNGram {
		t.Error("n < 1 is not the default")
	}
}

func TestDecontaminatorJSONL(t *testing.T) {
	d := NewDecontaminator(5)
	in := `{"context":"Sam put a rock in the pond.","question":"What did the rock do?","answer":"It sank."}
{"text":"the little red hen baked some bread for everyone"}

{"messages":[{"role":"user","content":"why is the sky so very blue today"}]}
`
	n, err := d.AddJSONL(strings.NewReader(in))
	if err != nil || n != 3 {
		t.Fatalf("AddJSONL = %d, %v", n, err)
	}
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Then Sam put a rock in the pond and went home.", true},
		{"The hen baked some bread for everyone.", true},
		{"Why is the sky so very blue?", true},
		{"Sam put a ball in the box.", false},
	} {
		if got := d.Contaminated(c.text); got != c.want {
			t.Errorf("Contaminated(%q) = %v", c.text, got)
		}
	}
	if _, err := d.AddJSONL(strings.NewReader("{\"id\":1}\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("item without text: %v", err)
	}
	if _, err := d.AddJSONL(strings.NewReader("not json\n")); err == nil {
		t.Error("bad JSON accepted")
	}
}
