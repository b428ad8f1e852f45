package bpetrain

import (
	"sort"
	"strings"

	"github.com/gophi/gophi/tokenizer"
)

// EncodeChat encodes a rendered chat, the concatenation of the texts of
// segs (as tokenizer.Tokenizer.ChatSegments cuts it), and returns its ids,
// exactly those of tok.Encode(text, false), with a loss mask: mask[i] is 1
// when ids[i] is a target whose prediction counts in the loss: a token of
// an assistant message's content, the end-of-turn token closing an
// assistant message, the template's EOS right after the last message when
// that is an assistant's; 0 for everything else (system and user turns,
// role markers, newlines of the template, BOS).
//
// The text is encoded once and each id is traced back to the text it came
// from (tokenizer.Tokenizer.EncodeSpans), not encoded piece by piece: the
// ids stay Encode's even where encoding the segments one by one would
// differ (Phi-3's role markers and <|end|> swallow the newline after them,
// which alone would encode as a token of its own). An added token belongs
// to the segment where its text starts. A text segment between added
// tokens is encoded as a whole (BPE may merge anywhere inside it), so when
// it runs over several chat segments (a tokenizer whose role markers do not
// swallow the newline after them encodes "\n" + content as one; a chat
// joined without a template is one) its ids are cut at each boundary by
// encoding the text up to it: the ids that encoding shares with the
// whole's belong before the boundary, and a token that the whole merges
// across a boundary belongs to the segment where it ends.
func EncodeChat(tok *tokenizer.Tokenizer, segs []tokenizer.ChatSegment) (ids []int32, mask []byte) {
	ids, mask, _ = encodeChat(tok, segs)
	return ids, mask
}

// encodeChat is EncodeChat; lastAssistant reports that the chat's last
// message is an assistant's (so that an EOS after it is a target).
func encodeChat(tok *tokenizer.Tokenizer, segs []tokenizer.ChatSegment) (ids []int32, mask []byte, lastAssistant bool) {
	var b strings.Builder
	starts := make([]int, len(segs)+1) // starts[i]: offset of segs[i]; starts[len(segs)]: the end
	target := make([]bool, len(segs))
	last := ""
	for i, sg := range segs {
		starts[i] = b.Len()
		b.WriteString(sg.Text)
		switch sg.Part {
		case tokenizer.PartContent, tokenizer.PartEnd:
			target[i] = sg.Role == "assistant"
			last = sg.Role
		case tokenizer.PartEOS:
			target[i] = last == "assistant"
		}
	}
	starts[len(segs)] = b.Len()
	// at returns the segment that holds byte off.
	at := func(off int) int {
		return sort.Search(len(segs), func(i int) bool { return starts[i+1] > off })
	}
	ids, spans := tok.EncodeSpans(b.String())
	mask = make([]byte, len(ids))
	n := 0
	for _, sp := range spans {
		t := false
		switch {
		case sp.N == 0:
		case sp.Added:
			t = target[at(sp.Start)]
		default:
			lo, hi := at(sp.Start), at(sp.End-1)
			if lo == hi {
				t = target[lo]
				break
			}
			// Cut the span's ids at the segment boundaries inside it.
			span := ids[n : n+sp.N]
			from := 0
			for i := lo; i <= hi; i++ {
				to := len(span)
				if i < hi {
					prefix := tok.Encode(b.String()[sp.Start:starts[i+1]], false)
					to = max(from, commonPrefix(prefix, span))
				}
				if target[i] {
					for j := from; j < to; j++ {
						mask[n+j] = 1
					}
				}
				from = to
			}
		}
		if t {
			for i := n; i < n+sp.N; i++ {
				mask[i] = 1
			}
		}
		n += sp.N
	}
	return ids, mask, last == "assistant"
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []int32) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
