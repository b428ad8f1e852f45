package bpetrain

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/gophi/gophi/internal/atomicfile"
	"github.com/gophi/gophi/tokenizer"
)

// Model is a trained vocabulary: pieces by id and merge rules. Write it with
// WriteFile or JSON; load it with Tokenizer.
type Model struct {
	// Stats describes the training run.
	Stats Stats

	pieces    []string // id -> token
	specials  []string
	numMerged int
	numChars  int
	ids       map[string]int32  // normal pieces (merged and characters) -> id
	merges    [][2]int32        // merge rules in rank order
	pairs     map[uint64]uint64 // (left, right) -> rank<<32 | product id
	split     *splitter
}

// newModel lays out the vocabulary: control tokens, bytes, merged pieces
// (order lists their trainer symbols), characters, specials; and derives
// the merge rules: every split of every merged piece into two pieces,
// grouped by piece in id order, each group sorted by the ids of the halves
// (Hugging Face's SentencePieceExtractor).
func newModel(specials []string, syms []string, order []int32, chars []rune) *Model {
	m := &Model{
		specials:  slices.Clone(specials),
		numMerged: len(order),
		numChars:  len(chars),
		split:     newSplitter(specials),
	}
	m.pieces = append(m.pieces, UnkToken, BOSToken, EOSToken)
	for b := range 256 {
		m.pieces = append(m.pieces, fmt.Sprintf("<0x%02X>", b))
	}
	for _, s := range order {
		m.pieces = append(m.pieces, syms[s])
	}
	for _, r := range chars {
		m.pieces = append(m.pieces, string(r))
	}
	m.pieces = append(m.pieces, specials...)
	m.ids = make(map[string]int32, len(order)+len(chars))
	for id := BaseSize; id < BaseSize+len(order)+len(chars); id++ {
		m.ids[m.pieces[id]] = int32(id)
	}
	m.pairs = make(map[uint64]uint64)
	var local [][2]int32
	for id := BaseSize; id < BaseSize+len(order); id++ {
		p := m.pieces[id]
		local = local[:0]
		for k := 0; k < len(p); {
			_, size := utf8.DecodeRuneInString(p[k:])
			k += size
			if k >= len(p) {
				break
			}
			l, okl := m.ids[p[:k]]
			r, okr := m.ids[p[k:]]
			if okl && okr {
				local = append(local, [2]int32{l, r})
			}
		}
		slices.SortFunc(local, func(a, b [2]int32) int {
			if a[0] != b[0] {
				return int(a[0] - b[0])
			}
			return int(a[1] - b[1])
		})
		for _, lr := range local {
			m.pairs[pairKey(lr[0], lr[1])] = uint64(len(m.merges))<<32 | uint64(id)
			m.merges = append(m.merges, lr)
		}
	}
	return m
}

// VocabSize returns the number of ids.
func (m *Model) VocabSize() int { return len(m.pieces) }

// Piece returns the token of id ("" when out of range).
func (m *Model) Piece(id int32) string {
	if id < 0 || int(id) >= len(m.pieces) {
		return ""
	}
	return m.pieces[id]
}

// NumMerged returns the number of pieces made by merges; they have ids
// BaseSize to BaseSize+NumMerged()-1, in the order they were learned.
func (m *Model) NumMerged() int { return m.numMerged }

// NumChars returns the number of single-character pieces; they follow the
// merged pieces, most frequent first.
func (m *Model) NumChars() int { return m.numChars }

// Specials returns the special tokens; they have the last ids.
func (m *Model) Specials() []string { return slices.Clone(m.specials) }

// Merges returns the merge rules (pairs of pieces) in rank order, as the
// tokenizer.json lists them.
func (m *Model) Merges() [][2]string {
	out := make([][2]string, len(m.merges))
	for i, lr := range m.merges {
		out[i] = [2]string{m.pieces[lr[0]], m.pieces[lr[1]]}
	}
	return out
}

// encodeWord appends the ids of one normalized word: its characters (bytes
// for characters that are not pieces), then repeatedly the adjacent pair
// with the lowest-ranked merge rule is merged, leftmost first (Hugging
// Face's BPE). It is a plain reimplementation, independent of the tokenizer
// package, which the tests hold against it.
func (m *Model) encodeWord(out []int32, w string) []int32 {
	start := len(out)
	var fallback []bool
	for k := 0; k < len(w); {
		r, size := utf8.DecodeRuneInString(w[k:])
		if id, ok := m.ids[w[k:k+size]]; ok && !(r == utf8.RuneError && size == 1) {
			out = append(out, id)
			fallback = append(fallback, false)
		} else {
			for _, b := range []byte(w[k : k+size]) {
				out = append(out, FirstByteID+int32(b))
				fallback = append(fallback, true)
			}
		}
		k += size
	}
	syms := out[start:]
	for {
		best, bestRule := -1, uint64(0)
		for i := 0; i+1 < len(syms); i++ {
			if fallback[i] || fallback[i+1] {
				continue
			}
			if rule, ok := m.pairs[pairKey(syms[i], syms[i+1])]; ok && (best < 0 || rule>>32 < bestRule>>32) {
				best, bestRule = i, rule
			}
		}
		if best < 0 {
			break
		}
		syms[best] = int32(uint32(bestRule))
		syms = slices.Delete(syms, best+1, best+2)
		fallback = slices.Delete(fallback, best+1, best+2)
	}
	return out[:start+len(syms)]
}

// encode encodes text as the tokenizer.json written for this model does
// with Hugging Face tokenizers (and gophi's tokenizer package), without
// BOS/EOS: special and control tokens are cut out of the raw text, each
// remaining segment is normalized and cut into words, and each word is
// merged by encodeWord. It takes time quadratic in the length of a word;
// it exists to check the tokenizer package.
func (m *Model) encode(text string) []int32 {
	var out []int32
	var buf []byte
	m.split.segments(text, func(seg string, token bool) {
		if !token {
			buf = words(seg, buf, func(w []byte) { out = m.encodeWord(out, string(w)) })
			return
		}
		switch seg {
		case UnkToken:
			out = append(out, 0)
		case BOSToken:
			out = append(out, 1)
		case EOSToken:
			out = append(out, 2)
		default:
			out = append(out, int32(len(m.pieces)-len(m.specials)+slices.Index(m.specials, seg)))
		}
	})
	return out
}

// Tokenizer loads the model's tokenizer.json with the tokenizer package.
func (m *Model) Tokenizer() (*tokenizer.Tokenizer, error) {
	var b bytes.Buffer
	if err := m.WriteJSON(&b); err != nil {
		return nil, err
	}
	return tokenizer.Load("bpetrain", b.Bytes())
}

// WriteFile writes the model's tokenizer.json to path atomically: to a
// temporary file in the same folder, synced, then renamed over path.
func (m *Model) WriteFile(path string) error {
	var b bytes.Buffer
	if err := m.WriteJSON(&b); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, b.Bytes()); err != nil {
		return fmt.Errorf("bpetrain: %w", err)
	}
	return nil
}

// jsonString appends s as a JSON string, escaping only what JSON requires
// (no HTML escaping, so "<s>" stays readable).
func jsonString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// WriteJSON writes the model as a Hugging Face tokenizer.json laid out like
// Phi-3's: the control tokens and specials as added tokens (special,
// normalized false; rstrip as Options.Specials says), the Prepend "▁" /
// Replace " " → "▁" normalizer, no pre-tokenizer, a TemplateProcessing
// post-processor that adds <s>, the Replace/ByteFallback/Fuse/Strip
// decoder, and a BPE model with byte_fallback and fuse_unk whose vocab
// lists the control tokens, bytes, merged pieces and characters by id.
func (m *Model) WriteJSON(w io.Writer) error {
	b := make([]byte, 0, 64*len(m.pieces)+40*len(m.merges)+4096)
	b = append(b, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n"...)
	first := len(m.pieces) - len(m.specials)
	added := []int{0, 1, 2}
	for id := first; id < len(m.pieces); id++ {
		added = append(added, id)
	}
	for i, id := range added {
		rstrip := id >= first && rstripSpecial(m.pieces[id], m.specials)
		b = append(b, "    {\"id\": "...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, ", \"content\": "...)
		b = jsonString(b, m.pieces[id])
		b = append(b, ", \"single_word\": false, \"lstrip\": false, \"rstrip\": "...)
		b = strconv.AppendBool(b, rstrip)
		b = append(b, ", \"normalized\": false, \"special\": true}"...)
		if i < len(added)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, `  ],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {
    "type": "BPE",
    "dropout": null,
    "unk_token": "<unk>",
    "continuing_subword_prefix": null,
    "end_of_word_suffix": null,
    "fuse_unk": true,
    "byte_fallback": true,
    "ignore_merges": false,
    "vocab": {
`...)
	for id := range first {
		b = append(b, "      "...)
		b = jsonString(b, m.pieces[id])
		b = append(b, ": "...)
		b = strconv.AppendInt(b, int64(id), 10)
		if id < first-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, "    },\n    \"merges\": [\n"...)
	for i, lr := range m.merges {
		b = append(b, "      ["...)
		b = jsonString(b, m.pieces[lr[0]])
		b = append(b, ", "...)
		b = jsonString(b, m.pieces[lr[1]])
		b = append(b, ']')
		if i < len(m.merges)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, "    ]\n  }\n}\n"...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("bpetrain: write tokenizer.json: %w", err)
	}
	return nil
}
