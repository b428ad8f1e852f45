package synth

import (
	"regexp"
	"strings"
	"testing"
)

func TestQADeterministic(t *testing.T) {
	for i := 0; i < 100; i++ {
		a, b := GenerateQA(i, SampleSeed(2, i)), GenerateQA(i, SampleSeed(2, i))
		if a.Context != b.Context || a.Question != b.Question || strings.Join(a.Choices, "|") != strings.Join(b.Choices, "|") {
			t.Fatalf("item %d differs between runs", i)
		}
	}
}

var (
	reNoun     = regexp.MustCompile(`(?:What happened to the|What did the|Did the|How was the|Who has the|Is the|Can the) ([a-z ]+?)(?: do| break| after| now| broken| be|\?)`)
	reCount    = regexp.MustCompile(`had (\w+) [^.]*\. (?:Then )?\w+ (?:found (\w+) more|gave (\w+) to|ate (\w+))`)
	reWentLast = regexp.MustCompile(`went (to the [a-z ]+|to school|home)\.$`)
	reGaveLast = regexp.MustCompile(`gave it to (\w+)\.$`)
)

// TestQAConsistentWithRules re-derives the answers of many questions from
// their text and the world's rules, and checks that no wrong choice is also
// right.
func TestQAConsistentWithRules(t *testing.T) {
	l := Vocabulary()
	num := map[string]int{}
	for i, w := range numberWords {
		num[w] = i
	}
	kinds := map[string]int{}
	for i := 0; i < 3000; i++ {
		q := GenerateQA(i, SampleSeed(4, i))
		kinds[q.Kind]++
		fail := func(msg string) { t.Errorf("item %d (%s): %s\n%+v", i, q.Kind, msg, q) }
		switch q.Format {
		case MultipleChoice:
			if q.Gold == nil || *q.Gold < 0 || *q.Gold >= len(q.Choices) || q.Choices[*q.Gold] != q.Answer {
				fail("gold does not point at the answer")
				continue
			}
			seen := map[string]bool{}
			for _, c := range q.Choices {
				if seen[c] {
					fail("repeated choice " + c)
				}
				seen[c] = true
			}
			if len(q.Choices) < 2 {
				fail("fewer than two choices")
			}
		case ShortAnswer:
			if q.Gold != nil || q.Choices != nil || q.Answer == "" {
				fail("short answer with choices")
			}
		default:
			fail("unknown format")
		}
		ans := strings.TrimSuffix(strings.ToLower(q.Answer), ".")
		m := reNoun.FindStringSubmatch(q.Question)
		var noun *Word
		if m != nil {
			noun = l.Lookup(m[1], Noun)
		}
		switch q.Kind {
		case "drop":
			hard := regexp.MustCompile(`on the (hard floor|floor|stone path|ground)\.`).MatchString(q.Context)
			want := DropOutcome(noun, hard)
			if strings.HasPrefix(q.Question, "Did") {
				if (ans == "yes") != (want == Broke) {
					fail("wrong yes/no")
				}
				break
			}
			if q.Answer != outcomeText[want] {
				fail("answer is not " + outcomeText[want])
			}
			if q.Format == MultipleChoice {
				for _, c := range q.Choices {
					if c != q.Answer && (c == outcomeText[Landed] && want != Broke || c == outcomeText[Bounced] && want == Bounced) {
						fail("a wrong choice is true: " + c)
					}
				}
			}
		case "water":
			want, _ := WaterOutcome(noun)
			if q.Answer != outcomeText[want] {
				fail("answer is not " + outcomeText[want])
			}
		case "fix":
			want := "no"
			if strings.HasPrefix(q.Question, "Can") && CanFix(noun) {
				want = "yes"
			}
			if ans != want {
				fail("answer is not " + want)
			}
		case "count":
			c := reCount.FindStringSubmatch(q.Context)
			if c == nil {
				fail("cannot read the numbers")
				break
			}
			want := num[c[1]]
			switch {
			case c[2] != "":
				want += num[c[2]]
			case c[3] != "":
				want -= num[c[3]]
			default:
				want -= num[c[4]]
			}
			if ans != numberWords[want] {
				fail("answer is not " + numberWords[want])
			}
		case "location":
			c := reWentLast.FindStringSubmatch(q.Context)
			if c == nil {
				fail("cannot read the last place")
				break
			}
			if !strings.HasSuffix(ans, strings.TrimPrefix(strings.TrimPrefix(c[1], "to "), "the ")) {
				fail("answer is not the last place " + c[1])
			}
		case "give":
			c := reGaveLast.FindStringSubmatch(q.Context)
			if c == nil || !strings.EqualFold(ans, c[1]) {
				fail("answer is not the last one given to")
			}
		case "feeling":
			w := l.Lookup(ans, Adjective)
			if w == nil || w.Value("feel") == "" {
				fail("answer is not a feeling")
				break
			}
			for _, c := range q.Choices {
				cw := l.Lookup(strings.TrimSuffix(strings.ToLower(c), "."), Adjective)
				if c != q.Answer && cw != nil && cw.Value("feel") == w.Value("feel") {
					fail("a wrong choice has the same feeling: " + c)
				}
			}
		}
		if u := l.Unknown(q.Context + " " + q.Question + " " + strings.Join(q.Choices, " ") + " " + q.Answer); len(u) > 0 {
			fail("words not in the vocabulary: " + strings.Join(u, " "))
		}
	}
	for _, k := range QAKinds() {
		if kinds[k] < 50 {
			t.Errorf("kind %s in only %d of 3000 items", k, kinds[k])
		}
	}
}

func TestHeldOutSplit(t *testing.T) {
	test, n := 0, 0
	keys := map[string]bool{}
	for i := 0; i < 5000; i++ {
		q := GenerateQA(i, SampleSeed(6, i))
		n++
		h := HeldOut(q.Key, 0.2)
		if h {
			test++
		}
		if prev, ok := keys[q.Key]; ok && prev != h {
			t.Fatalf("key %s is in both splits", q.Key)
		}
		keys[q.Key] = h
	}
	if f := float64(test) / float64(n); f < 0.05 || f > 0.45 {
		t.Errorf("held out %.2f of items for a fraction of 0.2", f)
	}
	if HeldOut("x", 0) {
		t.Error("fraction 0 holds out")
	}
}
