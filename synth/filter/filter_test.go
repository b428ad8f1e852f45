package filter

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func rec(t *testing.T, line string) *Record {
	t.Helper()
	r, err := ParseRecord([]byte(line))
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return r
}

func textRec(text string) *Record { return &Record{Text: text} }

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Lily's dog didn’t run!":     {"Lily's", "dog", "didn't", "run"},
		"  'Hi,' said Tom -- 3 cats": {"Hi", "said", "Tom", "3", "cats"},
		"":                           nil,
		"...!?":                      nil,
		"café naïve":                 {"café", "naïve"},
	} {
		if got := Words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Normalize("  Hello,   WORLD!\nIt's me. "); got != "hello world it s me" {
		t.Errorf("Normalize = %q", got)
	}
}

func TestParseRecord(t *testing.T) {
	for line, want := range map[string]error{
		`{"text": "hi"}`:       nil,
		` {"text":"", "a":1} `: nil,
		`{"text": 3}`:          errNoText,
		`{"txt": "hi"}`:        errNoText,
		`{"text": null}`:       errNoText,
		`null`:                 errNotObject,
		`["text"]`:             errNotObject,
		`{"text": "hi"`:        errNotObject,
		`garbage`:              errNotObject,
	} {
		if _, err := ParseRecord([]byte(line)); err != want {
			t.Errorf("ParseRecord(%s): %v, want %v", line, err, want)
		}
	}
}

func TestLength(t *testing.T) {
	l := Length{MinWords: 3, MaxWords: 5, MinChars: 10, MaxChars: 30}
	for text, want := range map[string]string{
		"one two":                          "under 3 words",
		"one two three":                    "",
		"one two three four five six":      "over 5 words",
		"a b c":                            "under 10 chars",
		"ééééé ééééé ééééé":                "", // 17 characters, 32 bytes
		"aaaaaaaaaa bbbbbbbbbb cccccccccc": "over 30 chars",
	} {
		if got := l.Check(textRec(text)); got != want {
			t.Errorf("Length.Check(%q) = %q, want %q", text, got, want)
		}
	}
	if got := (Length{}).Check(textRec("")); got != "" {
		t.Errorf("no bounds dropped a text: %q", got)
	}
}

func TestEnglish(t *testing.T) {
	for text, want := range map[string]string{
		"Once upon a time, there was a little girl named Lily. She liked to play with her ball.": "",
		"Il était une fois une petite fille qui aimait jouer avec son ballon.":                   "few English words",
		"Жила-была маленькая девочка, которая любила играть с мячом.":                            "non-English letters",
		"从前有一个小女孩，她喜欢玩球。":                                                                        "non-English letters",
		"1234 5678 !!!": "no letters",
		"":              "no letters",
		"Lily Tom ball dog cat red blue jump run sky tree": "few English words",
	} {
		if got := (English{}).Check(textRec(text)); got != want {
			t.Errorf("English.Check(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestVocabulary(t *testing.T) {
	v, err := ParseVocabulary(strings.NewReader("# words\nball noun\nbaby\nbox\nwish\ncry\nstop\nrun\nlike\nmake\nlie\nbig\nhappy\nnice\nquick\ndo\ncan\nwill\ndog\nwe\nI\nfly\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"ball", "Ball", "balls", "babies", "boxes", "wishes", "cries", "cried", "stopped", "stopping",
		"running", "liked", "likes", "making", "lying", "bigger", "biggest", "happier", "happiest", "nicer",
		"quickly", "happily", "don't", "can't", "won't", "dog's", "we'll", "I'm", "42", "flies",
	} {
		if !v.Known(w) {
			t.Errorf("Known(%q) = false", w)
		}
	}
	for _, w := range []string{"dragon", "went", "s", "ballet", "bal", "cat's", "isn't", "boxy'x"} {
		if v.Known(w) {
			t.Errorf("Known(%q) = true", w)
		}
	}
	for _, bad := range []string{"", "# only a comment\n\n"} {
		if _, err := ParseVocabulary(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseVocabulary(%q): no error", bad)
		}
	}

	c := VocabCheck{Vocab: v, MaxOOV: 0.25}
	for _, tc := range []struct {
		text  string
		names bool
		want  string
	}{
		{"The dog likes balls.", false, ""}, // "the": 1 of 4 is not over 25%
		{"dog likes balls", false, ""},
		{"dog likes big dragons", false, ""},                                     // 1 of 4 unknown: 25%
		{"dog likes dragons and castles", false, "words outside the vocabulary"}, // 3 of 5
		{"Lily likes dogs and Tom", true, ""},                                    // names known, "and" unknown: 1 of 5
		{"Lily likes dogs and Tom", false, "words outside the vocabulary"},
		{"", false, ""},
	} {
		c.Names = tc.names
		if got := c.Check(textRec(tc.text)); got != tc.want {
			t.Errorf("VocabCheck(%q, names %v) = %q, want %q", tc.text, tc.names, got, tc.want)
		}
	}
}

func TestSyllablesAndReadability(t *testing.T) {
	for w, want := range map[string]int{
		"cat": 1, "the": 1, "make": 1, "makes": 1, "table": 2, "little": 2, "apple": 2, "smile": 1,
		"happy": 2, "jumped": 1, "played": 1, "wanted": 2, "boxes": 2, "tree": 1, "beautiful": 3,
		"elephant": 3, "yellow": 2, "butterfly": 3, "goes": 1, "": 0, "123": 0, "I": 1,
	} {
		if got := Syllables(w); got != want {
			t.Errorf("Syllables(%q) = %d, want %d", w, got, want)
		}
	}
	simple := "The cat sat. The dog ran. It was fun."
	hard := "Notwithstanding considerable institutional resistance, the administration implemented comprehensive environmental regulations affecting manufacturing."
	if a, b := FleschKincaid(simple), FleschKincaid(hard); !(a < 1 && b > 12) {
		t.Errorf("grades: simple %.2f, hard %.2f", a, b)
	}
	// 3 sentences, 9 words, 9 syllables: 0.39·3 + 11.8·1 − 15.59.
	if got, want := FleschKincaid(simple), 0.39*3+11.8-15.59; math.Abs(got-want) > 1e-9 {
		t.Errorf("FleschKincaid(%q) = %v, want %v", simple, got, want)
	}
	if FleschKincaid("") != 0 || FleschKincaid("!!!") != 0 {
		t.Error("no words should grade 0")
	}
	if got := sentences("Hi. Hi!! Hi?! no end"); got != 4 {
		t.Errorf("sentences = %d, want 4", got)
	}
}

func TestSafety(t *testing.T) {
	s := Safety{List: DefaultBlocklist(), UseVerdict: true}
	for text, want := range map[string]string{
		"The class went to the park to see the grass.":       "",
		"She passed the assistant a glass of milk.":          "",
		"They visited Scunthorpe and Essex.":                 "",
		"The horse slept in the stable.":                     "",
		"Mom said: Hello! Then they skipped.":                "",
		"Cocktail? Therapist? Analysis? Sussex? Grapefruit?": "",
		"He was an ass.":                "profanity",
		"What an ASS!":                  "profanity",
		"Two asses ate hay.":            "profanity",
		"Oh shit, the ball!":            "profanity",
		"It was shitty.":                "profanity",
		"The dragon killed the knight.": "violence",
		"The dragon kills.":             "violence",
		"A murderer came.":              "violence",
		"He stabbed the bread.":         "violence",
		"Sexual content.":               "sexual",
		"The porno shop.":               "sexual",
		"He wanted to kill   himself.":  "violence", // "kill" is listed under violence, which comes first
		"Thoughts of suicide.":          "self-harm",
		"They smoked crack  pipes.":     "drugs",
		"":                              "",
	} {
		if got := s.Check(textRec(text)); got != want {
			t.Errorf("Safety.Check(%q) = %q, want %q", text, got, want)
		}
	}
	for line, want := range map[string]string{
		`{"text": "A nice story.", "judge": {"child_safe": false}}`: "teacher: not for a child",
		`{"text": "A nice story.", "judge": {"child_safe": true}}`:  "",
		`{"text": "A nice story.", "judge": {"child_safe": "no"}}`:  "teacher: not for a child",
		`{"text": "A nice story.", "child_safe": "No"}`:             "teacher: not for a child",
		`{"text": "A nice story.", "judge": {"error": "bad"}}`:      "",
		`{"text": "A nice story.", "judge": "weird"}`:               "",
		`{"text": "A nice story.", "judge": {"child_safe": 3}}`:     "",
	} {
		if got := s.Check(rec(t, line)); got != want {
			t.Errorf("Safety.Check(%s) = %q, want %q", line, got, want)
		}
	}
	if got := (Safety{List: DefaultBlocklist()}).Check(rec(t, `{"text": "x", "judge": {"child_safe": false}}`)); got != "" {
		t.Errorf("without UseVerdict the verdict dropped a record: %q", got)
	}
}

func TestDefaultBlocklist(t *testing.T) {
	b, err := ParseBlocklist(strings.NewReader(defaultSafety))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range b.cats {
		names = append(names, c.name)
	}
	if want := []string{"hate", "sexual", "violence", "self-harm", "drugs", "profanity"}; !reflect.DeepEqual(names, want) {
		t.Errorf("categories %q, want %q", names, want)
	}
	custom, err := ParseBlocklist(strings.NewReader("[monsters]\nboogeyman\nscary  thing\ngrr*\n"))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{"the boogeymen": false, "two boogeymans": true, "a scary\nthing": true, "Grrrr!": true, "agrr": false} {
		if _, _, got := custom.Match(text); got != want {
			t.Errorf("custom.Match(%q) = %v, want %v", text, got, want)
		}
	}
	for _, bad := range []string{"", "[x]\n", "bad(regexp\n", "two  **\n", "*\n"} {
		if _, err := ParseBlocklist(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseBlocklist(%q): no error", bad)
		}
	}
}

func TestExactDedup(t *testing.T) {
	p := Pipeline{Steps: []Step{NewExactDedup()}}
	in := strings.Join([]string{
		`{"id":1,"text":"The cat sat."}`,
		`{"id":2,"text":"the  CAT sat"}`, // same after normalization
		`{"id":3,"text":"The cat sat on the mat."}`,
		`{"id":4,"text":"The cat sat."}`,
	}, "\n")
	out, rep := run(t, p, in)
	if want := `{"id":1,"text":"The cat sat."}` + "\n" + `{"id":3,"text":"The cat sat on the mat."}` + "\n"; out != want {
		t.Errorf("output %q", out)
	}
	if d := rep.Steps[1]; d.In != 4 || d.Kept != 2 || d.Dropped["duplicate"] != 2 {
		t.Errorf("report %+v", d)
	}
}

// story makes a text of n words from a seed.
func story(seed uint64, n int) []string {
	vocab := strings.Fields("the a cat dog ran sat jumped happy sad big small red blue tree park ball home mom dad friend sun rain played found lost saw said went came then and but")
	r := rand.New(rand.NewPCG(seed, 1))
	w := make([]string, n)
	for i := range w {
		w[i] = vocab[r.IntN(len(vocab))]
	}
	return w
}

func TestMinHash(t *testing.T) {
	m := NewMinHasher(128, 5)
	a := story(1, 100)
	b := append([]string(nil), a...)
	b[50] = "elephant" // one word in 100
	sa, sb := m.Sign(strings.Join(a, " ")), m.Sign(strings.Join(b, " "))
	sc := m.Sign(strings.Join(story(2, 100), " "))
	if !reflect.DeepEqual(sa, NewMinHasher(128, 5).Sign(strings.Join(a, " "))) {
		t.Error("signatures differ between hashers: not deterministic")
	}
	// True Jaccard of a and b: 96 shingles, 5 changed: 91/101 ≈ 0.90.
	if s := sa.Similarity(sb); s < 0.8 {
		t.Errorf("one word in 100 changed: similarity %.3f", s)
	}
	if s := sa.Similarity(sc); s > 0.2 {
		t.Errorf("unrelated: similarity %.3f", s)
	}
	if m.Sign("") != nil || m.Sign("...") != nil {
		t.Error("a text without words has a signature")
	}
	if s := m.Sign("hi there"); len(s) != 128 || s.Similarity(m.Sign("Hi, there!")) != 1 {
		t.Error("short texts: one shingle, case and punctuation ignored")
	}
	if b, r := LSHParams(0.8, 128); b != 9 || r != 13 {
		t.Errorf("LSHParams(0.8, 128) = %d, %d; want 9, 13 (as datasketch)", b, r)
	}
}

func TestNearDedup(t *testing.T) {
	var lines []string
	var want []int // ids expected out
	for i := range 50 {
		w := story(uint64(100+i), 100)
		lines = append(lines, fmt.Sprintf(`{"id":%d,"text":%q}`, len(lines), strings.Join(w, " ")))
		want = append(want, len(lines)-1)
		if i%5 == 0 { // a copy with one word in 100 changed: dropped
			w[i+10] = "zebra"
			lines = append(lines, fmt.Sprintf(`{"id":%d,"text":%q}`, len(lines), strings.Join(w, " ")))
		}
		if i%7 == 0 { // a copy with a third of the words changed: kept
			for j := 0; j < len(w); j += 3 {
				w[j] = "giraffe"
			}
			lines = append(lines, fmt.Sprintf(`{"id":%d,"text":%q}`, len(lines), strings.Join(w, " ")))
			want = append(want, len(lines)-1)
		}
	}
	var outs []string
	for _, k := range []int{0, 0, 5} { // the default (3) twice: deterministic; and 5
		nd, err := NewNearDedup(0.8, 128, k)
		if err != nil {
			t.Fatal(err)
		}
		out, rep := run(t, Pipeline{Steps: []Step{nd}}, strings.Join(lines, "\n"))
		var got []int
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var id int
			fmt.Sscanf(l, `{"id":%d`, &id)
			got = append(got, id)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("kept ids %v\nwant %v", got, want)
		}
		if d := rep.Steps[1]; d.Dropped["near-duplicate"] != 10 {
			t.Errorf("report %+v", d)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] {
		t.Error("two runs differ")
	}
	// A 50-word text with one word changed: caught by 3-word shingles.
	a := story(7, 50)
	b := append([]string(nil), a...)
	b[25] = "zebra"
	nd, _ := NewNearDedup(0.8, 0, 0)
	in := fmt.Sprintf(`{"text":%q}`+"\n"+`{"text":%q}`, strings.Join(a, " "), strings.Join(b, " "))
	if out, _ := run(t, Pipeline{Steps: []Step{nd}}, in); strings.Count(out, "\n") != 1 {
		t.Errorf("one word in 50 changed was not caught:\n%s", out)
	}
	for _, bad := range []float64{0, -0.5, 1.5, math.NaN()} {
		if _, err := NewNearDedup(bad, 128, 5); err == nil {
			t.Errorf("NewNearDedup(%v): no error", bad)
		}
	}
}

// run runs p over in and returns its output and report.
func run(t *testing.T, p Pipeline, in ...string) (string, Report) {
	t.Helper()
	var inputs []Input
	for i, s := range in {
		inputs = append(inputs, Input{Name: fmt.Sprint("in", i), R: strings.NewReader(s)})
	}
	var out bytes.Buffer
	rep, err := p.Run(context.Background(), inputs, &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), rep
}

func TestPipeline(t *testing.T) {
	vocab := NewVocabulary(strings.Fields("the a cat dog sat ran on mat and was happy it big day sun")...)
	nd, _ := NewNearDedup(0.8, 128, 5)
	p := Pipeline{
		Steps: []Step{
			Length{MinWords: 3, MaxWords: 60},
			English{},
			Safety{List: DefaultBlocklist(), UseVerdict: true},
			VocabCheck{Vocab: vocab, MaxOOV: 0.1},
			NewExactDedup(),
			nd,
		},
		Order: Readability{},
	}
	in1 := strings.Join([]string{
		`{"text":"The cat sat on the mat and the dog ran."}`, // kept
		`not json`,        // read: not a JSON object
		``,                // blank: ignored
		`{"txt":"x"}`,     // read: no text
		`{"text":"Cat."}`, // length
		`{"text":"Le chat est sur le tapis et le chien court."}`,          // lang
		`{"text":"The cat was happy, the dog was a bastard."}`,            // safety
		`{"text":"The cat sat on the mat.", "judge":{"child_safe":"no"}}`, // safety (verdict)
		`{"text":"The cat sat on the xylophone and the dog meditated."}`,  // vocab
	}, "\n")
	in2 := strings.Join([]string{
		`{"text":"the cat sat on the mat, and the dog ran!"}`, // dedup
		`{"text":"It was a big day. The sun was happy. The cat sat. The dog ran."}`,
		`{"text":"It was a big day. The sun was happy. The cat sat. The dog ran!"}`, // dedup
		`{"text":"It was a big day. The sun was happy. The cat sat. The dog ran. The cat was happy. The dog was happy and the cat was happy. It was a big, big day. The sun was happy. The cat sat on the mat. The dog ran. The dog ran."}`,
		`{"text":"It was a big day. The sun was happy. The cat sat. The dog ran. The cat was happy. The dog was happy and the cat was happy. It was a big, big day. The sun was happy. The cat sat on the mat. The dog ran. The dog sat."}`, // near-dup: the last word changed
	}, "\n")
	out, rep := run(t, p, in1, in2)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out)
	}
	// Easiest first: short sentences before the one long one.
	if !strings.HasPrefix(lines[0], `{"text":"It was a big day.`) || !strings.HasPrefix(lines[2], `{"text":"The cat sat on the mat and the dog ran."}`) {
		t.Errorf("order:\n%s", out)
	}
	var tab bytes.Buffer
	rep.WriteTable(&tab)
	want := []struct {
		name          string
		in, kept      int
		reason        string
		reasonDropped int
	}{
		{"read", 13, 11, "not a JSON object", 1},
		{"length", 11, 10, "under 3 words", 1},
		{"lang", 10, 9, "few English words", 1},
		{"safety", 9, 7, "profanity", 1},
		{"vocab", 7, 6, "words outside the vocabulary", 1},
		{"dedup", 6, 4, "duplicate", 2},
		{"near-dup", 4, 3, "near-duplicate", 1},
	}
	for i, w := range want {
		s := rep.Steps[i]
		if s.Name != w.name || s.In != w.in || s.Kept != w.kept || s.Dropped[w.reason] != w.reasonDropped {
			t.Errorf("step %d: %+v, want %+v\n%s", i, s, w, tab.String())
		}
	}
	if rep.Written != 3 || rep.Order != "readability" || !(rep.MinKey < rep.MaxKey) {
		t.Errorf("report %+v", rep)
	}
	for _, s := range []string{"step", "read", `no "text" string: 1`, "teacher: not for a child: 1", "ordered by readability", "wrote 3 records"} {
		if !strings.Contains(tab.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, tab.String())
		}
	}
}

// TestOrderStable: equal grades keep their input order.
func TestOrderStable(t *testing.T) {
	in := `{"text":"A dog ran.","n":1}` + "\n" + `{"text":"Notwithstanding considerable resistance."}` + "\n" + `{"text":"A cat ran.","n":2}` + "\n" + `{"text":"A dog ran.","n":3}`
	out, _ := run(t, Pipeline{Order: Readability{}}, in)
	want := `{"text":"A dog ran.","n":1}` + "\n" + `{"text":"A cat ran.","n":2}` + "\n" + `{"text":"A dog ran.","n":3}` + "\n" + `{"text":"Notwithstanding considerable resistance."}` + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestPipelineBadInput(t *testing.T) {
	long := `{"text":"` + strings.Repeat("a", maxLine) + `"}`
	in := "\x00\xff\n{\"text\":\"ok\"}\n" + long + "\n{\"text\":\"last\"}"
	out, rep := run(t, Pipeline{Steps: []Step{Length{}}}, in)
	if out != "{\"text\":\"ok\"}\n{\"text\":\"last\"}\n" {
		t.Errorf("output %q", out)
	}
	if r := rep.Steps[0]; r.In != 4 || r.Kept != 2 || r.Dropped[errTooLong.Error()] != 1 || r.Dropped["not a JSON object"] != 1 {
		t.Errorf("read report %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&Pipeline{}).Run(ctx, []Input{{Name: "x", R: strings.NewReader(strings.Repeat("{\"text\":\"a\"}\n", 5000))}}, &bytes.Buffer{}); err == nil {
		t.Error("cancelled run: no error")
	}
}
