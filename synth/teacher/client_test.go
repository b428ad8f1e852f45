package teacher

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gophi/gophi/synth/teacher/teachertest"
)

func TestResolveEndpoint(t *testing.T) {
	for _, c := range []struct {
		endpoint, api string
		want          string
		wantAPI       API
		bad           bool
	}{
		{"http://h:1/v1/chat/completions", "", "http://h:1/v1/chat/completions", OpenAI, false},
		{"http://h:1/api/chat", "auto", "http://h:1/api/chat", Ollama, false},
		{"http://h:1/v1", "", "http://h:1/v1/chat/completions", OpenAI, false},
		{"http://h:1/v1/", "", "http://h:1/v1/chat/completions", OpenAI, false},
		{"http://h:1/api", "", "http://h:1/api/chat", Ollama, false},
		{"http://h:1", "openai", "http://h:1/v1/chat/completions", OpenAI, false},
		{"http://h:1/", "ollama", "http://h:1/api/chat", Ollama, false},
		{"https://x.example/openai/deployments/d/chat/completions?api-version=1", "", "https://x.example/openai/deployments/d/chat/completions?api-version=1", OpenAI, false},
		{"http://h:1/proxy", "openai", "http://h:1/proxy", OpenAI, false},
		{"http://h:1", "", "", "", true},                  // cannot tell
		{"http://h:1/api/chat", "openai", "", "", true},   // contradiction
		{"ftp://h/v1/chat/completions", "", "", "", true}, // scheme
		{"h:1/v1/chat/completions", "", "", "", true},     // no scheme
		{"http://h:1/v1", "grpc", "", "", true},           // unknown API
		{"http://[::1/v1", "", "", "", true},              // unparsable
	} {
		got, api, err := ResolveEndpoint(c.endpoint, c.api)
		if c.bad {
			if err == nil {
				t.Errorf("ResolveEndpoint(%q, %q) = %q, %q; want an error", c.endpoint, c.api, got, api)
			}
			continue
		}
		if err != nil || got != c.want || api != c.wantAPI {
			t.Errorf("ResolveEndpoint(%q, %q) = %q, %q, %v; want %q, %q", c.endpoint, c.api, got, api, err, c.want, c.wantAPI)
		}
	}
}

// newClient returns a client of srv's api with a fake clock, so backoff
// waits take no time.
func newClient(srv *teachertest.Server, api API) (*Client, *fakeClock) {
	clk := newFakeClock()
	ep := srv.URL + "/v1/chat/completions"
	if api == Ollama {
		ep = srv.URL + "/api/chat"
	}
	return &Client{Endpoint: ep, API: api, Model: "teacher-1", Retries: 3, Clock: clk, Timeout: 10 * time.Second}, clk
}

func TestChatBothAPIs(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{})
	defer srv.Close()
	for _, api := range []API{OpenAI, Ollama} {
		c, _ := newClient(srv, api)
		c.APIKey = "sk-test"
		seed := int64(42)
		rep, err := c.Chat(context.Background(), []Message{{Role: "user", Content: `use the verb "hop", the noun "frog" and the adjective "green"`}},
			Options{Temperature: 0.7, MaxTokens: 100, Seed: &seed})
		if err != nil {
			t.Fatalf("%s: %v", api, err)
		}
		if !strings.Contains(rep.Text, "green frog") || rep.Model != "teacher-1" || rep.Attempts != 1 || rep.FinishReason != "stop" {
			t.Errorf("%s: reply %+v", api, rep)
		}
		if rep.Usage.PromptTokens != 11 || rep.Usage.CompletionTokens != int64(len(strings.Fields(rep.Text))) {
			t.Errorf("%s: usage %+v", api, rep.Usage)
		}
		reqs := srv.Requests()
		last := reqs[len(reqs)-1]
		if last.API != string(api) || last.Header.Get("Authorization") != "Bearer sk-test" || last.Seed == nil || *last.Seed != 42 {
			t.Errorf("%s: server saw %+v", api, last)
		}
	}
}

// failing returns a hook that answers the first n requests with fail.
func failing(n int32, fail func(w http.ResponseWriter, r *http.Request, req teachertest.Request)) func(http.ResponseWriter, *http.Request, teachertest.Request) bool {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		if count.Add(1) <= n {
			fail(w, r, req)
			return true
		}
		return false
	}
}

func TestChatRetries(t *testing.T) {
	status := func(code int, header ...string) func(http.ResponseWriter, *http.Request, teachertest.Request) {
		return func(w http.ResponseWriter, r *http.Request, req teachertest.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			teachertest.WriteError(w, req.API, code, "injected")
		}
	}
	body := func(s string) func(http.ResponseWriter, *http.Request, teachertest.Request) {
		return func(w http.ResponseWriter, r *http.Request, req teachertest.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(s))
		}
	}
	hangUp := func(w http.ResponseWriter, r *http.Request, req teachertest.Request) {
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}
	for _, c := range []struct {
		name     string
		fails    int32
		fail     func(http.ResponseWriter, *http.Request, teachertest.Request)
		attempts int             // 0: the request fails
		sleeps   []time.Duration // exact waits; nil: check the backoff range
		status   int             // of the final error
	}{
		{name: "500 twice", fails: 2, fail: status(500), attempts: 3},
		{name: "503 with Retry-After", fails: 1, fail: status(503, "Retry-After", "7"), attempts: 2, sleeps: []time.Duration{7 * time.Second}},
		{name: "429 with Retry-After", fails: 2, fail: status(429, "Retry-After", "2"), attempts: 3, sleeps: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "429 with a date", fails: 1, fail: status(429, "Retry-After", "Mon, 01 Jan 2024 00:01:00 GMT"), attempts: 2, sleeps: []time.Duration{time.Minute}},
		{name: "429 asking too much", fails: 1, fail: status(429, "Retry-After", "86400"), attempts: 2, sleeps: []time.Duration{5 * time.Minute}},
		{name: "408", fails: 1, fail: status(408), attempts: 2},
		{name: "not JSON", fails: 1, fail: body("<html>bad gateway</html>"), attempts: 2},
		{name: "truncated JSON", fails: 2, fail: body(`{"choices":[{"message":{"content":"Once`), attempts: 3},
		{name: "no message", fails: 1, fail: body(`{"choices":[]}`), attempts: 2},
		{name: "empty message", fails: 1, fail: body(`{"choices":[{"message":{"content":"  "}}],"message":{"content":""}}`), attempts: 2},
		{name: "connection dropped", fails: 2, fail: hangUp, attempts: 3},
		{name: "500 forever", fails: 100, fail: status(500), status: 500},
		{name: "400 is not retried", fails: 100, fail: status(400), status: 400, sleeps: []time.Duration{}},
		{name: "401 is not retried", fails: 100, fail: status(401), status: 401, sleeps: []time.Duration{}},
		{name: "404 is not retried", fails: 100, fail: status(404), status: 404, sleeps: []time.Duration{}},
	} {
		for _, api := range []API{OpenAI, Ollama} {
			srv := teachertest.NewServer(teachertest.Config{Hook: failing(c.fails, c.fail)})
			cl, clk := newClient(srv, api)
			rep, err := cl.Chat(context.Background(), []Message{{Role: "user", Content: "hi"}}, Options{})
			srv.Close()
			name := c.name + "/" + string(api)
			if c.attempts > 0 {
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if rep.Attempts != c.attempts {
					t.Errorf("%s: %d attempts, want %d", name, rep.Attempts, c.attempts)
				}
			} else {
				var he *HTTPError
				if !errors.As(err, &he) || he.Status != c.status {
					t.Errorf("%s: error %v, want HTTP %d", name, err, c.status)
				}
				if c.status == 500 && len(srv.Requests()) != cl.Retries+1 {
					t.Errorf("%s: %d requests, want %d", name, len(srv.Requests()), cl.Retries+1)
				}
			}
			got := clk.slept()
			if c.sleeps != nil {
				if !slices.Equal(got, c.sleeps) && !(len(got) == 0 && len(c.sleeps) == 0) {
					t.Errorf("%s: waited %v, want %v", name, got, c.sleeps)
				}
				continue
			}
			for k, d := range got { // 1s·2^k, half of it random, at most 30s
				hi := min(time.Second<<k, 30*time.Second)
				if d < hi/2 || d > hi {
					t.Errorf("%s: wait %d is %v, want within [%v, %v]", name, k, d, hi/2, hi)
				}
			}
			if req, retries := cl.Counts(); req != int64(len(srv.Requests())) || retries != req-1 {
				t.Errorf("%s: counts %d requests %d retries; server saw %d", name, req, retries, len(srv.Requests()))
			}
		}
	}
}

// TestChatTimeout: an attempt that takes longer than Timeout is abandoned
// and retried. The slow handler blocks until the client gives up, so the
// test does not depend on how fast the machine is.
func TestChatTimeout(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		if slow.CompareAndSwap(true, false) {
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return true
		}
		return false
	}})
	defer srv.Close()
	c, _ := newClient(srv, OpenAI)
	c.Timeout = 200 * time.Millisecond
	rep, err := c.Chat(context.Background(), []Message{{Role: "user", Content: "hi"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attempts < 2 {
		t.Errorf("%d attempts; the first should have timed out", rep.Attempts)
	}
}

// TestChatCancel: the caller's cancellation is not retried.
func TestChatCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		cancel()
		<-r.Context().Done()
		return true
	}})
	defer srv.Close()
	c, _ := newClient(srv, Ollama)
	_, err := c.Chat(ctx, []Message{{Role: "user", Content: "hi"}}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests after cancelling, want 1", n)
	}
}

func TestChatRateLimited(t *testing.T) {
	srv := teachertest.NewServer(teachertest.Config{Hook: failing(1, func(w http.ResponseWriter, r *http.Request, req teachertest.Request) {
		teachertest.WriteError(w, req.API, 500, "once")
	})})
	defer srv.Close()
	c, clk := newClient(srv, OpenAI)
	c.Limiter, _ = NewLimiter(2, 1, clk)
	c.BackoffBase, c.BackoffMax = time.Millisecond, time.Millisecond
	for range 3 {
		if _, err := c.Chat(context.Background(), []Message{{Role: "user", Content: "hi"}}, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// 4 attempts (one retry): the limiter spaced the last three 500ms
	// apart, less the backoff sleep (0.5-1ms) that came before the second.
	var limiter time.Duration
	for _, d := range clk.slept() {
		if d >= 100*time.Millisecond {
			limiter += d
		}
	}
	if limiter < 1490*time.Millisecond || limiter > 1500*time.Millisecond {
		t.Errorf("limiter waits %v (sleeps %v), want about 1.5s", limiter, clk.slept())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"0.5", 500 * time.Millisecond}, {"-1", 0}, {"soon", 0},
		{"Mon, 01 Jan 2024 00:00:30 GMT", 30 * time.Second}, {"Sun, 31 Dec 2023 00:00:00 GMT", 0},
	} {
		if got := parseRetryAfter(c.h, now); got != c.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"model 'x' not found"}`:                       "model 'x' not found",
		`{"error":{"message":"Invalid API key","type":"auth"}}`: "Invalid API key",
		`upstream timeout`:                                      "upstream timeout",
	} {
		if got := errorMessage([]byte(body)); got != want {
			t.Errorf("errorMessage(%s) = %q, want %q", body, got, want)
		}
	}
}
