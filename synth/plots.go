package synth

// The plots: each writes a whole story (beginning, problem, ending) from
// the world's rules, realizing the story's features. The plots themselves
// are in plot_things.go and plot_people.go.

type plotDef struct {
	name     string
	weight   int              // how often it is chosen among the plots that fit
	objOK    func(*Word) bool // which objects can be the story's object
	placeOK  func(*Word) bool // where it can happen
	weathers map[string]bool  // the weather it allows; nil: any
	night    bool             // it happens at night
	friend   bool             // it needs a friend
	ownIntro bool             // it introduces its object itself
	verbs    []string         // plot verbs every telling uses
	write    func(b *builder)
}

func (p *plotDef) uses(v string) bool {
	for _, x := range p.verbs {
		if x == v {
			return true
		}
	}
	return false
}

func (p *plotDef) weatherOK(w string) bool { return p.weathers == nil || p.weathers[w] }

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

// plots are all the plots; Plots lists their names.
var plots []*plotDef

func init() {
	plots = []*plotDef{
		{name: "break", weight: 3, write: writeBreak, verbs: []string{"drop", "break"},
			objOK:   func(w *Word) bool { return w.is(tFragile) },
			placeOK: func(w *Word) bool { return w.is(tIndoor) && w.is(tFloor) }},
		{name: "lost", weight: 1, write: writeLost, verbs: []string{"lose", "look"},
			objOK: func(w *Word) bool {
				return !w.is(tMass) && !w.is(tFood) && !w.is(tHeavy) && !w.is(tMelt) && !w.is(tFragile) &&
					(w.is(tToy) || w.is(tWear) || w.is(tPaper) || w.is(tShiny) || w.is(tDraw) || w.is(tHug) || w.is(tCollect) || w.is(tOpen))
			},
			placeOK: func(w *Word) bool { return len(spotsAt(w)) >= 3 }},
		{name: "stuck", weight: 2, write: writeStuck, verbs: []string{"help"},
			objOK: func(w *Word) bool {
				return !w.is(tMelt) && (w.is(tFly) || w.is(tRises) || w.is(tKick) || (w.is(tThrow) && !w.is(tHeavy)) || w.is(tFlies))
			},
			placeOK:  func(w *Word) bool { return w.is(tOutdoor) && w.is(tTree) },
			weathers: set("sunny", "windy", "bright", "warm", "cool", "cloudy", "cold", "hot")},
		{name: "wet", weight: 2, write: writeWet, verbs: []string{"rain"},
			objOK: func(w *Word) bool {
				return (w.is(tPaper) || w.is(tCloth) || w.is(tHug) || (w.is(tWear) && !w.is(tHard) && !w.is(tShiny))) && !w.is(tFlies) && w.Text != "raincoat"
			},
			placeOK:  func(w *Word) bool { return w.is(tOutdoor) },
			weathers: set("sunny", "warm", "bright", "cloudy", "windy", "cool", "hot")},
		{name: "melt", weight: 2, write: writeMelt, verbs: []string{"melt"},
			objOK: func(w *Word) bool {
				return w.is(tMelt) && (w.is(tFood) || w.is(tDraw) || w.is(tCold) || w.Text == "candle")
			},
			placeOK:  func(w *Word) bool { return w.is(tOutdoor) },
			weathers: set("sunny", "hot", "warm", "bright")},
		{name: "fear", weight: 2, write: writeFear, verbs: []string{"hug"}, night: true,
			objOK:    func(w *Word) bool { return w.is(tHug) },
			placeOK:  func(w *Word) bool { return homePlaces[w.Text] },
			weathers: set("dark", "stormy", "windy", "rainy", "cold", "cool", "warm", "snowy", "cloudy")},
		{name: "hurt", weight: 2, write: writeHurt, verbs: []string{"fall", "hurt"},
			objOK:   func(w *Word) bool { return w.is(tRide) || w.is(tKick) },
			placeOK: func(w *Word) bool { return w.is(tOutdoor) && !w.is(tWater) }},
		{name: "share", weight: 2, write: writeShare, verbs: []string{"share"}, friend: true,
			objOK: func(w *Word) bool {
				return ((w.is(tFood) || w.is(tDrink)) && !w.is(tHot) && !w.is(tMelt) && !w.is(tFragile)) ||
					((w.is(tToy) || w.is(tCollect) || w.is(tShiny)) && !w.is(tFragile) && !w.is(tOpen) && !w.is(tHeavy))
			},
			placeOK: func(w *Word) bool { return true }},
		{name: "hot", weight: 2, write: writeHot, verbs: []string{"wait"}, ownIntro: true,
			objOK:   func(w *Word) bool { return w.is(tHot) && (w.is(tFood) || w.is(tDrink)) },
			placeOK: func(w *Word) bool { return kitchen[w.Text] }},
		{name: "friend", weight: 2, write: writeNewFriend, verbs: []string{"play"}, friend: true,
			objOK:   func(w *Word) bool { return w.is(tToy) && !w.is(tFragile) && !w.is(tOpen) && !w.is(tMass) },
			placeOK: func(w *Word) bool { return w.is(tOutdoor) && (w.is(tGrass) || w.is(tSand)) || w.Text == "school" }},
	}
}

// Plots returns the names of the story plots.
func Plots() []string {
	var out []string
	for _, p := range plots {
		out = append(out, p.name)
	}
	return out
}

func plotByName(name string) *plotDef {
	for _, p := range plots {
		if p.name == name {
			return p
		}
	}
	return nil
}

// beginning writes the first paragraph up to the arrival: the hero, the
// friend, the object and the required words' sentences.
func (b *builder) beginning() {
	b.opener()
	if b.plan.noun.is(tAdult) || b.r.chance(30) {
		b.introHelper()
	}
	if b.friend != nil {
		b.introFriend()
	}
	if b.obj != nil && !b.plan.plot.ownIntro {
		b.introObject()
	}
	b.extras()
}

// with returns the hero and, when there is one, the friend.
func (b *builder) with() party {
	if b.friend != nil {
		return party{b.hero, b.friend}
	}
	return party{b.hero}
}

// comeIn brings the grown-up to the place.
func (b *builder) comeIn(lines ...string) {
	b.s(lines...)
	b.w.goTo(b.helper, b.place)
}

// makeUp ends the conflict, when there was one.
func (b *builder) makeUp() {
	if !b.has(Conflict) {
		return
	}
	b.talk(b.friend, []string{"I am sorry too{h.voc}.", "Let's be friends again{h.voc}."},
		"{h.name} and {f.name} said sorry to each other.", "Then {h.name} and {f.name} (hugged|made up) and were friends again.")
	b.w.mark(evMakeUp, b.hero, nil, b.friend.Name)
}

// hideSpot picks a spot of the place to hide something under or behind.
func (b *builder) hideSpot() {
	var ss []*Word
	for _, s := range spotsAt(b.place.Noun) {
		if s.is(tUnder) || s.is(tBehind) {
			ss = append(ss, s)
		}
	}
	b.spot = pick(b.r, ss)
	b.spotPrep = "under"
	if !b.spot.is(tUnder) {
		b.spotPrep = "behind"
	}
}

// prepFor picks a preposition that fits a spot.
func prepFor(r *rng, spot *Word) string {
	var ps []string
	for _, p := range []struct {
		t    prop
		prep string
	}{{tUnder, "under"}, {tBehind, "behind"}, {tIn, "in"}, {tOn, "on"}, {tNear, "near"}} {
		if spot.is(p.t) {
			ps = append(ps, p.prep)
		}
	}
	if len(ps) == 0 {
		return "near"
	}
	return pick(r, ps)
}
