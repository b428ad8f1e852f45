package synth

import (
	"strconv"
	"strings"
)

// Common-sense questions about the story world, in the style of
// lm-evaluation-harness multiple-choice tasks: a context, a question, the
// choices and the index of the right one, plus the answer as text. The right
// answer follows from the world's rules (world.go) and every wrong choice is
// false by the same rules.

// QAItem is one question.
type QAItem struct {
	ID       string   `json:"id"`
	Context  string   `json:"context"`
	Question string   `json:"question"`
	Choices  []string `json:"choices,omitempty"`
	// Gold is the index of the right choice; nil for short-answer items.
	Gold   *int   `json:"gold,omitempty"`
	Answer string `json:"answer"`
	// Kind is the rule asked about: drop, water, sun, wind, rain, feeling,
	// location, give, count, fix, found, why.
	Kind string `json:"kind"`
	// Format is "multiple_choice" or "short_answer".
	Format string `json:"format"`
	// Key names the world facts the item is about (its kind and things,
	// not its names); held-out splits are made by key, so a test item's
	// facts are never in the training split.
	Key  string `json:"key"`
	Seed uint64 `json:"seed"`
}

// Text is the item's text for n-gram decontamination: context, question and
// answer.
func (q *QAItem) Text() string { return q.Context + " " + q.Question + " " + q.Answer }

// The formats of QAItem.
const (
	MultipleChoice = "multiple_choice"
	ShortAnswer    = "short_answer"
)

type qaKind struct {
	name   string
	weight int
	short  bool // can be asked as a short-answer question
	make   func(b *builder, q *qaDraft)
}

// qaDraft is an item being made: the right answer and the wrong choices.
type qaDraft struct {
	context, question string
	answer, short     string // the right choice, and its short-answer form
	wrong             []string
	key               string
}

var qaKinds = []qaKind{
	{"drop", 4, true, qaDrop},
	{"water", 2, false, qaWater},
	{"sun", 2, false, qaSun},
	{"wind", 2, false, qaWind},
	{"rain", 2, false, qaRain},
	{"feeling", 3, true, qaFeeling},
	{"location", 2, true, qaLocation},
	{"give", 2, true, qaGive},
	{"count", 2, true, qaCount},
	{"fix", 2, true, qaFix},
	{"found", 2, true, qaFound},
	{"why", 2, false, qaWhy},
}

// QAKinds returns the kinds of questions.
func QAKinds() []string {
	var out []string
	for _, k := range qaKinds {
		out = append(out, k.name)
	}
	return out
}

// GenerateQA returns the question of a seed; id goes into the item's ID.
func GenerateQA(id int, seed uint64) QAItem {
	b := builderPool.Get().(*builder)
	defer builderPool.Put(b)
	b.reset(seed)
	var ks []*qaKind
	for i := range qaKinds {
		for j := 0; j < qaKinds[i].weight; j++ {
			ks = append(ks, &qaKinds[i])
		}
	}
	k := pick(b.r, ks)
	b.qaCast()
	var d qaDraft
	k.make(b, &d)
	item := QAItem{ID: "qa-" + strconv.Itoa(id), Context: d.context, Question: d.question, Kind: k.name, Key: k.name + "|" + d.key, Seed: seed}
	if k.short && d.short != "" && b.r.chance(30) {
		item.Format, item.Answer = ShortAnswer, d.short
		return item
	}
	item.Format, item.Answer = MultipleChoice, d.answer
	choices := append([]string{d.answer}, d.wrong...)
	if len(choices) > 4 {
		shuffle(b.r, choices[1:])
		choices = choices[:4]
	}
	shuffle(b.r, choices)
	for i, c := range choices {
		if c == d.answer {
			g := i
			item.Gold = &g
		}
	}
	item.Choices = choices
	return item
}

// qaCast makes the characters a question may use.
func (b *builder) qaCast() {
	c := theCatalog()
	kind := pick(b.r, c.kids)
	if b.r.chance(30) {
		kind = pick(b.r, c.animals)
	}
	b.hero = b.w.addChar(b.newChar(kind, "", nil))
	f := b.newChar(pick(b.r, c.kids), "", b.hero)
	f.Rel = "friend"
	b.friend = b.w.addChar(f)
	hk := pick(b.r, c.addrAdults)
	b.helper = b.w.addChar(&Character{Kind: hk, Gender: genderOfKind(b.r, hk), Owner: b.hero})
}

// sentences renders templates, one sentence each, and returns the text.
// Question templates hold names and numbers, so they are not cached.
func (b *builder) sentences(tpls ...string) string {
	b.out = b.out[:0]
	b.newPara = false
	for _, t := range tpls {
		b.sDynamic(t)
	}
	return string(b.out)
}

// line renders one template without touching the sentence being built.
func (b *builder) line(t string) string {
	s := b.renderString(t)
	return Capitalize(s)
}

// thingWhere picks an object that satisfies ok.
func (b *builder) thingWhere(ok func(*Word) bool) *Thing {
	var ws []*Word
	for _, w := range theCatalog().objs {
		if ok(w) {
			ws = append(ws, w)
		}
	}
	t := b.w.addThing(&Thing{Noun: pick(b.r, ws)})
	b.obj = t
	return t
}

// outcome statements, by the rule that makes them true.
var outcomeText = map[Outcome]string{
	Broke: "It broke.", Bounced: "It bounced.", Landed: "It did not break.",
	Floated: "It floated.", Sank: "It sank.", Melted: "It melted.",
	FlewAway: "The wind took it away.", StayedPut: "It stayed where it was.",
	GotWet: "It got wet.", Dried: "It got dry.",
}

type surface struct {
	name  string
	hard  bool
	place string // where it is, for the template
}

var surfaces = []surface{
	{"hard floor", true, "kitchen"}, {"floor", true, "kitchen"}, {"stone path", true, "garden"}, {"ground", true, "park"},
	{"rug", false, "room"}, {"soft grass", false, "park"}, {"bed", false, "bedroom"}, {"pillow", false, "bedroom"},
	{"sand", false, "beach"}, {"soft snow", false, "yard"}, {"blanket", false, "room"},
}

func qaDrop(b *builder, d *qaDraft) {
	var o *Thing
	switch r := b.r.intn(10); {
	case r < 4:
		o = b.thingWhere(func(w *Word) bool { return w.is(tFragile) })
	case r < 6:
		o = b.thingWhere(func(w *Word) bool { return w.is(tBouncy) })
	default:
		o = b.thingWhere(func(w *Word) bool { return !w.is(tMass) && !w.is(tRises) })
	}
	s := pick(b.r, surfaces)
	out := DropOutcome(o.Noun, s.hard)
	surf := "the " + s.name
	d.context = b.sentences(pick(b.r, []string{
		"{h} was holding {o.a}. {h.he} dropped it on " + surf + ".",
		"{o.a} fell out of {h.poss} hands and landed on " + surf + ".",
		"{h} dropped {o.a} on " + surf + ".",
	}))
	d.question = pick(b.r, []string{"What happened to the " + o.Noun.Text + "?", "What did the " + o.Noun.Text + " do when it fell?"})
	truth := map[string]bool{
		outcomeText[Broke]: out == Broke, outcomeText[Bounced]: out == Bounced, outcomeText[Landed]: out != Broke,
		outcomeText[Melted]: false, outcomeText[FlewAway]: false, outcomeText[Sank]: false, "It turned into a bird.": false,
	}
	d.answer = outcomeText[out]
	d.wrong = falseOnes(b.r, truth)
	d.short = d.answer
	if b.r.chance(50) {
		d.question = "Did the " + o.Noun.Text + " break?"
		d.short = "no"
		if out == Broke {
			d.short = "yes"
		}
		d.answer, d.wrong = Capitalize(d.short)+".", []string{"Yes.", "No."}
		d.wrong = removeOne(d.wrong, d.answer)
	}
	hard := "soft"
	if s.hard {
		hard = "hard"
	}
	d.key = o.Noun.Text + "|" + hard
}

// falseOnes returns the statements that are false, in a random order.
func falseOnes(r *rng, truth map[string]bool) []string {
	var out []string
	for _, s := range sortedKeys(truth) {
		if !truth[s] {
			out = append(out, s)
		}
	}
	shuffle(r, out)
	return out
}

func removeOne(xs []string, x string) []string {
	var out []string
	for _, y := range xs {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

func qaWater(b *builder, d *qaDraft) {
	o := b.thingWhere(func(w *Word) bool { _, ok := WaterOutcome(w); return ok && !w.is(tMelt) && !w.is(tMass) })
	out, _ := WaterOutcome(o.Noun)
	where := pick(b.r, []string{"the pond", "the lake", "the bath", "a bucket of water"})
	d.context = b.sentences(pick(b.r, []string{
		"{h} put {o.a} in " + where + ".",
		"{h} dropped {o.a} into " + where + ".",
	}))
	d.question = "What did the " + o.Noun.Text + " do?"
	d.answer = outcomeText[out]
	d.wrong = falseOnes(b.r, map[string]bool{
		outcomeText[Floated]: out == Floated, outcomeText[Sank]: out == Sank,
		outcomeText[Melted]: false, outcomeText[FlewAway]: false, "It caught fire.": false,
	})
	d.key = o.Noun.Text
}

func qaSun(b *builder, d *qaDraft) {
	if b.r.chance(55) {
		o := b.thingWhere(func(w *Word) bool { return w.is(tMelt) })
		d.context = b.sentences(pick(b.r, []string{"{h} left {o.a} in the hot sun.", "It was a hot day. {h} put {o.a} on a rock in the sun."}))
		d.question = "What happened to the " + o.Noun.Text + "?"
		d.answer = outcomeText[Melted]
		d.wrong = falseOnes(b.r, map[string]bool{"It froze.": false, "It got bigger.": false, outcomeText[Bounced]: false, outcomeText[Floated]: false})
		d.key = o.Noun.Text
		return
	}
	o := b.thingWhere(func(w *Word) bool { return w.is(tCloth) })
	d.context = b.sentences(pick(b.r, []string{
		"{h.poss} {o.n} was wet. {h.he} put it in the hot sun.",
		"{h} had played in the rain, and {h.his} {o.n} was all wet. Now the sun was out, so {h.he} left it in the sun.",
		"{h} washed {h.his} {o.n}. Then {h.he} hung it outside on a hot, sunny day.",
	}))
	d.question = "What happened to the " + o.Noun.Text + "?"
	d.answer = outcomeText[Dried]
	d.wrong = falseOnes(b.r, map[string]bool{outcomeText[Melted]: false, "It got wetter.": false, outcomeText[Broke]: false, outcomeText[Sank]: false})
	d.key = o.Noun.Text + "|wet"
}

func qaWind(b *builder, d *qaDraft) {
	var o *Thing
	held := false
	switch r := b.r.intn(3); r {
	case 0:
		o = b.thingWhere(func(w *Word) bool { return w.is(tFlies) || w.is(tRises) })
		d.context = b.sentences("It was a very windy day.", "{h} let go of {o.a}.")
	case 1:
		o = b.thingWhere(func(w *Word) bool { return w.is(tFlies) || w.is(tRises) })
		held = true
		d.context = b.sentences("It was a very windy day.", "{h} held {o.a} tight with both hands.")
	default:
		o = b.thingWhere(func(w *Word) bool { return w.is(tHeavy) && !w.is(tMass) })
		d.context = b.sentences("It was a very windy day.", "{h} put {o.a} on the grass.")
	}
	out := WindOutcome(o.Noun, held)
	d.question = "What happened to the " + o.Noun.Text + "?"
	d.answer = outcomeText[out]
	d.wrong = falseOnes(b.r, map[string]bool{outcomeText[FlewAway]: out == FlewAway, outcomeText[StayedPut]: out == StayedPut,
		outcomeText[Melted]: false, outcomeText[Sank]: false, outcomeText[Broke]: false})
	d.key = o.Noun.Text + "|" + strconv.FormatBool(held)
}

func qaRain(b *builder, d *qaDraft) {
	o := b.thingWhere(func(w *Word) bool {
		return (w.is(tPaper) || w.is(tCloth) || w.is(tToy)) && !w.is(tMelt) && !w.is(tMass)
	})
	covered := b.r.chance(35)
	if covered {
		d.context = b.sentences("It started to rain.", "{h} kept {o.a} under {h.his} umbrella.")
	} else {
		d.context = b.sentences(pick(b.r, []string{"{h} left {o.a} outside in the rain.", "{h} forgot {o.a} on the grass, and then it rained all day."}))
	}
	d.question = "How was the " + o.Noun.Text + " after the rain?"
	wet := RainOutcome(o.Noun, covered) == GotWet
	d.answer = "It was dry."
	if wet {
		d.answer = "It was wet."
	}
	d.wrong = falseOnes(b.r, map[string]bool{"It was wet.": wet, "It was dry.": !wet, "It was hot.": false, "It had melted.": false})
	d.key = o.Noun.Text + "|" + strconv.FormatBool(covered)
}

// feelingEvents are things that happen and the feeling they give, by the
// world's rules of feelings.
var feelingEvents = []struct {
	tpl, group string
	needs      prop // an object with this property, or 0
}{
	{"{h} lost {h.his} {o.n} and could not find it.", "sad", tToy},
	{"{h} found {h.his} lost {o.n}.", "pos", tToy},
	{"{h.poss} {m.kind} gave {h.obj} {o.a} for {h.his} birthday.", "pos", tToy},
	{"{h.poss} favorite {o.n} fell on the floor and broke.", "sad", tFragile},
	{"{h} heard a loud noise in the dark night.", "scared", 0},
	{"{h} ran and played all day long.", "tired", 0},
	{"{h} did not eat anything all day.", "hungry", 0},
	{"{f.name} would not let {h.obj} play with {f.his} toys.", "sad", 0},
	{"{h} won the race at school.", "pos", 0},
	{"{h} had no one to play with all day.", "lonely", 0},
	{"{f.name} took {h.poss} {o.n} and would not give it back.", "angry", tToy},
}

// opposite are the feeling groups that cannot be right when the key is.
var opposite = map[string][]string{
	"sad": {"pos"}, "scared": {"pos", "calm"}, "tired": {"pos"}, "hungry": {"pos"}, "lonely": {"pos"},
	"angry": {"pos", "calm"}, "pos": {"sad", "angry", "scared", "lonely"},
}

func qaFeeling(b *builder, d *qaDraft) {
	c := theCatalog()
	i := b.r.intn(len(feelingEvents))
	e := feelingEvents[i]
	if e.needs != 0 {
		b.thingWhere(func(w *Word) bool { return w.is(e.needs) && !w.is(tMass) })
	}
	d.context = b.sentences(e.tpl)
	d.question = "How did " + b.hero.Name + " feel?"
	right := pick(b.r, c.feel[e.group])
	if e.group == "pos" {
		right = pick(b.r, []*Word{b.lex.Lookup("happy", Adjective), b.lex.Lookup("glad", Adjective), b.lex.Lookup("proud", Adjective)})
	}
	d.answer, d.short = Capitalize(right.Text)+".", right.Text
	seen := map[string]bool{}
	for _, g := range opposite[e.group] {
		for _, w := range c.feel[g] {
			if !seen[w.Text] {
				seen[w.Text] = true
				d.wrong = append(d.wrong, Capitalize(w.Text)+".")
			}
		}
	}
	shuffle(b.r, d.wrong)
	d.key = strconv.Itoa(i)
	if b.obj != nil {
		d.key += "|" + b.obj.Noun.Text
	}
}

func qaLocation(b *builder, d *qaDraft) {
	ps := append([]*Word(nil), theCatalog().places...)
	shuffle(b.r, ps)
	n := 2 + b.r.intn(2)
	path := ps[:n]
	var tpls []string
	b.place = &Place{Noun: path[0]}
	first := b.renderString("{p.in}")
	tpls = append(tpls, "{h} was "+first+".")
	for i, p := range path[1:] {
		b.place = &Place{Noun: p}
		to := b.renderString("{p.to}")
		if i == 0 {
			tpls = append(tpls, "Then {h.he} went "+to+".")
		} else {
			tpls = append(tpls, "After that, {h.he} went "+to+".")
		}
	}
	d.context = b.sentences(tpls...)
	d.question = "Where is " + b.hero.Name + " now?"
	in := func(p *Word) string { b.place = &Place{Noun: p}; return b.renderString("{p.in}") }
	last := in(path[n-1])
	d.answer, d.short = Capitalize(last)+".", last
	for _, p := range path[:n-1] {
		d.wrong = append(d.wrong, Capitalize(in(p))+".")
	}
	d.wrong = append(d.wrong, Capitalize(in(ps[n]))+".")
	d.key = path[n-1].Text
}

func qaGive(b *builder, d *qaDraft) {
	o := b.thingWhere(func(w *Word) bool { return w.is(tToy) && !w.is(tMass) })
	third := b.w.addChar(b.newChar(pick(b.r, theCatalog().kids), "", nil))
	h, f := b.hero.Name, b.friend.Name
	hops := 1 + b.r.intn(2)
	if hops == 1 {
		d.context = b.sentences("{h} had {o.a}.", "{h.he} gave it to {f.name}.")
		d.answer, d.wrong = f, []string{h, third.Name}
	} else {
		d.context = b.sentences("{h} had {o.a}.", "{h.he} gave it to {f.name}.", "Then {f.name} gave it to "+third.Name+".")
		d.answer, d.wrong = third.Name, []string{h, f}
	}
	d.short = d.answer
	d.wrong = append(d.wrong, "Nobody")
	d.question = "Who has the " + o.Noun.Text + " now?"
	d.key = strconv.Itoa(hops) + "|" + o.Noun.Text
}

var numberWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}

func qaCount(b *builder, d *qaDraft) {
	o := b.thingWhere(func(w *Word) bool { return (w.is(tFood) || w.is(tToy) || w.is(tCollect)) && !w.is(tMass) })
	a := 2 + b.r.intn(8)
	k := 1 + b.r.intn(a-1)
	many := func(n int) string {
		if n == 1 {
			return "one " + o.Noun.Text
		}
		return numberWords[n] + " " + Plural(o.Noun.Text)
	}
	add := b.r.chance(40) && a+k <= 10
	var got int
	if add {
		d.context = b.sentences("{h} had "+many(a)+".", "Then {h.he} found "+numberWords[k]+" more.")
		got = a + k
	} else {
		verb := "gave " + numberWords[k] + " to {f.name}"
		if o.Noun.is(tFood) && b.r.chance(50) {
			verb = "ate " + numberWords[k]
		}
		d.context = b.sentences("{h} had "+many(a)+".", "{h.he} "+verb+".")
		got = a - k
	}
	d.question = "How many " + Plural(o.Noun.Text) + " does " + b.hero.Name + " have now?"
	d.answer, d.short = Capitalize(numberWords[got])+".", numberWords[got]
	seen := map[int]bool{got: true}
	for _, w := range []int{a, k, a + k, a - k, got + 1, got - 1} {
		if w >= 0 && w <= 10 && !seen[w] {
			seen[w] = true
			d.wrong = append(d.wrong, Capitalize(numberWords[w])+".")
		}
	}
	op := "minus"
	if add {
		op = "plus"
	}
	d.key = op + "|" + strconv.Itoa(a) + "|" + strconv.Itoa(k)
}

func qaFix(b *builder, d *qaDraft) {
	if b.r.chance(50) {
		o := b.thingWhere(func(w *Word) bool { return CanFix(w) && w.is(tFragile) })
		d.context = b.sentences("{h.poss} {o.n} broke.", "{h.poss} {m.kind} fixed it with glue.")
		d.question = "Is the " + o.Noun.Text + " broken now?"
		d.answer, d.short, d.wrong = "No.", "no", []string{"Yes."}
		d.key = "fixed|" + o.Noun.Text
		return
	}
	o := b.thingWhere(func(w *Word) bool { return w.is(tFragile) })
	d.context = b.sentences("{h} dropped {o.a} on the hard floor, and it broke.")
	d.question = "Can the " + o.Noun.Text + " be fixed with glue?"
	if CanFix(o.Noun) {
		d.answer, d.short, d.wrong = "Yes.", "yes", []string{"No."}
	} else {
		d.answer, d.short, d.wrong = "No.", "no", []string{"Yes."}
	}
	d.key = "can|" + o.Noun.Text
}

func qaFound(b *builder, d *qaDraft) {
	b.thingWhere(func(w *Word) bool { return (w.is(tToy) || w.is(tWear)) && !w.is(tMass) })
	p := pick(b.r, []string{"home", "park", "house", "garden", "school", "yard"})
	ss := spotsAt(b.lex.Lookup(p, Noun))
	shuffle(b.r, ss)
	at := func(s *Word) string { b.spot, b.spotPrep = s, prepFor(b.r, s); return b.renderString("{s.at}") }
	s1, s2, s3 := at(ss[0]), at(ss[1]), at(ss[2])
	d.context = b.sentences("{h} lost {h.his} {o.n}.", "{h.he} looked "+s1+" and "+s2+", but it was not there.", "At last, {h.he} found it "+s3+".")
	d.question = "Where was the " + b.obj.Noun.Text + "?"
	d.answer, d.short = Capitalize(s3)+".", s3
	d.wrong = []string{Capitalize(s1) + ".", Capitalize(s2) + "."}
	if len(ss) > 3 {
		d.wrong = append(d.wrong, Capitalize(at(ss[3]))+".")
	}
	d.key = p + "|" + ss[2].Text
}

func qaWhy(b *builder, d *qaDraft) {
	switch b.r.intn(3) {
	case 0:
		o := b.thingWhere(func(w *Word) bool { return w.is(tFragile) })
		d.context = b.sentences("{h} dropped {o.a} on the hard floor, and it broke into pieces.")
		d.question = "Why did the " + o.Noun.Text + " break?"
		d.answer = "Because it fell on the hard floor."
		d.wrong = []string{"Because it was too cold.", "Because " + b.hero.Name + " was happy.", "Because it was wet."}
		d.key = "break|" + o.Noun.Text
	case 1:
		o := b.thingWhere(func(w *Word) bool { return w.is(tMelt) })
		d.context = b.sentences("It was a hot, sunny day.", "{h} left {o.a} on a rock, and soon it melted.")
		d.question = "Why did the " + o.Noun.Text + " melt?"
		d.answer = "Because the sun was hot."
		d.wrong = []string{"Because it was windy.", "Because it fell down.", "Because " + b.hero.Name + " was sad."}
		d.key = "melt|" + o.Noun.Text
	default:
		o := b.thingWhere(func(w *Word) bool { return (w.is(tPaper) || w.is(tCloth)) && !w.is(tMass) })
		d.context = b.sentences("{h} left {o.a} outside, and it rained all night.", "In the morning, the "+o.Noun.Text+" was wet.")
		d.question = "Why was the " + o.Noun.Text + " wet?"
		d.answer = "Because it was left out in the rain."
		d.wrong = []string{"Because the sun was hot.", "Because it was broken.", "Because it was new."}
		d.key = "wet|" + o.Noun.Text
	}
}

// HeldOut reports whether an item with this key belongs to a held-out
// split of the given fraction: a fixed hash of the key, so the same facts
// are held out in every run.
func HeldOut(key string, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	return float64(mix64(h)>>11)/(1<<53) < fraction
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// Insertion sort: a handful of keys, and no import of sort here.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && strings.Compare(out[j-1], out[j]) > 0; j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}
