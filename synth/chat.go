package synth

import (
	"fmt"
	"strings"

	"github.com/gophi/gophi/tokenizer"
)

// Chats in the story world: a child asks and a teacher answers. Either the
// child asks why something happened (the answer explains the world's rule,
// and a follow-up question changes one thing), or the child asks for a
// story (the answer is a story built to the request, and a follow-up
// question about it is answered from the story's events).

// Message is one chat message, as OpenAI's and Hugging Face's chat formats
// have it.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chat is one conversation.
type Chat struct {
	ID       int       `json:"id"`
	Seed     uint64    `json:"seed"`
	Kind     string    `json:"kind"` // "explain" or "story"
	Messages []Message `json:"messages"`
	// Text is the conversation in Phi-3's chat format (empty when not
	// asked for).
	Text string `json:"text,omitempty"`

	// Problems lists generator bugs (always empty in a correct build).
	Problems []string `json:"-"`
}

// RenderPhi3 renders messages with Phi-3's chat template:
// "<|user|>\n{content}<|end|>\n<|assistant|>\n{content}<|end|>\n".
func RenderPhi3(msgs []Message) (string, error) {
	tm := make([]tokenizer.Message, len(msgs))
	for i, m := range msgs {
		tm[i] = tokenizer.Message{Role: m.Role, Content: m.Content}
	}
	return tokenizer.RenderChat(tokenizer.FamilyPhi3, tm, false, "", "")
}

// GenerateChat returns the conversation of a seed; with text set, Text
// holds it in Phi-3's chat format.
func GenerateChat(id int, seed uint64, text bool) (Chat, error) {
	r := newRNG(seed ^ 0x5851f42d4c957f2d)
	c := Chat{ID: id, Seed: seed}
	var err error
	if r.chance(50) {
		c.Kind = "explain"
		c.Messages = explainChat(seed)
	} else {
		c.Kind = "story"
		c.Messages, c.Problems, err = storyChat(r, seed)
		if err != nil {
			return c, err
		}
	}
	if text {
		if c.Text, err = RenderPhi3(c.Messages); err != nil {
			return c, fmt.Errorf("synth: chat %d: %w", id, err)
		}
	}
	return c, nil
}

// explanation is a why-question and its answer, from one world rule.
type explanation struct {
	ask, answer       []string // variants
	followAsk, follow []string // a follow-up that changes one thing
}

func explainChat(seed uint64) []Message {
	b := builderPool.Get().(*builder)
	defer builderPool.Put(b)
	b.reset(seed)
	b.qaCast()
	var e explanation
	switch b.r.intn(7) {
	case 0: // a fragile thing breaks on a hard floor
		o := b.thingWhere(func(w *Word) bool { return w.is(tFragile) && !w.is(tMass) })
		e.ask = []string{"Why did my {o.n} break when I dropped it?", "I dropped my {o.n} on the floor and it broke. Why?"}
		e.answer = []string{
			"{o.gen} is hard, but it can break easily. When it falls on a hard floor, it hits the floor very hard and breaks into pieces. A ball is different: it is bouncy, so it bounces. Next time, hold your {o.n} with two hands.",
			"Some things break easily, and {o.gen} is one of them. The floor is hard, so when the {o.n} hit it, it broke. Please do not touch the pieces. Ask a grown-up to clean them up.",
		}
		if DropOutcome(o.Noun, false) == Landed {
			e.followAsk = []string{"What if it falls on a soft rug?"}
			e.follow = []string{"A rug is soft, so the {o.n} would land softly and not break. Soft things are kind to things that break easily."}
		}
	case 1: // a bouncy thing bounces
		b.thingWhere(func(w *Word) bool { return w.is(tBouncy) })
		e.ask = []string{"Why does my {o.n} bounce when I drop it?"}
		e.answer = []string{"Your {o.n} is bouncy. When it hits the hard floor, it jumps back up into the air. It does not break, because it is not made to break."}
		e.followAsk = []string{"What if I drop a glass?"}
		e.follow = []string{"A glass is not bouncy. It breaks easily, so if it falls on a hard floor, it will break into pieces. Always hold a glass with care."}
	case 2: // sink or float
		o := b.thingWhere(func(w *Word) bool { _, ok := WaterOutcome(w); return ok && !w.is(tMass) && !w.is(tMelt) })
		out, _ := WaterOutcome(o.Noun)
		if out == Sank {
			e.ask = []string{"Why did my {o.n} sink in the pond?", "I put my {o.n} in the water and it went down. Why?"}
			e.answer = []string{"Some things are too heavy for the water to hold up, so they sink to the bottom. Your {o.n} is one of them. A leaf is light, so it floats on top."}
			e.followAsk = []string{"Will a feather sink too?"}
			e.follow = []string{"No, a feather is very light. It will float on the water."}
		} else {
			e.ask = []string{"Why does my {o.n} float on the water?"}
			e.answer = []string{"Your {o.n} is light, so the water can hold it up. Light things float. Heavy things, like a rock, sink to the bottom."}
			e.followAsk = []string{"Will a rock float too?"}
			e.follow = []string{"No, a rock is heavy. It will sink to the bottom of the water."}
		}
	case 3: // melt
		b.thingWhere(func(w *Word) bool { return w.is(tMelt) })
		e.ask = []string{"Why did my {o.n} melt?", "I left my {o.n} in the sun and now it is gone. Why?"}
		e.answer = []string{"The sun is hot. When {o.gen} gets too warm, it melts and turns soft and wet. On a hot day, keep it out of the sun."}
		e.followAsk = []string{"What if I put it in the fridge?"}
		e.follow = []string{"The fridge is cold, so it will not melt there. Cold keeps things like that hard."}
	case 4: // wind
		b.thingWhere(func(w *Word) bool { return w.is(tFlies) || w.is(tRises) })
		e.ask = []string{"Why did my {o.n} fly away?", "The wind took my {o.n}. Why?"}
		e.answer = []string{"Your {o.n} is light, and the wind was strong. A strong wind can carry light things far away. Next time, hold it tight."}
		e.followAsk = []string{"Can the wind take a big rock?"}
		e.follow = []string{"No. A rock is heavy, so the wind cannot move it. The rock will stay where it is."}
	case 5: // rain
		b.thingWhere(func(w *Word) bool { return (w.is(tPaper) || w.is(tCloth)) && !w.is(tMass) })
		e.ask = []string{"Why is my {o.n} all wet?", "I left my {o.n} outside and now it is wet. Why?"}
		e.answer = []string{"It rained while your {o.n} was outside. Rain is water, so things that stay out in the rain get wet. Put it in the warm sun, and it will get dry."}
		e.followAsk = []string{"What if I had put it under my umbrella?"}
		e.follow = []string{"Then the rain could not get to it, and it would still be dry."}
	default: // glue
		o := b.thingWhere(func(w *Word) bool { return w.is(tFragile) && !w.is(tMass) })
		e.ask = []string{"My {o.n} broke. Can we fix it with glue?"}
		if CanFix(o.Noun) {
			e.answer = []string{"Yes! A broken {o.n} can often be fixed with glue. Ask a grown-up to help, and be careful with the pieces."}
		} else {
			e.answer = []string{"No, I am sorry. {o.gen} breaks into many little pieces, and glue cannot make it whole again. We can get a new one. Please let a grown-up pick up the pieces."}
		}
	}
	msgs := []Message{
		{Role: "user", Content: b.line(pick(b.r, e.ask))},
		{Role: "assistant", Content: b.line(pick(b.r, e.answer))},
	}
	if e.followAsk != nil && b.r.chance(60) {
		msgs = append(msgs,
			Message{Role: "user", Content: b.line(pick(b.r, e.followAsk))},
			Message{Role: "assistant", Content: b.line(pick(b.r, e.follow))})
	}
	return msgs
}

// storyRequest is how a child asks for a story of a plot; {x} is the
// object with its describing word.
var storyRequest = map[string][]string{
	"lost":  {"who loses {x} and looks for it", "who finds {x}"},
	"break": {"who breaks {x}"},
	"stuck": {"whose {n} gets stuck in a tree"},
	"wet":   {"who leaves {x} out in the rain"},
	"melt":  {"whose {n} melts in the sun"},
	"fear":  {"who hears a noise at night"},
	"hurt":  {"who falls and gets hurt"},
	"share": {"who has {x} and a friend who wants it too"},
}

func storyChat(r *rng, seed uint64) ([]Message, []string, error) {
	c := theCatalog()
	pl := pick(r, plots)
	var objs []*Word
	for _, o := range c.objs {
		if pl.objOK(o) {
			objs = append(objs, o)
		}
	}
	o := pick(r, objs)
	var adjs []*Word
	for _, a := range c.adjs {
		if (a.is(tColor) || a.is(tSize) || a.is(tLook)) && fits(o, a) {
			adjs = append(adjs, a)
		}
	}
	adjText := ""
	if len(adjs) > 0 {
		adjText = pick(r, adjs).Text
	}
	kind := pick(r, append(append([]*Word(nil), c.kids...), c.animals...))
	trait := pick(r, c.traits)
	req := pick(r, storyRequest[pl.name])
	var fs Features
	var wants []string
	ending := r.intn(3)
	if strings.HasPrefix(req, "who finds") {
		ending = 1
	}
	switch ending {
	case 1:
		wants = append(wants, "with a happy ending")
	case 2:
		fs = fs.With(BadEnding)
		wants = append(wants, "with a sad ending")
	}
	if r.chance(35) {
		fs = fs.With(MoralValue)
		wants = append(wants, "with a lesson")
	}
	if r.chance(35) {
		fs = fs.With(Dialogue)
		wants = append(wants, "where the characters talk")
	}
	if r.chance(20) {
		fs = fs.With(Twist)
		wants = append(wants, "with a surprise")
	}
	an := strings.TrimSpace(adjText + " " + o.Text)
	x := WithArticle(an)
	if o.is(tMass) {
		x = "some " + an
	}
	req = strings.ReplaceAll(strings.ReplaceAll(req, "{x}", x), "{n}", an)
	about := WithArticle(trait.Text+" "+kind.Text) + " " + req
	ask := pick(r, []string{"Tell me a story about %s.", "Can you tell me a story about %s?", "Please tell me a story about %s.", "I want a story about %s."})
	user := fmt.Sprintf(ask, about)
	if len(wants) > 0 && r.chance(80) {
		user = strings.TrimRight(user, ".?") + " " + joinAnd(wants) + "."
		if strings.HasPrefix(ask, "Can you") {
			user = strings.TrimSuffix(user, ".") + "?"
		}
	}
	if adjText == "" {
		adjText = trait.Text // the story must use an adjective: the trait asked for
	}
	st, err := GenerateStorySpec(seed, StorySpec{Noun: o.Text, Adjective: adjText, HeroKind: kind.Text, Trait: trait.Text,
		Plot: pl.name, Features: fs, HasFeatures: true})
	if err != nil {
		return nil, nil, fmt.Errorf("synth: story chat: %w", err)
	}
	reply := st.Text
	if r.chance(40) {
		reply = pick(r, []string{"Here is a story for you.", "Sure! Here is a story.", "Okay! Here is my story."}) + "\n\n" + reply
	}
	msgs := []Message{{Role: "user", Content: user}, {Role: "assistant", Content: reply}}
	if why := whySad(st); why != "" && r.chance(50) {
		msgs = append(msgs,
			Message{Role: "user", Content: "Why was " + st.Hero + " sad?"},
			Message{Role: "assistant", Content: why})
	}
	return msgs, st.Problems, nil
}

// whySad answers why the hero of a story was sad, from its plot.
func whySad(st Story) string {
	g := st.HeroGender
	he, his := g.Subject(), g.Possessive()
	var why string
	happened := map[string]bool{}
	for _, e := range st.Events {
		if e.Object == 0 || e.Kind == evHurt {
			happened[e.Kind] = true
		}
	}
	switch {
	case happened[evLose]:
		why = he + " lost " + his + " " + st.Object
	case happened[evBreak]:
		why = his + " " + st.Object + " fell and broke"
	case happened[evStick]:
		why = his + " " + st.Object + " was stuck in a tall tree"
	case happened[evWet]:
		why = his + " " + st.Object + " got wet in the rain"
	case happened[evGone] && st.Plot == "melt":
		why = his + " " + st.Object + " was gone"
	case happened[evHurt]:
		why = he + " fell down and got hurt"
	}
	if why == "" {
		return ""
	}
	return st.Hero + " was sad because " + why + "."
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
