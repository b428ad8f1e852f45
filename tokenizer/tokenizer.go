package tokenizer

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// algorithm selects how a normalized text segment is turned into ids.
type algorithm uint8

const (
	// algoRank merges adjacent symbols by the rank of the merge rule that
	// joins them (Hugging Face BPE).
	algoRank algorithm = iota
	// algoScore merges adjacent symbols whose concatenation is a piece,
	// highest piece score first (llama.cpp / SentencePiece BPE).
	algoScore
)

// tokenKind says how a token id is decoded.
type tokenKind uint8

const (
	kindNone  tokenKind = iota // no token, or an unused slot: decodes to nothing
	kindText                   // decodes to dtext[id]
	kindByte                   // a byte-fallback token: decodes to dbyte[id]
	kindBytes                  // a byte-level token: decodes to the bytes dtext[id]
)

// addedToken is a token matched atomically in the text before the model
// sees it (tokenizer.json "added_tokens", or control / user-defined /
// unknown tokens of a GGUF vocabulary).
type addedToken struct {
	content    string
	id         int32
	singleWord bool
	lstrip     bool
	rstrip     bool
	normalized bool
	special    bool
}

// normStep is one step of the normalizer: prepend (when the text is not
// empty) or replace every occurrence of from with to.
type normStep struct {
	prepend  bool
	from, to string
}

// Tokenizer encodes text to token ids and decodes ids back to text. Build it
// with LoadFile, LoadDir, Load or FromVocab. It is immutable and safe for
// concurrent use.
type Tokenizer struct {
	name string // source, for messages

	pieces  []string    // id -> token string; "" where no token has the id
	kinds   []tokenKind // id -> how it decodes
	dtext   []string    // id -> decoded text (kindText) or bytes (kindBytes)
	dbyte   []byte      // id -> byte (kindByte)
	special []bool      // id -> special (skipped by DecodeSkipSpecial)
	types   []int32     // id -> GGUF token type, only for FromVocab tokenizers

	vocab map[string]int32 // model pieces -> id
	added []addedToken
	addID map[string]int32 // added token content -> id
	raw   matcher          // added tokens matched in the raw text
	norm  matcher          // added tokens matched in normalized text

	algo         algorithm
	merges       map[uint64]uint64 // (left<<32 | right) -> (rank<<32 | new id)
	scores       []float32         // algoScore: id -> score
	mergeable    map[string]int32  // algoScore: pieces that merges may produce
	asciiID      [128]int32        // single-character pieces, ASCII
	charID       map[rune]int32    // single-character pieces, others
	byteID       [256]int32        // <0xXX> pieces, -1 when absent
	unk          int32
	byteFallback bool
	fuseUnk      bool
	ignoreMerges bool

	normSteps []normStep
	wordSep   string // see model; "" when segments are merged whole

	// Byte-level BPE (GPT-2 / tiktoken style); see bytelevel.go.
	byteLevel  bool
	pre        preTokenizer
	byteSym    [256]int32 // byte -> id of its bytes_to_unicode character, -1 when absent
	vocabModel string     // "llama" or "gpt2": the GGUF model Vocab exports

	stripStart   int    // decoder: leading stripContent characters removed
	stripContent string // decoder: the character Strip removes

	bos, eos, pad, unkTok int32
	addBOS, addEOS        bool
	genEOS                []int32 // generation_config.json eos_token_id / GGUF EOG list
	eog                   []int32 // sorted end-of-generation set

	chatTemplate  string
	chatTemplates map[string]string
}

// Len returns the number of token ids: one more than the largest id that
// names a token. Ids below Len without a token decode to nothing.
func (t *Tokenizer) Len() int { return len(t.pieces) }

// Token returns the token string of id ("▁Hello", "<0x0A>", "<|end|>"), or ""
// when id names no token.
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.pieces) {
		return ""
	}
	return t.pieces[id]
}

// ID returns the id of a token string. Added tokens are looked up first,
// then the model vocabulary.
func (t *Tokenizer) ID(piece string) (int32, bool) {
	if id, ok := t.addID[piece]; ok {
		return id, true
	}
	id, ok := t.vocab[piece]
	return id, ok
}

// BOS returns the beginning-of-sequence id, or -1 when there is none.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence id, or -1 when there is none.
func (t *Tokenizer) EOS() int32 { return t.eos }

// PAD returns the padding id, or -1 when there is none.
func (t *Tokenizer) PAD() int32 { return t.pad }

// UNK returns the unknown-token id, or -1 when there is none.
func (t *Tokenizer) UNK() int32 { return t.unkTok }

// AddBOS reports whether Encode with addSpecial prepends BOS.
func (t *Tokenizer) AddBOS() bool { return t.addBOS && t.bos >= 0 }

// AddEOS reports whether Encode with addSpecial appends EOS.
func (t *Tokenizer) AddEOS() bool { return t.addEOS && t.eos >= 0 }

// IsEOG reports whether id ends generation: EOS, the ids listed as
// eos_token_id in generation_config.json (or a GGUF vocabulary's EOG list),
// and <|end|> and <|endoftext|> when the vocabulary has them. For Phi-3 with
// its generation_config.json that is 32000, 32001 and 32007.
func (t *Tokenizer) IsEOG(id int32) bool {
	_, ok := slices.BinarySearch(t.eog, id)
	return ok
}

// EOGs returns the end-of-generation ids in ascending order (a copy).
func (t *Tokenizer) EOGs() []int32 { return slices.Clone(t.eog) }

// IsSpecial reports whether id is a special token: an added token marked
// special in tokenizer.json, or a control or unknown token of a GGUF
// vocabulary. DecodeSkipSpecial drops these.
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// ChatTemplate returns the default chat template string ("" when none).
func (t *Tokenizer) ChatTemplate() string { return t.chatTemplate }

// NamedChatTemplate returns the chat template with the given name from a
// tokenizer_config.json that lists several ({name, template} entries).
func (t *Tokenizer) NamedChatTemplate(name string) (string, bool) {
	s, ok := t.chatTemplates[name]
	return s, ok
}

// Encode turns text into token ids. Added tokens (for Phi-3: <|user|>,
// <|end|>, <s>, ...) in the text are always recognised; with addSpecial,
// BOS and EOS are added as the configuration asks (AddBOS, AddEOS).
//
// Text that is not valid UTF-8 is accepted: each invalid byte becomes its
// byte-fallback token <0xXX> (or unk without byte fallback); a byte-level
// tokenizer encodes the bytes as they are (the split patterns treat an
// invalid byte as a symbol character).
func (t *Tokenizer) Encode(text string, addSpecial bool) []int32 {
	return t.encode(text, addSpecial, nil)
}

// Span says where a run of the ids of EncodeSpans came from.
type Span struct {
	// Start and End are byte offsets in the text: of an added token's own
	// text (without the whitespace that its lstrip or rstrip swallows), or
	// of a text segment between added tokens (including whitespace that no
	// token swallowed).
	Start, End int
	// N is the number of ids made from the span (1 for an added token; 0
	// is possible for a text segment).
	N int
	// Added reports an added token.
	Added bool
}

// EncodeSpans is Encode(text, false) that also says where each id came
// from: the spans, in order, cut the ids into consecutive runs (their N
// sum to len(ids)). Text is cut exactly as Encode cuts it, so the ids are
// Encode's; whitespace swallowed by an added token belongs to no span, and
// the ids of a text segment are not divided further (BPE may merge
// anywhere inside it).
func (t *Tokenizer) EncodeSpans(text string) ([]int32, []Span) {
	spans := []Span{}
	ids := t.encode(text, false, &spans)
	return ids, spans
}

// encode is Encode; when spans is not nil, the spans of the raw text are
// appended to it.
func (t *Tokenizer) encode(text string, addSpecial bool, spans *[]Span) []int32 {
	out := make([]int32, 0, len(text)/3+4)
	if addSpecial && t.AddBOS() {
		out = append(out, t.bos)
	}
	var sc scratch
	var added func(start, stop int)
	if spans != nil {
		added = func(start, stop int) {
			*spans = append(*spans, Span{Start: start, End: stop, N: 1, Added: true})
		}
	}
	out = t.splitAdded(text, &t.raw, out, func(out []int32, seg string, off int) []int32 {
		n := len(out)
		norm := t.normalize(seg)
		if t.norm.empty() {
			out = t.model(out, norm, &sc)
		} else {
			out = t.splitAdded(norm, &t.norm, out, func(out []int32, seg string, _ int) []int32 {
				return t.model(out, seg, &sc)
			}, nil)
		}
		if spans != nil {
			*spans = append(*spans, Span{Start: off, End: off + len(seg), N: len(out) - n})
		}
		return out
	}, added)
	if addSpecial && t.AddEOS() {
		out = append(out, t.eos)
	}
	return out
}

// normalize applies the normalizer steps to one text segment.
func (t *Tokenizer) normalize(s string) string {
	for _, st := range t.normSteps {
		if st.prepend {
			if s != "" {
				s = st.to + s
			}
		} else if st.from != "" {
			s = strings.ReplaceAll(s, st.from, st.to)
		}
	}
	return s
}

// model encodes one normalized segment with the tokenizer's algorithm
// (byte-level tokenizers: encodeByteLevel).
//
// When no piece that merges can produce contains a character other than
// wordSep followed by wordSep ("s▁" in LLaMA's vocabulary), no merge can
// cross the place before a wordSep that follows another character, so the
// segment is cut into words there and each word is merged alone, which
// gives the same ids (merges in different words never interact) much
// faster; repeated words are encoded once per call.
func (t *Tokenizer) model(out []int32, s string, sc *scratch) []int32 {
	if s == "" {
		return out
	}
	if t.byteLevel {
		return t.encodeByteLevel(out, s, sc)
	}
	if t.ignoreMerges {
		// Hugging Face's ignore_merges: a segment that is a piece is
		// emitted as is.
		if id, ok := t.vocab[s]; ok {
			return append(out, id)
		}
	}
	if t.wordSep == "" || len(s) <= 2*len(t.wordSep) {
		return t.modelWord(out, s, sc)
	}
	useCache := len(s) > 256
	if useCache && sc.cache == nil {
		sc.cache = make(map[string][2]int32)
	}
	sep := t.wordSep
	word := func(w string) {
		if !useCache || len(w) > 64 {
			out = t.modelWord(out, w, sc)
			return
		}
		if sp, ok := sc.cache[w]; ok {
			out = append(out, out[sp[0]:sp[1]]...)
			return
		}
		n := len(out)
		out = t.modelWord(out, w, sc)
		sc.cache[w] = [2]int32{int32(n), int32(len(out))}
	}
	start, i := 0, 0
	for {
		j := strings.Index(s[i:], sep)
		if j < 0 {
			break
		}
		p := i + j
		if p > start && !strings.HasSuffix(s[start:p], sep) {
			word(s[start:p])
			start = p
		}
		i = p + len(sep)
	}
	word(s[start:])
	return out
}

// modelWord encodes one word (or a whole segment) without splitting it.
func (t *Tokenizer) modelWord(out []int32, s string, sc *scratch) []int32 {
	if t.algo == algoScore {
		return t.encodeScore(out, s, sc)
	}
	return t.encodeRank(out, s, sc)
}

// setWordSep enables word splitting in model when it cannot change the
// result: sep must be a single-character piece, and no piece that merges
// can produce (products) may contain another character followed by sep.
func (t *Tokenizer) setWordSep(sep string, products func(yield func(string) bool)) {
	t.wordSep = ""
	if sep == "" || utf8.RuneCountInString(sep) != 1 {
		return
	}
	r, size := utf8.DecodeRuneInString(sep)
	if t.charToken(r, size) < 0 {
		return
	}
	for p := range products {
		for i := strings.Index(p, sep); i >= 0; {
			if i > 0 && !strings.HasSuffix(p[:i], sep) {
				return
			}
			j := strings.Index(p[i+len(sep):], sep)
			if j < 0 {
				break
			}
			i += len(sep) + j
		}
	}
	t.wordSep = sep
}

// charToken returns the id of the single-character piece r (decoded from
// size bytes), or -1; an invalid byte (RuneError of size 1) is never a piece.
func (t *Tokenizer) charToken(r rune, size int) int32 {
	if r < utf8.RuneSelf {
		return t.asciiID[r]
	}
	if r == utf8.RuneError && size == 1 {
		return -1 // invalid byte: never a piece
	}
	if id, ok := t.charID[r]; ok {
		return id
	}
	return -1
}

// matcher finds added tokens in text, leftmost first and longest among
// those starting at the same place, as Hugging Face's Aho-Corasick
// LeftmostLongest matcher does.
type matcher struct {
	byFirst [256][]int32 // first byte -> indices into tokens, longest first
	tokens  []addedToken
	n       int
}

// empty reports whether the matcher has no tokens.
func (m *matcher) empty() bool { return m.n == 0 }

// build prepares the matcher for the given tokens, matched by pattern[i].
func (m *matcher) build(tokens []addedToken, patterns []string) {
	m.tokens = tokens
	m.n = 0
	for i := range m.byFirst {
		m.byFirst[i] = nil
	}
	for i, p := range patterns {
		if p == "" {
			continue
		}
		m.tokens[i].content = p
		m.byFirst[p[0]] = append(m.byFirst[p[0]], int32(i))
		m.n++
	}
	for i := range m.byFirst {
		l := m.byFirst[i]
		slices.SortStableFunc(l, func(a, b int32) int {
			return len(m.tokens[b].content) - len(m.tokens[a].content)
		})
	}
}

// find returns the leftmost-longest match in s at or after from, or ok=false.
func (m *matcher) find(s string, from int) (start, end int, tok *addedToken, ok bool) {
	for i := from; i < len(s); i++ {
		cands := m.byFirst[s[i]]
		if len(cands) == 0 {
			continue
		}
		for _, c := range cands {
			tk := &m.tokens[c]
			if strings.HasPrefix(s[i:], tk.content) {
				return i, i + len(tk.content), tk, true
			}
		}
	}
	return 0, 0, nil, false
}

// isWordChar approximates the regex class \w of Rust's regex crate.
func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) ||
		unicode.IsMark(r) || unicode.Is(unicode.Pc, r)
}

// splitAdded splits s around the added tokens of m, appending their ids to
// out and passing the text between them, with its offset in s, to text;
// added, when not nil, is told where each added token's own text is. It
// follows Hugging Face's AddedVocabulary::find_matches: single_word tokens
// must not touch word characters, lstrip/rstrip tokens swallow the
// whitespace beside them.
func (t *Tokenizer) splitAdded(s string, m *matcher, out []int32, text func(out []int32, seg string, off int) []int32, added func(start, stop int)) []int32 {
	if m.empty() {
		if s == "" {
			return out
		}
		return text(out, s, 0)
	}
	done := 0 // end of the last emitted piece
	pos := 0  // where the search resumes
	for {
		start, stop, tk, ok := m.find(s, pos)
		if !ok {
			break
		}
		pos = stop
		if tk.singleWord {
			if start > 0 {
				if r, _ := utf8.DecodeLastRuneInString(s[:start]); isWordChar(r) {
					continue
				}
			}
			if stop < len(s) {
				if r, _ := utf8.DecodeRuneInString(s[stop:]); isWordChar(r) {
					continue
				}
			}
		}
		tokStart, tokStop := start, stop
		if tk.lstrip {
			start = len(strings.TrimRightFunc(s[:start], unicode.IsSpace))
			if start < done {
				start = done
			}
		}
		if tk.rstrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
			pos = stop
		}
		if done < start {
			out = text(out, s[done:start], done)
		}
		out = append(out, tk.id)
		if added != nil {
			added(tokStart, tokStop)
		}
		done = stop
	}
	if done < len(s) {
		out = text(out, s[done:], done)
	}
	return out
}
