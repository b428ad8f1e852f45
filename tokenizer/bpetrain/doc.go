// Package bpetrain trains SentencePiece-style BPE tokenizers with byte
// fallback (the model type of Phi-3's tokenizer) and turns text corpora into
// token shards for training.
//
// # Model
//
// A trained vocabulary has the layout of Phi-3's tokenizer.json: <unk> = 0,
// <s> = 1, </s> = 2, the 256 byte tokens <0x00>..<0xFF> at 3..258, then the
// pieces made by merges in the order they were learned, then the single
// characters kept by character coverage (most frequent first), then the
// user-defined special tokens. Options.VocabSize counts all of them.
//
// Text is seen as Hugging Face tokenizers sees it with that tokenizer.json:
// added tokens (<unk>, <s>, </s> and the specials) are cut out of the raw
// text first; every remaining segment gets a "▁" prefix and its spaces
// become "▁"; a character outside the vocabulary becomes its UTF-8 bytes.
//
// # Training
//
// Training follows SentencePiece's BPE trainer (spm_train --model_type=bpe):
//
//   - each segment is cut into words before every "▁" that follows another
//     character (a run of "▁" stays with the word after it, as with
//     SentencePiece's allow_whitespace_only_pieces), and word frequencies
//     are counted;
//   - characters are kept most frequent first until they cover
//     CharacterCoverage of the text (0.9995 by default, as SentencePiece);
//     the rest fall back to bytes and never take part in merges;
//   - the most frequent adjacent pair of symbols is merged, repeatedly
//     (ties: the shorter piece, then the lexicographically smaller one);
//     only pairs that form a valid SentencePiece piece count: at most
//     MaxPieceLength characters, "▁" only as the first character (or a
//     piece made only of "▁"), no two Unicode scripts in one piece
//     (Hiragana and Katakana count as Han, combining marks take the script
//     before them; digits are Common, so they never join letters), and with
//     SplitDigits no digit joined to anything;
//   - pair counts are kept incrementally: a max-heap of pair counts with
//     lazy invalidation and a pair → words index, so that a merge only
//     touches the words that contain the pair.
//
// When a merge produces a piece that already exists (SentencePiece's
// "aa"+"a" and "a"+"aa"), the words are merged but no new piece is added.
//
// Differences from spm_train: "▁" is always a piece (see MinVocabSize);
// tab is an ordinary character (SentencePiece never makes it a piece, so
// every tab costs a byte token there); words longer than 256 characters
// are cut into parts for counting pairs (SentencePiece skips sentences
// longer than max_sentence_length instead). On English text with few tabs
// the two produce nearly the same pieces and token counts (see
// TestCompareSentencePiece and compare.sh).
//
// # Data
//
// Input reads JSONL (a text field, or chat "messages") and plain text
// (documents are lines, paragraphs or files), gzipped or not, for Count
// (word counts for Train) and Tokenize (token shards for training, in the
// format of package tokenizer/shards); both read on one goroutine and
// process batches of documents on GOMAXPROCS workers, Tokenize writing
// the results in input order. When chat records are present (or
// TokenizeOptions.Mask asks), Tokenize also writes loss masks that mark
// the assistant's tokens: EncodeChat encodes a chat rendered in tagged
// segments (tokenizer.Tokenizer.ChatSegments) once and traces every id
// back to its segment (tokenizer.Tokenizer.EncodeSpans), so the ids are
// exactly Encode's.
//
// # Encoding
//
// The tokenizer.json carries, like Phi-3's (converted by Hugging Face's
// SentencePieceExtractor), every split of every merged piece into two
// pieces as a merge rule, ordered by the piece's rank and then by the ids
// of the two halves. Hugging Face's rank BPE then gives the encoding of
// SentencePiece's BPE model (repeatedly merge the adjacent pair whose
// concatenation is the highest-scoring piece, leftmost first), which is
// also what llama.cpp computes from a GGUF made of the same vocabulary
// (tokenizer.Tokenizer.Vocab's scores). The two rules can disagree only
// where two overlapping pairs make the same piece by different splits
// ("abc"+"ab" and "ab"+"cab" in "abcabcab"): the ranks of the splits decide
// for Hugging Face, the position for SentencePiece. Phi-3's tokenizer.json
// has the same property; the tests compare both encoders on thousands of
// texts, and a fuzzer, without finding such a case.
package bpetrain
