package bpetrain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gophi/gophi/tokenizer"
	"github.com/gophi/gophi/tokenizer/shards"
)

var (
	phi3Once sync.Once
	phi3Tok  *tokenizer.Tokenizer
	phi3Err  error
)

// phi3Tokenizer loads the real Phi-3 tokenizer (its chat template is
// FamilyPhi3: the conversation ends with <|endoftext|>).
func phi3Tokenizer(tb testing.TB) *tokenizer.Tokenizer {
	tb.Helper()
	phi3Once.Do(func() { phi3Tok, phi3Err = tokenizer.LoadDir("../../testdata/phi3/phi3-tokenizer") })
	if phi3Err != nil {
		tb.Fatal(phi3Err)
	}
	return phi3Tok
}

// noStripTokenizer is the story tokenizer with rstrip off on every special
// token, so that the newline after a role marker is encoded together with
// the content that follows it.
func noStripTokenizer(tb testing.TB) *tokenizer.Tokenizer {
	tb.Helper()
	m, _ := storyTokenizer(tb)
	var b bytes.Buffer
	if err := m.WriteJSON(&b); err != nil {
		tb.Fatal(err)
	}
	data := bytes.ReplaceAll(b.Bytes(), []byte(`"rstrip": true`), []byte(`"rstrip": false`))
	tok, err := tokenizer.Load("nostrip", data)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// multiTurn is a system + user + assistant + user + assistant chat.
var multiTurn = []tokenizer.Message{
	{Role: "system", Content: "You are a kind teacher."},
	{Role: "user", Content: "Why is the sky blue?"},
	{Role: "assistant", Content: "Because of Rayleigh scattering."},
	{Role: "user", Content: "Explain it to a child."},
	{Role: "assistant", Content: "The sun's light bounces off the air,\nand blue bounces the most."},
}

// TestEncodeChat: the mask of a rendered chat marks exactly the assistant
// contents and the end-of-turn tokens closing them (and the template's EOS
// after a last assistant turn), and the ids are Encode's for the whole
// text.
func TestEncodeChat(t *testing.T) {
	_, story := storyTokenizer(t)
	phi3 := phi3Tokenizer(t)
	nostrip := noStripTokenizer(t)
	template := func(tok *tokenizer.Tokenizer) func([]tokenizer.Message) ([]tokenizer.ChatSegment, error) {
		return func(msgs []tokenizer.Message) ([]tokenizer.ChatSegment, error) { return tok.ChatSegments(msgs, false) }
	}
	family := func(fam string) func([]tokenizer.Message) ([]tokenizer.ChatSegment, error) {
		return func(msgs []tokenizer.Message) ([]tokenizer.ChatSegment, error) {
			return tokenizer.RenderChatSegments(fam, msgs, false, "<s>", "</s>")
		}
	}
	joined := func(msgs []tokenizer.Message) ([]tokenizer.ChatSegment, error) { return joinedChat(msgs), nil }
	a1, a2 := multiTurn[2].Content, multiTurn[4].Content
	tests := []struct {
		name   string
		tok    *tokenizer.Tokenizer
		render func([]tokenizer.Message) ([]tokenizer.ChatSegment, error)
		msgs   []tokenizer.Message
		// want lists the texts whose encodings are the runs of 1s, in order
		// (with decoded, the texts the runs decode to).
		want    []string
		decoded bool
	}{
		{"phi3 multi-turn", phi3, template(phi3), multiTurn, []string{a1 + "<|end|>", a2 + "<|end|><|endoftext|>"}, false},
		{"phi3 ends with the user", phi3, template(phi3), multiTurn[:4], []string{a1 + "<|end|>"}, false},
		{"phi3 no assistant", phi3, template(phi3), multiTurn[:2], nil, false},
		{"phi3 spaces around the content", phi3, template(phi3), []tokenizer.Message{
			{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "\n  Hello there  \n"}}, []string{"Hello there  \n<|end|><|endoftext|>"}, false},
		{"phi3 empty assistant", phi3, template(phi3), []tokenizer.Message{
			{Role: "user", Content: "Hi"}, {Role: "assistant", Content: ""}}, []string{"<|end|><|endoftext|>"}, false},
		{"phi3 special token in the content", phi3, template(phi3), []tokenizer.Message{
			{Role: "user", Content: "Say <|user|>"}, {Role: "assistant", Content: "I say <|user|> and more"}}, []string{"I say <|user|> and more<|end|><|endoftext|>"}, false},
		{"phi3 as phi4-mini", phi3, family(tokenizer.FamilyPhi4Mini), multiTurn, []string{a1 + "<|end|>", a2 + "<|end|></s>"}, false},
		{"phi3 legacy template", phi3, family(tokenizer.FamilyPhi3Legacy), multiTurn, []string{a1 + "<|end|>", a2 + "<|end|>"}, false},
		{"bpetrain multi-turn", story, family(tokenizer.FamilyGeneric), multiTurn, []string{a1 + "<|end|>", a2 + "<|end|>"}, false},
		{"bpetrain phi3 template", story, family(tokenizer.FamilyPhi3), multiTurn, []string{a1 + "<|end|>", a2 + "<|end|></s>"}, false},
		// Without rstrip the newline after <|assistant|> is encoded with
		// the content: "▁" + "\n" stay the markup's.
		{"bpetrain without rstrip", nostrip, family(tokenizer.FamilyGeneric), multiTurn, []string{a1 + "<|end|>", a2 + "<|end|>"}, true},
		{"joined contents", story, joined, multiTurn, []string{a1, a2}, true},
		{"joined contents, phi3", phi3, joined, multiTurn, []string{a1, a2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := tt.render(tt.msgs)
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, sg := range segs {
				text.WriteString(sg.Text)
			}
			ids, mask := EncodeChat(tt.tok, segs)
			if want := tt.tok.Encode(text.String(), false); !slices.Equal(ids, want) {
				t.Fatalf("ids\n%v\ndiffer from Encode's\n%v", ids, want)
			}
			if len(mask) != len(ids) {
				t.Fatalf("%d mask bytes for %d ids", len(mask), len(ids))
			}
			var runs [][]int32
			for i, m := range mask {
				switch {
				case m == 0:
				case i > 0 && mask[i-1] == 1:
					runs[len(runs)-1] = append(runs[len(runs)-1], ids[i])
				default:
					runs = append(runs, []int32{ids[i]})
				}
			}
			var want [][]int32
			for _, w := range tt.want {
				want = append(want, tt.tok.Encode(w, false))
			}
			if tt.decoded {
				var got []string
				for _, r := range runs {
					got = append(got, tt.tok.Decode(r))
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("targets decode to %q, want %q", got, tt.want)
				}
			} else if !slices.EqualFunc(runs, want, slices.Equal[[]int32]) {
				t.Errorf("targets:\n%s\nwant:\n%s", showRuns(tt.tok, runs), showRuns(tt.tok, want))
			}
		})
	}

	// Why the ids are traced back instead of encoded segment by segment:
	// alone, the "\n" after Phi-3's <|end|> is a token of its own, in the
	// chat <|end|> swallows it.
	segs, _ := phi3.ChatSegments(multiTurn, false)
	var piecewise []int32
	for _, sg := range segs {
		piecewise = append(piecewise, phi3.Encode(sg.Text, false)...)
	}
	if ids, _ := EncodeChat(phi3, segs); len(piecewise) <= len(ids) {
		t.Errorf("segment by segment: %d ids, whole: %d", len(piecewise), len(ids))
	}
}

// showRuns prints runs of ids as text, for messages.
func showRuns(tok *tokenizer.Tokenizer, runs [][]int32) string {
	var b strings.Builder
	for _, r := range runs {
		fmt.Fprintf(&b, "  %q\n", tok.Decode(r))
	}
	return b.String()
}

// TestTokenizeMasks runs Tokenize on chats and plain documents with the
// Phi-3 tokenizer and a bpetrain one in every mask mode and checks the
// masks written against EncodeChat.
func TestTokenizeMasks(t *testing.T) {
	_, story := storyTokenizer(t)
	phi3 := phi3Tokenizer(t)
	dir := t.TempDir()
	var chatsJSONL, plainJSONL strings.Builder
	var chatDocs, plainDocs []any // string or []tokenizer.Message, in input order
	for i, d := range storyCorpus(300) {
		var rec map[string]any
		if i%3 == 1 {
			msgs := []tokenizer.Message{{Role: "user", Content: d}, {Role: "assistant", Content: "ok " + d}}
			if i%2 == 0 {
				msgs = append(msgs, tokenizer.Message{Role: "user", Content: "thanks"})
			}
			jm := make([]map[string]string, len(msgs))
			for j, m := range msgs {
				jm[j] = map[string]string{"role": m.Role, "content": m.Content}
			}
			rec = map[string]any{"messages": jm}
			chatDocs = append(chatDocs, msgs)
		} else {
			rec = map[string]any{"text": d}
			chatDocs = append(chatDocs, d)
		}
		b, _ := json.Marshal(rec)
		chatsJSONL.Write(b)
		chatsJSONL.WriteByte('\n')
		if i < 100 {
			plainDocs = append(plainDocs, d)
			b, _ = json.Marshal(map[string]string{"text": d})
			plainJSONL.Write(b)
			plainJSONL.WriteByte('\n')
		}
	}
	chatInput := writeFile(t, dir, "chats.jsonl", chatsJSONL.String())
	plainInput := writeFile(t, dir, "plain.jsonl", plainJSONL.String())
	tests := []struct {
		name       string
		tok        *tokenizer.Tokenizer
		input      string
		mode       MaskMode
		wantMasked bool
	}{
		{"phi3 chats auto", phi3, chatInput, MaskAuto, true},
		{"bpetrain chats auto", story, chatInput, MaskAuto, true},
		{"bpetrain chats on", story, chatInput, MaskOn, true},
		{"bpetrain chats off", story, chatInput, MaskOff, false},
		{"plain auto", story, plainInput, MaskAuto, false},
		{"plain on", story, plainInput, MaskOn, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.tok
			render := func(msgs []tokenizer.Message) ([]tokenizer.ChatSegment, error) { return tok.ChatSegments(msgs, false) }
			out := filepath.Join(t.TempDir(), "out")
			res, err := Tokenize(context.Background(), tok, &Input{Paths: []string{tt.input}, ChatSegments: render},
				TokenizeOptions{Dir: out, ShardTokens: 2000, ValFraction: 0.2, DocBOS: true, DocEOS: true, Workers: 3, Mask: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			if res.Index.Masked != tt.wantMasked {
				t.Fatalf("masked %v, want %v", res.Index.Masked, tt.wantMasked)
			}
			docs := chatDocs
			if tt.input == plainInput {
				docs = plainDocs
			}
			wantIDs, wantMask, chats := expectTokenize(tok, render, docs)
			if res.Chats != chats {
				t.Errorf("%d chats, want %d", res.Chats, chats)
			}
			ds, err := shards.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := ds.Verify(); err != nil {
				t.Error(err)
			}
			for _, s := range []shards.Split{shards.Train, shards.Val} {
				var ids []int32
				var mask []byte
				for i := range ds.Index.Shards(s) {
					toks, err := ds.Load(s, i)
					if err != nil {
						t.Fatal(err)
					}
					buf := make([]int32, toks.Len())
					toks.Read(buf, 0)
					ids = append(ids, buf...)
					m, err := ds.LoadMask(s, i)
					if err != nil {
						t.Fatal(err)
					}
					if (m == nil) == tt.wantMasked && toks.Len() > 0 {
						t.Errorf("%s shard %d: mask %v, want masked %v", s, i, m != nil, tt.wantMasked)
					}
					mask = append(mask, m...)
				}
				if !slices.Equal(ids, wantIDs[s]) {
					t.Errorf("%s: %d ids that differ from the %d expected", s, len(ids), len(wantIDs[s]))
				}
				if tt.wantMasked && !bytes.Equal(mask, wantMask[s]) {
					t.Errorf("%s: masks differ from those expected (%d bytes, want %d)", s, len(mask), len(wantMask[s]))
				}
			}
		})
	}

	// A chat rendered by Input.Chat alone cannot be masked.
	_, err := Tokenize(context.Background(), story, &Input{Paths: []string{chatInput}, Chat: ChatRenderer(phi3Specials)},
		TokenizeOptions{Dir: filepath.Join(dir, "bad"), DocBOS: true, DocEOS: true})
	if err == nil || !strings.Contains(err.Error(), "Input.ChatSegments") {
		t.Errorf("Tokenize of chats rendered by Input.Chat: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad", shards.IndexName)); err == nil {
		t.Error("the failed run wrote an index")
	}
}

// expectTokenize returns the ids and masks that Tokenize should write for
// docs (strings and chats) with BOS and EOS around each and a validation
// fraction of 0.2, and the number of chats.
func expectTokenize(tok *tokenizer.Tokenizer, render func([]tokenizer.Message) ([]tokenizer.ChatSegment, error),
	docs []any) (map[shards.Split][]int32, map[shards.Split][]byte, int64) {
	wantIDs := map[shards.Split][]int32{}
	wantMask := map[shards.Split][]byte{}
	var chats int64
	for _, d := range docs {
		var text string
		var ids []int32
		var mask []byte
		switch d := d.(type) {
		case string:
			text = d
			ids = append(append([]int32{tok.BOS()}, tok.Encode(d, false)...), tok.EOS())
			mask = slices.Repeat([]byte{1}, len(ids))
			mask[0] = 0
		case []tokenizer.Message:
			chats++
			segs, _ := render(d)
			for _, sg := range segs {
				text += sg.Text
			}
			body, m := EncodeChat(tok, segs)
			ids = append([]int32{tok.BOS()}, body...)
			mask = append([]byte{0}, m...)
			if body[len(body)-1] != tok.EOS() { // Phi-3's template ends with EOS: no second one
				ids = append(ids, tok.EOS())
				mask = append(mask, b2u8(d[len(d)-1].Role == "assistant"))
			}
		}
		s := shards.Train
		if IsVal(text, 0.2) {
			s = shards.Val
		}
		wantIDs[s] = append(wantIDs[s], ids...)
		wantMask[s] = append(wantMask[s], mask...)
	}
	return wantIDs, wantMask, chats
}
