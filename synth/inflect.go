package synth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Inflection by rule, with the irregular forms a child's vocabulary needs.
// The functions take lower-case base forms; multi-word nouns inflect their
// last word ("teddy bear" -> "teddy bears"), multi-word verbs their first
// ("pick up" -> "picked up").

var irregularPlurals = map[string]string{
	"child": "children", "man": "men", "woman": "women", "person": "people",
	"mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth",
	"ox": "oxen", "louse": "lice", "die": "dice", "grown-up": "grown-ups",
	"policeman": "policemen", "fireman": "firemen", "snowman": "snowmen",
	"stomach": "stomachs", "roof": "roofs", "chef": "chefs", "chief": "chiefs",
	"giraffe": "giraffes", "cliff": "cliffs", "belief": "beliefs", "quiz": "quizzes",
}

// invariantPlurals are nouns whose plural is the singular.
var invariantPlurals = map[string]bool{
	"sheep": true, "fish": true, "deer": true, "moose": true, "bison": true,
	"salmon": true, "trout": true, "shrimp": true, "aircraft": true, "series": true,
}

// fPlurals take -ves for a final f or fe.
var fPlurals = map[string]bool{
	"leaf": true, "wolf": true, "knife": true, "loaf": true, "half": true,
	"shelf": true, "wife": true, "life": true, "calf": true, "elf": true,
	"scarf": true, "thief": true, "hoof": true, "self": true, "sheaf": true,
}

// oesPlurals take -es after a final o; other nouns in o take -s (pianos).
var oesPlurals = map[string]bool{
	"potato": true, "tomato": true, "hero": true, "echo": true,
	"mosquito": true, "volcano": true, "domino": true, "torpedo": true,
}

// Plural returns the plural of a noun: children, boxes, babies, leaves,
// sheep, potatoes, pianos.
func Plural(noun string) string {
	head, w := splitLast(noun)
	return head + pluralWord(w)
}

func pluralWord(w string) string {
	if p, ok := irregularPlurals[w]; ok {
		return p
	}
	if invariantPlurals[w] {
		return w
	}
	switch {
	case fPlurals[w]:
		if strings.HasSuffix(w, "fe") {
			return w[:len(w)-2] + "ves"
		}
		return w[:len(w)-1] + "ves"
	case strings.HasSuffix(w, "o"):
		if oesPlurals[w] {
			return w + "es"
		}
		return w + "s"
	case hasAnySuffix(w, "s", "x", "z", "ch", "sh"):
		return w + "es"
	case endsConsonantY(w):
		return w[:len(w)-1] + "ies"
	}
	return w + "s"
}

// irregularVerbs maps a base form to its past tense and past participle.
var irregularVerbs = map[string][2]string{
	"be": {"was", "been"}, "have": {"had", "had"}, "do": {"did", "done"},
	"go": {"went", "gone"}, "run": {"ran", "run"}, "see": {"saw", "seen"},
	"eat": {"ate", "eaten"}, "drink": {"drank", "drunk"}, "fall": {"fell", "fallen"},
	"break": {"broke", "broken"}, "find": {"found", "found"}, "lose": {"lost", "lost"},
	"give": {"gave", "given"}, "take": {"took", "taken"}, "make": {"made", "made"},
	"come": {"came", "come"}, "say": {"said", "said"}, "tell": {"told", "told"},
	"think": {"thought", "thought"}, "bring": {"brought", "brought"}, "buy": {"bought", "bought"},
	"catch": {"caught", "caught"}, "teach": {"taught", "taught"}, "fly": {"flew", "flown"},
	"throw": {"threw", "thrown"}, "grow": {"grew", "grown"}, "know": {"knew", "known"},
	"draw": {"drew", "drawn"}, "blow": {"blew", "blown"}, "sing": {"sang", "sung"},
	"swim": {"swam", "swum"}, "ring": {"rang", "rung"}, "sit": {"sat", "sat"},
	"stand": {"stood", "stood"}, "understand": {"understood", "understood"}, "get": {"got", "gotten"},
	"forget": {"forgot", "forgotten"}, "hide": {"hid", "hidden"}, "bite": {"bit", "bitten"},
	"ride": {"rode", "ridden"}, "write": {"wrote", "written"}, "drive": {"drove", "driven"},
	"wake": {"woke", "woken"}, "speak": {"spoke", "spoken"}, "choose": {"chose", "chosen"},
	"freeze": {"froze", "frozen"}, "steal": {"stole", "stolen"}, "wear": {"wore", "worn"},
	"tear": {"tore", "torn"}, "feel": {"felt", "felt"}, "keep": {"kept", "kept"},
	"sleep": {"slept", "slept"}, "sweep": {"swept", "swept"}, "leave": {"left", "left"},
	"meet": {"met", "met"}, "read": {"read", "read"}, "lead": {"led", "led"},
	"feed": {"fed", "fed"}, "hold": {"held", "held"}, "build": {"built", "built"},
	"send": {"sent", "sent"}, "spend": {"spent", "spent"}, "lend": {"lent", "lent"},
	"bend": {"bent", "bent"}, "hear": {"heard", "heard"}, "win": {"won", "won"},
	"dig": {"dug", "dug"}, "hang": {"hung", "hung"}, "stick": {"stuck", "stuck"},
	"swing": {"swung", "swung"}, "spin": {"spun", "spun"}, "begin": {"began", "begun"},
	"put": {"put", "put"}, "cut": {"cut", "cut"}, "hit": {"hit", "hit"},
	"let": {"let", "let"}, "shut": {"shut", "shut"}, "hurt": {"hurt", "hurt"},
	"cost": {"cost", "cost"}, "set": {"set", "set"}, "spread": {"spread", "spread"},
	"shake": {"shook", "shaken"}, "light": {"lit", "lit"}, "slide": {"slid", "slid"},
	"sting": {"stung", "stung"}, "mean": {"meant", "meant"}, "lay": {"laid", "laid"},
	"pay": {"paid", "paid"}, "sell": {"sold", "sold"}, "shine": {"shone", "shone"},
	"become": {"became", "become"}, "fight": {"fought", "fought"}, "seek": {"sought", "sought"},
	"bleed": {"bled", "bled"}, "fit": {"fit", "fit"}, "quit": {"quit", "quit"},
	"creep": {"crept", "crept"}, "weep": {"wept", "wept"}, "kneel": {"knelt", "knelt"},
	"sink": {"sank", "sunk"}, "shoot": {"shot", "shot"}, "sweat": {"sweat", "sweat"},
	"beat": {"beat", "beaten"}, "bet": {"bet", "bet"}, "burst": {"burst", "burst"},
	"can": {"could", "could"}, "will": {"would", "would"}, "shall": {"should", "should"},
	"may": {"might", "might"}, "stink": {"stank", "stunk"}, "swear": {"swore", "sworn"},
	"spit": {"spat", "spat"}, "split": {"split", "split"}, "lie": {"lay", "lain"},
	"arise": {"arose", "arisen"}, "rise": {"rose", "risen"}, "forgive": {"forgave", "forgiven"},
	"undo": {"undid", "undone"}, "upset": {"upset", "upset"}, "overhear": {"overheard", "overheard"},
}

// doubledMultiSyllable are verbs of more than one syllable, stressed on the
// last, that double their final consonant (admitted); one-syllable verbs
// ending consonant-vowel-consonant always do (dropped).
var doubledMultiSyllable = map[string]bool{
	"admit": true, "unzip": true, "regret": true, "control": true, "permit": true,
	"equip": true, "occur": true, "refer": true, "prefer": true, "patrol": true,
	"commit": true, "submit": true, "unwrap": true,
}

// kVerbs end in c and take a k before -ed and -ing (picnicked).
var kVerbs = map[string]bool{"picnic": true, "panic": true, "mimic": true, "traffic": true}

// Past returns the past tense: ran, dropped, cried, went, baked, played.
func Past(verb string) string {
	w, tail := splitFirst(verb)
	if f, ok := irregularVerbs[w]; ok {
		return f[0] + tail
	}
	return edForm(w) + tail
}

// PastParticiple returns the past participle: broken, dropped, gone.
func PastParticiple(verb string) string {
	w, tail := splitFirst(verb)
	if f, ok := irregularVerbs[w]; ok {
		return f[1] + tail
	}
	return edForm(w) + tail
}

func edForm(w string) string {
	switch {
	case kVerbs[w]:
		return w + "ked"
	case strings.HasSuffix(w, "e"):
		return w + "d"
	case endsConsonantY(w):
		return w[:len(w)-1] + "ied"
	case doublesFinal(w):
		return w + w[len(w)-1:] + "ed"
	}
	return w + "ed"
}

// Third returns the third person singular present: runs, goes, fixes,
// cries, has, is.
func Third(verb string) string {
	w, tail := splitFirst(verb)
	switch w {
	case "be":
		return "is" + tail
	case "have":
		return "has" + tail
	case "can", "will", "may", "must", "shall", "should", "could", "would", "might":
		return w + tail
	}
	switch {
	case hasAnySuffix(w, "s", "x", "z", "ch", "sh"):
		return w + "es" + tail
	case strings.HasSuffix(w, "o") && len(w) > 1 && !isVowel(w[len(w)-2]):
		return w + "es" + tail
	case endsConsonantY(w):
		return w[:len(w)-1] + "ies" + tail
	}
	return w + "s" + tail
}

// Gerund returns the -ing form: running, making, seeing, lying, playing.
func Gerund(verb string) string {
	w, tail := splitFirst(verb)
	switch {
	case kVerbs[w]:
		return w + "king" + tail
	case strings.HasSuffix(w, "ie"):
		return w[:len(w)-2] + "ying" + tail
	case w == "be" || hasAnySuffix(w, "ee", "ye", "oe"):
		return w + "ing" + tail
	case strings.HasSuffix(w, "e") && len(w) > 2:
		return w[:len(w)-1] + "ing" + tail
	case doublesFinal(w):
		return w + w[len(w)-1:] + "ing" + tail
	}
	return w + "ing" + tail
}

// doublesFinal reports whether w doubles its final consonant before -ed,
// -ing, -er and -est: one-syllable words ending consonant-vowel-consonant
// (not w, x or y), and the listed stressed multi-syllable verbs.
func doublesFinal(w string) bool {
	if doubledMultiSyllable[w] {
		return true
	}
	n := len(w)
	if n < 3 || vowelGroups(w) != 1 {
		return false
	}
	c1, v, c2 := w[n-3], w[n-2], w[n-1]
	if !isVowel(v) || isVowel(c2) || c2 == 'w' || c2 == 'x' || c2 == 'y' {
		return false
	}
	if isVowel(c1) {
		return false
	}
	// "qu" acts as a consonant: quit, quiz are handled as irregulars.
	return true
}

var irregularComparisons = map[string][2]string{
	"good": {"better", "best"}, "bad": {"worse", "worst"}, "far": {"farther", "farthest"},
	"many": {"more", "most"}, "much": {"more", "most"}, "little": {"littler", "littlest"},
}

// Comparative returns the -er form of a short adjective (bigger, happier,
// nicer, better) and "more X" for long ones (more beautiful).
func Comparative(adj string) string {
	if f, ok := irregularComparisons[adj]; ok {
		return f[0]
	}
	if s := erStem(adj); s != "" {
		return s + "er"
	}
	return "more " + adj
}

// Superlative returns the -est form (biggest, happiest, best) or "most X".
func Superlative(adj string) string {
	if f, ok := irregularComparisons[adj]; ok {
		return f[1]
	}
	if s := erStem(adj); s != "" {
		return s + "est"
	}
	return "most " + adj
}

// erStem returns the stem -er/-est attach to, or "" when the adjective
// compares with more/most.
func erStem(a string) string {
	if strings.ContainsAny(a, " -") {
		return ""
	}
	g := vowelGroups(a)
	switch {
	case g == 1 && strings.HasSuffix(a, "e"):
		return a[:len(a)-1]
	case g == 1 && endsConsonantY(a):
		return a[:len(a)-1] + "i"
	case g == 1 && doublesFinal(a):
		return a + a[len(a)-1:]
	case g == 1:
		return a
	case g == 2 && endsConsonantY(a):
		return a[:len(a)-1] + "i"
	}
	return ""
}

// anWords start with a vowel sound though their first letter is a
// consonant; aWords start with a consonant sound though it is a vowel.
var (
	anWords = []string{"hour", "honest", "honor", "heir", "herb"}
	aWords  = []string{"uni", "use", "usu", "uti", "ukulele", "eu", "one", "once", "ewe", "uranium", "urine"}
)

// Article returns "a" or "an" for the phrase that follows it: an apple, a
// ball, an hour, a unicorn, an umbrella, a one.
func Article(phrase string) string {
	w := strings.ToLower(phrase)
	if i := strings.IndexByte(w, ' '); i >= 0 {
		w = w[:i]
	}
	if w == "" {
		return "a"
	}
	for _, p := range anWords {
		if strings.HasPrefix(w, p) {
			return "an"
		}
	}
	for _, p := range aWords {
		if strings.HasPrefix(w, p) {
			return "a"
		}
	}
	if isVowel(w[0]) {
		return "an"
	}
	return "a"
}

// WithArticle returns the phrase after its indefinite article: "an apple".
func WithArticle(phrase string) string { return Article(phrase) + " " + phrase }

// Gender selects pronouns.
type Gender uint8

// The genders of pronouns; Group is "they".
const (
	Neuter Gender = iota
	Male
	Female
	Group
)

var pronouns = [4][5]string{
	Neuter: {"it", "it", "its", "its", "itself"},
	Male:   {"he", "him", "his", "his", "himself"},
	Female: {"she", "her", "her", "hers", "herself"},
	Group:  {"they", "them", "their", "theirs", "themselves"},
}

// Subject returns the subject pronoun: he, she, it, they.
func (g Gender) Subject() string { return pronouns[g&3][0] }

// Object returns the object pronoun: him, her, it, them.
func (g Gender) Object() string { return pronouns[g&3][1] }

// Possessive returns the possessive determiner: his, her, its, their.
func (g Gender) Possessive() string { return pronouns[g&3][2] }

// PossessivePronoun returns the possessive pronoun: his, hers, its, theirs.
func (g Gender) PossessivePronoun() string { return pronouns[g&3][3] }

// Reflexive returns the reflexive pronoun: himself, herself, itself,
// themselves.
func (g Gender) Reflexive() string { return pronouns[g&3][4] }

// Possessive returns a name's possessive: Lily's, James's.
func Possessive(name string) string { return name + "'s" }

// Capitalize upper-cases the first letter of s, skipping leading quotes
// and spaces: `"oh no!"` -> `"Oh no!"`.
func Capitalize(s string) string {
	for i, r := range s {
		if r == '"' || r == ' ' || r == '\'' {
			continue
		}
		if unicode.IsLower(r) {
			u := unicode.ToUpper(r)
			return s[:i] + string(u) + s[i+utf8.RuneLen(r):]
		}
		return s
	}
	return s
}

// splitFirst splits a phrase after its first word: "pick up" -> "pick", " up".
func splitFirst(p string) (string, string) {
	if i := strings.IndexByte(p, ' '); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// splitLast splits a phrase before its last word: "teddy bear" -> "teddy ", "bear".
func splitLast(p string) (string, string) {
	i := strings.LastIndexByte(p, ' ')
	return p[:i+1], p[i+1:]
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

func endsConsonantY(w string) bool {
	n := len(w)
	return n >= 2 && w[n-1] == 'y' && !isVowel(w[n-2])
}

func hasAnySuffix(w string, suffixes ...string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// vowelGroups counts runs of vowels, a rough syllable count (a final silent
// e and a y after a consonant are counted the way English spelling needs
// for doubling: "make" has one, "happy" two).
func vowelGroups(w string) int {
	n, in := 0, false
	for i := 0; i < len(w); i++ {
		c := w[i]
		v := isVowel(c) || (c == 'y' && i > 0 && !isVowel(w[i-1]))
		if c == 'e' && i == len(w)-1 && i > 0 && n > 0 && !in {
			v = false // silent final e
		}
		if v && !in {
			n++
		}
		in = v
	}
	return n
}
