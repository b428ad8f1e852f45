package synth

import "testing"

func TestPlural(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"child", "children"}, {"box", "boxes"}, {"baby", "babies"}, {"leaf", "leaves"},
		{"sheep", "sheep"}, {"fish", "fish"}, {"mouse", "mice"}, {"foot", "feet"},
		{"tooth", "teeth"}, {"knife", "knives"}, {"wolf", "wolves"}, {"toy", "toys"},
		{"day", "days"}, {"bus", "buses"}, {"glass", "glasses"}, {"dish", "dishes"},
		{"watch", "watches"}, {"potato", "potatoes"}, {"piano", "pianos"}, {"zoo", "zoos"},
		{"roof", "roofs"}, {"teddy bear", "teddy bears"}, {"ball", "balls"}, {"person", "people"},
		{"puppy", "puppies"}, {"key", "keys"}, {"stomach", "stomachs"}, {"snowman", "snowmen"},
	} {
		if got := Plural(c.in); got != c.want {
			t.Errorf("Plural(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestVerbForms(t *testing.T) {
	for _, c := range []struct{ base, past, pp, third, ing string }{
		{"run", "ran", "run", "runs", "running"},
		{"drop", "dropped", "dropped", "drops", "dropping"},
		{"cry", "cried", "cried", "cries", "crying"},
		{"go", "went", "gone", "goes", "going"},
		{"play", "played", "played", "plays", "playing"},
		{"bake", "baked", "baked", "bakes", "baking"},
		{"fix", "fixed", "fixed", "fixes", "fixing"},
		{"break", "broke", "broken", "breaks", "breaking"},
		{"see", "saw", "seen", "sees", "seeing"},
		{"lie", "lay", "lain", "lies", "lying"},
		{"visit", "visited", "visited", "visits", "visiting"},
		{"open", "opened", "opened", "opens", "opening"},
		{"hug", "hugged", "hugged", "hugs", "hugging"},
		{"rain", "rained", "rained", "rains", "raining"},
		{"catch", "caught", "caught", "catches", "catching"},
		{"picnic", "picnicked", "picnicked", "picnics", "picnicking"},
		{"admit", "admitted", "admitted", "admits", "admitting"},
		{"have", "had", "had", "has", "having"},
		{"be", "was", "been", "is", "being"},
		{"do", "did", "done", "does", "doing"},
		{"swim", "swam", "swum", "swims", "swimming"},
		{"clean", "cleaned", "cleaned", "cleans", "cleaning"},
		{"snow", "snowed", "snowed", "snows", "snowing"},
		{"pick up", "picked up", "picked up", "picks up", "picking up"},
	} {
		if got := Past(c.base); got != c.past {
			t.Errorf("Past(%q) = %q, want %q", c.base, got, c.past)
		}
		if got := PastParticiple(c.base); got != c.pp {
			t.Errorf("PastParticiple(%q) = %q, want %q", c.base, got, c.pp)
		}
		if got := Third(c.base); got != c.third {
			t.Errorf("Third(%q) = %q, want %q", c.base, got, c.third)
		}
		if got := Gerund(c.base); got != c.ing {
			t.Errorf("Gerund(%q) = %q, want %q", c.base, got, c.ing)
		}
	}
}

func TestArticle(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"apple", "an apple"}, {"ball", "a ball"}, {"hour", "an hour"}, {"unicorn", "a unicorn"},
		{"umbrella", "an umbrella"}, {"egg", "an egg"}, {"owl", "an owl"}, {"uniform", "a uniform"},
		{"honest boy", "an honest boy"}, {"useful tool", "a useful tool"}, {"old dog", "an old dog"},
		{"one", "a one"}, {"ice cream", "an ice cream"}, {"house", "a house"}, {"uncle", "an uncle"},
	} {
		if got := WithArticle(c.in); got != c.want {
			t.Errorf("WithArticle(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestComparison(t *testing.T) {
	for _, c := range []struct{ in, er, est string }{
		{"big", "bigger", "biggest"}, {"happy", "happier", "happiest"}, {"nice", "nicer", "nicest"},
		{"good", "better", "best"}, {"bad", "worse", "worst"}, {"soft", "softer", "softest"},
		{"beautiful", "more beautiful", "most beautiful"}, {"hot", "hotter", "hottest"},
		{"slow", "slower", "slowest"}, {"dry", "drier", "driest"},
	} {
		if got := Comparative(c.in); got != c.er {
			t.Errorf("Comparative(%q) = %q, want %q", c.in, got, c.er)
		}
		if got := Superlative(c.in); got != c.est {
			t.Errorf("Superlative(%q) = %q, want %q", c.in, got, c.est)
		}
	}
}

func TestPronounsAndCapitalize(t *testing.T) {
	for _, c := range []struct {
		g                         Gender
		subj, obj, poss, pp, refl string
	}{
		{Male, "he", "him", "his", "his", "himself"},
		{Female, "she", "her", "her", "hers", "herself"},
		{Neuter, "it", "it", "its", "its", "itself"},
		{Group, "they", "them", "their", "theirs", "themselves"},
	} {
		got := []string{c.g.Subject(), c.g.Object(), c.g.Possessive(), c.g.PossessivePronoun(), c.g.Reflexive()}
		want := []string{c.subj, c.obj, c.poss, c.pp, c.refl}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("gender %d form %d = %q, want %q", c.g, i, got[i], want[i])
			}
		}
	}
	for _, c := range []struct{ in, want string }{
		{"oh no!", "Oh no!"}, {`"oh no!"`, `"Oh no!"`}, {"Lily", "Lily"}, {"", ""}, {"3 cats", "3 cats"},
	} {
		if got := Capitalize(c.in); got != c.want {
			t.Errorf("Capitalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Possessive("Lily"); got != "Lily's" {
		t.Errorf("Possessive = %q", got)
	}
}
