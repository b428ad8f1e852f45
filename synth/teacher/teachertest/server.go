// Package teachertest has a fake teacher: a loopback HTTP server that
// answers OpenAI's POST /v1/chat/completions and Ollama's POST /api/chat
// (without streaming) with deterministic stories and grades, and lets
// tests inject failures.
package teachertest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
)

// JudgeMarker is the phrase that makes the server answer with a grade
// instead of a story; teacher.JudgePrompt contains it.
const JudgeMarker = "Answer with only a JSON object"

// Request is a chat request as the server received it.
type Request struct {
	N        int    // 1-based number of the request, over both APIs
	API      string // "openai" or "ollama"
	Model    string
	Prompt   string // the last user message
	Judge    bool   // Prompt contains JudgeMarker
	Seed     *int64
	Header   http.Header
	JSONMode bool // response_format json_object / format json
}

// Config configures a Server. Every function is optional and may be called
// from many goroutines at once.
type Config struct {
	// Hook runs before a request is answered. If it returns true it has
	// written the response itself (an error, a malformed body, a delay).
	Hook func(w http.ResponseWriter, r *http.Request, req Request) bool
	// Story returns the story for a prompt (default Story).
	Story func(req Request) string
	// Grade returns the judge's reply for a grading prompt (default: a
	// JSON grade from Grade).
	Grade func(req Request) string
}

// Server is a running fake teacher. Close it when done.
type Server struct {
	*httptest.Server
	cfg Config

	mu       sync.Mutex
	n        int
	requests []Request
}

// NewServer starts a fake teacher on a loopback port.
func NewServer(cfg Config) *Server {
	s := &Server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "openai") })
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "ollama") })
	s.Server = httptest.NewServer(mux)
	return s
}

// Requests returns the requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Stream         *bool  `json:"stream"`
	Seed           *int64 `json:"seed"`
	ResponseFormat *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	Format  string `json:"format"`
	Options struct {
		Seed *int64 `json:"seed"`
	} `json:"options"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, api string) {
	var wr wireRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&wr); err != nil {
		WriteError(w, api, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	if wr.Model == "" || len(wr.Messages) == 0 {
		WriteError(w, api, http.StatusBadRequest, "model and messages are required")
		return
	}
	// Ollama streams unless told not to; OpenAI does not unless told to.
	if (api == "ollama" && (wr.Stream == nil || *wr.Stream)) || (api == "openai" && wr.Stream != nil && *wr.Stream) {
		WriteError(w, api, http.StatusBadRequest, "this fake server does not stream")
		return
	}
	s.mu.Lock()
	s.n++
	req := Request{N: s.n, API: api, Model: wr.Model, Header: r.Header.Clone()}
	s.mu.Unlock()
	req.Prompt = wr.Messages[len(wr.Messages)-1].Content
	req.Judge = strings.Contains(req.Prompt, JudgeMarker)
	req.Seed = wr.Seed
	if api == "ollama" {
		req.Seed = wr.Options.Seed
		req.JSONMode = wr.Format == "json"
	} else {
		req.JSONMode = wr.ResponseFormat != nil && wr.ResponseFormat.Type == "json_object"
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	if s.cfg.Hook != nil && s.cfg.Hook(w, r, req) {
		return
	}
	var text string
	switch {
	case req.Judge && s.cfg.Grade != nil:
		text = s.cfg.Grade(req)
	case req.Judge:
		text = GradeJSON(Grade(StoryOf(req.Prompt)))
	case s.cfg.Story != nil:
		text = s.cfg.Story(req)
	default:
		text = Story(req.Prompt)
	}
	WriteAnswer(w, api, wr.Model, text, len(strings.Fields(req.Prompt)), len(strings.Fields(text)))
}

// WriteAnswer writes a successful non-streaming answer in the API's form
// ("openai" or "ollama") with the given token counts.
func WriteAnswer(w http.ResponseWriter, api, model, text string, promptTokens, completionTokens int) {
	w.Header().Set("Content-Type", "application/json")
	var v any
	if api == "ollama" {
		v = map[string]any{
			"model": model, "created_at": "2024-01-01T00:00:00Z",
			"message": map[string]any{"role": "assistant", "content": text},
			"done":    true, "done_reason": "stop",
			"total_duration": 1000, "load_duration": 10, "prompt_eval_count": promptTokens,
			"prompt_eval_duration": 100, "eval_count": completionTokens, "eval_duration": 800,
		}
	} else {
		v = map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1704067200, "model": model,
			"system_fingerprint": "fp_gophi",
			"choices": []any{map[string]any{
				"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop",
			}},
			"usage": map[string]any{"prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens},
		}
	}
	json.NewEncoder(w).Encode(v)
}

// WriteError writes an error answer in the API's form: {"error":"..."}
// for Ollama, {"error":{"message":...}} for OpenAI.
func WriteError(w http.ResponseWriter, api string, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if api == "ollama" {
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
}

var quoted = regexp.MustCompile(`the (verb|noun|adjective) "([^"]*)"`)

// Story makes a deterministic little story that uses the words a
// TinyStories-style prompt asks for.
func Story(prompt string) string {
	words := map[string]string{"verb": "play", "noun": "ball", "adjective": "red"}
	for _, m := range quoted.FindAllStringSubmatch(prompt, -1) {
		words[m[1]] = m[2]
	}
	names := []string{"Lily", "Tom", "Mia", "Ben", "Sue", "Max"}
	h := fnv.New32a()
	h.Write([]byte(prompt))
	name := names[h.Sum32()%uint32(len(names))]
	return fmt.Sprintf("Once upon a time, %s had a %s %s. %s liked to %s with it every day.\n\n"+
		"One day, the %s %s was gone. %s looked under the bed and in the garden. \"Where are you?\" %s said.\n\n"+
		"Then %s saw it by the tree. %s was happy and learned to keep the %s safe.",
		name, words["adjective"], words["noun"], name, words["verb"],
		words["adjective"], words["noun"], name, name, name, name, words["noun"])
}

// StoryOf extracts the text a judge prompt asks to grade (between its
// lines of equal signs); the whole prompt if there are none.
func StoryOf(prompt string) string {
	const sep = "==========\n"
	i := strings.Index(prompt, sep)
	if i < 0 {
		return prompt
	}
	rest := prompt[i+len(sep):]
	j := strings.Index(rest, "\n==========")
	if j < 0 {
		return rest
	}
	return rest[:j]
}

// Grades is a grade as the fake judge gives it.
type Grades struct {
	Grammar, Consistency, Creativity, Educational int
	ChildSafe                                     bool
}

// Grade gives text deterministic marks from 3 to 10 (by a hash of the
// text); texts containing "scary" are not child safe.
func Grade(text string) Grades {
	h := fnv.New32a()
	h.Write([]byte(text))
	x := h.Sum32()
	m := func(shift uint) int { return 3 + int(x>>shift)%8 }
	return Grades{m(0), m(4), m(8), m(12), !strings.Contains(text, "scary")}
}

// GradeJSON writes g as the judge prompt asks for it.
func GradeJSON(g Grades) string {
	yes := "no"
	if g.ChildSafe {
		yes = "yes"
	}
	return fmt.Sprintf(`{"grammar": %d, "consistency": %d, "creativity": %d, "educational": %d, "child_safe": %q}`,
		g.Grammar, g.Consistency, g.Creativity, g.Educational, yes)
}
