// Package synth makes synthetic training data the Phi way: small, clean,
// varied texts that a small model can learn from.
//
// Everything here is generated procedurally from a little story world
// (world.go): characters with kinds, traits and feelings, objects and places
// with properties (fragile, bouncy, soft, wet, hot, ...), and events whose
// consequences follow the world's rules (a glass dropped on a hard floor
// breaks; a ball bounces; a lost toy is found only after it was lost). The
// generator keeps the world's state while it writes, so a broken cup is never
// later used whole, and it records every event in a log that tests replay.
//
// Three kinds of data come from the same world:
//
//   - Stories (story.go), TinyStories-style: each is built around a required
//     noun, verb and adjective and a set of features (dialogue, plot twist,
//     bad ending, moral value, conflict, foreshadowing), with the instruction
//     that describes them as TinyStories' prompts do.
//   - Questions (qa.go): common-sense questions whose answers follow from the
//     world's rules, multiple-choice and short-answer, in the style of
//     lm-evaluation-harness tasks, with held-out splits by the facts asked
//     about and n-gram decontamination (decontam.go).
//   - Chats (chat.go): a child asks and a teacher explains, or tells the story
//     the child asked for, as messages and in Phi-3's chat format.
//
// The vocabulary is a child's word list that ships with the package
// (words.txt, about 1,500 words) plus a list of names (names.txt); inflection
// (plurals, past tenses, a/an, pronouns) is done by code (inflect.go), and
// every word a story writes is in the list, an inflection of a listed word or
// a name. A story's required words are drawn from the words the world knows
// how to use (about 300 nouns, 120 verbs and 150 adjectives, tagged in
// words.txt; see catalog.go), not from function words or abstract ones. Every
// sample is a pure function of its seed: sample i of a run with seed S uses
// SampleSeed(S, i), so output is byte-identical however the work is split.
// Generate (write.go) runs a generator on all cores with ordered output;
// Diversity (diversity.go) measures distinct n-grams and near-duplicates.
package synth
