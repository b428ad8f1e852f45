package tokenizer

import (
	"fmt"
	"strings"
)

// Message is one chat message. Role is "system", "user", "assistant" (and,
// for templates that render any role, anything else).
type Message struct {
	Role    string
	Content string
}

// Chat template families rendered natively by RenderChat. DetectChatFamily
// maps a Jinja chat_template string to one of them.
const (
	// FamilyPhi3 is the Phi-3.5 / current Phi-3-mini template: for each
	// system (only when its content is non-empty), user and assistant
	// message "<|role|>\n" + content + "<|end|>\n"; other roles are
	// dropped; then "<|assistant|>\n" with a generation prompt, else EOS.
	FamilyPhi3 = "phi3"
	// FamilyPhi3System is FamilyPhi3 with system messages rendered even
	// when empty (the July-2024 Phi-3-mini template).
	FamilyPhi3System = "phi3-system"
	// FamilyPhi3Legacy is the April-2024 Phi-3-mini/medium template: BOS
	// (when the template starts with bos_token), then for user messages
	// "<|user|>\n" + content + "<|end|>\n<|assistant|>\n", for assistant
	// messages content + "<|end|>\n"; other roles are dropped and the
	// generation prompt flag is ignored (the prompt always follows a user
	// message).
	FamilyPhi3Legacy = "phi3-legacy"
	// FamilyPhi3Small is the Phi-3-small template: BOS, then every message
	// as "<|role|>\n" + content + "<|end|>\n", then "<|assistant|>\n" with
	// a generation prompt, else EOS.
	FamilyPhi3Small = "phi3-small"
	// FamilyPhi4Mini is the Phi-4-mini template: every message as
	// "<|role|>" + content + "<|end|>" (no newlines), then "<|assistant|>"
	// with a generation prompt, else EOS. Tools are not rendered.
	FamilyPhi4Mini = "phi4-mini"
	// FamilyPhi4 is the Phi-4 (14B) ChatML-like template: system, user and
	// assistant messages as "<|im_start|>role<|im_sep|>" + content +
	// "<|im_end|>", then "<|im_start|>assistant<|im_sep|>" with a
	// generation prompt.
	FamilyPhi4 = "phi4"
	// FamilyGeneric is the fallback when no template is known (llama.cpp's
	// and Ollama's Phi-3 format): every message as "<|role|>\n" + content +
	// "<|end|>\n", then "<|assistant|>\n" with a generation prompt and
	// nothing otherwise.
	FamilyGeneric = "generic"
)

// DetectChatFamily recognises a chat_template string and returns its
// family; unknown or empty templates give FamilyGeneric. Recognition looks
// at the template's distinctive pieces, not at its exact text.
func DetectChatFamily(template string) string {
	c := canonicalTemplate(template)
	switch {
	case template == "":
		return FamilyGeneric
	case strings.Contains(c, "<|im_start|>") && strings.Contains(c, "<|im_sep|>"):
		return FamilyPhi4
	case strings.Contains(c, "'<|'+message['role']+'|>'+message['content']"):
		return FamilyPhi4Mini
	case strings.Contains(c, "'<|'+message['role']+'|>'+'\\n'") || strings.Contains(c, "'<|'+message['role']+'|>\\n'"):
		return FamilyPhi3Small
	case strings.Contains(c, "'<|assistant|>'+'\\n'}}{%elif") || strings.Contains(c, "'<|end|>'+'\\n'+'<|assistant|>'+'\\n'"):
		return FamilyPhi3Legacy
	case strings.Contains(c, "message['role']=='system'andmessage['content']"):
		return FamilyPhi3
	case strings.Contains(c, "'<|system|>\\n'") || strings.Contains(c, "'<|system|>'+'\\n'"):
		return FamilyPhi3System
	case strings.Contains(c, "'<|user|>\\n'") || strings.Contains(c, "'<|user|>'+'\\n'"):
		return FamilyPhi3
	}
	return FamilyGeneric
}

// canonicalTemplate rewrites a Jinja template for matching: whitespace
// outside string literals is removed, double quotes become single quotes, and
// a newline inside a string literal becomes the two characters \n (templates
// store it either way).
func canonicalTemplate(s string) string {
	var b strings.Builder
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case quote != 0:
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == quote:
				quote = 0
				r = '\''
			case r == '\n':
				b.WriteString(`\n`)
				continue
			case r == '\'':
				b.WriteString(`\'`)
				continue
			}
		case r == '\'' || r == '"':
			quote = r
			r = '\''
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ChatPart says what a segment of a rendered chat is (ChatSegment.Part).
type ChatPart uint8

// The parts of a rendered chat.
const (
	// PartMarkup is template text: BOS, role markers, the newlines and
	// separators around them, the generation prompt.
	PartMarkup ChatPart = iota
	// PartContent is a message's content.
	PartContent
	// PartEnd is the end-of-turn marker that closes a message ("<|end|>",
	// Phi-4's "<|im_end|>").
	PartEnd
	// PartEOS is the EOS that some templates put after the last message.
	PartEOS
)

// String returns the part's name.
func (p ChatPart) String() string {
	switch p {
	case PartMarkup:
		return "markup"
	case PartContent:
		return "content"
	case PartEnd:
		return "end"
	case PartEOS:
		return "eos"
	}
	return fmt.Sprintf("ChatPart(%d)", uint8(p))
}

// ChatSegment is a piece of a rendered chat: the rendered text is the
// concatenation of the segments' texts, in order.
type ChatSegment struct {
	// Text is the segment's text (never empty).
	Text string
	// Part says what the text is.
	Part ChatPart
	// Role is the role of the message that the content or end marker
	// belongs to, or that a role marker (the generation prompt included)
	// opens; "" for BOS, EOS and separators outside messages.
	Role string
}

// RenderChat renders messages in the given family's format (see the Family
// constants). bos and eos are the BOS and EOS token strings; bos is used
// only by families whose template starts with bos_token (FamilyPhi3Small,
// and FamilyPhi3Legacy when bos is not empty), eos only by families that
// end with eos_token when no generation prompt is asked for.
func RenderChat(family string, msgs []Message, addGenerationPrompt bool, bos, eos string) (string, error) {
	segs, err := RenderChatSegments(family, msgs, addGenerationPrompt, bos, eos)
	if err != nil {
		return "", err
	}
	n := 0
	for _, sg := range segs {
		n += len(sg.Text)
	}
	var b strings.Builder
	b.Grow(n)
	for _, sg := range segs {
		b.WriteString(sg.Text)
	}
	return b.String(), nil
}

// RenderChatSegments is RenderChat with the text cut into segments, each
// tagged with what it is and whose message it belongs to: every message
// becomes its role marker (PartMarkup), its content (PartContent, absent
// when empty), its end-of-turn marker (PartEnd) and the newline after it
// (PartMarkup), as the family renders them. The segments' texts joined are
// RenderChat's string.
func RenderChatSegments(family string, msgs []Message, addGenerationPrompt bool, bos, eos string) ([]ChatSegment, error) {
	segs := make([]ChatSegment, 0, 4*len(msgs)+2)
	add := func(part ChatPart, role, text string) {
		if text != "" {
			segs = append(segs, ChatSegment{Text: text, Part: part, Role: role})
		}
	}
	// turn adds one message as head + content + end + tail.
	turn := func(m Message, head, end, tail string) {
		add(PartMarkup, m.Role, head)
		add(PartContent, m.Role, m.Content)
		add(PartEnd, m.Role, end)
		add(PartMarkup, m.Role, tail)
	}
	switch family {
	case FamilyPhi3, FamilyPhi3System:
		for _, m := range msgs {
			switch m.Role {
			case "system":
				if m.Content == "" && family == FamilyPhi3 {
					continue
				}
			case "user", "assistant":
			default:
				continue
			}
			turn(m, "<|"+m.Role+"|>\n", "<|end|>", "\n")
		}
		if addGenerationPrompt {
			add(PartMarkup, "assistant", "<|assistant|>\n")
		} else {
			add(PartEOS, "", eos)
		}
	case FamilyPhi3Legacy:
		add(PartMarkup, "", bos)
		for _, m := range msgs {
			switch m.Role {
			case "user":
				turn(m, "<|user|>\n", "<|end|>", "\n")
				add(PartMarkup, "assistant", "<|assistant|>\n")
			case "assistant":
				turn(m, "", "<|end|>", "\n")
			}
		}
	case FamilyPhi3Small:
		add(PartMarkup, "", bos)
		for _, m := range msgs {
			turn(m, "<|"+m.Role+"|>\n", "<|end|>", "\n")
		}
		if addGenerationPrompt {
			add(PartMarkup, "assistant", "<|assistant|>\n")
		} else {
			add(PartEOS, "", eos)
		}
	case FamilyPhi4Mini:
		for _, m := range msgs {
			turn(m, "<|"+m.Role+"|>", "<|end|>", "")
		}
		if addGenerationPrompt {
			add(PartMarkup, "assistant", "<|assistant|>")
		} else {
			add(PartEOS, "", eos)
		}
	case FamilyPhi4:
		for _, m := range msgs {
			switch m.Role {
			case "system", "user", "assistant":
				turn(m, "<|im_start|>"+m.Role+"<|im_sep|>", "<|im_end|>", "")
			}
		}
		if addGenerationPrompt {
			add(PartMarkup, "assistant", "<|im_start|>assistant<|im_sep|>")
		}
	case FamilyGeneric:
		for _, m := range msgs {
			turn(m, "<|"+m.Role+"|>\n", "<|end|>", "\n")
		}
		if addGenerationPrompt {
			add(PartMarkup, "assistant", "<|assistant|>\n")
		}
	default:
		return nil, fmt.Errorf("tokenizer: unknown chat template family %q", family)
	}
	return segs, nil
}

// ChatFamily returns the family of the tokenizer's chat template
// (FamilyGeneric when it has none or it is not recognised).
func (t *Tokenizer) ChatFamily() string { return DetectChatFamily(t.chatTemplate) }

// ApplyChatTemplate renders msgs with the tokenizer's chat template, natively
// by its family (see DetectChatFamily; FamilyGeneric when the template is
// missing or unknown), using the tokenizer's BOS and EOS strings. Encode the
// result with Encode(text, false): templates that need BOS contain it.
func (t *Tokenizer) ApplyChatTemplate(msgs []Message, addGenerationPrompt bool) (string, error) {
	fam, bos, eos := t.chatSpecials()
	return RenderChat(fam, msgs, addGenerationPrompt, bos, eos)
}

// ChatSegments is ApplyChatTemplate cut into tagged segments (see
// RenderChatSegments): their texts joined are ApplyChatTemplate's string.
// With EncodeSpans it tells which token ids come from which message, e.g.
// to train on the assistant's tokens only.
func (t *Tokenizer) ChatSegments(msgs []Message, addGenerationPrompt bool) ([]ChatSegment, error) {
	fam, bos, eos := t.chatSpecials()
	return RenderChatSegments(fam, msgs, addGenerationPrompt, bos, eos)
}

// chatSpecials returns the chat family and the BOS and EOS strings its
// rendering uses.
func (t *Tokenizer) chatSpecials() (family, bos, eos string) {
	family = t.ChatFamily()
	if family != FamilyPhi3Legacy || strings.Contains(t.chatTemplate, "bos_token") {
		bos = t.Token(t.bos)
	}
	return family, bos, t.Token(t.eos)
}
