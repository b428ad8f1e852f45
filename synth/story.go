package synth

import (
	"strings"
	"sync"
)

// Story is one generated story with its TinyStories-style metadata.
type Story struct {
	ID          int           `json:"id"`
	Seed        uint64        `json:"seed"`
	Instruction string        `json:"instruction"`
	Words       RequiredWords `json:"words"`
	Features    []string      `json:"features"`
	Plot        string        `json:"plot"`
	Text        string        `json:"text"`

	// Hero, HeroGender and Object describe the story's main character and
	// thing (not written to JSON), for questions about the story.
	Hero       string `json:"-"`
	HeroGender Gender `json:"-"`
	Object     string `json:"-"`

	// Events is the world's log of what happened in the story, in order
	// (not written to JSON): tests replay it to check the world's rules.
	Events []Event `json:"-"`
	// Things are the story's objects, indexed by Event.Object.
	Things []*Thing `json:"-"`
	// Problems lists generator bugs found while writing (world rules
	// broken, required words missing); always empty in a correct build.
	Problems []string `json:"-"`
}

// RequiredWords are the words a story must use, as TinyStories asks.
type RequiredWords struct {
	Noun      string `json:"noun"`
	Verb      string `json:"verb"`
	Adjective string `json:"adjective"`
}

// StorySpec asks for a particular story; empty fields are chosen at random
// from the seed. Words must be from the word list and usable by the story
// world (see RequirableWords).
type StorySpec struct {
	Noun, Verb, Adjective string
	// Features, when HasFeatures is set, replaces the random choice.
	Features    Features
	HasFeatures bool
	// HeroKind ("cat") and Trait ("brave") describe the main character.
	HeroKind, Trait string
	// Plot names the plot ("lost", "break", ...; see Plots).
	Plot string
}

// plan is what a story is built around, chosen before it is written.
type plan struct {
	noun, verb, adj *Word
	features        Features
	order           []Feature // features in the order the instruction lists them
	plot            *plotDef
	force           map[*Word]bool // required words that get a fallback sentence
	spec            StorySpec
}

var builderPool = sync.Pool{New: func() any { return &builder{} }}

// GenerateStory returns the story of a seed (see SampleSeed); id is only
// recorded in the result.
func GenerateStory(id int, seed uint64) Story {
	s, _ := generateStory(id, seed, StorySpec{})
	return s
}

// GenerateStorySpec returns a story of the seed that follows spec.
func GenerateStorySpec(seed uint64, spec StorySpec) (Story, error) {
	if err := checkSpec(spec); err != nil {
		return Story{}, err
	}
	return generateStory(0, seed, spec)
}

func generateStory(id int, seed uint64, spec StorySpec) (Story, error) {
	b := builderPool.Get().(*builder)
	defer builderPool.Put(b)
	var force map[*Word]bool
	var st Story
	for attempt := 0; attempt < 3; attempt++ {
		// The same seed gives the same choices; a second attempt only
		// adds fallback sentences for required words the plot left out.
		b.reset(seed)
		b.choose(spec)
		b.plan.force = force
		b.write()
		st = b.result(id, seed)
		missing := b.missing()
		if len(missing) == 0 {
			return st, nil
		}
		if force == nil {
			force = map[*Word]bool{}
		}
		for _, w := range missing {
			force[w] = true
		}
	}
	for _, w := range b.missing() {
		st.Problems = append(st.Problems, "required word missing: "+w.Text)
	}
	return st, nil
}

func (b *builder) reset(seed uint64) {
	b.r = newRNG(seed)
	b.lex = Vocabulary()
	b.w.reset()
	b.plan = plan{}
	b.hero, b.friend, b.helper, b.obj, b.obj2, b.place = nil, nil, nil, nil, nil, nil
	b.spot, b.spotPrep, b.body, b.animal, b.weather, b.feelWord = nil, "", nil, nil, "", ""
	b.out = b.out[:0]
	b.newPara, b.para, b.quotes = false, 0, 0
	b.lastOf, b.prevOf = [4]*Character{}, [4]*Character{}
	b.lastPara, b.lastSent, b.sent = b.lastPara[:0], b.lastSent[:0], 0
	b.seenT = b.seenT[:0]
}

func (b *builder) result(id int, seed uint64) Story {
	p := &b.plan
	st := Story{
		ID: id, Seed: seed,
		Instruction: Instruction(p.noun.Text, p.verb.Text, p.adj.Text, p.features, p.order),
		Words:       RequiredWords{Noun: p.noun.Text, Verb: p.verb.Text, Adjective: p.adj.Text},
		Features:    p.features.Names(),
		Plot:        p.plot.name,
		Text:        string(b.out),
		Events:      append([]Event(nil), b.w.Log...),
		Things:      append([]*Thing(nil), b.w.Things...),
		Problems:    append([]string(nil), b.w.errs...),
		Hero:        b.hero.Name,
		HeroGender:  b.hero.Gender,
	}
	if b.obj != nil {
		st.Object = b.obj.Noun.Text
	}
	return st
}

// missing returns the required words the text does not use.
func (b *builder) missing() []*Word {
	lower := strings.ToLower(string(b.out))
	var out []*Word
	for _, w := range []*Word{b.plan.noun, b.plan.verb, b.plan.adj} {
		if !hasForm(lower, w) {
			out = append(out, w)
		}
	}
	return out
}

// req reports whether the story must use the word (as any part of speech).
func (b *builder) req(word string) bool {
	p := &b.plan
	return p.noun.Text == word || p.verb.Text == word || p.adj.Text == word
}

// has reports whether the story has a feature.
func (b *builder) has(f Feature) bool { return b.plan.features.Has(f) }

// choose picks the required words, the features and the plot, then the
// cast, the object and the place.
func (b *builder) choose(spec StorySpec) {
	c := theCatalog()
	p := &b.plan
	p.spec = spec
	// Features: zero to three, as TinyStories' prompts have.
	if spec.HasFeatures {
		p.features = spec.Features
	} else {
		k := b.r.intn(4)
		all := []Feature{Dialogue, BadEnding, MoralValue, Twist, Foreshadowing, Conflict}
		shuffle(b.r, all)
		for _, f := range all[:k] {
			p.features = p.features.With(f)
		}
	}
	p.order = []Feature{Dialogue, BadEnding, MoralValue, Twist, Foreshadowing, Conflict}
	shuffle(b.r, p.order)
	// Words and plot: pick words, then a plot that can use them all; pick
	// again in the rare case none can.
	for try := 0; ; try++ {
		p.noun = b.specWord(spec.Noun, Noun, c.nouns)
		p.verb = b.specWord(spec.Verb, Verb, c.verbs)
		p.adj = b.specWord(spec.Adjective, Adjective, c.adjs)
		cands := b.plotCandidates(spec, false)
		if len(cands) == 0 && (try >= 20 || spec.Noun != "" || b.r.chance(50)) {
			// No plot has a place for the noun as its object: it becomes
			// a second thing in the story.
			cands = b.plotCandidates(spec, true)
		}
		if len(cands) > 0 {
			p.plot = pick(b.r, cands)
			break
		}
		if try > 50 {
			// Cannot happen with the shipped lists; keep going with the
			// most general plot.
			p.plot = plotByName("lost")
			break
		}
	}
	b.cast()
}

// plotCandidates lists the plots that fit the plan's words, each as many
// times as its weight; relaxed lets an object noun be a second thing.
func (b *builder) plotCandidates(spec StorySpec, relaxed bool) []*plotDef {
	var cands []*plotDef
	for _, pl := range plots {
		if spec.Plot != "" && pl.name != spec.Plot {
			continue
		}
		if b.plotFits(pl, relaxed) {
			for i := 0; i < pl.weight; i++ {
				cands = append(cands, pl)
			}
		}
	}
	return cands
}

func (b *builder) specWord(text string, pos POS, from []*Word) *Word {
	if text != "" {
		if w := b.lex.Lookup(text, pos); w != nil {
			return w
		}
	}
	return pick(b.r, from)
}

// plotFits reports whether plot pl can use the required words naturally.
func (b *builder) plotFits(pl *plotDef, relaxed bool) bool {
	p := &b.plan
	n, v, a := p.noun, p.verb, p.adj
	switch {
	case n.is(tObj):
		if !pl.objOK(n) && !relaxed {
			return false
		}
		if describes(a) && !fits(n, a) && pl.name != "lost" && pl.name != "share" {
			// The adjective then needs a second object; keep that to
			// the plots where a second thing fits in.
			return false
		}
	case n.is(tPlace):
		if !pl.placeOK(n) {
			return false
		}
	case n.is(tBody):
		if pl.name != "hurt" {
			return false
		}
	case n.is(tSpot) && !n.is(tScene):
		switch pl.name {
		case "lost":
		case "break": // the object stands on it
			if !n.is(tOn) || !n.is(tIndoor) {
				return false
			}
		case "fear": // something moves under or behind it at night
			if !(n.is(tUnder) || n.is(tBehind)) || !spotFits(n, b.lex.Lookup("bedroom", Noun)) {
				return false
			}
		default:
			return false
		}
	case n.is(tScene) || sceneLines[n.Text] != nil:
		if sl := sceneLines[n.Text]; sl != nil && !sl.ok(pl) {
			return false
		} else if sl != nil && sl.weather != nil && a.is(tWeather) && !contains1(sl.weather, a.Text) {
			return false // snow on a hot day
		}
	}
	if n.is(tKin) && pl.name == "friend" {
		return false // a sister is not a new friend
	}
	if v.is(tPlot) && !v.is(tAct) && v.Value("tr") == "" && !pl.uses(v.Text) && verbLines[v.Text] == nil {
		return false
	}
	if a.is(tWeather) && !pl.weatherOK(a.Text) {
		return false
	}
	if a.is(tState) && a.Text == "wet" && pl.name == "melt" {
		return false
	}
	if describes(a) && !n.is(tObj) {
		// The object must be able to carry the adjective.
		ok := false
		for _, o := range theCatalog().objs {
			if pl.objOK(o) && fits(o, a) {
				ok = true
				break
			}
		}
		if !ok && a.Value("prop") == "" {
			return false
		}
	}
	if pl.name == "hurt" && n.is(tObj) && !n.is(tRide) && b.r.chance(70) {
		return false // objects belong to the other plots, mostly
	}
	return true
}

// cast chooses the characters, the object, the place and the weather.
func (b *builder) cast() {
	c := theCatalog()
	p := &b.plan
	pl := p.plot
	n := p.noun
	// The hero.
	kind := b.lex.Lookup(p.spec.HeroKind, Noun)
	if kind == nil || !kind.is(tChar) {
		kind = nil
	}
	friendKind := (*Word)(nil)
	if kind == nil && n.is(tChar) {
		if b.r.chance(70) {
			kind = n
		} else {
			friendKind = n
		}
	}
	if kind == nil {
		if b.r.chance(60) {
			kind = pick(b.r, c.kids)
		} else {
			kind = pick(b.r, c.animals)
		}
	}
	trait := p.spec.Trait
	if p.adj.is(tTrait) {
		trait = p.adj.Text
	} else if trait == "" && b.r.chance(55) {
		trait = pick(b.r, c.traits).Text
	}
	b.hero = b.w.addChar(b.newChar(kind, trait, nil))
	// The friend.
	needFriend := pl.friend || b.has(Conflict) || friendKind != nil || n.is(tKin) || b.r.chance(25)
	if needFriend {
		fk := friendKind
		if fk == nil {
			if kind.is(tKid) || b.r.chance(50) {
				fk = kind
				if kind.is(tKid) {
					fk = pick(b.r, c.kids)
				}
			} else {
				fk = pick(b.r, c.animals)
			}
		}
		ftrait := ""
		if b.r.chance(20) {
			ftrait = pick(b.r, c.traits).Text
		}
		f := b.newChar(fk, ftrait, b.hero)
		rel := "friend"
		if n.is(tKin) {
			rel = n.Text
		} else if friendKind == nil && fk.is(tKid) && kind.is(tKid) && b.r.chance(30) {
			rel = pick(b.r, []string{"sister", "brother", "cousin", "neighbor"})
		}
		switch rel {
		case "sister":
			if !fk.is(tKid) || f.Gender != Female {
				f = b.renameAs(f, Female)
			}
		case "brother":
			if !fk.is(tKid) || f.Gender != Male {
				f = b.renameAs(f, Male)
			}
		}
		f.Rel = rel
		b.friend = b.w.addChar(f)
	}
	// The grown-up.
	hk := (*Word)(nil)
	if n.is(tAdult) {
		hk = n
	} else {
		hk = pick(b.r, c.addrAdults)
	}
	b.helper = b.w.addChar(&Character{Kind: hk, Gender: genderOfKind(b.r, hk), Owner: b.hero})
	// The place.
	if n.is(tPlace) {
		b.place = &Place{Noun: n}
	} else {
		var ps []*Word
		for _, w := range c.places {
			if pl.placeOK(w) && (!n.is(tSpot) || n.is(tScene) || n.is(tObj) || spotFits(n, w)) {
				ps = append(ps, w)
			}
		}
		b.place = &Place{Noun: pick(b.r, ps)}
	}
	// The weather.
	switch {
	case p.adj.is(tWeather):
		b.weather = p.adj.Text
	case b.r.chance(45):
		var ws []string
		for _, w := range c.weathers {
			if pl.weatherOK(w.Text) {
				ws = append(ws, w.Text)
			}
		}
		b.weather = pick(b.r, ws)
	}
	if sl := sceneLines[n.Text]; sl != nil && sl.weather != nil && !p.adj.is(tWeather) {
		b.weather = pick(b.r, sl.weather)
	}
	// The object.
	if pl.objOK != nil {
		var o *Word
		if n.is(tObj) && pl.objOK(n) {
			o = n
		} else {
			var os []*Word
			for _, w := range c.objs {
				if pl.objOK(w) && (!describes(p.adj) || fits(w, p.adj)) {
					os = append(os, w)
				}
			}
			if len(os) == 0 {
				for _, w := range c.objs {
					if pl.objOK(w) {
						os = append(os, w)
					}
				}
			}
			o = pick(b.r, os)
		}
		b.obj = b.w.addThing(&Thing{Noun: o, Adjs: b.describe(o)})
	}
	// A body part for the hurt plot.
	if n.is(tBody) {
		b.body = n
	} else {
		b.body = pick(b.r, c.bodies)
	}
}

// describe chooses the describing words of an object: the required
// adjective when it fits, and sometimes a color or a size.
func (b *builder) describe(o *Word) []string {
	a := b.plan.adj
	var adjs []string
	if describes(a) && fits(o, a) {
		adjs = append(adjs, a.Text)
	}
	if len(adjs) == 0 && !o.is(tNoColor) && !o.is(tMass) && b.r.chance(40) {
		adjs = append(adjs, pick(b.r, theCatalog().colors).Text)
	} else if len(adjs) == 1 && a.is(tColor) && b.r.chance(25) {
		adjs = append([]string{pick(b.r, []string{"big", "little", "new", "pretty", "shiny", "old"})}, adjs...)
		if adjs[0] == "shiny" && !o.is(tShiny) {
			adjs = adjs[1:]
		}
	}
	return adjs
}

func genderOfKind(r *rng, k *Word) Gender {
	switch {
	case k.is(tFemale):
		return Female
	case k.is(tMale):
		return Male
	case r.chance(50):
		return Female
	}
	return Male
}

// newChar makes a character of a kind, with a name that no one else in
// the story has.
func (b *builder) newChar(kind *Word, trait string, owner *Character) *Character {
	g := genderOfKind(b.r, kind)
	ch := &Character{Kind: kind, Gender: g, Trait: trait, Owner: owner}
	ch.Name = b.freshName(g, !kind.is(tKid))
	ch.Desc = describeChar(b.r, kind, trait)
	return ch
}

func (b *builder) renameAs(ch *Character, g Gender) *Character {
	kid := pick(b.r, theCatalog().kids)
	for kid.is(tMale) != (g == Male) {
		kid = pick(b.r, theCatalog().kids)
	}
	ch.Kind, ch.Gender = kid, g
	ch.Name = b.freshName(g, false)
	ch.Desc = describeChar(b.r, kid, ch.Trait)
	return ch
}

func (b *builder) freshName(g Gender, pet bool) string {
	c := theCatalog()
	for {
		var n Name
		switch {
		case pet && b.r.chance(40):
			n = pick(b.r, c.petNames)
		case g == Female:
			n = pick(b.r, c.femaleNames)
		default:
			n = pick(b.r, c.maleNames)
		}
		taken := false
		for _, o := range b.w.Chars {
			taken = taken || o.Name == n.Name
		}
		if b.hero != nil && b.hero.Name == n.Name {
			taken = true
		}
		if !taken {
			return n.Name
		}
	}
}

func describeChar(r *rng, kind *Word, trait string) string {
	d := kind.Text
	if (kind.is(tKid) || kind.is(tPet)) && r.chance(50) {
		d = "little " + d
	}
	if trait != "" {
		d = trait + " " + d
	}
	return d
}

// spotFits reports whether a spot can be found at a place.
func spotFits(spot, place *Word) bool {
	if spot.is(tIndoor) != place.is(tIndoor) {
		return false
	}
	if ps := spotPlaces[spot.Text]; ps != nil {
		return ps[place.Text]
	}
	return true
}

var (
	homePlaces = set("home", "house", "bedroom", "room")
	home       = set("home", "house", "bedroom", "room", "cabin")
	kitchen    = set("home", "house", "kitchen", "cabin")
	play       = set("park", "playground", "yard")
	// spotPlaces are the places of spots that are not everywhere (of
	// their kind, indoor or outdoor).
	spotPlaces = map[string]map[string]bool{
		"bed": home, "pillow": home, "closet": home, "couch": home, "sofa": home,
		"curtain": home, "toy box": home, "rug": home, "stairs": set("home", "house", "school", "library", "castle"),
		"fridge": kitchen, "cupboard": kitchen, "swing": play, "slide": play, "sandbox": play,
		"hay": set("farm", "barn"), "mailbox": set("yard", "garden"), "bench": set("park", "playground", "garden", "zoo"),
		"desk": set("school", "library", "home", "house", "room", "bedroom"),
	}
)

// spotsAt returns the spots of a place.
func spotsAt(place *Word) []*Word {
	var out []*Word
	for _, s := range theCatalog().spots {
		if spotFits(s, place) {
			out = append(out, s)
		}
	}
	return out
}

// write writes the story: the beginning, then the plot's problem and
// ending.
func (b *builder) write() {
	b.plan.plot.write(b)
	if b.has(Dialogue) && b.quotes == 0 {
		b.w.bug("dialogue asked for but none written")
	}
}
