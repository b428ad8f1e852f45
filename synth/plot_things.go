package synth

// Plots about things: something breaks, is lost, gets stuck, gets wet or
// melts.

func writeBreak(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	if !o.Noun.is(tContainer) || o.Noun.is(tHeavy) || b.r.chance(30) {
		o.Owner = m
	}
	b.beginning()
	if o.Owner == h && o.Noun.is(tContainer) && b.r.chance(60) {
		b.s("Every day, {h} drank (milk|juice|water) from it.", "{h} used it every day.")
		b.w.use(h, o, "drink")
	}
	b.arrive(b.with(), false)
	if n := b.plan.noun; n.is(tSpot) && n.is(tOn) && !n.is(tObj) {
		b.spot, b.spotPrep = n, "on"
		b.s("{o.the} was {s.at}.", "{h} saw {o.the} {s.at}.")
	} else {
		b.s("{o.the} was on the table.", "{o.the} was (on a high shelf|on the table|by the window).")
	}
	b.hint(evDrop, []string{"Be careful with {o.the}. It can break!", "Please hold {o.the} with two hands. It breaks (easily|very easily)."}, m,
		"{h.poss} {m.kind} had told {h.obj} to be careful with {o.the}, because it could break.",
		"{h} knew that {o.the} could break if it fell.")

	b.paragraph()
	if b.has(Conflict) {
		b.s("{h.name} and {f.name} both wanted to hold {o.the}.", "{f} wanted to hold {o.the}, but {h} wanted to hold it too.")
		b.talk(f, []string{"Let me hold it{h.voc}!", "It is my turn!"}, "{f} said it was {f.his} turn.")
		b.talk(h, []string{"No! I want it!", "No, I had it first!"}, "But {h} did not want to give it to {f.obj}.")
		b.argue(f)
		b.w.use(h, o, "pull")
		b.s("They pulled and pulled. Then {h} dropped it!", "They (pulled|tugged) it back and forth, and (oops!|then) {h} dropped it.")
	} else {
		b.s("{h} wanted to (look at|hold|play with) {o.the}.", "{h} (picked up|took) {o.the} (to look at it|with one hand).")
		b.w.use(h, o, "hold")
		b.s("But {h.his} hands were (wet|slippery), and {h.he} dropped it.", "Then {h} (tripped on the rug|slipped) and dropped {o.the}.", "Oops! {h} dropped {o.the}.")
	}
	nearMiss := b.has(Twist) && !b.req("break") && !b.has(BadEnding)
	if nearMiss {
		b.twist()
		b.w.drop(h, o, false)
		b.s("{o.the} fell on a soft (pillow|blanket) and did not break!", "{o.the} landed on a soft pillow. It did not break at all!")
	} else {
		b.w.drop(h, o, true)
		b.s("Crash! {o.the} broke into (many|little) pieces on the (hard |)floor.", "{o.the} fell on the hard floor and broke.", "It hit the floor and broke into (many |)pieces.")
		b.emote(h, pick(b.r, []string{"sad", "scared"}))
		b.s("{h} was (very|so) {@}.", "{h} felt {@}.", "{h} was so {@} that {h.his} lip shook.")
		b.talk(h, []string{"Oh no! What did I do?", "Oh no! I broke {o.the}!", "Oh no! What will I do now?"}, "{h} did not know what to do.", "{h} looked at the pieces and (began|started) to cry.")
	}

	b.paragraph()
	switch {
	case nearMiss:
		b.w.use(h, o, "hold")
		b.s("{h} picked up {o.the} and held it with two hands.", "{h} (held|hugged) {o.the} close.")
		b.emote(h, "pos")
		b.s("{h} was so {@}.", "{h} felt {@} and (safe|calm) again.")
		b.talk(h, []string{"That was close!", "I will be more careful now."}, "{h} put {o.the} back on the table very carefully.")
		b.makeUp()
		b.resolved()
		b.moral("{h} learned to be careful with things that can break.", "From that day on, {h} always held things with two hands. {h.he} had learned {h.his} lesson.")
	case b.has(BadEnding):
		if b.has(Twist) {
			b.twist()
			b.comeIn("The cat ran in, and {h.poss} {m.kind} came to see what the noise was.")
			b.s("{m} thought the cat had broken {o.the}!")
			b.s("{h} did not say anything, and the cat had to sleep outside.")
		} else {
			b.hideSpot()
			b.s("{h} was scared, so {h.he} hid the pieces {s.at}.")
			b.comeIn("Later, {h.poss} {m.kind} came in and found them.", "Soon {h.poss} {m.kind} came in and saw the pieces.")
			b.emote(m, "sad")
			b.s("{m} was very {@}.")
		}
		if CanFix(o.Noun) {
			b.s("{m} tried to fix {o.the} with glue, but there were too many pieces.")
		} else {
			b.s("{o.the} could not be fixed.", "A broken {o.n} cannot be fixed.")
		}
		b.emote(h, "sad")
		b.s("{h} felt {@} (for a long time|all day).", "That night, {h} went to bed feeling {@}.")
		b.unresolved()
		b.moral("{h} learned that it is better to tell the truth.", "{h} learned to be careful, but it was too late for {o.the}. That was a hard lesson.")
	default:
		if b.has(Twist) {
			b.comeIn("{h.poss} {m.kind} came in and saw the pieces.")
			b.twist()
			b.s("{m} was not angry at all. {m.he} smiled and showed {h.obj} a big box.")
			n := b.w.replace(o, o.Owner)
			b.s("In the box was a new {o.n}! {m.he} had bought it the day before.")
			b.obj = n
			b.markSeen(n)
		} else {
			b.comeIn("{h.poss} {m.kind} came (in|running) and saw the pieces.")
			b.talk(h, []string{"I am sorry{m.voc}. I dropped {o.the}.", "I broke {o.the}{m.voc}. I am (so|very) sorry."}, "{h} told {h.his} {m.kind} the truth.")
			b.s("{m} was not (angry|mad). {m.he} gave {h.obj} a (big |)hug.", "{m} said it was okay, because {h} had told the truth.")
			if CanFix(o.Noun) {
				b.s("Together, they fixed {o.the} with glue.", "Then {m} fixed {o.the} with (some |)glue.")
				b.w.fix(m, o)
				b.s("It was (as good as new|whole again)!")
			} else {
				b.s("They cleaned up the pieces (together|carefully).")
				n := b.w.replace(o, o.Owner)
				b.s("Later, {m} (got|bought) a new {o.n}.")
				b.obj = n
				b.markSeen(n)
			}
		}
		b.w.use(h, b.obj, "hold")
		b.s("This time, {h} held it (very |)carefully, with two hands.")
		b.makeUp()
		b.emote(h, "pos")
		b.s("{h} felt {@} again.", "{h} was {@}.")
		b.resolved()
		if b.has(Conflict) {
			b.moral("{h.name} and {f.name} learned that it is better to take turns than to fight.")
		} else {
			b.moral("{h} learned that it is good to tell the truth.", "{h} learned to be careful with things that can break.")
		}
	}
}

func writeLost(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	b.beginning()
	b.s("{h} took {o} everywhere.", "{h} played with {o} every day.", "{h} (carried|took) {o} with {h.him} all the time.")
	b.w.use(h, o, "carry")
	b.arrive(b.with(), false)
	var spots []*Word
	for _, s := range spotsAt(b.place.Noun) {
		if s != o.Noun {
			spots = append(spots, s)
		}
	}
	shuffle(b.r, spots)
	if n := b.plan.noun; n.is(tSpot) && !n.is(tScene) {
		for i, s := range spots {
			if s == n {
				spots[i], spots[1] = spots[1], spots[i] // searched in every telling
			}
		}
	}
	hidden, wrong := spots[0], spots[1:2+b.r.intn(2)]
	b.hint(evLose, []string{"Put your things away{h.voc}, or you will lose them.", "Keep your {o.n} safe{h.voc}. Do not lose it."}, m,
		"{h} (always|often) left {h.his} things (everywhere|all over the place).",
		"{h.poss} {m.kind} always told {h.obj} to put {h.his} things away, but {h} did not listen.")

	b.paragraph()
	if b.has(Conflict) {
		b.s("{f} wanted to play with {o.the}, but {h} said no.")
		b.talk(f, []string{"Can I play with it? Please?"}, "{f} asked again and again.")
		b.talk(h, []string{"No! It is mine!", "No, you can't!"}, "But {h} still said no.")
		b.argue(f)
		b.s("{f} was sad and went to play by {f.self}.")
	}
	b.s("{h} put {o.his} down (and went to play|to eat a snack|for a minute).", "After a while, {h} put {o.the} down and (ran off to play|went to get a drink).")
	b.w.lose(o, hidden.Text)
	b.s("When {h} came back, {o.the} was gone!", "Later, {h} could not find {o.his}. It was (gone|not there)!", "When {h} came back, {h.he} could not find {o.the}.", "When {h} went back to get it, {o.the} was not there!", "But when {h} came back, there was no {o.n}!")
	b.emote(h, pick(b.r, []string{"sad", "scared"}))
	b.s("{h} was (very|so) {@}.", "{h} felt {@}.", "{h} was so {@} that {h.he} wanted to cry.")
	b.talk(h, []string{"Where is my {o.n}?", "Oh no! I lost my {o.n}!", "Has anyone seen my {o.n}?"}, "{h} did not know where {o.the} was.", "{h} had lost {h.his} {o.n}!")
	if b.has(Conflict) {
		b.talk(h, []string{"{f.name}, did you take my {o.n}?"}, "{h} thought that {f} had taken it.")
		b.talk(f, []string{"No, I did not!"}, "But {f} had not taken it.")
	}

	b.paragraph()
	b.s("{h} looked (everywhere|all around).", "{h} began to look for it.", "{h} looked and looked.", "{h} looked high and low.", "So {h} (started|began) to look for {o.the}.")
	if f != nil && !b.has(Conflict) {
		b.s("{f} helped {h.obj} look.", "{f} looked too.", "{f} came to help.")
	}
	for _, s := range wrong {
		b.spot, b.spotPrep = s, prepFor(b.r, s)
		b.w.search(h, o, s.Text)
		b.s("{h} looked {s.at}, but it was not there.", "It was not {s.at}.", "{h} looked {s.at}. No {o.n}!", "{h} checked {s.at}, but there was no {o.n}.", "Was it {s.at}? No!")
	}
	b.spot, b.spotPrep = hidden, prepFor(b.r, hidden)
	if b.has(BadEnding) {
		if b.has(Twist) {
			b.twist()
			b.s("{o.the} had been {s.at} all along, but now a big bird flew down, picked it up and flew away with it!")
			b.w.gone(nil, o, FlewAway)
		} else {
			b.s("{h} looked and looked, but {h.he} could not find {o.the}.", "{h} did not look {s.at}, and {h.he} never found {o.the}.")
		}
		if b.place.Noun.is(tIndoor) {
			b.s("Soon it was time for bed, and {h} had to go to sleep without {o.the}.")
		} else {
			b.s("It was getting dark, so {h} had to go home without it.", "Soon it was time to go, and {h} had to leave without {o.the}.")
		}
		b.paragraph()
		b.emote(h, "sad")
		b.s("That night, {h} was very {@}.", "{h} missed {h.his} {o.n} very much and felt {@}.")
		b.unresolved()
		b.moral("{h} learned to take care of {h.his} things.", "{h} learned that it is important to put things away. It was a sad lesson.")
		return
	}
	if b.has(Twist) {
		b.twist()
		pets := []string{"dog", "cat", "puppy", "kitten"}
		k := pick(b.r, pets)
		for k == h.Kind.Text || (f != nil && k == f.Kind.Text) {
			k = pick(b.r, pets)
		}
		b.animal = b.lex.Lookup(k, Noun)
		b.s("{h.poss} {k.n} came running with {o.the} in its mouth! It had found {o.the} {s.at}.")
	} else {
		b.s("At last, {h} looked {s.at}. There it was!", "Then {h} looked {s.at}, and there was {o.the}!", "Last of all, {h} looked {s.at}. (And there it was|{o.the} was there)!", "{h} looked {s.at}, and (what did {h.he} see|guess what)? {o.the}!")
	}
	b.w.find(h, o)

	b.paragraph()
	b.emote(h, "pos")
	b.s("{h} was so {@}!", "{h} felt {@} again.")
	b.talk(h, []string{"I found it!", "Hooray! My {o.n}!"}, "{h} hugged {o.the} tight.")
	b.w.use(h, o, "hug")
	if b.has(Conflict) {
		b.talk(h, []string{"I am sorry, {f.name}. You did not take it."}, "{h} said sorry to {f.obj}.")
		b.w.mark(evMakeUp, h, nil, f.Name)
		b.s("Then {h} let {f.obj} play with {o.the} too.")
	}
	b.resolved()
	if b.has(Conflict) {
		b.moral("{h} learned not to blame others.", "{h} learned that it is not nice to blame a friend.")
	} else {
		b.moral("{h} learned to put {h.his} things in a safe place.", "From that day on, {h} put {h.his} {o.n} away every night. {h.he} had learned {h.his} lesson.")
	}
}

func writeStuck(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	b.beginning()
	b.arrive(b.with(), false)
	b.hint(evStick, []string{"Do not play near the tall tree{h.voc}!"}, m,
		"There was a very tall tree (in the middle of|next to) {p}.",
		"The wind was strong, and the trees were very tall.")

	b.paragraph()
	n := o.Noun
	if b.has(Conflict) {
		b.talk(f, []string{"Let me have a turn!", "Give it to me! It is my turn!"}, "{f} wanted a turn, but {h} would not give it to {f.obj}.")
		b.talk(h, []string{"No! It is mine!"}, "{h} said no.")
		b.argue(f)
		b.s("They pulled and pushed.")
	}
	b.w.use(h, o, "play")
	switch {
	case n.is(tFly):
		b.s("{h} flew {o} high in the sky.", "{h} ran, and {o} went up into the sky.")
		b.s("Then the wind pulled it into a tall tree.", "But the wind was too strong, and {o.the} went into a tall tree.")
	case n.is(tRises):
		b.s("{h} let go of the string by mistake.", "{h} was holding {o}, but then the string slipped from {h.his} hand.")
		b.s("{o.the} went up, up, up and got stuck in a tall tree.")
	case n.is(tKick):
		b.s("{h} kicked {o} (very |)hard.", "{h} gave {o} a big kick.")
		b.s("It went up high and landed in a tall tree.", "Up it went, right into a tall tree.")
	case n.is(tThrow):
		b.s("{h} threw {o} (very |)high into the air.", "{h} threw {o} as high as {h.he} could.")
		b.s("It landed in a tall tree and did not come down.")
	case !n.is(tWear):
		b.s("{h} was holding {o} up in the air.", "{h} held {o} in {h.his} hand.")
		b.s("Then a big wind came and blew it (away|out of {h.his} hand), right into a tall tree!")
	default:
		b.s("{h} was wearing {o}.", "{h} had {o} on.")
		b.s("Then the wind blew it off and into a tall tree!", "A big wind came and blew {o.the} away, right into a tall tree.")
	}
	b.w.stick(o, "tree")
	b.s("{o.the} was stuck!", "Now {o.the} was stuck in the branches.")
	b.emote(h, "sad")
	b.s("{h} was {@}.", "{h} felt very {@}.", "{h} looked up at the tree and felt {@}.")
	b.talk(h, []string{"Oh no! My {o.n} is stuck!", "How will I get it down?"}, "{h} did not know how to get it down.")

	b.paragraph()
	b.s("{h} jumped and jumped, but {h.he} could not reach it.", "{h} tried to reach it, but the tree was too tall.")
	if f != nil {
		b.s("{f} tried too, but it was too high.")
	}
	switch {
	case b.has(Twist):
		b.twist()
		if b.has(BadEnding) {
			b.s("A (little |)bird landed on the branch, and no one could help.")
			b.s("The bird pushed {o.the} even higher, and it went over the tree and far away!")
			b.w.gone(nil, o, FlewAway)
		} else {
			b.s("A big wind came and blew {o.the} down, right into {h.poss} hands! The wind had helped {h.obj}!",
				"A little bird landed on the branch and pushed {o.the} down. The bird had helped {h.obj}!")
			b.w.free(nil, o)
			b.w.use(h, o, "hold")
		}
	case b.has(BadEnding):
		b.s("{h} ran to get help, but no one could help {h.obj} get it down.", "No one could help. The tree was too tall for everyone.")
		b.s("{o.the} stayed in the tree.")
	default:
		b.s("{h} ran to get {h.his} {m.kind}.")
		b.comeIn("{h.poss} {m.kind} came to help.")
		b.s("{m} used a long stick to get {o.the} down.", "{m} was very tall. {m.he} reached up and got {o.the} down.")
		b.w.free(m, o)
		b.w.use(h, o, "hold")
		b.talk(h, []string{"Thank you{m.voc}!", "Thank you for your help{m.voc}!"}, "{h} said thank you to {h.his} {m.kind}.")
	}

	b.paragraph()
	if b.has(BadEnding) {
		b.emote(h, "sad")
		b.s("{h} had to go home without {o.the}.", "{h} went home without {h.his} {o.n}.")
		b.s("{h} was {@} all day.", "That night, {h} felt very {@}.")
		b.unresolved()
		b.moral("{h} learned to play far away from tall trees.", "{h} learned to be more careful, but it was too late. It was a sad lesson.")
		return
	}
	b.emote(h, "pos")
	b.s("{h} was so {@}.", "{h} felt {@} again.")
	b.makeUp()
	if f != nil {
		b.s("{h.name} and {f.name} played together (again|until it was time to go home).", "Then {h.name} and {f.name} took turns and had fun.")
	} else {
		b.s("{h} played with {o.the} again, far from the tall tree.")
	}
	b.resolved()
	b.moral("{h} learned to be careful and to ask for help.", "{h} learned that it is good to ask for help.")
}

func writeWet(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	b.beginning()
	who := b.with()
	who = append(who, m)
	b.arrive(who, false)
	where := "on a rock"
	switch pl := b.place.Noun; {
	case pl.is(tGrass) && pl.is(tTree):
		where = "(on the grass|next to a tree)"
	case pl.is(tGrass):
		where = "on the grass"
	case pl.is(tTree):
		where = "next to a tree"
	case pl.is(tSand):
		where = "on the sand"
	}
	b.s("{h} put {o} down "+where+" and went to play.", "{h} took {o} out and put it down "+where+".")
	b.w.use(h, o, "put down")
	b.hint("rain", []string{"It may rain today. Take your things inside!"}, m,
		"Far away, big gray clouds were coming.", "The sky was getting (gray|dark) far away.")

	b.paragraph()
	if b.has(Conflict) {
		b.s("{h.name} and {f.name} could not agree on a game.")
		b.talk(f, []string{"Let's play tag!"}, "{f} wanted to play tag.")
		b.talk(h, []string{"No, I want to play ball!"}, "{h} wanted to play ball.")
		b.argue(f)
		b.s("They were so busy arguing that they forgot about {o.the}.")
	} else {
		b.s("{h} played and played and forgot about {o.the}.", "{h} ran and jumped and forgot all about {o.the}.")
	}
	b.s("Then the sky got dark. Drip, drop! It started to rain.", "Soon the sky was gray, and it began to rain.", "Big gray clouds came, and soon it began to rain.", "Then, drop by drop, it started to rain.", "Suddenly it began to rain, (harder and harder|very hard).")
	b.w.mark("rain", nil, nil, "")
	if b.place.Noun.is(tTree) {
		b.s("{h} ran under a big tree.", "Everyone ran to find a dry place.", "{h} ran to hide under a tree.")
	} else {
		b.s("Everyone ran to find a dry place.", "{h} ran (home|inside) as fast as {h.he} could.")
	}
	saved := b.has(Twist) && !b.has(BadEnding)
	if saved {
		b.twist()
		b.s("{h.poss} {m.kind} had picked up {o.the} before the rain came! It was safe and dry under {m.his} umbrella.")
		b.w.use(m, o, "keep")
	} else {
		if b.has(Twist) {
			b.twist()
			b.s("The wind blew {o.the} right into a big puddle!")
		}
		b.w.wet(o)
		b.s("When {h} came back, {o.the} was all wet.", "{o.the} was (all|very) wet.")
		b.emote(h, "sad")
		b.s("{h} was {@}.", "{h} felt {@}.", "{h} was very {@}.")
		b.talk(h, []string{"Oh no! My {o.n} is all wet!", "Oh no! Look at my {o.n}!"}, "{h} had forgotten {h.his} {o.n} in the rain.")
	}

	b.paragraph()
	switch {
	case saved:
		b.talk(h, []string{"Thank you{m.voc}!"}, "{h} gave {h.his} {m.kind} a big hug.")
		b.s("When the rain stopped, there was a big rainbow in the sky.")
		b.emote(h, "pos")
		b.s("{h} was {@}.")
		b.makeUp()
		b.resolved()
		b.moral("{h} learned to take care of {h.his} things.", "{h} learned to keep an eye on {h.his} things.")
	case b.has(BadEnding):
		if o.Noun.is(tPaper) {
			b.s("The rain had made {o.the} soft and messy. It could not be fixed.")
		} else {
			b.s("{o.the} was full of mud, and it smelled bad.", "{o.the} was (wet and dirty|dirty and full of mud).")
		}
		b.emote(h, "sad")
		b.s("{h} went home (feeling {@}|and felt {@} all night).")
		b.unresolved()
		b.moral("{h} learned to bring {h.his} things inside when it rains. It was a sad lesson.", "{h} learned to listen when {h.his} {m.kind} talks about the weather.")
	default:
		b.s("The next day, the sun came out.", "Soon the rain stopped and the sun came out.")
		b.s("{h} put {o.the} in the warm sun, and (soon|after a while) it was dry.", "{h.poss} {m.kind} put {o.the} in the sun, and soon it was dry again.")
		b.w.dry(o)
		b.w.use(h, o, "hold")
		b.makeUp()
		b.emote(h, "pos")
		b.s("{h} was {@} again.", "{h} hugged {o.the} and felt {@}.")
		b.resolved()
		b.moral("{h} learned to take care of {h.his} things.", "{h} learned to bring {h.his} things inside when it rains.")
	}
}

func writeMelt(b *builder) {
	h, m, o, f := b.hero, b.helper, b.obj, b.friend
	b.beginning()
	who := b.with()
	who = append(who, m)
	b.arrive(who, false)
	if o.Noun.is(tFood) && !b.seen(o) {
		b.s("{h.poss} {m.kind} (bought|got) {h.obj} {o.a}.")
	}
	b.hint(evGone, []string{"Eat it soon{h.voc}, or it will melt!"}, m,
		"The sun was very hot that day.", "It was so hot that even the birds hid in the trees.")

	b.paragraph()
	if b.has(Conflict) {
		b.talk(f, []string{"Can I have some?"}, "{f} wanted some too.")
		b.talk(h, []string{"No! It is all mine!"}, "But {h} did not want to share.", "{h} held {o.the} close. {h.he} did not want to share.", "But {h} wanted it all and would not share.", "{h} shook {h.his} head. {h.he} did not want to share.")
		b.argue(f)
		b.s("They argued and argued.")
	} else if o.Noun.is(tFood) {
		b.s("{h} wanted to save it for later.", "{h} wanted to look at it first.")
		b.s("{h} put it (down on a bench|on a rock) and went to play.")
	} else {
		b.s("{h} left {o.the} (on a rock|on the ground) in the sun and went to play.")
	}
	twistDog := b.has(Twist) && !b.req("melt") && o.Noun.is(tFood)
	if twistDog {
		b.twist()
		b.s("A big dog ran by and licked up {o.the}!", "A dog came by, and in one big lick, {o.the} was gone!")
		b.w.gone(nil, o, "eaten")
	} else {
		b.s("The hot sun began to melt {o.the}. Drip, drip!", "In the hot sun, {o.the} began to melt.")
		b.w.gone(nil, o, Melted)
		b.s("Soon, it was all gone.", "Soon there was only a little puddle.")
	}
	b.emote(h, "sad")
	b.s("{h} was {@}.", "{h} felt so {@}.", "{h} was very {@}.")
	b.talk(h, []string{"Oh no! My {o.n}!", "Where did my {o.n} go?"}, "{h} looked at the ground and felt like crying.")

	b.paragraph()
	if b.has(BadEnding) {
		if b.has(Twist) && !twistDog {
			b.s("{h.poss} {m.kind} took {h.obj} to the shop to get a new one.")
			b.twist()
			b.s("The shop was closed!")
		}
		b.s("There was no more {o.n}, and it was time to go home.")
		b.s("{h} was {@} all the way home.")
		b.unresolved()
		if b.has(Conflict) {
			b.moral("{h.name} and {f.name} learned that fighting is not worth it.")
		} else {
			b.moral("{h} learned that some things do not wait.", "{h} learned not to leave things in the hot sun.")
		}
		return
	}
	if b.has(Twist) && !twistDog {
		b.twist()
		b.s("A kind man saw what happened and gave {h.obj} {o.another} for free!")
	} else {
		b.s("{h.poss} {m.kind} saw that {h} was sad and got {h.obj} {o.another}.")
	}
	n := b.w.replace(o, h)
	b.obj = n
	b.markSeen(n)
	if b.has(Conflict) {
		b.s("This time, {h} shared it with {f.obj}.")
		b.w.use(h, n, "share")
		b.makeUp()
	} else {
		if o.Noun.is(tFood) {
			b.s("This time, {h} ate it right away.", "This time, {h} did not wait.")
		} else {
			b.s("This time, {h} used it right away.", "This time, {h} did not wait.")
		}
		b.w.use(h, n, "eat")
	}
	b.emote(h, "pos")
	b.s("{h} was {@}.", "{h} felt {@}.")
	b.resolved()
	if b.has(Conflict) {
		b.moral("{h} learned that sharing is better than fighting.")
	} else {
		b.moral("{h} learned not to leave things in the hot sun.", "{h} learned that some things do not wait.")
	}
}
