// Package teacher makes training data with a bigger model, the way
// TinyStories and Phi did: it asks a teacher model behind an OpenAI-
// compatible (POST /v1/chat/completions) or Ollama-compatible (POST
// /api/chat) endpoint for short stories that must use three random simple
// words and show some random features, and it can ask the same model to
// grade samples (grammar, consistency, creativity, educational value, and
// whether they are fine for a young child), keeping those above a
// threshold.
//
// Runs are made to be stopped and restarted: every record is appended to
// a JSONL file as one synced line as soon as it arrives; a rerun with the
// same output file and seed reads it back, cuts away a torn last line and
// asks only for what is missing (Generate, JudgeFiles). Requests are
// retried on timeouts, connection errors, 408, 429 (after the server's
// Retry-After) and 5xx with exponential backoff and jitter (Client), and
// can be rate limited with a token bucket (Limiter). Token counts the
// server reports are kept per record and summed (Stats).
//
// Package teachertest has a fake teacher server for tests.
package teacher
