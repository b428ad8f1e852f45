package synth

// Plots about people: fear in the night, a fall, sharing, hot food, a new
// friend.

func writeFear(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	b.beginning()
	b.arrive(b.with(), true)
	b.s("{h} was in bed with {o}.", "{h} went to bed and held {o} close.")
	b.w.use(h, o, "hold")
	tree := b.has(Foreshadowing) || b.r.chance(50)
	if tree {
		b.hint("noise", nil, nil, "Outside, the wind was strong, and the big tree by the window moved back and forth.")
	} else {
		b.hint("noise", nil, nil, "{h} did not know that the cat was still awake, playing in the dark.")
	}

	b.paragraph()
	if b.has(Conflict) {
		b.talk(f, []string{"Turn off the light! I want to sleep."}, "{f} wanted the light off.")
		b.talk(h, []string{"No! I want it on!"}, "But {h} wanted it on.")
		b.argue(f)
		b.s("In the end, {f} turned off the light.")
	}
	b.s("Then {h} heard a (strange|loud) noise. Tap, tap, tap!", "Suddenly, there was a noise at the window. Tap, tap!")
	b.w.mark("noise", nil, nil, "")
	if n := b.plan.noun; n.is(tSpot) && !n.is(tObj) && (n.is(tUnder) || n.is(tBehind)) {
		b.spot, b.spotPrep = n, "under"
		if !n.is(tUnder) {
			b.spotPrep = "behind"
		}
		b.s("Something was moving {s.at}!", "{h} saw a big, dark shadow {s.at}.")
	} else {
		b.s("{h} saw a big, dark shadow on the wall.", "A big, dark shadow moved on the wall.")
	}
	b.emote(h, "scared")
	b.s("{h} was very {@}.")
	b.talk(h, []string{"Help{m.voc}! There is a monster!", "Help{m.voc}! Something is at the window!"}, "{h} called for {h.his} {m.kind}.")
	b.comeIn("{h.poss} {m.kind} came in and turned on the light.")

	b.paragraph()
	if b.has(Twist) {
		b.twist()
		if tree {
			b.s("It was not a monster at all. It was just the tree, tapping on the window in the wind!")
		} else {
			b.s("It was not a monster at all. It was just the cat, playing with a ball by the window!")
		}
	} else {
		b.s("{m} showed {h.obj} that it was only the wind (in the tree|outside).")
	}
	if b.has(BadEnding) {
		b.s("{h} hugged {o.his} tight, but {h.he} was still scared.")
		b.w.use(h, o, "hug")
		b.s("{h} could not sleep all night.")
		b.emote(h, "tired")
		b.s("In the morning, {h} was very {@}.")
		b.unresolved()
		b.moral("{h} learned that being scared all night is no fun.")
		return
	}
	b.s("{m} gave {h.obj} a big hug.")
	b.talk(m, []string{"There is nothing to be scared of. I am here.", "You are safe. It was only the wind."}, "{m} said that {h} was safe.")
	b.makeUp()
	b.s("{h} hugged {o.his} and (fell asleep|went to sleep).")
	b.w.use(h, o, "hug")
	b.emote(h, pick(b.r, []string{"pos", "calm"}))
	b.s("{h} felt {@}.", "{h} was {@} and safe.")
	b.resolved()
	b.moral("{h} learned that the dark is not so scary.", "{h} learned that it is good to be brave.")
}

func writeHurt(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	b.beginning()
	ride := o.Noun.is(tRide)
	if ride {
		b.s("{h} loved to ride {o.his}.")
	} else {
		b.s("{h} loved to play with {o.his}.")
	}
	b.w.use(h, o, "play")
	b.arrive(b.with(), false)
	b.hint(evHurt, []string{"Do not go too fast{h.voc}! You may fall."}, m,
		"The path was bumpy and full of rocks.", "{h.poss} {m.kind} always told {h.obj} not to go too fast.")

	b.paragraph()
	if b.has(Conflict) {
		b.talk(f, []string{"I am faster than you!"}, "{f} said {f.he} was faster than {h}.")
		b.talk(h, []string{"No, I am faster!"}, "{h} said {h.he} was faster.")
		b.argue(f)
		b.s("So they had a race.")
	}
	if ride {
		b.w.use(h, o, "ride")
		b.s("{h} rode {o.his} (very |)fast down the path.", "{h} went faster and faster on {o.his}.")
		b.s("Then {o.the} hit a rock, and {h} fell down.", "{h} hit a bump and fell off.")
	} else {
		b.s("{h} ran after {o.the} (very |)fast.", "{h} ran and ran after {o.the}.")
		b.s("{h} tripped on a rock and fell down.", "{h} did not see a rock and fell down.", "Then {h.his} foot hit a rock, and {h.he} fell down.")
	}
	b.w.mark(evHurt, h, nil, b.body.Text)
	b.s("{h} hurt {b.his}.", "Ouch! {h} hurt {b.his}.")
	b.emote(h, "sad")
	b.s("It hurt a lot, and {h} began to cry.", "{h} was {@} and began to cry.", "{h} was {@}, and tears came to {h.his} eyes.", "{h} sat on the ground, {@}, and cried.")
	b.talk(h, []string{"Ouch! My {b}!", "Ouch! It hurts!"}, "{h} called for {h.his} {m.kind}.")

	b.paragraph()
	b.comeIn("{h.poss} {m.kind} came running.")
	if b.has(Twist) {
		b.twist()
		b.s("When {m} looked at {h.poss} {b}, there was only a tiny scratch!")
	}
	if b.has(BadEnding) {
		b.s("{h.poss} {b} hurt for many days.")
		b.s("{h} could not play outside for a whole week.")
		b.emote(h, "sad")
		b.s("{h} had to stay inside and felt {@}.")
		b.unresolved()
		b.moral("{h} learned to listen to {h.his} {m.kind}, but it was a hard lesson.")
		return
	}
	b.s("{m} (cleaned|washed) {h.poss} {b} and put a bandage on it.")
	b.s("Then {m} gave {h.obj} a kiss.")
	b.w.mark(evHeal, h, nil, b.body.Text)
	b.s("Soon {h} felt better.", "After a while, the hurt went away.", "Soon {h} felt much better.")
	b.makeUp()
	b.emote(h, "pos")
	if ride {
		b.s("Then {h} rode {o.his} again, slowly this time.")
	} else {
		b.s("Then {h} played with {o.his} again, (slowly|carefully) this time.")
	}
	b.w.use(h, o, "play")
	b.s("{h} was {@}.")
	b.resolved()
	if b.has(Conflict) {
		b.moral("{h} learned that being first is not so important.")
	} else {
		b.moral("{h} learned to be careful and not to go too fast.", "{h} learned to listen to {h.his} {m.kind}.")
	}
}

func writeShare(b *builder) {
	h, o, f := b.hero, b.obj, b.friend
	b.beginning()
	b.arrive(b.with(), false)
	b.hint(evFeel, nil, nil, "{f} did not have {o.a} of {f.his} own.", "{f} looked at {o.the} with big eyes.")
	food := o.Noun.is(tFood) || o.Noun.is(tDrink)

	b.paragraph()
	if food {
		b.talk(f, []string{"Can I have some, please?", "That looks so good! Can I have a little?"}, "{f} asked if {f.he} could have some.", "{f} asked for a little bit.", "{f} wanted some too.")
	} else {
		b.talk(f, []string{"Can I play with it too, please?", "Can I have a turn?"}, "{f} asked if {f.he} could play with it too.", "{f} asked for a turn.", "{f} wanted to play with it too.")
	}
	b.talk(h, []string{"No! It is mine!", "No, I want it all for me!"}, "But {h} did not want to share.", "{h} held {o.the} close. {h.he} did not want to share.", "But {h} wanted it all and would not share.", "{h} shook {h.his} head. {h.he} did not want to share.")
	if b.has(Conflict) {
		b.argue(f)
		b.s("They started to (fight|argue).", "{f} tried to take it, and they began to fight.")
	}
	b.emote(f, "sad")
	b.s("{f} was {@}.", "{f} looked at the ground and felt {@}.", "{f} felt {@} and walked away.", "{f.poss} face was {@}.")

	b.paragraph()
	if b.has(Twist) {
		b.twist()
		var xs []*Word
		for _, x := range theCatalog().objs {
			if (x.is(tToy) && !x.is(tFragile)) && x != o.Noun {
				xs = append(xs, x)
			}
		}
		b.obj2 = b.w.addThing(&Thing{Noun: pick(b.r, xs), Owner: f})
		b.s("{f} opened {f.his} bag. Inside was {x.a}, and {f.he} wanted to share it with {h.obj}!")
	}
	if b.has(BadEnding) {
		if food {
			if o.Noun.is(tDrink) {
				b.s("{h} drank all of {o.the} by {h.self}.")
			} else {
				b.s("{h} ate all of {o.the} by {h.self}.")
			}
			b.w.gone(h, o, "eaten")
			b.s("Soon {h.poss} tummy hurt.", "Then {h.poss} tummy began to hurt from eating too much.")
		} else {
			b.w.use(h, o, "play")
			b.s("{h} played with {o.the} alone, but it was not fun.")
		}
		b.s("{f} went home.")
		b.emote(h, "lonely")
		b.s("{h} was {@}.", "{h} felt {@}.")
		b.unresolved()
		b.moral("{h} learned that not sharing makes everyone sad.", "{h} learned that it is not fun to be alone.")
		return
	}
	b.s("{h} saw that {f} was sad, and {h.he} felt bad.", "{h} thought about it and felt bad.", "{h} looked at {f.obj} and felt bad inside.", "Then {h} saw how sad {f} was.")
	b.talk(h, []string{"I am sorry. Let's share!", "I am sorry, {f.name}. We can share it.", "Here, you can have some too."}, "{h} said sorry.", "{h} said {h.he} was sorry.", "{h} told {f.obj} {h.he} was sorry.")
	if food {
		b.s("{h} gave {f.obj} half of {o.the}.")
	} else {
		b.s("{h} let {f.obj} play with {o.the}.")
	}
	b.w.use(h, o, "share")
	b.w.use(f, o, "share")
	if b.has(Conflict) {
		b.w.mark(evMakeUp, h, nil, f.Name)
	}
	b.s("They played together and had (so much |)fun.", "They (laughed|smiled) and had a great day.", "Sharing made them both smile.", "Together, they had the best day.")
	b.emote(h, "pos")
	b.s("{h} was {@}, and so was {f}.")
	b.w.feel(f, b.feelWord)
	b.resolved()
	b.moral("{h} learned that sharing is (good|fun).", "{h} learned that sharing makes everyone happy.")
}

func writeHot(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	o.Owner = nil
	b.beginning()
	who := append(b.with(), m)
	b.arrive(who, false)
	b.s("{h.poss} {m.kind} made {o.a} for lunch.", "{h.poss} {m.kind} was making {o.a}.", "That day, {h.poss} {m.kind} made {o.a}.")
	b.s("It smelled so good!", "{h} could smell it from far away.", "Steam came up from it, and it smelled so good.")
	b.hint("hot", []string{"It is very hot{h.voc}. Wait until it is cool.", "Be careful! It is too hot to eat now."}, m,
		"{h.poss} {m.kind} said it was very hot and that {h} had to wait.", "There was a lot of steam coming from {o.the}.")

	b.paragraph()
	b.emote(h, "hungry")
	b.s("{h} was {@} and did not want to wait.", "{h} was so {@}. {h.he} did not want to wait at all.")
	b.talk(h, []string{"Can I eat it now?", "I want to eat it now!"}, "{h} wanted to eat it right away.")
	if b.has(Conflict) {
		b.talk(f, []string{"I want the first bite!"}, "{f} wanted the first bite.")
		b.talk(h, []string{"No, I want it first!"}, "But {h} wanted it first.")
		b.argue(f)
		b.s("They argued about who would eat first.")
	}
	b.w.mark("hot", h, o, "")
	if b.has(BadEnding) {
		if b.has(Twist) {
			b.s("{h} went to get a spoon.")
			b.twist()
			b.s("The cat jumped on the table and ate {o.the}!", "A big dog came in and ate {o.the} in one bite!")
			b.w.gone(nil, o, "eaten")
			b.paragraph()
			b.emote(h, "sad")
			b.s("There was nothing left for {h}. {h.he} had waited too long!", "Now there was nothing to eat, and {h} was {@}.")
			b.s("{h} had to wait until dinner, and {h.his} tummy was empty all day.")
			b.unresolved()
			b.moral("{h} learned to keep an eye on {h.his} food. It was a sad lesson.")
			return
		}
		if o.Noun.is(tDrink) {
			b.s("{h} did not wait. {h.he} took a big sip.", "{h} did not listen and took a big sip.")
		} else {
			b.s("{h} did not wait. {h.he} took a big bite.", "{h} did not listen and took a big bite.")
		}
		b.w.use(h, o, "bite")
		b.s("It was too hot, and it burned {h.his} tongue!", "Ouch! It was so hot that it burned {h.his} mouth.")
		b.w.mark(evHurt, h, nil, "tongue")
		b.paragraph()
		b.emote(h, "sad")
		b.s("{h} cried and cried.", "{h} began to cry.")
		b.s("{h.poss} tongue hurt all day, and {h.he} could not eat any more.", "For the rest of the day, {h} could not taste {h.his} food.")
		b.unresolved()
		b.moral("{h} learned to wait for hot food to cool down, but it was a hard lesson.")
		return
	}
	b.s("{h} touched {o.the} with one finger. It was very hot!", "{h} put {h.his} hand near {o.the}. It was too hot to eat.")
	b.talk(m, []string{"We have to wait until it is cool{h.voc}.", "Blow on it and wait a little."}, "{h.poss} {m.kind} told {h.obj} to wait a little.")

	b.paragraph()
	b.s("So {h} sat down and waited.", "{h} blew on it and waited.", "{h} waited and waited.")
	if b.has(Twist) {
		b.twist()
		b.s("{h.poss} {m.kind} put a big scoop of ice cream next to {o.the}! What a surprise!")
	}
	b.s("Soon {o.the} was cool.", "After a while, {o.the} was not hot any more.")
	b.w.use(h, o, "eat")
	if b.has(Conflict) {
		b.s("{h} gave the first bite to {f.obj}, and then they ate the rest together.")
		b.w.mark(evMakeUp, h, nil, f.Name)
	} else {
		if o.Noun.is(tDrink) {
			b.s("{h} drank it all up. It was so good!", "{h} took a sip. It was (yummy|very good)!")
		} else {
			b.s("{h} ate it all up. It was so yummy!", "{h} took a bite. It was (yummy|very good)!")
		}
	}
	b.w.gone(h, o, "eaten")
	b.emote(h, "pos")
	b.s("{h} was {@} that {h.he} had waited.", "{h} felt {@}.")
	b.resolved()
	b.moral("{h} learned that good things come to those who wait.", "{h} learned to wait for hot food to cool down.")
}

func writeNewFriend(b *builder) {
	h, o, f := b.hero, b.obj, b.friend
	f.Rel = "friend"
	b.opener()
	if b.plan.noun.is(tAdult) || b.r.chance(30) {
		b.introHelper()
	}
	b.introObject()
	b.extras()
	b.s("{h} had just moved to a new town, and {h.he} did not have any friends.", "{h} did not have any friends to play with.")
	b.emote(h, "lonely")
	b.s("{h} felt {@}.", "Sometimes {h} felt very {@}.")
	b.arrive(party{h}, false)
	b.w.goTo(f, b.place)
	b.hint("meet", nil, nil, "Every day, {h} saw {f.adesc} sitting alone under a tree.", "{h} had seen {f.adesc} there before, always by {f.self}.")

	b.paragraph()
	b.s("That day, {h} saw {f.adesc} named {f.name} sitting by {f.self}.", "Then {h} saw {f.adesc} named {f.name} who was all alone.", "There was {f.adesc} named {f.name} there, sitting all alone.")
	b.w.mark("meet", h, nil, f.Name)
	if b.has(Conflict) {
		b.s("{f} saw {o.the} and took it without asking.", "{f} ran over and grabbed {o.the}.")
		b.talk(h, []string{"Hey! That is mine!", "Give it back! It is mine!"}, "{h} was mad and told {f.obj} to give it back.")
		b.talk(f, []string{"I just wanted to play!"}, "{f} said that {f.he} only wanted to play.")
		b.argue(f)
	} else {
		b.s("{h} wanted to say hello, but {h.he} was shy.", "{h} wanted to talk to {f.obj}, but {h.he} did not know what to say.")
	}
	if b.has(Twist) {
		b.twist()
		b.s("{f} had {a} {o.n} too, just like {h.poss}!", "{f} was new in town too, and {f.he} also had no friends!")
	}
	if b.has(BadEnding) {
		b.paragraph()
		b.s("{h} did not say anything.", "{h} was too shy to say a word.")
		b.talk(f, []string{"Bye! I have to go home now."}, "Soon {f} had to go home.")
		b.w.goTo(f, &Place{Noun: b.lex.Lookup("home", Noun)})
		b.w.use(h, o, "play")
		b.s("{h} played with {o.the} by {h.self}, but it was not much fun.")
		b.emote(h, "lonely")
		b.s("{h} went home feeling {@}.", "That night, {h} still felt {@}.")
		b.unresolved()
		b.moral("{h} learned that a friend is only a hello away, but {h.he} learned it too late.")
		return
	}
	b.paragraph()
	b.talk(h, []string{"Hello! My name is {h.name}. Do you want to play with me?", "Hi! Do you want to play with my {o.n}?"},
		"{h} walked over, said hello and asked {f.obj} to play.", "At last, {h} was brave. {h.he} said hello and asked {f.obj} to play.")
	if b.has(Conflict) {
		b.s("Then {h} said {h.he} was sorry for being mad.")
		b.w.mark(evMakeUp, h, nil, f.Name)
	}
	b.talk(f, []string{"Yes, please!", "Yes! My name is {f.name}."}, "{f} smiled and said yes.")
	b.w.use(h, o, "play")
	b.w.use(f, o, "play")
	b.s("They played with {o.the} all (day|afternoon).", "They took turns with {o.the} and laughed a lot.")
	b.emote(h, "pos")
	b.s("{h} was not lonely any more. {h.he} was {@}.", "{h} felt {@}. Now {h.he} had a friend.")
	b.s("From that day on, {h.name} and {f.name} were best friends.", "{h.name} and {f.name} played together every day after that.")
	b.resolved()
	b.moral("{h} learned that saying hello is the first step to a new friend.", "{h} learned that being brave can bring a new friend.")
}
