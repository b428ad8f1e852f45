package tokenizer

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLoad parses arbitrary bytes as tokenizer.json. Loading must never
// panic; a tokenizer that loads must encode and decode without panicking,
// produce only ids below Len, and stream-decode like Decode.
func FuzzLoad(f *testing.F) {
	valid := tinyJSON(nil)
	f.Add(valid)
	f.Add(tinyJSON(func(m map[string]any) { m["normalizer"] = nil }))
	f.Add(tinyJSON(func(m map[string]any) { m["model"].(map[string]any)["byte_fallback"] = false }))
	f.Add(tinyJSON(func(m map[string]any) { m["model"].(map[string]any)["ignore_merges"] = true }))
	f.Add(tinyJSON(func(m map[string]any) { m["added_tokens"] = []any{} }))
	f.Add(valid[:len(valid)/2])
	f.Add(bytes.Replace(valid, []byte(`"BPE"`), []byte(`"WordPiece"`), 1))
	f.Add(bytes.Replace(valid, []byte(`:259`), []byte(`:4000000000`), 1))
	f.Add(bytes.Replace(valid, []byte(`"a b"`), []byte(`"a q"`), 1))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"decoder":{"type":"Fuse"}}`))
	f.Add([]byte(`{}`))
	// Byte-level seeds, with a vocabulary cut down to a few characters so
	// that the fuzzer can minimize its finds quickly (bytes whose
	// character is missing are dropped).
	small := func(m map[string]any) {
		vocab := map[string]any{}
		for i, p := range []string{"Ġ", "t", "h", "e", "a", "b", "c", "Ġt", "he", "Ġthe", "Ġa", "ab", "abc", "Ġab", "<", ">"} {
			vocab[p] = i
		}
		m["model"].(map[string]any)["vocab"] = vocab
		m["added_tokens"] = []any{map[string]any{"id": 16, "content": "<|end|>", "special": true}}
	}
	f.Add(tinyByteLevelJSON(small))
	f.Add(tinyByteLevelJSON(func(m map[string]any) {
		small(m)
		m["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}
		m["model"].(map[string]any)["ignore_merges"] = true
	}))
	f.Add(tinyByteLevelJSON(func(m map[string]any) {
		small(m)
		m["model"].(map[string]any)["merges"] = []any{}
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Load("fuzz.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, text := range []string{"", "ab cab", " a  <|r|>  b\n", "<|l|><|b|>word norm", "\xff\xe4\xb8 é🦙"} {
			ids := tk.Encode(text, true)
			for _, id := range ids {
				if id < 0 || int(id) >= tk.Len() {
					t.Fatalf("Encode(%q) gave id %d outside [0, %d)", text, id, tk.Len())
				}
			}
			want := tk.Decode(ids)
			d := tk.NewDecoder(false)
			var sb strings.Builder
			for _, id := range ids {
				sb.WriteString(d.Add(id))
			}
			sb.WriteString(d.Flush())
			if sb.String() != want {
				t.Fatalf("stream %q != Decode %q", sb.String(), want)
			}
		}
		_ = tk.VocabPadded(tk.Len() + 3)
	})
}

// FuzzEncodeDecode checks round trips on the real Phi-3 tokenizer.
//
// What holds exactly: for text that contains no added-token text (<s>,
// <|end|>, ...) and no "▁" (U+2581, which the normalizer cannot tell from a
// space), Decode(Encode(text)) equals text with each invalid UTF-8 byte
// replaced by U+FFFD; for valid UTF-8 that is text itself. The "▁" prefix
// the normalizer adds decodes to the one leading space that the decoder
// strips, so leading spaces also survive. With added tokens it does not
// hold: rstrip tokens swallow whitespace and the text after every added
// token gains a "▁" prefix.
//
// Also: streaming decoding equals Decode, and the FromVocab tokenizer
// exported from it gives the same ids.
func FuzzEncodeDecode(f *testing.F) {
	for _, g := range gold(f) {
		f.Add(g.Text)
	}
	f.Add("\xff\xfe broken \xe4\xb8")
	f.Add(" leading space")
	tk := phi3(f)
	sp := phi3SPM(f)
	f.Fuzz(func(t *testing.T, text string) {
		ids := tk.Encode(text, false)
		if ids2 := sp.Encode(text, false); !equalIDs(ids, ids2) {
			t.Fatalf("FromVocab encodes %q differently:\n%v\n%v", text, ids, ids2)
		}
		dec := tk.Decode(ids)
		if !utf8.ValidString(dec) {
			t.Fatalf("Decode gave invalid UTF-8 %q", dec)
		}
		if got := streamDecode(t, tk, ids, false); got != dec {
			t.Fatalf("stream %q != Decode %q", got, dec)
		}
		if strings.Contains(text, "▁") || containsAdded(tk, text) {
			return
		}
		if want := string([]rune(text)); dec != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", text, dec, want)
		}
	})
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsAdded(tk *Tokenizer, text string) bool {
	for _, a := range tk.added {
		if strings.Contains(text, a.content) {
			return true
		}
	}
	return false
}

// FuzzPhi4EncodeDecode checks the byte-level Phi-4-mini tokenizer: for
// text without added-token text, Decode(Encode(text)) is text with each
// maximal ill-formed UTF-8 subsequence replaced by one U+FFFD (what
// strings.ToValidUTF8 does not do, hence the comparison with appendLossy);
// streaming decoding equals Decode; and the exported "gpt2" vocabulary
// encodes the same.
func FuzzPhi4EncodeDecode(f *testing.F) {
	for _, g := range phi4Gold(f) {
		f.Add(g.Text)
	}
	f.Add("\xff\xfe broken \xe4\xb8 it'ſ \u0085x")
	tk := phi4(f)
	sp, err := FromVocab(tk.VocabPadded(200064))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ids := tk.Encode(text, false)
		if ids2 := sp.Encode(text, false); !equalIDs(ids, ids2) {
			t.Fatalf("FromVocab encodes %q differently:\n%v\n%v", text, ids, ids2)
		}
		dec := tk.Decode(ids)
		if got := streamDecode(t, tk, ids, false); got != dec {
			t.Fatalf("stream %q != Decode %q", got, dec)
		}
		if containsAdded(tk, text) {
			return
		}
		want, _ := appendLossy(nil, []byte(text), true)
		if dec != string(want) {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", text, dec, want)
		}
	})
}
