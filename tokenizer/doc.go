// Package tokenizer implements the tokenizers of the Phi family: the
// SentencePiece-style BPE of Phi-3 (the LLaMA-2 vocabulary with byte
// fallback plus Phi-3's added tokens) and the byte-level BPE (GPT-2 /
// tiktoken style) of Phi-4-mini (the o200k vocabulary plus its chat
// tokens), their decoders, a streaming decoder, and native renderers for
// the Phi chat templates.
//
// A Tokenizer comes from one of two sources:
//
//   - a Hugging Face tokenizer.json (LoadFile, LoadDir, Load). Encoding then
//     reproduces the Hugging Face tokenizers library exactly: added tokens
//     are split out of the raw text first (leftmost-longest, honouring
//     lstrip, rstrip, single_word and normalized), every remaining text
//     segment is normalized (for Phi-3: Prepend "▁", Replace " " -> "▁"), and
//     each normalized segment is merged by BPE rank with byte fallback.
//     A tokenizer.json whose pre-tokenizer is ByteLevel (possibly after a
//     Split with the GPT-2, cl100k or o200k regex, as Phi-4-mini's) and
//     whose decoder is ByteLevel is byte-level BPE: each segment is cut
//     into pieces by the split pattern (hand-written scanners with the
//     regex semantics, as Go's regexp has no lookahead), each piece's bytes
//     are spelled with GPT-2's bytes_to_unicode characters and merged by
//     rank (ignore_merges honoured), and decoding maps characters back to
//     bytes.
//   - a GGUF-style vocabulary (FromVocab). With model "llama" (pieces,
//     scores and token types) encoding follows llama.cpp's SentencePiece
//     tokenizer: control, user-defined and unknown tokens are split out of
//     the text, each text fragment gets a "▁" prefix, and adjacent symbols
//     are merged greedily by the score of the resulting piece. With model
//     "gpt2" (tokens, types, merges and tokenizer.ggml.pre, "gpt-4o" for
//     Phi-4-mini) encoding is byte-level BPE as above, with the split
//     pattern that llama.cpp uses for that pre-tokenizer name.
//
// Tokenizer.Vocab and Tokenizer.VocabPadded export a tokenizer loaded from
// tokenizer.json as such a vocabulary ("llama" with scores chosen so that
// both paths give the same ids, or "gpt2" with the merges).
//
// Chat templates render natively by family (RenderChat, ApplyChatTemplate);
// RenderChatSegments and Tokenizer.ChatSegments give the same text cut into
// segments tagged with their message's role and part (marker, content,
// end-of-turn, EOS), and Tokenizer.EncodeSpans says which text each id came
// from, which together tell which tokens of a chat are the assistant's.
//
// A Tokenizer is immutable after construction and safe for concurrent use.
// A Decoder is not safe for concurrent use.
package tokenizer
