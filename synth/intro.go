package synth

// The parts every story shares: the opening, the people, the object, the
// required words' sentences, the arrival at the place, and the helpers the
// plots use for feelings, twists, morals and endings.

// opener introduces the hero.
func (b *builder) opener() {
	b.s("Once upon a time, there was {h.adesc} named {h.name}.",
		"There once was {h.adesc} (named|called) {h.name}.",
		"Once upon a time, in a (small|little|quiet) town, there lived {h.adesc} named {h.name}.",
		"{h.name} was {h.adesc}.",
		"Long ago, there was {h.adesc} named {h.name}.",
		"(Once upon a time|One day), {h.adesc} named {h.name} woke up (early|with a big smile).",
		"{h.name} was {h.adesc} who (loved|liked) to play.")
	if t := b.hero.Trait; t != "" && b.r.chance(45) {
		if lines := traitLines[t]; lines != nil {
			b.s(lines...)
		}
	}
}

// traitLines show a trait in action.
var traitLines = map[string][]string{
	"brave":    {"{h.he} was not afraid of (anything|the dark|big dogs)."},
	"kind":     {"{h.he} always helped (others|{h.his} friends)."},
	"shy":      {"{h.he} did not like to talk to new people."},
	"curious":  {"{h.he} (liked|wanted) to learn about everything."},
	"silly":    {"{h.he} liked to make funny faces."},
	"smart":    {"{h.he} could count all the way to twenty."},
	"clever":   {"{h.he} always had good ideas."},
	"gentle":   {"{h.he} was always gentle with (animals|little things)."},
	"friendly": {"{h.he} liked to say hello to everyone."},
	"lazy":     {"{h.he} liked to sleep (late|all day)."},
	"grumpy":   {"{h.he} did not smile very much."},
	"bossy":    {"{h.he} liked to tell everyone what to do."},
	"polite":   {"{h.he} always said please and thank you."},
	"helpful":  {"{h.he} liked to help (at home|everyone)."},
	"careful":  {"{h.he} always looked before {h.he} (walked|ran)."},
	"careless": {"{h.he} often dropped things."},
	"naughty":  {"{h.he} did not always listen to {h.his} mom."},
	"playful":  {"{h.he} loved to play games all day."},
	"funny":    {"{h.he} liked to tell jokes."},
	"good":     {"{h.he} always tried to do the right thing."},
	"cheerful": {"{h.he} smiled all the time."},
	"honest":   {"{h.he} always told the truth."},
	"busy":     {"{h.he} was always doing something."},
	"strong":   {"{h.he} could lift big rocks."},
}

// introHelper says who the grown-up is.
func (b *builder) introHelper() {
	if b.helper.Kind.Text == "teacher" {
		b.s("{h} had a (kind|nice) teacher.", "{h.poss} teacher was very kind.")
		return
	}
	b.s("{h} lived (in a little house |)with {h.his} {m.kind}.",
		"{h} and {h.his} {m.kind} lived in a (small|little|cozy) house.",
		"{h} lived with {h.his} {m.kind} in a (small|little|cozy) house.",
		"{h.poss} {m.kind} loved {h.obj} very much.")
}

// introFriend says who the friend is.
func (b *builder) introFriend() {
	f := b.friend
	switch {
	case f.Kind != b.hero.Kind && !(f.Kind.is(tKid) && b.hero.Kind.is(tKid)) || b.req(f.Kind.Text):
		b.s("{h} had a {f.rel}, {f.adesc} named {f.name}.",
			"{h.poss} {f.rel} was {f.adesc} named {f.name}.")
	case f.Rel == "friend":
		b.s("{h} had a (good|best) friend named {f.name}.",
			"{f.name} was {h.poss} best friend.",
			"{h} (liked|loved) to play with {h.his} friend {f.name}.")
	default:
		b.s("{h} had a {f.rel} named {f.name}.",
			"{h} (liked|loved) to play with {h.his} {f.rel} {f.name}.")
	}
}

// introObject introduces the story's object, given to its owner.
func (b *builder) introObject() {
	o := b.obj
	switch {
	case o.Owner == b.helper:
		b.s("{h.poss} {m.kind} had {o.a}.",
			"In (their|the) house, there was {o.a} that {h.poss} {m.kind} loved.",
			"{h.poss} {m.kind} had {o.a} that was very special to {m.him}.")
	case o.Noun.is(tFood) || o.Noun.is(tDrink):
		o.Owner = b.hero
		b.s("{h.poss} {m.kind} gave {h.obj} {o.a}.",
			"{h} had {o.a} for a snack.")
		b.markSeen(o)
	default:
		o.Owner = b.hero
		lines := []string{"{h} had {o.a}.", "{h} had {o.a} that {h.he} loved very much.",
			"{h.poss} (grandma|grandpa) had given {h.obj} {o.a}."}
		if o.Noun.is(tToy) {
			lines = append(lines, "{h.poss} favorite toy was {o.a}.")
		}
		b.s(lines...)
		b.markSeen(o)
	}
}

// extras writes the sentences that bring in the required words that the
// cast, the object and the place do not: a second thing (a noun, or an
// adjective the object cannot carry), what the hero loves to do (the verb),
// the sky and the weather, and fallbacks for words a plot left out. Each
// extra thing is bound to the role x while its sentence is written.
func (b *builder) extras() {
	p := &b.plan
	c := theCatalog()
	var things []*Thing
	n, a, v := p.noun, p.adj, p.verb
	adjDone := !describes(a) || (b.obj != nil && fits(b.obj.Noun, a) && contains1(b.obj.Adjs, a.Text))
	// A noun that is an object but not the story's object.
	if n.is(tObj) && (b.obj == nil || b.obj.Noun != n) {
		t := b.w.addThing(&Thing{Noun: n, Owner: b.hero})
		if !adjDone && fits(n, a) {
			t.Adjs, adjDone = []string{a.Text}, true
		}
		b.obj2 = t
		things = append(things, t)
		b.s("{h} also had {x.a}.", "{h} had {x.a}, too.", "{h} (took|brought) {x.a} along.")
	}
	// An adjective the object cannot carry describes another thing.
	if !adjDone {
		var xs []*Word
		for _, o := range c.objs {
			if fits(o, a) && (b.obj == nil || o != b.obj.Noun) && o != n {
				xs = append(xs, o)
			}
		}
		x := pick(b.r, xs)
		t := b.w.addThing(&Thing{Noun: x, Adjs: []string{a.Text}, Owner: b.hero})
		b.obj2 = t
		things = append(things, t)
		if x.is(tWear) && b.r.chance(60) {
			b.s("{h} wore {x.a}.", "That day, {h} (put on|wore) {x.a}.")
			b.w.use(b.hero, t, "wear")
		} else {
			b.s("{h} also had {x.a}.", "{h} had {x.a}, too.")
		}
	}
	// The verb, as something the hero loves to do.
	switch t := v.Value("tr"); {
	case v.is(tAct):
		b.s("{h} loved to {v}.",
			"{h} liked to {v} (every day|a lot|more than anything).",
			"More than anything, {h} loved to {v}.",
			"{h.poss} favorite thing to do was to {v}.")
	case t == "animal":
		b.animal = pick(b.r, c.animalWords[v.Text])
		b.s("{h} liked to {v} the {k}.", "Every day, {h} (went out to|would) {v} the {k}.")
	case t != "":
		b.verbWithThing(t, things)
	case p.force[v]:
		b.forceVerb(v)
	}
	if (a.is(tState) && (p.force[a] || b.r.chance(50))) || (a.Value("feel") != "" && p.force[a]) {
		if lines := stateLines[a.Text]; lines != nil {
			b.s(lines...)
		} else if lines := feelLines[a.Text]; lines != nil {
			b.s(lines...)
		} else if lines := feelLines[a.Value("feel")]; lines != nil {
			b.s(lines...)
		}
	}
	// A noun of the sky and nature, or a person a plot left out.
	switch {
	case sceneLines[n.Text] != nil && !n.is(tObj):
		sl := sceneLines[n.Text]
		if b.plan.plot.night {
			b.s(sl.night...)
		} else {
			b.s(sl.day...)
		}
	case n.is(tAdult) && p.force[n]:
		b.introHelper()
	case n.is(tKin) && p.force[n], n.is(tChar) && p.force[n] && b.friend != nil && b.friend.Kind == n:
		b.introFriend()
	}
}

func contains1(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// verbWithThing writes a sentence with a verb done to a thing with the
// property prop: the story's object or an extra thing if one has it, else
// a new thing.
func (b *builder) verbWithThing(prop string, extra []*Thing) {
	c := theCatalog()
	has := func(w *Word) bool {
		return (prop == "obj" || w.is(propByName[prop])) && !w.is(tFood) && !w.is(tDrink)
	}
	if b.obj != nil && b.obj.usable() && has(b.obj.Noun) {
		b.s("{h} liked to {v} {o}.", "{h} loved to {v} {o} (every day|all the time).")
		b.w.use(b.hero, b.obj, b.plan.verb.Text)
		return
	}
	for _, t := range extra {
		if has(t.Noun) {
			b.obj2 = t
			b.s("{h} liked to {v} it.", "{h} loved to {v} it (every day|all the time).")
			b.w.use(b.hero, t, b.plan.verb.Text)
			return
		}
	}
	if b.plan.verb.is(tPl) {
		// Things one does to many of a kind: collect shells, pick flowers.
		var ok []*Word
		for _, x := range c.objsWith(prop) {
			if !x.is(tMass) {
				ok = append(ok, x)
			}
		}
		b.obj2 = b.w.addThing(&Thing{Noun: pick(b.r, ok)})
		b.s("{h} loved to {v} {x.ns}.", "{h} liked to {v} {x.ns} (every day|a lot|with {h.his} {m.kind}).")
		return
	}
	var ok []*Word
	for _, x := range c.objsWith(prop) {
		if b.obj == nil || x != b.obj.Noun {
			ok = append(ok, x)
		}
	}
	x := pick(b.r, ok)
	if x.is(tFood) || x.is(tDrink) {
		b.obj2 = b.w.addThing(&Thing{Noun: x})
		b.s("{h} loved to {v} {x.ns}.", "{h} liked to {v} {x.ns} (every day|a lot).")
		return
	}
	b.obj2 = b.w.addThing(&Thing{Noun: x, Owner: b.hero})
	b.s("{h} (also |)liked to {v} {x}.", "{h} (had|also had) {x.a}, and {h.he} loved to {v} it.")
	b.w.use(b.hero, b.obj2, b.plan.verb.Text)
}

// forceVerb is the last resort for a plot verb that the plot did not use.
func (b *builder) forceVerb(v *Word) {
	if lines := verbLines[v.Text]; lines != nil {
		b.s(lines...)
	}
}

// verbLines use verbs that the plots use only in some tellings.
var verbLines = map[string][]string{
	"hug":    {"{h} liked to hug {h.his} {m.kind}."},
	"share":  {"{h} liked to share {h.his} toys with (others|{h.his} friends)."},
	"drop":   {"{h} (often|sometimes) dropped {h.his} toys."},
	"break":  {"{h} was careful not to break things."},
	"fix":    {"{h.poss} {m.kind} could fix almost anything."},
	"lose":   {"{h} did not like to lose things."},
	"find":   {"{h} was good at finding things."},
	"look":   {"{h} liked to look at the birds."},
	"search": {"{h} liked to search for shells and (rocks|sticks)."},
	"hide":   {"{h} loved to hide and play games."},
	"cry":    {"{h} did not cry very often."},
	"help":   {"{h} liked to help {h.his} {m.kind}."},
	"fall":   {"{h} did not like to fall down."},
	"hurt":   {"{h} (was careful|tried) not to hurt anyone."},
	"melt":   {"{h} liked to watch the snow melt in the sun."},
	"wait":   {"{h} did not like to wait."},
}

// sceneLine says something about the sky, the weather or nature.
type sceneLine struct {
	day, night []string
	plots      []string // the plots it fits; nil: all
	weather    []string // weather it sets, if any
}

func (s *sceneLine) ok(pl *plotDef) bool {
	if s.plots == nil {
		return true
	}
	for _, p := range s.plots {
		if p == pl.name {
			return true
		}
	}
	return false
}

var sceneLines = map[string]*sceneLine{
	"sun":     {day: []string{"The sun was (bright|warm) in the sky.", "The sun was shining (and the sky was blue|all day)."}, night: []string{"The sun had gone down, and it was dark outside."}},
	"moon":    {day: []string{"{h} could still see the moon in the morning sky."}, night: []string{"The moon was big and (round|bright)."}},
	"star":    {day: []string{"At night, {h} liked to look at the stars."}, night: []string{"(Many|Little) stars were shining in the sky."}},
	"sky":     {day: []string{"The sky was (blue|bright and blue)."}, night: []string{"The sky was dark (and quiet)."}},
	"cloud":   {day: []string{"(Big|Little|White) clouds moved (slowly |)across the sky."}, night: []string{"(Dark |)clouds covered the moon."}},
	"rain":    {day: []string{"There had been rain in the morning, so the ground was wet."}, night: []string{"Outside, the rain was falling (softly|on the roof)."}, plots: []string{"break", "lost", "fear", "share", "hurt", "wet"}},
	"snow":    {day: []string{"There was (soft |)white snow on the ground."}, night: []string{"Outside, snow was falling (softly|on the trees)."}, plots: []string{"break", "lost", "fear", "share", "hurt", "stuck"}, weather: []string{"cold", "snowy"}},
	"wind":    {day: []string{"The wind was (blowing|strong) that day."}, night: []string{"The wind was blowing outside."}},
	"storm":   {day: []string{"There had been a big storm in the night, but now it was over."}, night: []string{"There was a big storm outside."}},
	"rainbow": {day: []string{"{h} had once seen a rainbow, and {h.he} loved all its colors."}, night: []string{"{h} had once seen a rainbow, and {h.he} loved all its colors."}},
	"thunder": {day: []string{"{h} did not like the sound of thunder."}, night: []string{"Far away, there was thunder."}},
	"mud":     {day: []string{"There was mud on the path from the rain."}, night: []string{"{h.poss} boots were still full of mud from the day."}, plots: []string{"break", "lost", "fear", "share", "hurt", "stuck", "wet"}},
	"sand":    {day: []string{"{h} liked to dig in the sand."}, night: []string{"{h} liked to dig in the sand."}},
	"puddle":  {day: []string{"{h} loved to jump in puddles."}, night: []string{"{h} loved to jump in puddles."}},
	"shadow":  {day: []string{"{h} liked to play with {h.his} shadow in the sun."}, night: []string{"The lamp made big shadows on the wall."}},
	"tree":    {day: []string{"There was a (big|tall|old) tree (near the house|by the path)."}, night: []string{"Outside the window, there was a (big|tall|old) tree."}},
	"grass":   {day: []string{"The grass was green and (soft|tall)."}, night: []string{"{h} liked to run in the grass in the day."}},
	"water":   {day: []string{"{h} liked to play in the water."}, night: []string{"{h} drank some water before bed."}},
}

// feelLines bring in a feeling word (by word, or by feeling group) when the
// plot does not; {a} is the required adjective.
var feelLines = map[string][]string{
	"pos":       {"{h} woke up feeling {a} that (morning|day).", "That morning, {h} felt very {a}."},
	"sad":       {"{h} felt a little {a} because it was the last day of summer."},
	"lonely":    {"{h} felt {a} because {h.he} had no one to play with."},
	"angry":     {"{h} was a little {a} that morning because {h.he} did not want to take a bath."},
	"scared":    {"{h} was {a} of the dark."},
	"afraid":    {"{h} was {a} of the dark."},
	"worried":   {"{h} felt {a} about (many|a lot of) things."},
	"nervous":   {"{h} felt {a} about (many|a lot of) things."},
	"tired":     {"{h} was {a} because {h.he} had played all day the day before."},
	"hungry":    {"{h} was {a}, so {h.he} ate a big breakfast."},
	"thirsty":   {"{h} was {a}, so {h.he} drank some water."},
	"bored":     {"{h} was {a}. {h.he} wanted to do something fun."},
	"surprised": {"{h} was {a} to see a bird at the window."},
	"calm":      {"{h} was always {a}, even when things went wrong."},
	"dizzy":     {"{h} spun around and around until {h.he} was {a}."},
}

// stateLines bring in a word for the state of things.
var stateLines = map[string][]string{
	"wet":   {"{h.poss} hair was still wet from the bath."},
	"dry":   {"{h} put on dry socks."},
	"dirty": {"{h.poss} hands were dirty, so {h.he} washed them."},
	"clean": {"{h.poss} room was clean and neat."},
	"messy": {"{h.poss} room was very messy."},
	"neat":  {"{h.poss} room was always {a}."},
	"tidy":  {"{h.poss} room was always {a}."},
	"muddy": {"{h.poss} boots were {a} from the day before."},
	"full":  {"{h.poss} basket was full of toys."},
}

// emote gives c a feeling of a group (the required adjective when it is of
// that group) and logs it; templates say it as {@}.
func (b *builder) emote(c *Character, group string) {
	w := pick(b.r, theCatalog().feel[group])
	if a := b.plan.adj; a.Value("feel") == group {
		w = a
	}
	b.feelWord = w.Text
	b.w.feel(c, w.Text)
}

// party is who goes somewhere together.
type party []*Character

// arrive writes how the party came to the place (with the weather) and
// moves them there.
func (b *builder) arrive(who party, night bool) {
	pl := b.place.Noun
	time := "day"
	if night {
		time = "night"
	}
	with := ""
	hasF, hasM := false, false
	for _, c := range who[1:] {
		hasF = hasF || c == b.friend
		hasM = hasM || c == b.helper
	}
	switch {
	case hasF && hasM:
		with = " with {f.obj} and {h.his} {m.kind}"
	case hasF:
		with = " with {f.obj}"
	case hasM:
		with = " with {h.his} {m.kind}"
	}
	w := b.weather
	switch {
	case night && w != "":
		b.s("It was a {w} night.", "The night was {w}.")
		b.s("{h} was {p.in}" + with + ".")
	case night:
		b.s("(One|That) night, {h} was {p.in}" + with + ".")
	case pl.is(tIndoor) && w != "":
		if inside[w] {
			b.s("One {w} "+time+", {h} was {p.in}"+with+".", "It was a {w} day, so {h} (stayed|played) inside"+with+".")
			if !b.seenPlace() {
				b.s("{h} was {p.in}.")
			}
		} else {
			b.s("One {w} "+time+", {h} was {p.in}"+with+".", "It was a {w} day. {h} was {p.in}"+with+".")
		}
	case pl.is(tIndoor):
		b.s("One day, {h} was (playing |){p.in}"+with+".", "One (morning|afternoon), {h} was {p.in}"+with+".")
	case w != "":
		if w == "cold" || w == "snowy" || w == "chilly" {
			b.s("It was a {w} day, so {h} put on a warm coat.")
			b.s("{h} went {p.to}" + with + ".")
		} else {
			b.s("One {w} day, {h} went {p.to}"+with+".", "It was a {w} day, and {h} (went|walked) {p.to}"+with+".")
		}
	default:
		b.s("One day, {h} (went|walked) {p.to}"+with+".", "One (morning|afternoon), {h} went {p.to}"+with+".")
	}
	for _, c := range who {
		b.w.goTo(c, b.place)
	}
	if lines := placeLines[pl.Text]; lines != nil && !night && !inside[w] && b.r.chance(55) {
		b.s(lines...)
	}
}

// placeLines describe places.
var placeLines = map[string][]string{
	"park":       {"There were tall trees and green grass.", "(Many|Some) children were playing on the swings."},
	"garden":     {"There were (many|lots of) (pretty|red and yellow) flowers.", "Bees were buzzing around the flowers."},
	"yard":       {"The grass in the yard was green and soft.", "A little bird was singing on the fence."},
	"forest":     {"The trees were very tall, and birds were singing.", "It was quiet in the forest, and the air smelled fresh."},
	"farm":       {"There were cows, pigs and hens everywhere.", "The farmer was feeding the animals."},
	"beach":      {"The sand was warm, and the waves were (big|blue).", "The sun was shining on the sea."},
	"lake":       {"Ducks were swimming on the lake.", "The water of the lake was blue and still."},
	"pond":       {"Ducks were swimming in the pond.", "A frog was sitting on a rock by the water."},
	"river":      {"The river was (wide|fast), and the water made a happy sound.", "Fish were jumping in the river."},
	"hill":       {"From the top of the hill, {h} could see the whole town.", "The hill was green and (high|steep)."},
	"field":      {"The grass was tall, and there were flowers everywhere.", "Butterflies were flying over the grass."},
	"meadow":     {"The grass was tall, and there were flowers everywhere.", "Butterflies were flying over the grass."},
	"playground": {"There were swings and a big slide.", "Children were laughing on the slide."},
	"zoo":        {"There were lions, monkeys and elephants.", "A big elephant was eating hay."},
	"pool":       {"The water was blue and cool.", "Children were splashing in the water."},
	"school":     {"The other children were drawing at their desks.", "The teacher was reading a story to the class."},
	"kitchen":    {"The kitchen smelled like fresh bread.", "The kitchen was warm and bright."},
	"house":      {"It was warm and cozy inside."},
	"home":       {"It was warm and cozy at home."},
	"bedroom":    {"There were toys all over the floor."},
	"room":       {"There were toys all over the floor."},
	"library":    {"There were books everywhere.", "It was very quiet in the library."},
	"shop":       {"There were so many things to look at."},
	"store":      {"There were so many things to look at."},
	"bakery":     {"It smelled like cake and fresh bread."},
	"barn":       {"There was hay everywhere, and a cow was sleeping in the corner."},
	"castle":     {"The castle was big and old, with a tall tower."},
	"island":     {"The island had soft sand and tall trees."},
	"mountain":   {"The mountain was so high that it touched the clouds."},
}

// inside is the weather that keeps children in.
var inside = map[string]bool{"rainy": true, "stormy": true, "snowy": true, "cold": true, "windy": true, "dark": true, "cloudy": true}

// seenPlace reports whether the place was named in the story yet.
func (b *builder) seenPlace() bool {
	return containsWord(string(b.out), b.place.Noun.Text)
}

// hint writes a foreshadowing line when the story has the feature; detail
// is the kind of event it announces, which the plot must then write.
func (b *builder) hint(detail string, spoken []string, speaker *Character, narrated ...string) {
	if !b.has(Foreshadowing) {
		return
	}
	if speaker != nil && b.has(Dialogue) && spoken != nil {
		b.q(speaker, spoken...)
	} else {
		b.s(narrated...)
	}
	b.w.mark(evForeshadow, nil, nil, detail)
}

// twist writes the words that tell a twist is coming and logs it.
func (b *builder) twist() {
	b.s("But then, something (strange|funny) happened.", "Then, to {h.poss} surprise, something (strange|funny) happened.",
		"Suddenly, something (strange|funny) happened.", "Then something happened that no one (thought would happen|had thought of).",
		"But then, guess what happened?", "And then, all of a sudden, something (strange|funny) happened.")
	b.w.mark(evTwist, b.hero, nil, "")
}

// moral writes the lesson when the story has a moral value.
func (b *builder) moral(lines ...string) {
	if !b.has(MoralValue) {
		return
	}
	b.s(lines...)
	b.w.mark(evMoral, b.hero, nil, "")
}

// resolved and unresolved log how the story ends.
func (b *builder) resolved()   { b.w.mark(evResolve, b.hero, nil, "") }
func (b *builder) unresolved() { b.w.mark(evUnresolved, b.hero, nil, "") }

// argue logs the conflict between the hero and c.
func (b *builder) argue(c *Character) {
	b.w.mark(evArgue, b.hero, nil, c.Name)
}

// checkSpec checks that a StorySpec's words and plot exist.
func checkSpec(s StorySpec) error {
	l := Vocabulary()
	c := theCatalog()
	for _, x := range []struct {
		text string
		pos  POS
		ok   []*Word
	}{{s.Noun, Noun, c.nouns}, {s.Verb, Verb, c.verbs}, {s.Adjective, Adjective, c.adjs}} {
		if x.text == "" {
			continue
		}
		w := l.Lookup(x.text, x.pos)
		if w == nil || !contains(x.ok, w) {
			return &SpecError{Field: x.pos.String(), Value: x.text}
		}
	}
	if s.HeroKind != "" {
		if w := l.Lookup(s.HeroKind, Noun); w == nil || !w.is(tChar) {
			return &SpecError{Field: "hero kind", Value: s.HeroKind}
		}
	}
	if s.Trait != "" {
		if w := l.Lookup(s.Trait, Adjective); w == nil || !w.is(tTrait) {
			return &SpecError{Field: "trait", Value: s.Trait}
		}
	}
	if s.Plot != "" && plotByName(s.Plot) == nil {
		return &SpecError{Field: "plot", Value: s.Plot}
	}
	return nil
}

// SpecError reports a StorySpec value the story world cannot use.
type SpecError struct {
	Field, Value string
}

// Error says which value the story world has no use for.
func (e *SpecError) Error() string {
	return "synth: the story world has no " + e.Field + " " + `"` + e.Value + `"`
}

func contains(ws []*Word, w *Word) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}
