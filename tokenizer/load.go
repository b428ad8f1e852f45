package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LoadFile reads a Hugging Face tokenizer.json. Without tokenizer_config.json
// (see LoadDir) BOS and whether Encode adds it come from the post-processor
// template (for Phi-3's file: <s>, added, as Hugging Face tokenizers does
// with add_special_tokens), EOS is <|endoftext|> or else </s> when the
// vocabulary has them, and there is no chat template.
func LoadFile(tokenizerJSON string) (*Tokenizer, error) {
	data, err := os.ReadFile(tokenizerJSON)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: read %s: %w", tokenizerJSON, err)
	}
	return Load(tokenizerJSON, data)
}

// Load parses the contents of a tokenizer.json; name (usually the file
// path) only labels error messages.
func Load(name string, data []byte) (*Tokenizer, error) {
	var j jsonTokenizer
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: invalid JSON: %w", name, err)
	}
	t, err := build(name, &j)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	return t, nil
}

// LoadPath reads a tokenizer.json file, or a folder with one (LoadDir), and
// returns the tokenizer.json's path too.
func LoadPath(path string) (*Tokenizer, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("tokenizer: %w", err)
	}
	if fi.IsDir() {
		t, err := LoadDir(path)
		return t, filepath.Join(path, "tokenizer.json"), err
	}
	t, err := LoadFile(path)
	return t, path, err
}

// LoadDir reads tokenizer.json from dir, plus tokenizer_config.json (BOS/EOS
// flags and strings, chat template), chat_template.jinja (when the config
// has no template) and generation_config.json (eos_token_id: the stop set)
// when they are present.
func LoadDir(dir string) (*Tokenizer, error) {
	t, err := LoadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	if data, err := os.ReadFile(cfgPath); err == nil {
		if err := t.applyConfig(cfgPath, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: read %s: %w", cfgPath, err)
	}
	if t.chatTemplate == "" {
		p := filepath.Join(dir, "chat_template.jinja")
		if data, err := os.ReadFile(p); err == nil {
			t.chatTemplate = string(data)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tokenizer: read %s: %w", p, err)
		}
	}
	genPath := filepath.Join(dir, "generation_config.json")
	if data, err := os.ReadFile(genPath); err == nil {
		if err := t.applyGenerationConfig(genPath, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenizer: read %s: %w", genPath, err)
	}
	t.finishEOG()
	return t, nil
}

type jsonTokenizer struct {
	AddedTokens   []jsonAddedToken `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         *jsonModel       `json:"model"`
}

type jsonAddedToken struct {
	ID         json.Number `json:"id"`
	Content    string      `json:"content"`
	SingleWord bool        `json:"single_word"`
	LStrip     bool        `json:"lstrip"`
	RStrip     bool        `json:"rstrip"`
	Normalized *bool       `json:"normalized"`
	Special    bool        `json:"special"`
}

type jsonModel struct {
	Type                    string                 `json:"type"`
	Vocab                   map[string]json.Number `json:"vocab"`
	Merges                  []json.RawMessage      `json:"merges"`
	UnkToken                *string                `json:"unk_token"`
	FuseUnk                 bool                   `json:"fuse_unk"`
	ByteFallback            bool                   `json:"byte_fallback"`
	IgnoreMerges            bool                   `json:"ignore_merges"`
	Dropout                 *float64               `json:"dropout"`
	ContinuingSubwordPrefix *string                `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string                `json:"end_of_word_suffix"`
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// parseID parses a JSON id and checks 0 <= id < limit.
func parseID(n json.Number, limit int) (int32, error) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("id %q is not an integer", string(n))
	}
	if v < 0 || v >= int64(limit) {
		return 0, fmt.Errorf("id %d out of range [0, %d)", v, limit)
	}
	return int32(v), nil
}

func newTokenizer(name string, n int) *Tokenizer {
	t := &Tokenizer{
		name:    name,
		pieces:  make([]string, n),
		kinds:   make([]tokenKind, n),
		dtext:   make([]string, n),
		dbyte:   make([]byte, n),
		special: make([]bool, n),
		vocab:   make(map[string]int32),
		addID:   make(map[string]int32),
		charID:  make(map[rune]int32),
		unk:     -1,
		bos:     -1,
		eos:     -1,
		pad:     -1,
		unkTok:  -1,
	}
	for i := range t.asciiID {
		t.asciiID[i] = -1
	}
	for i := range t.byteID {
		t.byteID[i] = -1
		t.byteSym[i] = -1
	}
	t.vocabModel = "llama"
	return t
}

// build turns a parsed tokenizer.json into a Tokenizer. Errors do not carry
// the file name; Load adds it.
func build(name string, j *jsonTokenizer) (*Tokenizer, error) {
	m := j.Model
	if m == nil {
		return nil, errors.New(`missing "model"`)
	}
	switch m.Type {
	case "BPE":
	case "":
		if m.Vocab == nil || m.Merges == nil {
			return nil, errors.New(`model has no "type" and is not BPE`)
		}
	default:
		return nil, fmt.Errorf("unsupported model type %q (only BPE is supported)", m.Type)
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("unsupported BPE dropout %v", *m.Dropout)
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, fmt.Errorf("unsupported BPE continuing_subword_prefix %q", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return nil, fmt.Errorf("unsupported BPE end_of_word_suffix %q", *m.EndOfWordSuffix)
	}
	if len(m.Vocab) == 0 {
		return nil, errors.New("model vocabulary is empty")
	}
	pre, byteLevel, err := parsePreTokenizer(j.PreTokenizer)
	if err != nil {
		return nil, err
	}
	if byteLevel {
		if err := checkByteLevelDecoder(j.Decoder); err != nil {
			return nil, err
		}
	}

	// Ids are capped by twice the number of entries (plus a little) so
	// that a huge id cannot cause a huge allocation; vocabularies with
	// gaps (o200k's specials at 199999 and 200018, Phi-4-mini's chat
	// tokens above them) stay well within.
	limit := 2*(len(m.Vocab)+len(j.AddedTokens)) + 1024
	ids := make(map[string]int32, len(m.Vocab))
	maxID := int32(-1)
	for piece, n := range m.Vocab {
		id, err := parseID(n, limit)
		if err != nil {
			return nil, fmt.Errorf("model vocabulary entry %q: %w", piece, err)
		}
		ids[piece] = id
		maxID = max(maxID, id)
	}
	added := make([]addedToken, 0, len(j.AddedTokens))
	for i, a := range j.AddedTokens {
		id, err := parseID(a.ID, limit)
		if err != nil {
			return nil, fmt.Errorf("added_tokens[%d] %q: %w", i, a.Content, err)
		}
		if a.Content == "" {
			return nil, fmt.Errorf("added_tokens[%d] (id %d) has empty content", i, id)
		}
		normalized := !a.Special
		if a.Normalized != nil {
			normalized = *a.Normalized
		}
		added = append(added, addedToken{
			content: a.Content, id: id, singleWord: a.SingleWord,
			lstrip: a.LStrip, rstrip: a.RStrip, normalized: normalized, special: a.Special,
		})
		maxID = max(maxID, id)
	}

	t := newTokenizer(name, int(maxID)+1)
	for piece, id := range ids {
		if t.pieces[id] != "" || t.kinds[id] != kindNone {
			a, b := min(piece, t.pieces[id]), max(piece, t.pieces[id])
			return nil, fmt.Errorf("model vocabulary: id %d is used by both %q and %q", id, a, b)
		}
		t.pieces[id] = piece
		t.kinds[id] = kindText
		t.vocab[piece] = id
	}
	for i, a := range added {
		if vid, ok := t.vocab[a.content]; ok && vid != a.id {
			return nil, fmt.Errorf("added_tokens[%d] %q has id %d but the model vocabulary gives it id %d", i, a.content, a.id, vid)
		}
		if prev, ok := t.addID[a.content]; ok && prev != a.id {
			return nil, fmt.Errorf("added_tokens[%d] %q appears with ids %d and %d", i, a.content, prev, a.id)
		}
		if t.kinds[a.id] != kindNone && t.pieces[a.id] != a.content {
			return nil, fmt.Errorf("added_tokens[%d] %q has id %d, which already belongs to %q", i, a.content, a.id, t.pieces[a.id])
		}
		t.pieces[a.id] = a.content
		t.kinds[a.id] = kindText
		t.special[a.id] = a.special
		t.addID[a.content] = a.id
	}
	// Keep the first definition of a repeated added token.
	seen := make(map[string]bool, len(added))
	for _, a := range added {
		if !seen[a.content] {
			seen[a.content] = true
			t.added = append(t.added, a)
		}
	}

	// Model.
	t.algo = algoRank
	t.byteFallback = m.ByteFallback
	t.fuseUnk = m.FuseUnk
	t.ignoreMerges = m.IgnoreMerges
	if m.UnkToken != nil {
		id, ok := t.vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the model vocabulary", *m.UnkToken)
		}
		t.unk, t.unkTok = id, id
	}
	for piece, id := range t.vocab {
		t.setChar(piece, id)
		if b, ok := parseByteToken(piece); ok && piece == byteToken(b) {
			t.byteID[b] = id
		}
	}
	t.merges = make(map[uint64]uint64, len(m.Merges))
	for rank, raw := range m.Merges {
		a, b, err := parseMerge(raw)
		if err != nil {
			return nil, fmt.Errorf("merges[%d]: %w", rank, err)
		}
		ia, ok1 := t.vocab[a]
		ib, ok2 := t.vocab[b]
		ic, ok3 := t.vocab[a+b]
		switch {
		case !ok1:
			return nil, fmt.Errorf("merges[%d] (%q, %q): %q is not in the model vocabulary", rank, a, b, a)
		case !ok2:
			return nil, fmt.Errorf("merges[%d] (%q, %q): %q is not in the model vocabulary", rank, a, b, b)
		case !ok3:
			return nil, fmt.Errorf("merges[%d] (%q, %q): the merged piece %q is not in the model vocabulary", rank, a, b, a+b)
		}
		t.merges[pairKey(ia, ib)] = uint64(rank)<<32 | uint64(uint32(ic))
	}

	// Normalizer.
	steps, err := parseNormalizer(j.Normalizer, 0)
	if err != nil {
		return nil, err
	}
	t.normSteps = steps
	t.buildMatchers()
	if byteLevel {
		// Pre-tokenizer and ByteLevel decoder: every token, added tokens
		// included, decodes to the bytes its characters stand for.
		t.byteLevel, t.pre, t.vocabModel = true, pre, "gpt2"
		t.setByteSyms()
		for id := range t.pieces {
			if t.kinds[id] != kindNone {
				t.kinds[id] = kindBytes
				t.dtext[id] = byteLevelDecode(t.pieces[id])
			}
		}
	} else {
		t.setWordSep(spaceReplacement(steps), func(yield func(string) bool) {
			for _, m := range t.merges {
				if !yield(t.pieces[int32(uint32(m))]) {
					return
				}
			}
		})

		// Decoder.
		dec, err := parseDecoder(j.Decoder)
		if err != nil {
			return nil, err
		}
		t.stripStart, t.stripContent = dec.stripStart, dec.stripContent
		for id := range t.pieces {
			if t.kinds[id] == kindNone {
				continue
			}
			t.setDecoded(int32(id), t.pieces[id], dec.replaces, dec.byteFallback)
		}
	}

	// Special ids. The post-processor decides BOS/EOS for addSpecial until
	// tokenizer_config.json says otherwise.
	if err := t.parsePostProcessor(j.PostProcessor, 0); err != nil {
		return nil, err
	}
	if t.bos < 0 {
		if id, ok := t.ID("<s>"); ok {
			t.bos = id
		}
	}
	for _, s := range []string{"<|endoftext|>", "</s>"} {
		if id, ok := t.ID(s); ok && t.eos < 0 {
			t.eos = id
		}
	}
	t.finishEOG()
	return t, nil
}

// spaceReplacement returns what the normalizer replaces spaces with ("▁"),
// or "".
func spaceReplacement(steps []normStep) string {
	for _, st := range steps {
		if !st.prepend && st.from == " " {
			return st.to
		}
	}
	return ""
}

// setChar records piece as a single-character piece when it is one.
func (t *Tokenizer) setChar(piece string, id int32) {
	r, size := utf8.DecodeRuneInString(piece)
	if size == 0 || size != len(piece) || (r == 0xFFFD && size == 1) {
		return
	}
	if r < 0x80 {
		t.asciiID[r] = id
	} else {
		t.charID[r] = id
	}
}

// setDecoded precomputes how id decodes: replaces applied, then byte
// fallback for pieces of the form <0xXX>.
func (t *Tokenizer) setDecoded(id int32, piece string, replaces []normStep, byteFallback bool) {
	s := piece
	for _, r := range replaces {
		s = strings.ReplaceAll(s, r.from, r.to)
	}
	if byteFallback {
		if b, ok := parseByteToken(s); ok {
			t.kinds[id] = kindByte
			t.dbyte[id] = b
			return
		}
	}
	t.kinds[id] = kindText
	t.dtext[id] = s
}

// buildMatchers prepares the added-token matchers: tokens with
// normalized=false match the raw text, the others match normalized text in
// their normalized form (as Hugging Face does).
func (t *Tokenizer) buildMatchers() {
	var raw, norm []addedToken
	var rawP, normP []string
	for _, a := range t.added {
		if a.normalized {
			p := t.normalize(a.content)
			norm = append(norm, a)
			normP = append(normP, p)
		} else {
			raw = append(raw, a)
			rawP = append(rawP, a.content)
		}
	}
	t.raw.build(raw, rawP)
	t.norm.build(norm, normP)
}

func byteToken(b byte) string { return fmt.Sprintf("<0x%02X>", b) }

// parseByteToken recognises "<0xXX>" (hex digits in either case), as Hugging
// Face's ByteFallback decoder does.
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(s[3:5], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(v), true
}

// parseMerge accepts "a b" or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", "", err
		}
		a, b, ok := strings.Cut(s, " ")
		if !ok || a == "" || b == "" {
			return "", "", fmt.Errorf("merge %q is not two pieces separated by a space", s)
		}
		return a, b, nil
	}
	var p []string
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", "", fmt.Errorf("merge must be a string or a pair of strings: %w", err)
	}
	if len(p) != 2 || p[0] == "" || p[1] == "" {
		return "", "", fmt.Errorf("merge %q is not a pair of non-empty pieces", p)
	}
	return p[0], p[1], nil
}

type jsonPattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

type jsonStep struct {
	Type        string            `json:"type"`
	Normalizers []json.RawMessage `json:"normalizers"`
	Decoders    []json.RawMessage `json:"decoders"`
	Prepend     *string           `json:"prepend"`
	Pattern     *jsonPattern      `json:"pattern"`
	Content     *string           `json:"content"`
	Start       *int              `json:"start"`
	Stop        *int              `json:"stop"`
}

func (s *jsonStep) replace(what string) (normStep, error) {
	if s.Pattern == nil || s.Content == nil {
		return normStep{}, fmt.Errorf("%s Replace needs pattern and content", what)
	}
	if s.Pattern.String == nil {
		return normStep{}, fmt.Errorf("unsupported %s Replace pattern (only String patterns are supported)", what)
	}
	return normStep{from: *s.Pattern.String, to: *s.Content}, nil
}

const maxNesting = 8

func parseNormalizer(raw json.RawMessage, depth int) ([]normStep, error) {
	if isNull(raw) {
		return nil, nil
	}
	if depth > maxNesting {
		return nil, errors.New("normalizer nested too deeply")
	}
	var s jsonStep
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch s.Type {
	case "Sequence":
		var out []normStep
		for _, r := range s.Normalizers {
			st, err := parseNormalizer(r, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, st...)
		}
		return out, nil
	case "Prepend":
		if s.Prepend == nil {
			return nil, errors.New("normalizer Prepend needs prepend")
		}
		return []normStep{{prepend: true, to: *s.Prepend}}, nil
	case "Replace":
		st, err := s.replace("normalizer")
		if err != nil {
			return nil, err
		}
		return []normStep{st}, nil
	default:
		return nil, fmt.Errorf("unsupported normalizer type %q (supported: Sequence, Prepend, Replace)", s.Type)
	}
}

type jsonPreStep struct {
	Type           string            `json:"type"`
	Pretokenizers  []json.RawMessage `json:"pretokenizers"`
	Pattern        *jsonPattern      `json:"pattern"`
	Behavior       string            `json:"behavior"`
	Invert         bool              `json:"invert"`
	AddPrefixSpace *bool             `json:"add_prefix_space"`
	UseRegex       *bool             `json:"use_regex"`
}

// parsePreTokenizer accepts no pre-tokenizer (SentencePiece-style
// tokenizers) or the byte-level shape: Split steps whose regex is one of
// the hand-written patterns (knownPatterns), then ByteLevel, possibly in
// a Sequence. byteLevel reports the second.
func parsePreTokenizer(raw json.RawMessage) (pre preTokenizer, byteLevel bool, err error) {
	var steps []jsonPreStep
	var flatten func(raw json.RawMessage, depth int) error
	flatten = func(raw json.RawMessage, depth int) error {
		if isNull(raw) {
			return nil
		}
		if depth > maxNesting {
			return errors.New("pre_tokenizer nested too deeply")
		}
		var s jsonPreStep
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("pre_tokenizer: %w", err)
		}
		if s.Type != "Sequence" {
			steps = append(steps, s)
			return nil
		}
		for _, r := range s.Pretokenizers {
			if err := flatten(r, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := flatten(raw, 0); err != nil {
		return pre, false, err
	}
	for i, s := range steps {
		switch s.Type {
		case "ByteLevel":
			if i != len(steps)-1 {
				return pre, false, fmt.Errorf("unsupported pre_tokenizer: %s after ByteLevel", steps[i+1].Type)
			}
			byteLevel = true
			// Hugging Face's defaults: use_regex true; add_prefix_space
			// has none (false here).
			pre.prefixSpace = s.AddPrefixSpace != nil && *s.AddPrefixSpace
			pre.byteRegex = s.UseRegex == nil || *s.UseRegex
		case "Split":
			if s.Pattern == nil || s.Pattern.Regex == nil {
				return pre, false, errors.New("unsupported pre_tokenizer Split pattern (only Regex patterns are supported)")
			}
			p, ok := knownPatterns[*s.Pattern.Regex]
			if !ok {
				return pre, false, fmt.Errorf("unsupported pre-tokenizer pattern %q (supported: the GPT-2, cl100k and o200k split patterns)", *s.Pattern.Regex)
			}
			// The patterns match every character, so the text between
			// matches is always empty: Isolated keeps the matches
			// whatever invert says, Removed with invert removes nothing.
			if s.Behavior != "Isolated" && (s.Behavior != "Removed" || !s.Invert) {
				return pre, false, fmt.Errorf("unsupported pre_tokenizer Split behavior %q with invert %v (supported: Isolated, or Removed with invert)", s.Behavior, s.Invert)
			}
			pre.splits = append(pre.splits, p)
		default:
			return pre, false, fmt.Errorf("unsupported pre_tokenizer type %q (supported: ByteLevel, Split before ByteLevel, Sequence)", s.Type)
		}
	}
	if !byteLevel && len(steps) > 0 {
		return pre, false, errors.New("unsupported pre_tokenizer: Split without ByteLevel")
	}
	return pre, byteLevel, nil
}

// checkByteLevelDecoder accepts the decoder of a byte-level tokenizer:
// ByteLevel, alone or as the only step of a Sequence.
func checkByteLevelDecoder(raw json.RawMessage) error {
	var top jsonStep
	if !isNull(raw) {
		if err := json.Unmarshal(raw, &top); err != nil {
			return fmt.Errorf("decoder: %w", err)
		}
	}
	if top.Type == "Sequence" && len(top.Decoders) == 1 {
		if err := json.Unmarshal(top.Decoders[0], &top); err != nil {
			return fmt.Errorf("decoder: %w", err)
		}
	}
	if top.Type != "ByteLevel" {
		what := "no decoder"
		if top.Type != "" {
			what = fmt.Sprintf("decoder %q", top.Type)
		}
		return fmt.Errorf("unsupported pre_tokenizer type \"ByteLevel\" with %s (byte-level BPE needs the ByteLevel decoder)", what)
	}
	return nil
}

// setByteSyms records the token of each byte's bytes_to_unicode character.
func (t *Tokenizer) setByteSyms() {
	for b := range t.byteSym {
		t.byteSym[b] = -1
		if id, ok := t.vocab[string(byteChar[b])]; ok {
			t.byteSym[b] = id
		}
	}
}

type decoderSpec struct {
	replaces     []normStep
	byteFallback bool
	stripStart   int
	stripContent string
}

// parseDecoder accepts the SentencePiece decoder shape: Replace steps, then
// optionally ByteFallback, Fuse and Strip (start only, after Fuse), in that
// order. That is what Phi-3 and LLaMA-2 use, and it can be decoded as a
// stream.
func parseDecoder(raw json.RawMessage) (decoderSpec, error) {
	var d decoderSpec
	if isNull(raw) {
		return d, errors.New("unsupported decoder: none (expected a Sequence of Replace, ByteFallback, Fuse, Strip)")
	}
	var top jsonStep
	if err := json.Unmarshal(raw, &top); err != nil {
		return d, fmt.Errorf("decoder: %w", err)
	}
	steps := []json.RawMessage{raw}
	if top.Type == "Sequence" {
		steps = top.Decoders
	}
	const (
		phaseReplace = iota
		phaseBytes
		phaseFused
		phaseStripped
	)
	phase := phaseReplace
	for i, r := range steps {
		var s jsonStep
		if err := json.Unmarshal(r, &s); err != nil {
			return d, fmt.Errorf("decoder step %d: %w", i, err)
		}
		switch s.Type {
		case "Replace":
			if phase != phaseReplace {
				return d, fmt.Errorf("unsupported decoder: Replace after %s", steps2name(phase))
			}
			st, err := s.replace("decoder")
			if err != nil {
				return d, err
			}
			if st.from == "" {
				return d, errors.New("decoder Replace with an empty pattern")
			}
			d.replaces = append(d.replaces, st)
		case "ByteFallback":
			if phase != phaseReplace {
				return d, fmt.Errorf("unsupported decoder: ByteFallback after %s", steps2name(phase))
			}
			d.byteFallback = true
			phase = phaseBytes
		case "Fuse":
			if phase == phaseStripped {
				return d, errors.New("unsupported decoder: Fuse after Strip")
			}
			phase = phaseFused
		case "Strip":
			if phase != phaseFused {
				return d, errors.New("unsupported decoder: Strip before Fuse (per-token strip)")
			}
			if s.Content == nil || len([]rune(*s.Content)) != 1 {
				return d, errors.New("decoder Strip needs a one-character content")
			}
			start, stop := 0, 0
			if s.Start != nil {
				start = *s.Start
			}
			if s.Stop != nil {
				stop = *s.Stop
			}
			if start < 0 || stop != 0 {
				return d, fmt.Errorf("unsupported decoder: Strip start %d stop %d (only stripping at the start is supported)", start, stop)
			}
			d.stripStart, d.stripContent = start, *s.Content
			phase = phaseStripped
		default:
			return d, fmt.Errorf("unsupported decoder type %q (supported: Sequence, Replace, ByteFallback, Fuse, Strip)", s.Type)
		}
	}
	return d, nil
}

func steps2name(phase int) string {
	return [...]string{"Replace", "ByteFallback", "Fuse", "Strip"}[phase]
}

type jsonPost struct {
	Type          string            `json:"type"`
	Processors    []json.RawMessage `json:"processors"`
	Single        json.RawMessage   `json:"single"`
	SpecialTokens map[string]struct {
		IDs []json.Number `json:"ids"`
	} `json:"special_tokens"`
}

type jsonTemplatePiece struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

// parsePostProcessor takes BOS/EOS from a TemplateProcessing "single"
// template: a special token before $A means add BOS, one after means add EOS.
// Other post-processors are ignored (they do not add tokens to single
// sequences in SentencePiece tokenizers).
func (t *Tokenizer) parsePostProcessor(raw json.RawMessage, depth int) error {
	if isNull(raw) {
		return nil
	}
	if depth > maxNesting {
		return errors.New("post_processor nested too deeply")
	}
	var p jsonPost
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("post_processor: %w", err)
	}
	switch p.Type {
	case "Sequence":
		for _, r := range p.Processors {
			if err := t.parsePostProcessor(r, depth+1); err != nil {
				return err
			}
		}
	case "TemplateProcessing":
		var pieces []jsonTemplatePiece
		if err := json.Unmarshal(p.Single, &pieces); err != nil {
			return nil // string form or missing: nothing to learn
		}
		lookup := func(name string) int32 {
			if st, ok := p.SpecialTokens[name]; ok && len(st.IDs) == 1 {
				if v, err := strconv.ParseInt(string(st.IDs[0]), 10, 32); err == nil && v >= 0 && int(v) < t.Len() {
					return int32(v)
				}
			}
			if id, ok := t.ID(name); ok {
				return id
			}
			return -1
		}
		seq := false
		for _, pc := range pieces {
			switch {
			case pc.Sequence != nil:
				seq = true
			case pc.SpecialToken != nil:
				id := lookup(pc.SpecialToken.ID)
				if id < 0 {
					return fmt.Errorf("post_processor special token %q is not in the vocabulary", pc.SpecialToken.ID)
				}
				if !seq {
					t.bos, t.addBOS = id, true
				} else {
					t.eos, t.addEOS = id, true
				}
			}
		}
	}
	return nil
}

type jsonConfig struct {
	AddBOS       *bool           `json:"add_bos_token"`
	AddEOS       *bool           `json:"add_eos_token"`
	BOS          json.RawMessage `json:"bos_token"`
	EOS          json.RawMessage `json:"eos_token"`
	PAD          json.RawMessage `json:"pad_token"`
	UNK          json.RawMessage `json:"unk_token"`
	ChatTemplate json.RawMessage `json:"chat_template"`
}

// configToken reads a token given as a string or as {"content": ...}.
func configToken(raw json.RawMessage) (string, bool, error) {
	if isNull(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true, nil
	}
	var o struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Content == nil {
		return "", false, errors.New(`must be a string or an object with "content"`)
	}
	return *o.Content, true, nil
}

// applyConfig applies a tokenizer_config.json.
func (t *Tokenizer) applyConfig(path string, data []byte) error {
	var c jsonConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("tokenizer: %s: invalid JSON: %w", path, err)
	}
	for _, f := range []struct {
		key    string
		raw    json.RawMessage
		dst    *int32
		strict bool
	}{
		{"bos_token", c.BOS, &t.bos, true},
		{"eos_token", c.EOS, &t.eos, true},
		{"pad_token", c.PAD, &t.pad, false},
		{"unk_token", c.UNK, &t.unkTok, false},
	} {
		s, ok, err := configToken(f.raw)
		if err != nil {
			return fmt.Errorf("tokenizer: %s: %s %w", path, f.key, err)
		}
		if !ok {
			continue
		}
		id, found := t.ID(s)
		switch {
		case found:
			*f.dst = id
		case f.strict:
			return fmt.Errorf("tokenizer: %s: %s %q is not in the vocabulary", path, f.key, s)
		default:
			*f.dst = -1
		}
	}
	if c.AddBOS != nil {
		t.addBOS = *c.AddBOS
	}
	if c.AddEOS != nil {
		t.addEOS = *c.AddEOS
	}
	if !isNull(c.ChatTemplate) {
		var s string
		if err := json.Unmarshal(c.ChatTemplate, &s); err == nil {
			t.chatTemplate = s
		} else {
			var list []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(c.ChatTemplate, &list); err != nil {
				return fmt.Errorf("tokenizer: %s: chat_template must be a string or a list of {name, template}", path)
			}
			t.chatTemplates = make(map[string]string, len(list))
			for _, e := range list {
				t.chatTemplates[e.Name] = e.Template
			}
			t.chatTemplate = t.chatTemplates["default"]
			if t.chatTemplate == "" && len(list) > 0 {
				t.chatTemplate = list[0].Template
			}
		}
	}
	return nil
}

// applyGenerationConfig reads eos_token_id (an int or a list) from a
// generation_config.json into the end-of-generation set.
func (t *Tokenizer) applyGenerationConfig(path string, data []byte) error {
	var g struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return fmt.Errorf("tokenizer: %s: invalid JSON: %w", path, err)
	}
	if isNull(g.EOS) {
		return nil
	}
	var list []int64
	var one int64
	if err := json.Unmarshal(g.EOS, &one); err == nil {
		list = []int64{one}
	} else if err := json.Unmarshal(g.EOS, &list); err != nil {
		return fmt.Errorf("tokenizer: %s: eos_token_id must be an integer or a list of integers", path)
	}
	for _, v := range list {
		if v < 0 || v >= int64(t.Len()) {
			return fmt.Errorf("tokenizer: %s: eos_token_id %d out of range [0, %d)", path, v, t.Len())
		}
		t.genEOS = append(t.genEOS, int32(v))
	}
	return nil
}

// finishEOG computes the end-of-generation set: the listed stop ids
// (genEOS), EOS, and the Phi stop tokens <|end|> and <|endoftext|>.
func (t *Tokenizer) finishEOG() {
	t.eog = slices.Clone(t.genEOS)
	if t.eos >= 0 {
		t.eog = append(t.eog, t.eos)
	}
	for _, s := range []string{"<|end|>", "<|endoftext|>"} {
		if id, ok := t.ID(s); ok {
			t.eog = append(t.eog, id)
		}
	}
	slices.Sort(t.eog)
	t.eog = slices.Compact(t.eog)
}
