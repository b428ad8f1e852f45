// Package tokenizer implements the SentencePiece-style BPE tokenizer used by
// the Phi-3 family (the LLaMA-2 vocabulary with byte fallback plus Phi-3's
// added tokens), its decoder, a streaming decoder, and native renderers for
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
//   - a GGUF-style vocabulary (FromVocab) with model "llama": pieces, scores
//     and token types. Encoding then follows llama.cpp's SentencePiece
//     tokenizer: control, user-defined and unknown tokens are split out of
//     the text, each text fragment gets a "▁" prefix, and adjacent symbols
//     are merged greedily by the score of the resulting piece.
//
// Tokenizer.Vocab and Tokenizer.VocabPadded export a tokenizer loaded from
// tokenizer.json as such a vocabulary, with scores chosen so that both paths
// give the same ids.
//
// A Tokenizer is immutable after construction and safe for concurrent use.
// A Decoder is not safe for concurrent use.
package tokenizer
