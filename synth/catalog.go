package synth

import (
	"strings"
	"sync"
)

// catalog sorts the word list into what the story world can use: character
// kinds, objects, places, and the words that can be a story's required
// noun, verb or adjective (each of which the generator knows how to put in
// a story).
type catalog struct {
	lex *Lexicon

	nouns, verbs, adjs []*Word // words that can be required

	kids, animals []*Word // character kinds
	adults        []*Word // grown-ups who can help
	addrAdults    []*Word // grown-ups called by their kind ("Mom")
	kins          []*Word // friend, sister, ...
	objs          []*Word
	places        []*Word
	spots         []*Word
	bodies        []*Word
	scenes        []*Word
	traits        []*Word
	colors        []*Word
	feel          map[string][]*Word // feeling words by group
	weathers      []*Word
	femaleNames   []Name
	maleNames     []Name
	petNames      []Name
	animalWords   map[string][]*Word // tr:animal verb -> animals it fits
}

var theCatalog = sync.OnceValue(func() *catalog { return newCatalog(Vocabulary()) })

func newCatalog(l *Lexicon) *catalog {
	c := &catalog{lex: l, feel: map[string][]*Word{}, animalWords: map[string][]*Word{}}
	for _, w := range l.Words {
		switch w.POS {
		case Noun:
			switch {
			case w.is(tChar) && w.is(tKid):
				c.kids = append(c.kids, w)
			case w.is(tChar):
				c.animals = append(c.animals, w)
			case w.is(tAdult):
				c.adults = append(c.adults, w)
				if w.is(tAddr) {
					c.addrAdults = append(c.addrAdults, w)
				}
			case w.is(tKin):
				c.kins = append(c.kins, w)
			}
			if w.is(tObj) {
				c.objs = append(c.objs, w)
			}
			if w.is(tPlace) {
				c.places = append(c.places, w)
			}
			if w.is(tSpot) {
				c.spots = append(c.spots, w)
			}
			if w.is(tBody) && w.is(tHurt) {
				c.bodies = append(c.bodies, w)
			}
			if w.is(tScene) && sceneLines[w.Text] != nil {
				c.scenes = append(c.scenes, w)
			}
		case Adjective:
			switch {
			case w.is(tTrait):
				c.traits = append(c.traits, w)
			case w.is(tColor):
				c.colors = append(c.colors, w)
			case w.is(tWeather):
				c.weathers = append(c.weathers, w)
			}
			if g := w.Value("feel"); g != "" {
				c.feel[g] = append(c.feel[g], w)
			}
		}
	}
	for _, n := range l.Names {
		switch n.Gender {
		case Female:
			c.femaleNames = append(c.femaleNames, n)
		case Male:
			c.maleNames = append(c.maleNames, n)
		default:
			c.petNames = append(c.petNames, n)
		}
	}
	for v, animals := range animalVerbs {
		for _, a := range animals {
			if w := l.Lookup(a, Noun); w != nil {
				c.animalWords[v] = append(c.animalWords[v], w)
			}
		}
	}
	// The words a story can be asked to use.
	for _, w := range l.Words {
		if c.canRequire(w) {
			switch w.POS {
			case Noun:
				c.nouns = append(c.nouns, w)
			case Verb:
				c.verbs = append(c.verbs, w)
			case Adjective:
				c.adjs = append(c.adjs, w)
			}
		}
	}
	return c
}

// animalVerbs are the verbs done to animals ("feed the ducks") and the
// animals they fit.
var animalVerbs = map[string][]string{
	"feed":  {"duck", "bird", "fish", "chicken", "goat", "rabbit", "pig"},
	"watch": {"bird", "butterfly", "fish", "ant", "bee", "duck", "squirrel"},
	"pet":   {"cat", "dog", "bunny", "puppy", "kitten", "horse", "pony"},
	"chase": {"butterfly", "bird", "duck", "chicken", "bubble"},
}

// canRequire reports whether the generator knows how to use w in any story.
func (c *catalog) canRequire(w *Word) bool {
	switch w.POS {
	case Noun:
		return w.is(tChar) || w.is(tAdult) || w.is(tKin) || w.is(tObj) || w.is(tPlace) ||
			(w.is(tSpot) && !w.is(tScene)) || (w.is(tBody) && w.is(tHurt)) || sceneLines[w.Text] != nil
	case Verb:
		if w.is(tAct) {
			return true
		}
		if t := w.Value("tr"); t != "" {
			if t == "animal" {
				return len(animalVerbs[w.Text]) > 0
			}
			return len(c.objsWith(t)) > 0
		}
		if w.is(tPlot) {
			if verbLines[w.Text] != nil {
				return true
			}
			for _, p := range plots {
				for _, v := range p.verbs {
					if v == w.Text {
						return true
					}
				}
			}
		}
	case Adjective:
		switch {
		case w.is(tColor), w.is(tSize), w.is(tLook), w.is(tTrait), w.is(tWeather):
			return true
		case w.Value("prop") != "":
			return len(c.objsWith(w.Value("prop"))) > 0
		case w.Value("feel") != "":
			return feelLines[w.Value("feel")] != nil
		case w.is(tState):
			return stateLines[w.Text] != nil
		}
	}
	return false
}

// objsWith returns the objects with a property ("obj": all of them).
func (c *catalog) objsWith(prop string) []*Word {
	if prop == "obj" {
		return c.objs
	}
	p, ok := propByName[prop]
	if !ok {
		return nil
	}
	var out []*Word
	for _, o := range c.objs {
		if o.is(p) {
			out = append(out, o)
		}
	}
	return out
}

// fits reports whether object o can carry the adjective a as a describing
// word: colors for things that come in colors, sizes and looks for all,
// properties for things that have them.
func fits(o, a *Word) bool {
	switch {
	case a.is(tColor):
		return !o.is(tNoColor)
	case a.is(tSize), a.is(tLook):
		return !o.is(tMass)
	case a.Value("prop") != "":
		p := a.Value("prop")
		if p == "food" {
			return o.is(tFood) || o.is(tDrink)
		}
		b, ok := propByName[p]
		return ok && o.is(b)
	}
	return false
}

// describes reports whether a is a word that describes an object.
func describes(a *Word) bool {
	return a.is(tColor) || a.is(tSize) || a.is(tLook) || a.Value("prop") != ""
}

// hasForm reports whether text uses the word w in any of its forms (for a
// compound, the words in a row); the text must be lower case.
func hasForm(lower string, w *Word) bool {
	for _, f := range Forms(w) {
		if containsWord(lower, f) {
			return true
		}
	}
	return false
}

// containsWord reports whether s contains w between non-letters.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isLetter(s[j-1])) && (end == len(s) || !isLetter(s[end]) || strings.HasPrefix(s[end:], "'s")) {
			return true
		}
		i = j + 1
	}
}
