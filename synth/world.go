package synth

import (
	"fmt"
	"strings"
)

// The story world: what words are (tags of the word list, as bits), the
// rules that say what happens (a fragile thing dropped on a hard floor
// breaks), and the state of one story's world with its event log.

// prop is a tag of the word list that the world understands.
type prop uint8

// Tags understood by the world; propNames gives their spelling in words.txt.
const (
	tChar prop = iota
	tKid
	tPet
	tWild
	tFarm
	tAdult
	tKin
	tObj
	tPlace
	tSpot
	tScene
	tBody
	tHurt
	tMale
	tFemale
	tAddr
	tFragile
	tBouncy
	tSoft
	tHard
	tHeavy
	tFloat
	tSink
	tMelt
	tFlies
	tRises
	tPaper
	tCloth
	tFood
	tDrink
	tHot
	tCold
	tToy
	tRound
	tKick
	tThrow
	tHug
	tOpen
	tRead
	tRide
	tWear
	tFix
	tShiny
	tMass
	tSweet
	tNoColor
	tPush
	tBlow
	tFly
	tDraw
	tPlant
	tContainer
	tCrunchy
	tSticky
	tFluffy
	tFruit
	tIn
	tAt
	tOn
	tNoArt
	tIndoor
	tOutdoor
	tTree
	tWater
	tSand
	tGrass
	tFloor
	tHill
	tUnder
	tBehind
	tNear
	tPlot
	tAct
	tColor
	tSize
	tLook
	tTrait
	tWeather
	tState
	tCollect
	tWood
	tLong
	tSour
	tSmooth
	tPl
	numProps
)

var propNames = [numProps]string{
	"char", "kid", "pet", "wild", "farm", "adult", "kin", "obj", "place", "spot",
	"scene", "body", "hurt", "m", "f", "addr", "fragile", "bouncy", "soft", "hard",
	"heavy", "float", "sink", "melt", "flies", "rises", "paper", "cloth", "food",
	"drink", "hot", "cold", "toy", "round", "kick", "throw", "hug", "open", "read",
	"ride", "wear", "fix", "shiny", "mass", "sweet", "nocolor", "push", "blow", "fly",
	"draw", "plant", "container", "crunchy", "sticky", "fluffy", "fruit", "in", "at",
	"on", "noart", "indoor", "outdoor", "tree", "water", "sand", "grass", "floor",
	"hill", "under", "behind", "near", "plot", "act", "color", "size", "look", "trait",
	"weather", "state", "collect", "wood", "long", "sour", "smooth", "pl",
}

var propByName = func() map[string]prop {
	m := make(map[string]prop, numProps)
	for i, n := range propNames {
		m[n] = prop(i)
	}
	return m
}()

// props is a set of tags as bits.
type props [2]uint64

func (p props) has(t prop) bool { return p[t>>6]&(1<<(t&63)) != 0 }

func (p *props) set(t prop) { p[t>>6] |= 1 << (t & 63) }

// propsOf returns the bits of the tags the world understands; "key:value"
// tags are read with Word.Value instead.
func propsOf(tags []string) props {
	var p props
	for _, t := range tags {
		if b, ok := propByName[t]; ok {
			p.set(b)
		}
	}
	return p
}

// is reports whether the word has the tag.
func (w *Word) is(t prop) bool { return w.props.has(t) }

// Outcome is what happens to a thing in an event, by the world's rules.
type Outcome string

// Outcomes of the world's rules.
const (
	Broke     Outcome = "broke"     // it broke into pieces
	Bounced   Outcome = "bounced"   // it bounced
	Landed    Outcome = "landed"    // it fell and stayed whole
	Floated   Outcome = "floated"   // it floated on the water
	Sank      Outcome = "sank"      // it sank
	Melted    Outcome = "melted"    // it melted
	GotWet    Outcome = "got wet"   // it got wet
	Dried     Outcome = "dried"     // it got dry
	FlewAway  Outcome = "flew away" // the wind took it
	StayedPut Outcome = "stayed"    // nothing happened to it
)

// DropOutcome is the rule for a thing that falls: a fragile thing breaks
// on a hard surface; a bouncy thing bounces on a hard one; anything else,
// and anything that falls on something soft, lands whole.
func DropOutcome(thing *Word, hardSurface bool) Outcome {
	switch {
	case thing.is(tFragile) && hardSurface:
		return Broke
	case thing.is(tBouncy) && hardSurface:
		return Bounced
	}
	return Landed
}

// WaterOutcome is the rule for a thing put in water: heavy and sinking
// things sink, floating things float. ok is false when the rule says
// nothing about the thing.
func WaterOutcome(thing *Word) (o Outcome, ok bool) {
	switch {
	case thing.is(tSink) || thing.is(tHeavy):
		return Sank, true
	case thing.is(tFloat):
		return Floated, true
	}
	return "", false
}

// SunOutcome is the rule for a thing left in the hot sun: things that
// melt melt, wet things dry, anything else stays as it was.
func SunOutcome(thing *Word, wet bool) Outcome {
	switch {
	case thing.is(tMelt):
		return Melted
	case wet:
		return Dried
	}
	return StayedPut
}

// WindOutcome is the rule for a thing in a strong wind: light things that
// fly (kites, hats, leaves, paper) and things that rise (balloons) are
// carried away unless held; others stay.
func WindOutcome(thing *Word, held bool) Outcome {
	if held {
		return StayedPut
	}
	if thing.is(tFlies) || thing.is(tRises) {
		return FlewAway
	}
	return StayedPut
}

// RainOutcome is the rule for a thing left out in the rain: it gets wet
// (food and drink are not asked about).
func RainOutcome(thing *Word, covered bool) Outcome {
	if covered {
		return StayedPut
	}
	return GotWet
}

// CanFix reports whether a broken thing can be mended (with glue or by a
// grown-up); a broken glass, egg or mirror cannot.
func CanFix(thing *Word) bool { return thing.is(tFix) }

// Character is a person or animal of a story.
type Character struct {
	ID     int
	Name   string // "" for grown-ups, who are called by their kind ("her mom")
	Kind   *Word  // girl, dog, mom
	Gender Gender
	Trait  string
	// Desc is how the story introduces the character: "brave little girl".
	Desc string
	// Rel is a friend's relation to the hero: "friend", "sister", ...
	Rel string
	// Owner is whose grown-up or friend this is ("her mom"), or nil.
	Owner   *Character
	Feeling string
	Place   *Place
}

// Thing is an object of a story and its state.
type Thing struct {
	ID    int
	Noun  *Word
	Adjs  []string // describing words, in order: "big red"
	Owner *Character
	// State.
	Broken, Lost, Wet, Stuck, Gone bool
	Where                          string // where it is hidden or stuck
}

// Place is where things happen.
type Place struct {
	Noun *Word
}

// Event is one entry of a story's event log: the structured account of
// what happened, from which the text was written. Tests replay it to
// check the world's rules (see checkEvents).
type Event struct {
	Kind   string // see the ev constants
	Actor  int    // character ID, or -1
	Object int    // thing ID, or -1
	Place  string // where it happened
	Detail string // outcome, feeling, spot, ...
}

// Event kinds.
const (
	evGo         = "go"         // Actor goes to Place
	evUse        = "use"        // Actor uses Object (needs it whole, found, there)
	evDrop       = "drop"       // Actor drops Object; Detail is the Outcome
	evBreak      = "break"      // Object breaks
	evFix        = "fix"        // Actor fixes Object (needs it broken and fixable)
	evLose       = "lose"       // Object is lost; Detail is where it really is
	evSearch     = "search"     // Actor looks for Object at Detail (needs it lost)
	evFind       = "find"       // Actor finds Object at Detail (needs it lost there)
	evStick      = "stick"      // Object gets stuck at Detail
	evFree       = "free"       // Object comes down (needs it stuck)
	evWet        = "wet"        // Object gets wet
	evDry        = "dry"        // Object dries (needs it wet)
	evGone       = "gone"       // Object is gone for good: melted, eaten, flew away
	evNew        = "new"        // Object is a new thing replacing Detail (a thing ID)
	evGive       = "give"       // Actor gives Object to Detail (a character ID)
	evFeel       = "feel"       // Actor feels Detail
	evHurt       = "hurt"       // Actor hurts Detail (a body part)
	evHeal       = "heal"       // Actor's hurt is better
	evSay        = "say"        // Actor speaks (a line of dialogue)
	evArgue      = "argue"      // Actor and Object (a character ID) argue: conflict
	evMakeUp     = "makeup"     // the argument ends
	evForeshadow = "foreshadow" // a hint of Detail, an event kind that must follow
	evTwist      = "twist"      // something unexpected happens
	evMoral      = "moral"      // the lesson is told
	evResolve    = "resolve"    // the problem is solved (a good ending)
	evUnresolved = "unresolved" // the problem stays (a bad ending)
)

// World is the state of one story's world and its event log. Its methods
// change the state and log the event; an action whose preconditions do not
// hold is a generator bug, recorded in errs (and tested never to happen).
type World struct {
	Chars  []*Character
	Things []*Thing
	Log    []Event
	errs   []string
}

func (w *World) reset() {
	w.Chars, w.Things, w.Log, w.errs = w.Chars[:0], w.Things[:0], w.Log[:0], w.errs[:0]
}

func (w *World) addChar(c *Character) *Character {
	c.ID = len(w.Chars)
	w.Chars = append(w.Chars, c)
	return c
}

func (w *World) addThing(t *Thing) *Thing {
	t.ID = len(w.Things)
	w.Things = append(w.Things, t)
	return t
}

func (w *World) bug(format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

func (w *World) log(kind string, c *Character, t *Thing, detail string) {
	e := Event{Kind: kind, Actor: -1, Object: -1, Detail: detail}
	if c != nil {
		e.Actor = c.ID
		if c.Place != nil {
			e.Place = c.Place.Noun.Text
		}
	}
	if t != nil {
		e.Object = t.ID
	}
	w.Log = append(w.Log, e)
}

func (w *World) goTo(c *Character, p *Place) {
	c.Place = p
	w.log(evGo, c, nil, p.Noun.Text)
}

// usable reports whether t can be used as a whole thing now.
func (t *Thing) usable() bool { return !t.Broken && !t.Lost && !t.Gone && !t.Stuck }

func (w *World) use(c *Character, t *Thing, how string) {
	if !t.usable() {
		w.bug("%s uses %s, which is not usable (%+v)", c.Name, t.Noun.Text, *t)
	}
	w.log(evUse, c, t, how)
}

func (w *World) drop(c *Character, t *Thing, hard bool) Outcome {
	if !t.usable() {
		w.bug("%s drops %s, which is not usable", c.Name, t.Noun.Text)
	}
	o := DropOutcome(t.Noun, hard)
	w.log(evDrop, c, t, string(o))
	if o == Broke {
		w.breakThing(c, t)
	}
	return o
}

func (w *World) breakThing(c *Character, t *Thing) {
	if t.Broken || t.Gone {
		w.bug("%s breaks again", t.Noun.Text)
	}
	t.Broken = true
	w.log(evBreak, c, t, "")
}

func (w *World) fix(c *Character, t *Thing) {
	if !t.Broken || !CanFix(t.Noun) {
		w.bug("fixing %s, which is not broken or cannot be fixed", t.Noun.Text)
	}
	t.Broken = false
	w.log(evFix, c, t, "")
}

func (w *World) lose(t *Thing, where string) {
	if t.Lost || t.Gone {
		w.bug("losing %s twice", t.Noun.Text)
	}
	t.Lost, t.Where = true, where
	w.log(evLose, nil, t, where)
}

func (w *World) search(c *Character, t *Thing, where string) {
	if !t.Lost {
		w.bug("looking for %s, which is not lost", t.Noun.Text)
	}
	if where == t.Where {
		w.bug("searching %s where %s is without finding it", where, t.Noun.Text)
	}
	w.log(evSearch, c, t, where)
}

func (w *World) find(c *Character, t *Thing) {
	if !t.Lost {
		w.bug("finding %s, which is not lost", t.Noun.Text)
	}
	t.Lost = false
	w.log(evFind, c, t, t.Where)
}

func (w *World) stick(t *Thing, where string) {
	if t.Stuck || t.Gone {
		w.bug("sticking %s twice", t.Noun.Text)
	}
	t.Stuck, t.Where = true, where
	w.log(evStick, nil, t, where)
}

func (w *World) free(c *Character, t *Thing) {
	if !t.Stuck {
		w.bug("freeing %s, which is not stuck", t.Noun.Text)
	}
	t.Stuck = false
	w.log(evFree, c, t, "")
}

func (w *World) wet(t *Thing) {
	t.Wet = true
	w.log(evWet, nil, t, "")
}

func (w *World) dry(t *Thing) {
	if !t.Wet {
		w.bug("drying %s, which is not wet", t.Noun.Text)
	}
	t.Wet = false
	w.log(evDry, nil, t, "")
}

func (w *World) gone(c *Character, t *Thing, how Outcome) {
	if t.Gone {
		w.bug("%s is gone twice", t.Noun.Text)
	}
	t.Gone = true
	w.log(evGone, c, t, string(how))
}

// replace makes a new thing like old (a new cup for the broken one).
func (w *World) replace(old *Thing, owner *Character) *Thing {
	n := w.addThing(&Thing{Noun: old.Noun, Adjs: old.Adjs, Owner: owner})
	w.log(evNew, nil, n, fmt.Sprint(old.ID))
	return n
}

func (w *World) give(from, to *Character, t *Thing) {
	if !t.usable() {
		w.bug("giving %s, which is not usable", t.Noun.Text)
	}
	t.Owner = to
	w.log(evGive, from, t, fmt.Sprint(to.ID))
}

func (w *World) feel(c *Character, f string) {
	c.Feeling = f
	w.log(evFeel, c, nil, f)
}

// mark logs an event without state: say, argue, foreshadow, twist, moral,
// resolve, unresolved, hurt, heal.
func (w *World) mark(kind string, c *Character, t *Thing, detail string) { w.log(kind, c, t, detail) }

// checkEvents replays an event log from scratch and returns the first
// violation of the world's rules it finds, or "". It is independent of
// World's own checks: tests run it on thousands of stories.
func checkEvents(log []Event, things []*Thing) string {
	type st struct{ broken, lost, stuck, wet, gone bool }
	state := map[int]*st{}
	get := func(id int) *st {
		if state[id] == nil {
			state[id] = &st{}
		}
		return state[id]
	}
	where := map[int]string{}
	shadowed := map[string]bool{}
	for i, e := range log {
		s := get(e.Object)
		bad := func(msg string) string {
			return fmt.Sprintf("event %d %s(actor %d, object %d, %q): %s", i, e.Kind, e.Actor, e.Object, e.Detail, msg)
		}
		if e.Actor >= 0 && e.Place != "" && e.Kind != evGo {
			if p, ok := where[e.Actor]; ok && p != e.Place {
				return bad(fmt.Sprintf("actor is at %s, not %s", p, e.Place))
			}
		}
		switch e.Kind {
		case evGo:
			where[e.Actor] = e.Detail
		case evUse, evDrop, evGive:
			switch {
			case s.broken:
				return bad("a broken thing is used whole")
			case s.lost:
				return bad("a lost thing is used")
			case s.gone:
				return bad("a thing that is gone is used")
			case s.stuck:
				return bad("a stuck thing is used")
			}
			if e.Kind == evDrop && e.Detail == string(Broke) && !things[e.Object].Noun.is(tFragile) {
				return bad("a thing that is not fragile broke")
			}
		case evBreak:
			if s.broken {
				return bad("broken twice")
			}
			s.broken = true
		case evFix:
			if !s.broken {
				return bad("fixing a thing that is not broken")
			}
			if !CanFix(things[e.Object].Noun) {
				return bad("fixing a thing that cannot be fixed")
			}
			s.broken = false
		case evLose:
			s.lost = true
		case evSearch:
			if !s.lost {
				return bad("looking for a thing that is not lost")
			}
		case evFind:
			if !s.lost {
				return bad("found before it was lost")
			}
			s.lost = false
		case evStick:
			s.stuck = true
		case evFree:
			if !s.stuck {
				return bad("freed but not stuck")
			}
			s.stuck = false
		case evWet:
			s.wet = true
		case evDry:
			if !s.wet {
				return bad("dried but not wet")
			}
			s.wet = false
		case evGone:
			if s.gone {
				return bad("gone twice")
			}
			s.gone = true
		case evForeshadow:
			shadowed[e.Detail] = true
		}
		if shadowed[e.Kind] {
			delete(shadowed, e.Kind)
		}
	}
	for k := range shadowed {
		return fmt.Sprintf("foreshadowed %q never happens", k)
	}
	return ""
}

// describe is a one-line account of a thing for error messages.
func (t *Thing) describe() string {
	var s []string
	for _, f := range []struct {
		on   bool
		name string
	}{{t.Broken, "broken"}, {t.Lost, "lost"}, {t.Wet, "wet"}, {t.Stuck, "stuck"}, {t.Gone, "gone"}} {
		if f.on {
			s = append(s, f.name)
		}
	}
	return t.Noun.Text + "[" + strings.Join(s, ",") + "]"
}
