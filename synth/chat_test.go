package synth

import (
	"strings"
	"testing"
)

func TestRenderPhi3(t *testing.T) {
	got, err := RenderPhi3([]Message{{"user", "Why did my cup break?"}, {"assistant", "It fell on the hard floor."}})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|user|>\nWhy did my cup break?<|end|>\n<|assistant|>\nIt fell on the hard floor.<|end|>\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestChats(t *testing.T) {
	l := Vocabulary()
	kinds := map[string]int{}
	for i := 0; i < 600; i++ {
		c, err := GenerateChat(i, SampleSeed(8, i), true)
		if err != nil {
			t.Fatal(err)
		}
		kinds[c.Kind]++
		fail := func(msg string) { t.Errorf("chat %d (%s): %s\n%s", i, c.Kind, msg, c.Text) }
		if len(c.Problems) > 0 {
			fail(strings.Join(c.Problems, "; "))
		}
		if len(c.Messages) < 2 || len(c.Messages)%2 != 0 {
			fail("not user/assistant pairs")
		}
		var want strings.Builder
		for k, m := range c.Messages {
			role := "user"
			if k%2 == 1 {
				role = "assistant"
			}
			if m.Role != role || strings.TrimSpace(m.Content) == "" {
				fail("message " + role + " out of order or empty")
			}
			want.WriteString("<|" + role + "|>\n" + m.Content + "<|end|>\n")
			if u := l.Unknown(m.Content); len(u) > 0 {
				fail("words not in the vocabulary: " + strings.Join(u, " "))
			}
		}
		if c.Text != want.String() {
			fail("text is not the Phi-3 rendering of the messages")
		}
		if c.Kind == "story" {
			// The story must be about what was asked: its kind of hero and
			// its thing.
			req := strings.ToLower(c.Messages[0].Content)
			story := strings.ToLower(c.Messages[1].Content)
			about := strings.Fields(strings.SplitN(req, "about ", 2)[1])
			kind, trait := about[2], about[1]
			if about[0] == "an" || about[0] == "a" {
				if !containsWord(story, kind) || !containsWord(story, trait) {
					fail("the story is not about a " + trait + " " + kind)
				}
			}
			if strings.Contains(req, "sad ending") && strings.Contains(story, "happy") && strings.Contains(story[strings.LastIndex(story, "\n\n"):], "happy") {
				fail("a sad ending was asked for")
			}
		}
	}
	if kinds["explain"] < 100 || kinds["story"] < 100 {
		t.Errorf("kinds: %v", kinds)
	}
	a, _ := GenerateChat(3, 99, true)
	b, _ := GenerateChat(3, 99, true)
	if a.Text != b.Text {
		t.Error("chat of a seed differs between runs")
	}
	if n, _ := GenerateChat(3, 99, false); n.Text != "" {
		t.Error("text without asking")
	}
}
