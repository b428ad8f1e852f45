package tokenizer

import (
	"fmt"
	"slices"
	"strings"
)

// GGUF token types (tokenizer.ggml.token_type).
const (
	TypeNormal      int32 = 1 // an ordinary piece
	TypeUnknown     int32 = 2 // the unknown token
	TypeControl     int32 = 3 // a control / special token such as <s> or <|end|>
	TypeUserDefined int32 = 4 // a user-defined token matched atomically in text
	TypeUnused      int32 = 5 // an unused slot (padding); never produced
	TypeByte        int32 = 6 // a byte-fallback token <0xXX>
)

// Vocab is a GGUF-style vocabulary (the tokenizer.ggml.* metadata), defined
// here so that this package needs no GGUF reader.
type Vocab struct {
	// Model is tokenizer.ggml.model: "llama" (SentencePiece, Phi-3) or
	// "gpt2" (byte-level BPE, Phi-4-mini).
	Model string
	// Pre is tokenizer.ggml.pre. For "gpt2" vocabularies it names the
	// split pattern, as in llama.cpp: "gpt-4o" and "llama4" the o200k
	// pattern (Phi-4-mini), "gpt-2" GPT-2's, "llama-bpe", "llama3" and
	// "llama-v3" the cl100k pattern with ignore_merges. Unused for "llama".
	Pre string
	// Tokens holds the piece of each id.
	Tokens []string
	// Scores holds the score of each id (may be empty: all zero). Higher
	// scoring pieces are merged first.
	Scores []float32
	// Types holds the GGUF token type of each id (may be empty: pieces of
	// the form <0xXX> are bytes, all others normal). See TypeNormal etc.
	Types []int32
	// Merges is tokenizer.ggml.merges: for "gpt2" the merge rules "a b"
	// in rank order (first merged first); unused for "llama".
	Merges []string
	// BOS, EOS, UNK and PAD are special ids, -1 when absent.
	BOS, EOS, UNK, PAD int32
	// AddBOS and AddEOS are tokenizer.ggml.add_bos_token / add_eos_token.
	AddBOS, AddEOS bool
	// ChatTemplate is tokenizer.chat_template.
	ChatTemplate string
	// EOG lists extra end-of-generation ids (for example the ids of
	// generation_config.json's eos_token_id).
	EOG []int32
}

// FromVocab builds a Tokenizer from a GGUF-style vocabulary, encoding as
// llama.cpp's SentencePiece tokenizer does:
//
//   - control, user-defined and unknown tokens (types 3, 4, 2) are matched
//     atomically in the text, leftmost-longest. GGUF has no strip flags, so
//     Phi-3's convention is applied when the vocabulary contains <|end|>:
//     tokens of the form <|...|> other than <|endoftext|> swallow the
//     whitespace to their right (rstrip);
//   - every non-empty text fragment gets a "▁" prefix and its spaces become
//     "▁" (add_space_prefix, as for every llama vocabulary);
//   - characters start as symbols; the adjacent pair whose concatenation is
//     a normal piece with the highest score is merged first (ties: the
//     leftmost); characters that are not pieces become byte tokens <0xXX>,
//     or UNK without byte tokens, and never merge.
//
// Unused tokens (type 5) decode to nothing. Decoding otherwise matches
// tokenizer.json's SentencePiece decoder.
//
// A "gpt2" vocabulary is byte-level BPE, encoded as llama.cpp and Hugging
// Face do (see fromGPT2Vocab).
func FromVocab(v Vocab) (*Tokenizer, error) {
	if v.Model != "llama" && v.Model != "gpt2" {
		return nil, fmt.Errorf("tokenizer: vocab: unsupported model %q (supported: \"llama\", \"gpt2\")", v.Model)
	}
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("tokenizer: vocab: no tokens")
	}
	if len(v.Scores) != 0 && len(v.Scores) != n {
		return nil, fmt.Errorf("tokenizer: vocab: %d scores for %d tokens", len(v.Scores), n)
	}
	if len(v.Types) != 0 && len(v.Types) != n {
		return nil, fmt.Errorf("tokenizer: vocab: %d token types for %d tokens", len(v.Types), n)
	}
	for _, f := range []struct {
		name string
		id   int32
	}{{"BOS", v.BOS}, {"EOS", v.EOS}, {"UNK", v.UNK}, {"PAD", v.PAD}} {
		if f.id < -1 || int(f.id) >= n {
			return nil, fmt.Errorf("tokenizer: vocab: %s id %d out of range [0, %d)", f.name, f.id, n)
		}
	}
	for _, id := range v.EOG {
		if id < 0 || int(id) >= n {
			return nil, fmt.Errorf("tokenizer: vocab: EOG id %d out of range [0, %d)", id, n)
		}
	}
	if v.Model == "gpt2" {
		t, err := fromGPT2Vocab(v)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: vocab: %w", err)
		}
		return t, nil
	}

	t := newTokenizer("vocab", n)
	t.algo = algoScore
	t.types = make([]int32, n)
	t.scores = make([]float32, n)
	copy(t.scores, v.Scores)
	t.mergeable = make(map[string]int32, n)
	phi3 := slices.Contains(v.Tokens, "<|end|>")
	replace := []normStep{{from: "▁", to: " "}}
	for id, piece := range v.Tokens {
		id := int32(id)
		typ := TypeNormal
		if len(v.Types) > 0 {
			typ = v.Types[id]
		} else if _, ok := parseByteToken(piece); ok {
			typ = TypeByte
		}
		if typ == 0 {
			typ = TypeNormal // undefined: treat as normal
		}
		t.types[id] = typ
		t.pieces[id] = piece
		if _, dup := t.vocab[piece]; !dup {
			t.vocab[piece] = id
		}
		switch typ {
		case TypeNormal:
			if _, dup := t.mergeable[piece]; !dup {
				t.mergeable[piece] = id
				if _, ok := t.charIDOf(piece); !ok {
					t.setChar(piece, id)
				}
			}
			t.setDecoded(id, piece, replace, false)
		case TypeUnknown, TypeControl, TypeUserDefined:
			t.setDecoded(id, piece, replace, false)
			t.special[id] = typ != TypeUserDefined
			if typ == TypeUnknown && t.unk < 0 {
				t.unk = id
			}
			if piece == "" {
				continue
			}
			if _, dup := t.addID[piece]; dup {
				continue
			}
			t.addID[piece] = id
			t.added = append(t.added, addedToken{
				content: piece, id: id, special: typ != TypeUserDefined,
				rstrip: phi3 && strings.HasPrefix(piece, "<|") && strings.HasSuffix(piece, "|>") && piece != "<|endoftext|>",
			})
		case TypeUnused:
			t.kinds[id] = kindNone
		case TypeByte:
			b, ok := parseByteToken(piece)
			if !ok {
				return nil, fmt.Errorf("tokenizer: vocab: token %d %q has type byte but is not of the form <0xXX>", id, piece)
			}
			t.kinds[id] = kindByte
			t.dbyte[id] = b
			if t.byteID[b] < 0 {
				t.byteID[b] = id
			}
		default:
			return nil, fmt.Errorf("tokenizer: vocab: token %d %q has unknown type %d", id, piece, typ)
		}
	}
	for _, b := range t.byteID {
		if b >= 0 {
			t.byteFallback = true
			break
		}
	}
	if v.UNK >= 0 {
		t.unk = v.UNK
	}
	t.unkTok = t.unk
	t.fuseUnk = true
	t.normSteps = []normStep{{prepend: true, to: "▁"}, {from: " ", to: "▁"}}
	t.stripStart, t.stripContent = 1, " "
	t.buildMatchers()
	t.setWordSep("▁", func(yield func(string) bool) {
		for p := range t.mergeable {
			if !yield(p) {
				return
			}
		}
	})
	t.bos, t.eos, t.pad = v.BOS, v.EOS, v.PAD
	t.addBOS, t.addEOS = v.AddBOS, v.AddEOS
	t.chatTemplate = v.ChatTemplate
	t.genEOS = slices.Clone(v.EOG)
	t.finishEOG()
	return t, nil
}

// gpt2Pre maps a tokenizer.ggml.pre value to the pre-tokenizer and
// ignore_merges flag llama.cpp uses for it.
func gpt2Pre(name string) (pre preTokenizer, ignoreMerges, ok bool) {
	switch name {
	case "gpt-4o", "llama4":
		return preTokenizer{splits: []splitPattern{patO200K}}, false, true
	case "gpt-2":
		return preTokenizer{splits: []splitPattern{patGPT2}}, false, true
	case "llama-bpe", "llama3", "llama-v3":
		return preTokenizer{splits: []splitPattern{patCL100K}}, true, true
	}
	return pre, false, false
}

// preName is the inverse of gpt2Pre for a byte-level tokenizer: the
// tokenizer.ggml.pre value that gives its pre-tokenizer, or "" when none
// does. The cl100k pattern maps to "llama-bpe", which also turns on
// ignore_merges.
func (t *Tokenizer) preName() string {
	p := t.pre
	if p.prefixSpace {
		return ""
	}
	switch {
	case len(p.splits) == 0 && p.byteRegex,
		len(p.splits) == 1 && p.splits[0] == patGPT2:
		return "gpt-2"
	case len(p.splits) != 1 || p.byteRegex:
		return ""
	case p.splits[0] == patO200K:
		return "gpt-4o"
	case p.splits[0] == patCL100K:
		return "llama-bpe"
	}
	return ""
}

// fromGPT2Vocab builds a byte-level tokenizer from a "gpt2" vocabulary,
// the way llama.cpp's BPE tokenizer works:
//
//   - control, user-defined and unknown tokens are matched atomically in
//     the text, leftmost-longest, and strip no whitespace (GGUF has no
//     strip flags);
//   - the text between them is split by the pattern tokenizer.ggml.pre
//     names, and each piece's bytes, spelled as GPT-2's bytes_to_unicode
//     characters, are merged by merge rank;
//   - decoding maps the characters of every token back to bytes.
//
// Normal tokens form the model vocabulary; unused tokens decode to nothing.
func fromGPT2Vocab(v Vocab) (*Tokenizer, error) {
	pre, ignoreMerges, ok := gpt2Pre(v.Pre)
	if !ok {
		return nil, fmt.Errorf("unsupported model \"gpt2\" with pre-tokenizer %q (tokenizer.ggml.pre; supported: \"gpt-4o\", \"llama4\", \"gpt-2\", \"llama-bpe\", \"llama3\", \"llama-v3\")", v.Pre)
	}
	n := len(v.Tokens)
	t := newTokenizer("vocab", n)
	t.algo = algoRank
	t.byteLevel, t.pre, t.ignoreMerges, t.vocabModel = true, pre, ignoreMerges, "gpt2"
	t.types = make([]int32, n)
	t.scores = make([]float32, n)
	copy(t.scores, v.Scores)
	for id, piece := range v.Tokens {
		id := int32(id)
		typ := TypeNormal
		if len(v.Types) > 0 && v.Types[id] != 0 {
			typ = v.Types[id]
		}
		t.types[id] = typ
		t.pieces[id] = piece
		t.kinds[id] = kindBytes
		t.dtext[id] = byteLevelDecode(piece)
		switch typ {
		case TypeNormal:
			if _, dup := t.vocab[piece]; !dup {
				t.vocab[piece] = id
			}
		case TypeUnknown, TypeControl, TypeUserDefined:
			t.special[id] = typ != TypeUserDefined
			if typ == TypeUnknown && t.unk < 0 {
				t.unk = id
			}
			if _, dup := t.addID[piece]; dup || piece == "" {
				continue
			}
			t.addID[piece] = id
			t.added = append(t.added, addedToken{content: piece, id: id, special: typ != TypeUserDefined})
		case TypeUnused:
			t.kinds[id], t.dtext[id] = kindNone, ""
		default:
			return nil, fmt.Errorf("token %d %q has type %d, which a \"gpt2\" vocabulary cannot have", id, piece, typ)
		}
	}
	t.merges = make(map[uint64]uint64, len(v.Merges))
	for rank, m := range v.Merges {
		a, b, ok := strings.Cut(m, " ")
		if !ok || a == "" || b == "" {
			return nil, fmt.Errorf("merges[%d] %q is not two pieces separated by a space", rank, m)
		}
		ia, ok1 := t.vocab[a]
		ib, ok2 := t.vocab[b]
		ic, ok3 := t.vocab[a+b]
		switch {
		case !ok1:
			return nil, fmt.Errorf("merges[%d] %q: %q is not a normal token", rank, m, a)
		case !ok2:
			return nil, fmt.Errorf("merges[%d] %q: %q is not a normal token", rank, m, b)
		case !ok3:
			return nil, fmt.Errorf("merges[%d] %q: the merged piece %q is not a normal token", rank, m, a+b)
		}
		t.merges[pairKey(ia, ib)] = uint64(rank)<<32 | uint64(uint32(ic))
	}
	t.setByteSyms()
	if v.UNK >= 0 {
		t.unk = v.UNK
	}
	t.unkTok = t.unk
	t.buildMatchers()
	t.bos, t.eos, t.pad = v.BOS, v.EOS, v.PAD
	t.addBOS, t.addEOS = v.AddBOS, v.AddEOS
	t.chatTemplate = v.ChatTemplate
	t.genEOS = slices.Clone(v.EOG)
	t.finishEOG()
	return t, nil
}

// charIDOf returns the single-character piece id already recorded for the
// character piece, if any.
func (t *Tokenizer) charIDOf(piece string) (int32, bool) {
	if len(piece) == 1 && piece[0] < 0x80 {
		id := t.asciiID[piece[0]]
		return id, id >= 0
	}
	for _, r := range piece {
		if len(string(r)) != len(piece) {
			return 0, false
		}
		id, ok := t.charID[r]
		return id, ok
	}
	return 0, false
}

// Vocab exports the tokenizer as a GGUF-style vocabulary with Len() tokens;
// see VocabPadded.
func (t *Tokenizer) Vocab() Vocab { return t.VocabPadded(t.Len()) }

// VocabPadded exports the tokenizer as a GGUF-style "llama" vocabulary of
// max(n, Len()) tokens (n is usually the model's vocab_size, 32064 for
// Phi-3), laid out as llama.cpp's converter does: ids without a token and
// the padding slots are "[PAD{id}]" of type unused with score -10000; added
// tokens are control (special) or user-defined with score -1000, the
// unknown token has type unknown, <0xXX> pieces type byte.
//
// Scores make FromVocab reproduce the rank-ordered BPE: a piece produced by
// merges scores -(rank of the earliest merge producing it); characters,
// bytes and other pieces that no merge produces score below every merge.
// For a tokenizer made by FromVocab the original types and scores are
// returned. Merges are not exported ("llama" vocabularies have none).
//
// A byte-level tokenizer exports a "gpt2" vocabulary instead: Pre names
// its split pattern (see Vocab.Pre; "" when no llama.cpp name fits),
// Merges lists the merge rules in rank order, added tokens are control
// (special) or user-defined, the model's unk token has type unknown, other
// pieces are normal, and all scores are 0.
func (t *Tokenizer) VocabPadded(n int) Vocab {
	size := max(n, t.Len())
	v := Vocab{
		Model:        t.vocabModel,
		Tokens:       make([]string, size),
		Scores:       make([]float32, size),
		Types:        make([]int32, size),
		BOS:          t.bos,
		EOS:          t.eos,
		UNK:          t.unkTok,
		PAD:          t.pad,
		AddBOS:       t.addBOS,
		AddEOS:       t.addEOS,
		ChatTemplate: t.chatTemplate,
		EOG:          slices.Clone(t.eog),
	}
	pad := func(id int) {
		v.Tokens[id] = fmt.Sprintf("[PAD%d]", id)
		v.Types[id] = TypeUnused
		v.Scores[id] = -10000
	}
	if t.byteLevel {
		v.Pre = t.preName()
		v.Merges = t.exportMerges()
	}
	if t.types != nil {
		for id := range t.pieces {
			v.Tokens[id], v.Types[id], v.Scores[id] = t.pieces[id], t.types[id], t.scores[id]
		}
		for id := t.Len(); id < size; id++ {
			pad(id)
		}
		return v
	}
	if t.byteLevel {
		for id := range size {
			if id >= t.Len() || t.kinds[id] == kindNone {
				pad(id)
				continue
			}
			piece := t.pieces[id]
			v.Tokens[id], v.Scores[id] = piece, 0
			switch aid, added := t.addID[piece]; {
			case int32(id) == t.unk:
				v.Types[id] = TypeUnknown
			case added && aid == int32(id) && t.special[id]:
				v.Types[id] = TypeControl
			case added && aid == int32(id):
				v.Types[id] = TypeUserDefined
			default:
				v.Types[id] = TypeNormal
			}
		}
		return v
	}

	// Earliest merge producing each piece.
	first := make(map[int32]uint32, len(t.merges))
	for _, m := range t.merges {
		rank, id := uint32(m>>32), int32(uint32(m))
		if r, ok := first[id]; !ok || rank < r {
			first[id] = rank
		}
	}
	low := -float32(len(t.merges)) - 1
	for id := range size {
		if id >= t.Len() || (t.kinds[id] == kindNone && t.pieces[id] == "") {
			pad(id)
			continue
		}
		piece := t.pieces[id]
		v.Tokens[id] = piece
		switch aid, added := t.addID[piece]; {
		case added && aid == int32(id):
			v.Scores[id] = -1000
			switch {
			case int32(id) == t.unk:
				v.Types[id] = TypeUnknown
			case t.special[id]:
				v.Types[id] = TypeControl
			default:
				v.Types[id] = TypeUserDefined
			}
		case int32(id) == t.unk:
			v.Types[id], v.Scores[id] = TypeUnknown, low
		default:
			if b, ok := parseByteToken(piece); ok && t.byteID[b] == int32(id) {
				v.Types[id], v.Scores[id] = TypeByte, low
				continue
			}
			v.Types[id] = TypeNormal
			if r, ok := first[int32(id)]; ok {
				v.Scores[id] = -float32(r)
			} else {
				v.Scores[id] = low
			}
		}
	}
	return v
}

// exportMerges returns the merge rules "a b" in rank order.
func (t *Tokenizer) exportMerges() []string {
	type rule struct {
		rank uint32
		key  uint64
	}
	rules := make([]rule, 0, len(t.merges))
	for k, m := range t.merges {
		rules = append(rules, rule{uint32(m >> 32), k})
	}
	slices.SortFunc(rules, func(a, b rule) int { return int(a.rank) - int(b.rank) })
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = t.pieces[int32(uint32(r.key>>32))] + " " + t.pieces[int32(uint32(r.key))]
	}
	return out
}
