package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestChatGold(t *testing.T) {
	tk := phi3(t)
	for i, c := range chatGold(t) {
		msgs := make([]Message, len(c.Messages))
		for j, m := range c.Messages {
			msgs[j] = Message{Role: m.Role, Content: m.Content}
		}
		text, err := tk.ApplyChatTemplate(msgs, true)
		if err != nil {
			t.Fatal(err)
		}
		if text != c.Text {
			t.Errorf("case %d: rendered\n%q\nwant\n%q", i, text, c.Text)
		}
		if ids := tk.Encode(text, false); !slices.Equal(ids, c.IDs) {
			t.Errorf("case %d: ids\n got %v\nwant %v", i, ids, c.IDs)
		}
	}
}

func TestRenderChat(t *testing.T) {
	msgs := []Message{
		{"system", ""}, {"user", "Hi"}, {"assistant", "Hello"}, {"tool", "42"}, {"user", "More"},
	}
	for _, c := range []struct {
		family string
		addGen bool
		want   string
	}{
		{FamilyPhi3, true, "<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nMore<|end|>\n<|assistant|>\n"},
		{FamilyPhi3, false, "<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nMore<|end|>\n<EOS>"},
		{FamilyPhi3System, true, "<|system|>\n<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nMore<|end|>\n<|assistant|>\n"},
		{FamilyPhi3Legacy, false, "<BOS><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nMore<|end|>\n<|assistant|>\n"},
		{FamilyPhi3Small, true, "<BOS><|system|>\n<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|tool|>\n42<|end|>\n<|user|>\nMore<|end|>\n<|assistant|>\n"},
		{FamilyPhi4Mini, true, "<|system|><|end|><|user|>Hi<|end|><|assistant|>Hello<|end|><|tool|>42<|end|><|user|>More<|end|><|assistant|>"},
		{FamilyPhi4Mini, false, "<|system|><|end|><|user|>Hi<|end|><|assistant|>Hello<|end|><|tool|>42<|end|><|user|>More<|end|><EOS>"},
		{FamilyPhi4, true, "<|im_start|>system<|im_sep|><|im_end|><|im_start|>user<|im_sep|>Hi<|im_end|><|im_start|>assistant<|im_sep|>Hello<|im_end|><|im_start|>user<|im_sep|>More<|im_end|><|im_start|>assistant<|im_sep|>"},
		{FamilyGeneric, true, "<|system|>\n<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|tool|>\n42<|end|>\n<|user|>\nMore<|end|>\n<|assistant|>\n"},
		{FamilyGeneric, false, "<|system|>\n<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|tool|>\n42<|end|>\n<|user|>\nMore<|end|>\n"},
	} {
		got, err := RenderChat(c.family, msgs, c.addGen, "<BOS>", "<EOS>")
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s addGen=%v:\n got %q\nwant %q", c.family, c.addGen, got, c.want)
		}
	}
	if _, err := RenderChat("jinja", msgs, true, "", ""); err == nil || !strings.Contains(err.Error(), `"jinja"`) {
		t.Errorf("unknown family error = %v", err)
	}
}

func TestDetectChatFamily(t *testing.T) {
	for _, c := range []struct {
		name, template, want string
	}{
		{"none", "", FamilyGeneric},
		{"phi-3.5 mini", "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}", FamilyPhi3},
		{"phi-3 mini july 2024", "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}", FamilyPhi3System},
		{"escaped newlines", `{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}`, FamilyPhi3System},
		{"phi-3 mini april 2024", "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}", FamilyPhi3Legacy},
		{"phi-3 small", "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}", FamilyPhi3Small},
		{"phi-4 mini", "{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}", FamilyPhi4Mini},
		{"phi-4", "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}", FamilyPhi4},
		{"double quotes and spacing", "{% for message in messages %}\n  {% if message[\"role\"] == \"system\" and message[\"content\"] %}\n    {{ \"<|system|>\\n\" + message[\"content\"] + \"<|end|>\\n\" }}\n  {% endif %}\n{% endfor %}", FamilyPhi3},
		{"chatml", "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n'}}{% endfor %}", FamilyGeneric},
	} {
		if got := DetectChatFamily(c.template); got != c.want {
			t.Errorf("%s: DetectChatFamily = %q, want %q (canonical %q)", c.name, got, c.want, canonicalTemplate(c.template))
		}
	}
}

func TestApplyChatTemplateNoGeneration(t *testing.T) {
	tk := phi3(t)
	got, err := tk.ApplyChatTemplate([]Message{{"system", ""}, {"user", "Hi"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|user|>\nHi<|end|>\n<|endoftext|>"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRenderChatSegments: for every family the segments join to
// RenderChat's text, are never empty, and tag content and end markers with
// their message's role.
func TestRenderChatSegments(t *testing.T) {
	msgs := []Message{
		{"system", "Be kind."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "More"}, {"assistant", ""},
	}
	for _, fam := range []string{FamilyPhi3, FamilyPhi3System, FamilyPhi3Legacy, FamilyPhi3Small, FamilyPhi4Mini, FamilyPhi4, FamilyGeneric} {
		for _, addGen := range []bool{false, true} {
			segs, err := RenderChatSegments(fam, msgs, addGen, "<BOS>", "<EOS>")
			if err != nil {
				t.Fatal(err)
			}
			text, _ := RenderChat(fam, msgs, addGen, "<BOS>", "<EOS>")
			var b strings.Builder
			var contents, ends []string
			for _, sg := range segs {
				if sg.Text == "" {
					t.Errorf("%s: empty %s segment", fam, sg.Part)
				}
				b.WriteString(sg.Text)
				switch sg.Part {
				case PartContent:
					contents = append(contents, sg.Role+":"+sg.Text)
				case PartEnd:
					ends = append(ends, sg.Role)
				case PartEOS:
					if sg.Text != "<EOS>" {
						t.Errorf("%s: EOS segment %q", fam, sg.Text)
					}
				}
			}
			if b.String() != text {
				t.Errorf("%s addGen=%v: segments join to\n%q\nRenderChat gives\n%q", fam, addGen, b.String(), text)
			}
			wantContents := []string{"system:Be kind.", "user:Hi", "assistant:Hello", "user:More"}
			wantEnds := []string{"system", "user", "assistant", "user", "assistant"}
			if fam == FamilyPhi3Legacy { // drops system messages
				wantContents, wantEnds = wantContents[1:], wantEnds[1:]
			}
			if !slices.Equal(contents, wantContents) || !slices.Equal(ends, wantEnds) {
				t.Errorf("%s: contents %q, ends %q", fam, contents, ends)
			}
		}
	}
	if _, err := RenderChatSegments("jinja", msgs, true, "", ""); err == nil {
		t.Error("unknown family accepted")
	}
	tk := phi3(t)
	segs, err := tk.ChatSegments(msgs, false)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := tk.ApplyChatTemplate(msgs, false)
	var b strings.Builder
	for _, sg := range segs {
		b.WriteString(sg.Text)
	}
	if b.String() != text || segs[len(segs)-1].Part != PartEOS {
		t.Errorf("ChatSegments join to %q, ApplyChatTemplate gives %q", b.String(), text)
	}
}

// TestEncodeSpans: EncodeSpans gives Encode's ids, and its spans cover them
// in order: added tokens where their text is, text segments whose own
// encoding is their ids.
func TestEncodeSpans(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var texts []string
	for _, g := range chatGold(t) {
		texts = append(texts, g.Text)
	}
	for _, g := range gold(t) {
		texts = append(texts, g.Text)
	}
	for range 300 {
		texts = append(texts, randomText(r, true))
	}
	texts = append(texts, "", "<|end|>", "  <|user|>\n  hi <|end|>\n\n<|assistant|>", "<s>x</s>")
	for name, tk := range map[string]*Tokenizer{"phi3": phi3(t), "phi4": phi4(t)} {
		for _, text := range texts {
			ids, spans := tk.EncodeSpans(text)
			if want := tk.Encode(text, false); !slices.Equal(ids, want) {
				t.Fatalf("%s: EncodeSpans(%q) ids\n%v\nEncode\n%v", name, text, ids, want)
			}
			n, end := 0, 0
			for _, sp := range spans {
				if sp.Start < end || sp.End < sp.Start || sp.End > len(text) {
					t.Fatalf("%s: %q: span %+v after %d", name, text, sp, end)
				}
				got := ids[n : n+sp.N]
				if sp.Added {
					if id, ok := tk.ID(text[sp.Start:sp.End]); sp.N != 1 || !ok || id != got[0] {
						t.Fatalf("%s: %q: added span %+v (%q) has ids %v", name, text, sp, text[sp.Start:sp.End], got)
					}
				} else if tk.norm.empty() {
					// A text segment without added tokens in it encodes alone
					// to the same ids.
					if alone := tk.Encode(text[sp.Start:sp.End], false); !slices.Equal(alone, got) {
						t.Fatalf("%s: %q: span %q has ids %v, alone %v", name, text, text[sp.Start:sp.End], got, alone)
					}
				}
				n += sp.N
				end = sp.End
			}
			if n != len(ids) {
				t.Fatalf("%s: %q: spans hold %d of %d ids", name, text, n, len(ids))
			}
		}
	}
}
