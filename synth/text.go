package synth

import (
	"strings"
)

// builder writes one story (or question, or chat answer) from the world: it
// renders templates against the story's roles, tracks which characters and
// things were mentioned (for pronouns and articles), and collects
// sentences into paragraphs. A worker reuses one builder for many stories.
type builder struct {
	r   *rng
	lex *Lexicon
	w   World

	plan plan

	// Roles of the templates (see template.go).
	hero, friend, helper *Character
	obj, obj2            *Thing
	place                *Place
	spot                 *Word
	spotPrep             string
	body                 *Word
	animal               *Word
	weather              string
	feelWord             string

	out      []byte
	scratch  []byte
	newPara  bool
	para     int
	lastOf   [4]*Character // the last character mentioned, by gender
	prevOf   [4]*Character // the one mentioned before lastOf, by gender
	lastPara []int         // by character ID: paragraph of the last mention
	lastSent []int         // by character ID: sentence of the last mention
	sent     int           // sentences written
	seenT    []bool        // by thing ID: mentioned already
	quotes   int           // lines of dialogue written
}

// s writes one sentence: one of the variants, chosen at random, rendered
// and capitalized.
func (b *builder) s(variants ...string) {
	t := compile(variants[b.r.intn(len(variants))])
	b.sent++
	b.sep()
	start := len(b.out)
	b.render(t)
	b.capitalizeFrom(start)
	b.capitalizeSentences(start)
}

// capitalizeSentences upper-cases the first letter after ". ", "! " and
// "? " from start on: a template may hold more than one sentence.
func (b *builder) capitalizeSentences(start int) {
	for i := start + 2; i < len(b.out); i++ {
		if b.out[i-1] == ' ' && (b.out[i-2] == '.' || b.out[i-2] == '!' || b.out[i-2] == '?') {
			b.capitalizeFrom(i)
		}
	}
}

// sDynamic writes one sentence from a template made at run time (with
// names or numbers in it), which is parsed but not kept in the cache.
func (b *builder) sDynamic(src string) {
	t, err := parseTmpl(src)
	if err != nil {
		b.w.bug("bad template %q: %v", src, err)
		return
	}
	b.sent++
	b.sep()
	start := len(b.out)
	b.render(t)
	b.capitalizeFrom(start)
	b.capitalizeSentences(start)
}

// sep writes what separates the next sentence from the last.
func (b *builder) sep() {
	switch {
	case len(b.out) == 0:
	case b.newPara:
		b.out = append(b.out, "\n\n"...)
	default:
		b.out = append(b.out, ' ')
	}
	b.newPara = false
}

// paragraph starts a new paragraph with the next sentence.
func (b *builder) paragraph() {
	if len(b.out) > 0 {
		b.newPara = true
		b.para++
	}
}

func (b *builder) capitalizeFrom(start int) {
	for i := start; i < len(b.out); i++ {
		c := b.out[i]
		if c == '"' || c == ' ' {
			continue
		}
		if c >= 'a' && c <= 'z' {
			b.out[i] = c - 'a' + 'A'
		}
		return
	}
}

// q writes a line of dialogue spoken by c: one of the line variants
// (first person, without quotes), with "said", "asked" or "shouted" placed
// before or after it. It logs a say event.
func (b *builder) q(c *Character, lines ...string) {
	b.sent++
	line := b.renderString(lines[b.r.intn(len(lines))])
	line = Capitalize(line)
	end := line[len(line)-1]
	var verb string
	switch end {
	case '?':
		verb = "asked"
	case '!':
		verb = pick(b.r, []string{"shouted", "cried", "said", "said"})
	default:
		verb = pick(b.r, []string{"said", "said", "said", "whispered"})
	}
	b.sep()
	start := len(b.out)
	if b.r.chance(50) {
		b.out = append(b.out, b.subj(c)...)
		b.out = append(b.out, ' ')
		b.out = append(b.out, verb...)
		b.out = append(b.out, ", \""...)
		b.out = append(b.out, line...)
		b.out = append(b.out, '"')
	} else {
		b.out = append(b.out, '"')
		if end == '.' {
			b.out = append(b.out, line[:len(line)-1]...)
			b.out = append(b.out, ',')
		} else {
			b.out = append(b.out, line...)
		}
		b.out = append(b.out, "\" "...)
		b.out = append(b.out, b.subj(c)...)
		b.out = append(b.out, ' ')
		b.out = append(b.out, verb...)
		b.out = append(b.out, '.')
	}
	b.capitalizeFrom(start)
	b.capitalizeSentences(start)
	b.quotes++
	b.w.mark(evSay, c, nil, "")
}

// talk writes c's line as dialogue when the story has dialogue, else the
// narrated version.
func (b *builder) talk(c *Character, lines []string, narrated ...string) {
	if b.plan.features.Has(Dialogue) {
		b.q(c, lines...)
		return
	}
	b.s(narrated...)
}

// renderString renders a template to a string (for lines of dialogue).
func (b *builder) renderString(src string) string {
	saved := b.out
	b.out = b.scratch[:0]
	b.render(compile(src))
	s := string(b.out)
	b.scratch = b.out
	b.out = saved
	return s
}

func (b *builder) render(t tmpl) {
	for i := range t {
		p := &t[i]
		switch p.kind {
		case pLit:
			b.out = append(b.out, p.lit...)
		case pAlt:
			b.render(p.alts[b.r.intn(len(p.alts))])
		case pRole:
			b.out = append(b.out, b.role(p.role, p.field)...)
		}
	}
}

// role renders one {ROLE.FIELD}.
func (b *builder) role(r byte, field string) string {
	switch r {
	case 'h', 'f', 'm':
		c := b.hero
		if r == 'f' {
			c = b.friend
		} else if r == 'm' {
			c = b.helper
		}
		if c == nil {
			b.w.bug("template uses {%c} but the story has none", r)
			return "someone"
		}
		return b.charField(c, field)
	case 'o', 'x':
		t := b.obj
		if r == 'x' {
			t = b.obj2
		}
		if t == nil {
			b.w.bug("template uses {%c} but the story has none", r)
			return "something"
		}
		return b.thingField(t, field)
	case 'p':
		return b.placeField(b.place, field)
	case 's':
		if field == "at" {
			return b.spotPrep + " the " + b.spot.Text
		}
		if field == "n" {
			return b.spot.Text
		}
		return "the " + b.spot.Text
	case 'b':
		if field == "his" {
			return b.hero.Gender.Possessive() + " " + b.body.Text
		}
		return b.body.Text
	case 'v':
		return verbForm(b.plan.verb.Text, field)
	case 'a':
		return b.plan.adj.Text
	case 'k':
		if field == "n" {
			return b.animal.Text
		}
		return Plural(b.animal.Text)
	case 'w':
		return b.weather
	case '@':
		return b.feelWord
	}
	b.w.bug("unknown role {%c}", r)
	return ""
}

func verbForm(v, field string) string {
	switch field {
	case "past":
		return Past(v)
	case "ing":
		return Gerund(v)
	case "s":
		return Third(v)
	case "pp":
		return PastParticiple(v)
	}
	return v
}

// mention records that c was just named or referred to.
func (b *builder) mention(c *Character) {
	if b.lastOf[c.Gender] != c {
		b.prevOf[c.Gender] = b.lastOf[c.Gender]
	}
	b.lastOf[c.Gender] = c
	for len(b.lastPara) <= c.ID {
		b.lastPara = append(b.lastPara, -1)
		b.lastSent = append(b.lastSent, -1)
	}
	b.lastPara[c.ID] = b.para
	b.lastSent[c.ID] = b.sent
}

// inSentence reports whether c was mentioned in this sentence already
// (and is the last of its gender): then only a pronoun reads well.
func (b *builder) inSentence(c *Character) bool {
	return b.pronounOK(c) && b.lastSent[c.ID] == b.sent
}

// pronounOK reports whether c can be called he/she here: c is the last
// character of its gender mentioned, in this paragraph, and no other of
// that gender was mentioned in this sentence or the one before.
func (b *builder) pronounOK(c *Character) bool {
	if b.lastOf[c.Gender] != c || c.ID >= len(b.lastPara) || b.lastPara[c.ID] != b.para || b.lastSent[c.ID] < b.sent-2 {
		return false
	}
	if o := b.prevOf[c.Gender]; o != nil && b.lastSent[o.ID] >= b.sent-1 && b.lastSent[c.ID] != b.sent {
		return false
	}
	return true
}

// nameOf is how the narrator calls c: the name, or "her mom" for grown-ups.
func (b *builder) nameOf(c *Character) string {
	if c.Name != "" {
		return c.Name
	}
	if c.Kind.is(tAddr) && c.ID < len(b.lastPara) && b.lastPara[c.ID] >= 0 && b.r.chance(50) {
		return Capitalize(c.Kind.Text) // "Mom", once she has been introduced
	}
	if c.Owner != nil {
		return b.possOf(c.Owner) + " " + c.Kind.Text
	}
	return "the " + c.Kind.Text
}

// subj, obj and possOf are the smart references: a pronoun when it is
// clear who is meant (and the dice say so), else the name.
func (b *builder) subj(c *Character) string {
	if b.inSentence(c) || b.pronounOK(c) && b.r.chance(65) {
		b.mention(c)
		return c.Gender.Subject()
	}
	n := b.nameOf(c)
	b.mention(c)
	return n
}

func (b *builder) objRef(c *Character) string {
	if b.inSentence(c) || b.pronounOK(c) && b.r.chance(65) {
		b.mention(c)
		return c.Gender.Object()
	}
	n := b.nameOf(c)
	b.mention(c)
	return n
}

func (b *builder) possOf(c *Character) string {
	if b.pronounOK(c) {
		b.mention(c)
		return c.Gender.Possessive()
	}
	n := b.nameOf(c)
	b.mention(c)
	return Possessive(n)
}

func (b *builder) charField(c *Character, field string) string {
	switch field {
	case "":
		return b.subj(c)
	case "obj":
		return b.objRef(c)
	case "poss":
		return b.possOf(c)
	case "name":
		n := b.nameOf(c)
		b.mention(c)
		return n
	case "he":
		b.mention(c)
		return c.Gender.Subject()
	case "him":
		b.mention(c)
		return c.Gender.Object()
	case "his":
		b.mention(c)
		return c.Gender.Possessive()
	case "self":
		return c.Gender.Reflexive()
	case "desc":
		return c.Desc
	case "adesc":
		return WithArticle(c.Desc)
	case "rel":
		return c.Rel
	case "kind":
		return c.Kind.Text
	case "kinds":
		return Plural(c.Kind.Text)
	case "addr":
		return addrOf(c)
	case "voc":
		if a := addrOf(c); a != "" {
			return ", " + a
		}
		return ""
	}
	b.w.bug("unknown character field %q", field)
	return ""
}

// addrOf is how characters call c in dialogue: the name, "Mom", or "" when
// c has no name to be called by (the teacher).
func addrOf(c *Character) string {
	if c.Name != "" {
		return c.Name
	}
	if c.Kind.is(tAddr) {
		return Capitalize(c.Kind.Text)
	}
	return ""
}

// adjNoun is the thing's noun with its describing words: "big red ball".
func adjNoun(t *Thing) string {
	if len(t.Adjs) == 0 {
		return t.Noun.Text
	}
	return strings.Join(t.Adjs, " ") + " " + t.Noun.Text
}

func indefinite(t *Thing) string {
	an := adjNoun(t)
	if t.Noun.is(tMass) {
		return "some " + an
	}
	return WithArticle(an)
}

func (b *builder) seen(t *Thing) bool {
	return t.ID < len(b.seenT) && b.seenT[t.ID]
}

func (b *builder) markSeen(t *Thing) {
	for len(b.seenT) <= t.ID {
		b.seenT = append(b.seenT, false)
	}
	b.seenT[t.ID] = true
}

func (b *builder) thingField(t *Thing, field string) string {
	switch field {
	case "":
		if !b.seen(t) {
			b.markSeen(t)
			if t.Owner != nil {
				return b.possOf(t.Owner) + " " + adjNoun(t)
			}
			return indefinite(t)
		}
		if t.Owner != nil && b.r.chance(50) {
			return b.possOf(t.Owner) + " " + t.Noun.Text
		}
		return "the " + t.Noun.Text
	case "the":
		b.markSeen(t)
		return "the " + t.Noun.Text
	case "a":
		b.markSeen(t)
		return indefinite(t)
	case "an":
		b.markSeen(t)
		return adjNoun(t)
	case "his":
		b.markSeen(t)
		if t.Owner != nil {
			return b.possOf(t.Owner) + " " + t.Noun.Text
		}
		return "the " + t.Noun.Text
	case "n":
		return t.Noun.Text
	case "another": // "a new cup", "some more ice"
		if t.Noun.is(tMass) {
			return "some more " + t.Noun.Text
		}
		return "a new " + t.Noun.Text
	case "gen": // generic: "a cup", "ice"
		if t.Noun.is(tMass) {
			return t.Noun.Text
		}
		return WithArticle(t.Noun.Text)
	case "ns":
		if t.Noun.is(tMass) {
			return t.Noun.Text
		}
		return Plural(t.Noun.Text)
	case "it":
		return "it"
	case "adj":
		return strings.Join(t.Adjs, " ")
	}
	b.w.bug("unknown thing field %q", field)
	return ""
}

func (b *builder) placeField(p *Place, field string) string {
	n := p.Noun
	np := "the " + n.Text
	if n.is(tNoArt) {
		np = n.Text
	}
	switch field {
	case "":
		return np
	case "n":
		return n.Text
	case "in":
		prep := "in"
		switch {
		case n.is(tAt):
			prep = "at"
		case n.is(tOn):
			prep = "on"
		}
		return prep + " " + np
	case "to":
		if n.Text == "home" {
			return "home"
		}
		return "to " + np
	}
	b.w.bug("unknown place field %q", field)
	return ""
}
