package bpetrain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults of Options.
const (
	// DefaultCharacterCoverage is SentencePiece's default character_coverage.
	DefaultCharacterCoverage = 0.9995
	// DefaultMaxPieceLength is SentencePiece's default
	// max_sentencepiece_length, in characters.
	DefaultMaxPieceLength = 16
)

// Options configure Train.
type Options struct {
	// VocabSize is the number of ids of the tokenizer: the BaseSize fixed
	// tokens, the kept characters, the merged pieces and the Specials. It
	// must be at least MinVocabSize(len(Specials)); with exactly that, the
	// only character piece is "▁" and all others fall back to bytes.
	VocabSize int
	// Specials are user-defined special tokens ("<|user|>", "<|end|>",
	// ...), given the last ids in this order. They are matched in the raw
	// text before anything else and never split. Following Phi-3, when
	// "<|end|>" is among them every <|...|> token except <|endoftext|>
	// swallows the whitespace after it (rstrip).
	Specials []string
	// CharacterCoverage is the fraction of the text's characters that the
	// kept characters must cover (0 means DefaultCharacterCoverage); rarer
	// characters fall back to bytes. At most 1.
	CharacterCoverage float64
	// MaxPieceLength is the longest piece in characters (0 means
	// DefaultMaxPieceLength).
	MaxPieceLength int
	// SplitDigits keeps every digit a piece of its own (as LLaMA's
	// tokenizer does).
	SplitDigits bool
	// Progress, when not nil, receives a progress line about every
	// ProgressInterval (default one second) while merging.
	Progress         io.Writer
	ProgressInterval time.Duration
}

// MinVocabSize returns the smallest vocabulary size with n special
// tokens: BaseSize fixed tokens, "▁" and the specials. "▁" must be a piece
// of its own: the decoder turns "▁" pieces into spaces but does not look
// inside byte tokens, so a byte-encoded "▁" would not decode to a space
// (in Hugging Face tokenizers either).
func MinVocabSize(n int) int { return BaseSize + 1 + n }

// checkSpecials validates special tokens.
func checkSpecials(specials []string) error {
	seen := map[string]bool{UnkToken: true, BOSToken: true, EOSToken: true}
	for _, s := range specials {
		switch {
		case s == "":
			return errors.New("empty special token")
		case !utf8.ValidString(s):
			return fmt.Errorf("special token %q is not valid UTF-8", s)
		case seen[s]:
			return fmt.Errorf("special token %q is given twice or is one of <unk>, <s>, </s>", s)
		case strings.ContainsRune(s, wsChar) || strings.IndexFunc(s, unicode.IsSpace) >= 0:
			return fmt.Errorf("special token %q contains whitespace or %q", s, wsStr)
		}
		if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
			return fmt.Errorf("special token %q looks like a byte token", s)
		}
		seen[s] = true
	}
	return nil
}

// withDefaults validates the options and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if err := checkSpecials(o.Specials); err != nil {
		return o, fmt.Errorf("bpetrain: %w", err)
	}
	if min := MinVocabSize(len(o.Specials)); o.VocabSize < min {
		return o, fmt.Errorf("bpetrain: vocabulary size %d is below the minimum %d (%d fixed tokens, \"▁\" and %d special tokens)",
			o.VocabSize, min, BaseSize, len(o.Specials))
	}
	if o.CharacterCoverage == 0 {
		o.CharacterCoverage = DefaultCharacterCoverage
	}
	if !(o.CharacterCoverage > 0 && o.CharacterCoverage <= 1) {
		return o, fmt.Errorf("bpetrain: character coverage %v is not in (0, 1]", o.CharacterCoverage)
	}
	if o.MaxPieceLength == 0 {
		o.MaxPieceLength = DefaultMaxPieceLength
	}
	if o.MaxPieceLength < 1 {
		return o, fmt.Errorf("bpetrain: maximum piece length %d is below 1", o.MaxPieceLength)
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = time.Second
	}
	return o, nil
}

// Stats describes a training run.
type Stats struct {
	// Documents, Bytes and Words describe the counted text: documents,
	// bytes of text, distinct words.
	Documents int64
	Bytes     int64
	Words     int
	// Characters is the number of distinct characters seen; KeptCharacters
	// of them are pieces, covering Coverage of all character occurrences.
	Characters     int
	KeptCharacters int
	Coverage       float64
	// Merged is the number of pieces made by merges; MergeSteps counts the
	// merges applied to the words, including those that made a piece that
	// already existed (by another split).
	Merged     int
	MergeSteps int
	// Merges is the number of merge rules in the tokenizer.json.
	Merges int
	// Tokens is the number of tokens the trained tokenizer encodes the
	// counted text to (without BOS/EOS).
	Tokens int64
	// Duration is the time Train took.
	Duration time.Duration
}

// maxWordSymbols bounds the words that training sees: a longer word (a
// stretch of text without spaces, as in minified code or base64) is cut
// into parts, which bounds the work per merge while losing only the pairs
// across the cuts (pieces have at most MaxPieceLength characters anyway).
const maxWordSymbols = 256

// ErrVocabTooLarge is wrapped by Train's error when the text does not have
// enough distinct pairs to fill the vocabulary.
var ErrVocabTooLarge = errors.New("vocabulary size too large for the text")

// symInfo describes a symbol for the validity of merges.
type symInfo struct {
	runes  int32
	script int32 // script of its non-"▁" characters, scriptAny when none
	allWS  bool  // made only of "▁"
	wsHead bool  // starts with "▁"
	solo   bool  // never merged
}

// trainer is the state of one BPE training run.
type trainer struct {
	opts   Options
	pieces []string  // symbol -> text
	info   []symInfo // symbol -> class
	ids    map[string]int32

	words [][]int32 // distinct words (split at uncovered characters) as symbols
	freq  []int64
	stamp []uint32 // per word: last merge step that visited it
	step  uint32

	counts  map[uint64]int64   // pair -> occurrences (valid pairs only)
	where   map[uint64][]int32 // pair -> words that contained it (may be stale)
	heap    []heapEntry
	changed map[uint64]struct{}
}

// heapEntry is a pair with its count when pushed.
type heapEntry struct {
	count int64
	pair  uint64
}

func pairKey(a, b int32) uint64      { return uint64(uint32(a))<<32 | uint64(uint32(b)) }
func pairOf(k uint64) (int32, int32) { return int32(uint32(k >> 32)), int32(uint32(k)) }

// valid reports whether symbols a and b may merge: the result must be a
// valid SentencePiece piece (see the package documentation).
func (t *trainer) valid(a, b int32) bool {
	x, y := &t.info[a], &t.info[b]
	if x.solo || y.solo || int(x.runes+y.runes) > t.opts.MaxPieceLength {
		return false
	}
	if x.allWS && y.allWS {
		return true // a whitespace-only piece
	}
	if y.wsHead || (x.allWS && x.runes > 1) {
		return false // "▁" only as the first character
	}
	return x.script == scriptAny || y.script == scriptAny || x.script == y.script
}

// merged returns the class of the concatenation of valid symbols a and b.
func (t *trainer) merged(a, b int32) symInfo {
	x, y := t.info[a], t.info[b]
	s := x.script
	if s == scriptAny {
		s = y.script
	}
	return symInfo{runes: x.runes + y.runes, script: s, allWS: x.allWS && y.allWS, wsHead: x.wsHead}
}

// less orders heap entries: higher count first, then the shorter merged
// piece, then the smaller merged text, then the smaller pair key.
func (t *trainer) less(p, q heapEntry) bool {
	if p.count != q.count {
		return p.count > q.count
	}
	pa, pb := pairOf(p.pair)
	qa, qb := pairOf(q.pair)
	if lp, lq := t.info[pa].runes+t.info[pb].runes, t.info[qa].runes+t.info[qb].runes; lp != lq {
		return lp < lq
	}
	if c := compareConcat(t.pieces[pa], t.pieces[pb], t.pieces[qa], t.pieces[qb]); c != 0 {
		return c < 0
	}
	return p.pair < q.pair
}

// compareConcat compares a1+b1 with a2+b2 without building them.
func compareConcat(a1, b1, a2, b2 string) int {
	x, xr, y, yr := a1, b1, a2, b2
	for {
		if x == "" {
			x, xr = xr, ""
		}
		if y == "" {
			y, yr = yr, ""
		}
		switch {
		case x == "" && y == "":
			return 0
		case x == "":
			return -1
		case y == "":
			return 1
		}
		n := min(len(x), len(y))
		if c := strings.Compare(x[:n], y[:n]); c != 0 {
			return c
		}
		x, y = x[n:], y[n:]
	}
}

func (t *trainer) push(e heapEntry) {
	h := append(t.heap, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(e, h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	t.heap = h
}

func (t *trainer) pop() heapEntry {
	h := t.heap
	top := h[0]
	n := len(h) - 1
	e := h[n]
	h = h[:n]
	if n > 0 {
		i := 0
		for {
			l := 2*i + 1
			if l >= n {
				break
			}
			if r := l + 1; r < n && t.less(h[r], h[l]) {
				l = r
			}
			if !t.less(h[l], e) {
				break
			}
			h[i] = h[l]
			i = l
		}
		h[i] = e
	}
	t.heap = h
	return top
}

// best pops the pair with the highest current count, skipping stale heap
// entries (a pair whose count fell is pushed again with its new count; a
// pair whose count rose has a newer entry).
func (t *trainer) best() (heapEntry, bool) {
	for len(t.heap) > 0 {
		e := t.pop()
		cur := t.counts[e.pair]
		switch {
		case cur == e.count && cur > 0:
			return e, true
		case cur > 0 && cur < e.count:
			t.push(heapEntry{cur, e.pair})
		}
	}
	return heapEntry{}, false
}

func (t *trainer) dec(a, b int32, f int64, skip uint64) {
	k := pairKey(a, b)
	if k == skip || !t.valid(a, b) {
		return
	}
	if n := t.counts[k] - f; n > 0 {
		t.counts[k] = n
	} else {
		delete(t.counts, k)
	}
}

func (t *trainer) inc(a, b int32, f int64, skip uint64, wi int32) {
	k := pairKey(a, b)
	if k == skip || !t.valid(a, b) {
		return
	}
	t.counts[k] += f
	t.changed[k] = struct{}{}
	if l := t.where[k]; len(l) == 0 || l[len(l)-1] != wi {
		t.where[k] = append(l, wi)
	}
}

// apply merges every occurrence of pair p = (a, b) into symbol c (leftmost
// first, as encoding does) and updates the pair counts of the neighbours.
func (t *trainer) apply(p uint64, c int32) {
	a, b := pairOf(p)
	list := t.where[p]
	delete(t.where, p)
	delete(t.counts, p)
	t.step++
	clear(t.changed)
	for _, wi := range list {
		if t.stamp[wi] == t.step {
			continue
		}
		t.stamp[wi] = t.step
		syms, f := t.words[wi], t.freq[wi]
		j := 0
		for i := 0; i < len(syms); {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				if j > 0 {
					t.dec(syms[j-1], a, f, p)
					t.inc(syms[j-1], c, f, p, wi)
				}
				if i+2 < len(syms) {
					t.dec(b, syms[i+2], f, p)
					t.inc(c, syms[i+2], f, p, wi)
				}
				syms[j] = c
				j++
				i += 2
				continue
			}
			syms[j] = syms[i]
			j++
			i++
		}
		t.words[wi] = syms[:j]
	}
	for k := range t.changed {
		if n := t.counts[k]; n > 0 {
			t.push(heapEntry{n, k})
		}
	}
}

// chooseChars returns the characters that become pieces: "▁" first (see
// MinVocabSize), then the most frequent (ties: smaller code point) until
// they cover opts.CharacterCoverage of all character occurrences, at most
// budget in all. It fills in the character fields of st.
func chooseChars(c *Counts, coverage float64, budget int, st *Stats) []rune {
	charFreq := map[rune]int64{wsChar: 0}
	var all int64
	for i, w := range c.words {
		f := c.freq[i]
		for k := 0; k < len(w); {
			r, size := utf8.DecodeRuneInString(w[k:])
			k += size
			if r == utf8.RuneError && size == 1 {
				continue // an invalid byte: always byte fallback
			}
			charFreq[r] += f
			all += f
		}
	}
	chars := make([]rune, 0, len(charFreq))
	for r := range charFreq {
		chars = append(chars, r)
	}
	sort.Slice(chars, func(i, j int) bool {
		if (chars[i] == wsChar) != (chars[j] == wsChar) {
			return chars[i] == wsChar
		}
		fi, fj := charFreq[chars[i]], charFreq[chars[j]]
		if fi != fj {
			return fi > fj
		}
		return chars[i] < chars[j]
	})
	st.Characters = len(chars)
	kept, covered := 1, charFreq[wsChar]
	for kept < len(chars) && float64(covered) < coverage*float64(all) {
		covered += charFreq[chars[kept]]
		kept++
	}
	for kept > budget {
		kept--
		covered -= charFreq[chars[kept]]
	}
	st.KeptCharacters = kept
	if all > 0 {
		st.Coverage = float64(covered) / float64(all)
	}
	return chars[:kept]
}

// newTrainer makes the character symbols and the words as symbols, cut at
// characters that fall back to bytes (they never merge) and into parts of
// at most maxWordSymbols (words of one symbol have no pairs and are
// dropped), and counts the pairs.
func newTrainer(c *Counts, opts Options, chars []rune, target int) *trainer {
	t := &trainer{
		opts:    opts,
		ids:     make(map[string]int32, len(chars)+target),
		counts:  make(map[uint64]int64),
		where:   make(map[uint64][]int32),
		changed: make(map[uint64]struct{}),
	}
	charID := make(map[rune]int32, len(chars))
	for i, r := range chars {
		s := string(r)
		ci := classify(r, opts.SplitDigits)
		t.pieces = append(t.pieces, s)
		t.info = append(t.info, symInfo{runes: 1, script: ci.script, allWS: ci.ws, wsHead: ci.ws, solo: ci.solo})
		t.ids[s] = int32(i)
		charID[r] = int32(i)
	}

	var arena []int32
	type span struct{ start, end int }
	var spans []span
	for i, w := range c.words {
		begin := len(arena)
		flush := func() {
			if len(arena)-begin >= 2 {
				spans = append(spans, span{begin, len(arena)})
				t.freq = append(t.freq, c.freq[i])
			} else {
				arena = arena[:begin]
			}
			begin = len(arena)
		}
		for k := 0; k < len(w); {
			r, size := utf8.DecodeRuneInString(w[k:])
			k += size
			id, ok := charID[r]
			if !ok || (r == utf8.RuneError && size == 1) {
				flush()
				continue
			}
			if len(arena)-begin == maxWordSymbols {
				flush()
			}
			arena = append(arena, id)
		}
		flush()
	}
	t.words = make([][]int32, len(spans))
	for i, s := range spans {
		t.words[i] = arena[s.start:s.end:s.end]
	}
	t.stamp = make([]uint32, len(t.words))

	for wi, syms := range t.words {
		f := t.freq[wi]
		for i := 0; i+1 < len(syms); i++ {
			if !t.valid(syms[i], syms[i+1]) {
				continue
			}
			k := pairKey(syms[i], syms[i+1])
			t.counts[k] += f
			if l := t.where[k]; len(l) == 0 || l[len(l)-1] != int32(wi) {
				t.where[k] = append(l, int32(wi))
			}
		}
	}
	t.heap = make([]heapEntry, 0, len(t.counts))
	for k, n := range t.counts {
		t.heap = append(t.heap, heapEntry{n, k})
	}
	slices.SortFunc(t.heap, func(p, q heapEntry) int { // a sorted slice is a heap
		if t.less(p, q) {
			return -1
		}
		if t.less(q, p) {
			return 1
		}
		return 0
	})
	return t
}

// Train learns a vocabulary of opts.VocabSize ids from counted words. The
// counts must have been made with the same special tokens.
func Train(ctx context.Context, c *Counts, opts Options) (*Model, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if !slices.Equal(c.specials, opts.Specials) {
		return nil, errors.New("bpetrain: the counts were made with other special tokens than the options give")
	}
	st := Stats{Documents: c.docs, Bytes: c.bytes, Words: len(c.words)}
	budget := opts.VocabSize - BaseSize - len(opts.Specials)
	chars := chooseChars(c, opts.CharacterCoverage, budget, &st)
	target := budget - len(chars) // merged pieces to make
	t := newTrainer(c, opts, chars, target)

	var order []int32 // merged symbols in the order they were made
	nextReport := time.Now().Add(opts.ProgressInterval)
	for len(order) < target {
		if st.MergeSteps%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e, ok := t.best()
		if !ok {
			return nil, fmt.Errorf("bpetrain: %w: the text allows %d merged pieces, %d are needed for %d tokens (at most %d tokens; use a smaller vocabulary size or more text)",
				ErrVocabTooLarge, len(order), target, opts.VocabSize, opts.VocabSize-target+len(order))
		}
		a, b := pairOf(e.pair)
		s := t.pieces[a] + t.pieces[b]
		id, exists := t.ids[s]
		if !exists {
			id = int32(len(t.pieces))
			t.pieces = append(t.pieces, s)
			t.info = append(t.info, t.merged(a, b))
			t.ids[s] = id
			order = append(order, id)
		}
		t.apply(e.pair, id)
		st.MergeSteps++
		if opts.Progress != nil && (st.MergeSteps%64 == 0 || len(order) == target) {
			if now := time.Now(); now.After(nextReport) || len(order) == target {
				nextReport = now.Add(opts.ProgressInterval)
				el := time.Since(start)
				fmt.Fprintf(opts.Progress, "bpetrain: %d/%d merged pieces (%.0f%%), %s, %.0f pieces/s, last %q x%d\n",
					len(order), target, 100*float64(len(order))/float64(max(target, 1)), el.Round(time.Millisecond),
					float64(len(order))/el.Seconds(), s, e.count)
			}
		}
	}
	st.Merged = len(order)

	m := newModel(opts.Specials, t.pieces, order, chars)
	st.Merges = len(m.merges)
	tok, err := m.Tokenizer()
	if err != nil {
		return nil, fmt.Errorf("bpetrain: the trained tokenizer does not load: %w", err)
	}
	// Encoding a word's text gives the word's ids: the normalizer turns
	// it back into the word (all words start with "▁"), and merges never
	// cross the start of a word. "▁" alone is one token (always a piece).
	for i, w := range c.words {
		n := 1
		if w != wsStr {
			n = len(tok.Encode(strings.ReplaceAll(w[len(wsStr):], wsStr, " "), false))
		}
		st.Tokens += c.freq[i] * int64(n)
	}
	st.Duration = time.Since(start)
	m.Stats = st
	return m, nil
}
