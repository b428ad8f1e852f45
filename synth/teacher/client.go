package teacher

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// API names the wire protocol of a teacher endpoint.
type API string

// The protocols a Client speaks. Both are used without streaming.
const (
	OpenAI API = "openai" // POST /v1/chat/completions
	Ollama API = "ollama" // POST /api/chat
)

// ResolveEndpoint turns the user's endpoint and API choice into the URL to
// post to and its protocol. api is "openai", "ollama", or "" / "auto" to
// tell by the path: .../chat/completions is OpenAI's, .../api/chat
// Ollama's, a path ending in /v1 gets /chat/completions and one ending in
// /api gets /chat. With an explicit api, a bare host gets the API's
// standard path and any other path is used as given.
func ResolveEndpoint(endpoint, api string) (string, API, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("endpoint %q: want an http:// or https:// URL", endpoint)
	}
	p := strings.TrimSuffix(u.Path, "/")
	var detected API
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		detected = OpenAI
	case strings.HasSuffix(p, "/api/chat"):
		detected = Ollama
	}
	switch api {
	case "", "auto":
		switch {
		case detected != "":
		case strings.HasSuffix(p, "/v1"):
			detected, p = OpenAI, p+"/chat/completions"
		case strings.HasSuffix(p, "/api"):
			detected, p = Ollama, p+"/chat"
		default:
			return "", "", fmt.Errorf("endpoint %q: cannot tell the API from the path; give the full path (/v1/chat/completions or /api/chat) or --api openai|ollama", endpoint)
		}
	case string(OpenAI), string(Ollama):
		a := API(api)
		if detected != "" && detected != a {
			return "", "", fmt.Errorf("endpoint %q is an %s path but the API is %s", endpoint, detected, a)
		}
		if detected == "" {
			switch {
			case p == "" && a == OpenAI:
				p = "/v1/chat/completions"
			case p == "" && a == Ollama:
				p = "/api/chat"
			case strings.HasSuffix(p, "/v1") && a == OpenAI:
				p += "/chat/completions"
			case strings.HasSuffix(p, "/api") && a == Ollama:
				p += "/chat"
			}
		}
		detected = a
	default:
		return "", "", fmt.Errorf("API %q: want openai, ollama or auto", api)
	}
	u.Path, u.RawPath = p, ""
	return u.String(), detected, nil
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Options are the generation settings of one request.
type Options struct {
	Temperature float64 // sent as given (0 is greedy)
	MaxTokens   int     // 0: the server's default
	Seed        *int64  // nil: none sent
	JSON        bool    // ask for a JSON answer (response_format / format)
}

// Usage counts the tokens of requests, as the server reports them.
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
}

// Add returns u + v.
func (u Usage) Add(v Usage) Usage {
	return Usage{u.PromptTokens + v.PromptTokens, u.CompletionTokens + v.CompletionTokens}
}

// Reply is the teacher's answer to one request.
type Reply struct {
	Text         string
	Model        string // as the server names it; the requested one if it does not
	FinishReason string // "stop", "length", ...; empty if the server did not say
	Usage        Usage
	Attempts     int // HTTP requests made, retries included
}

// Client sends chat requests to an OpenAI- or Ollama-compatible endpoint,
// retrying what may succeed on a second try. Set its fields before the
// first request; it is safe for concurrent use after that.
type Client struct {
	Endpoint   string       // the URL to post to (see ResolveEndpoint)
	API        API          // its protocol
	Model      string       // the model to ask for
	APIKey     string       // sent as "Authorization: Bearer KEY" when set
	HTTPClient *http.Client // nil: a plain client (Timeout applies per attempt)

	Timeout time.Duration // per attempt, body included; 0: none
	Retries int           // extra attempts after a retryable failure

	// BackoffBase and BackoffMax shape the wait between attempts:
	// attempt k waits a random time in [d/2, d] with d = BackoffBase·2^k
	// capped at BackoffMax (defaults 1s and 30s), or what the server's
	// Retry-After asks (at most MaxRetryAfter, default 5 minutes).
	BackoffBase, BackoffMax, MaxRetryAfter time.Duration

	Limiter *Limiter     // nil: no rate limit; applies to every attempt
	Clock   Clock        // nil: the real clock; used for backoff waits
	Log     *slog.Logger // nil: no logging; retries are logged at Info

	requests, retries atomic.Int64
}

// Counts returns how many HTTP requests the client made and how many of
// them were retries.
func (c *Client) Counts() (requests, retries int64) {
	return c.requests.Load(), c.retries.Load()
}

// HTTPError is a non-2xx answer.
type HTTPError struct {
	Status     int
	Message    string        // the server's error message, or the start of the body
	RetryAfter time.Duration // from the Retry-After header; 0 if none
}

// Error says the status and the server's message.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// MalformedError is a 2xx answer the client could not use: not JSON, or
// without a message.
type MalformedError struct {
	Reason string
	Body   string // the start of the body
}

// Error says what is wrong and quotes the start of the body.
func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed answer: %s: %q", e.Reason, e.Body)
}

// Retryable reports whether a request that failed with err may succeed if
// sent again: timeouts, connection errors, 408, 429, 5xx and malformed
// answers. Other 4xx answers, bad URLs and certificate errors are not. The
// caller's own cancellation is not an error of the request; check ctx first.
func Retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status == http.StatusRequestTimeout || he.Status == http.StatusTooManyRequests || he.Status >= 500
	}
	var me *MalformedError
	if errors.As(err, &me) {
		return true
	}
	var (
		certErr      *tls.CertificateVerificationError
		unknownAuth  x509.UnknownAuthorityError
		hostnameErr  x509.HostnameError
		invalidCert  x509.CertificateInvalidError
		recordHeader tls.RecordHeaderError
	)
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostnameErr) ||
		errors.As(err, &invalidCert) || errors.As(err, &recordHeader) {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "unsupported protocol scheme") {
		return false
	}
	return true // transport errors: refused, reset, EOF, timeouts
}

const maxBody = 32 << 20

// Chat sends msgs and returns the model's answer, retrying retryable
// failures up to c.Retries times with exponential backoff and jitter, or as
// long as the server's Retry-After says.
func (c *Client) Chat(ctx context.Context, msgs []Message, opt Options) (Reply, error) {
	body, err := c.requestBody(msgs, opt)
	if err != nil {
		return Reply{}, err
	}
	clock := c.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	for attempt := 0; ; attempt++ {
		if c.Limiter != nil {
			if err := c.Limiter.Wait(ctx); err != nil {
				return Reply{}, fmt.Errorf("teacher: waiting for the rate limit: %w", err)
			}
		}
		c.requests.Add(1)
		if attempt > 0 {
			c.retries.Add(1)
		}
		rep, err := c.once(ctx, body)
		if err == nil {
			rep.Attempts = attempt + 1
			if rep.Model == "" {
				rep.Model = c.Model
			}
			return rep, nil
		}
		if ctx.Err() != nil {
			return Reply{}, fmt.Errorf("teacher: %w", ctx.Err())
		}
		if !Retryable(err) {
			return Reply{}, fmt.Errorf("teacher: %s: %w", c.Endpoint, err)
		}
		if attempt >= c.Retries {
			return Reply{}, fmt.Errorf("teacher: %s: giving up after %d attempts: %w", c.Endpoint, attempt+1, err)
		}
		wait := c.backoff(attempt, err)
		if c.Log != nil {
			c.Log.Info("teacher: retrying", "attempt", attempt+1, "error", err, "wait", wait)
		}
		if err := clock.Sleep(ctx, wait); err != nil {
			return Reply{}, fmt.Errorf("teacher: %w", err)
		}
	}
}

// backoff returns the wait after the failed attempt number attempt (0-based).
func (c *Client) backoff(attempt int, err error) time.Duration {
	var he *HTTPError
	if errors.As(err, &he) && he.RetryAfter > 0 {
		limit := c.MaxRetryAfter
		if limit <= 0 {
			limit = 5 * time.Minute
		}
		return min(he.RetryAfter, limit)
	}
	base, limit := c.BackoffBase, c.BackoffMax
	if base <= 0 {
		base = time.Second
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	d := limit
	if attempt < 32 && base<<attempt > 0 && base<<attempt < limit {
		d = base << attempt
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil {
		if s <= 0 || s > 1e6 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

type openaiRequest struct {
	Model          string     `json:"model"`
	Messages       []Message  `json:"messages"`
	Temperature    float64    `json:"temperature"`
	MaxTokens      int        `json:"max_tokens,omitempty"`
	Seed           *int64     `json:"seed,omitempty"`
	Stream         bool       `json:"stream"`
	ResponseFormat *rspFormat `json:"response_format,omitempty"`
}

type rspFormat struct {
	Type string `json:"type"`
}

type openaiResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

type ollamaRequest struct {
	Model    string        `json:"model"`
	Messages []Message     `json:"messages"`
	Stream   bool          `json:"stream"`
	Format   string        `json:"format,omitempty"`
	Options  ollamaOptions `json:"options"`
}

type ollamaOptions struct {
	Temperature float64 `json:"temperature"`
	NumPredict  int     `json:"num_predict,omitempty"`
	Seed        *int64  `json:"seed,omitempty"`
}

type ollamaResponse struct {
	Model   string `json:"model"`
	Message *struct {
		Content string `json:"content"`
	} `json:"message"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int64  `json:"prompt_eval_count"`
	EvalCount       int64  `json:"eval_count"`
}

func (c *Client) requestBody(msgs []Message, opt Options) ([]byte, error) {
	var v any
	switch c.API {
	case OpenAI:
		r := openaiRequest{Model: c.Model, Messages: msgs, Temperature: opt.Temperature, MaxTokens: opt.MaxTokens, Seed: opt.Seed}
		if opt.JSON {
			r.ResponseFormat = &rspFormat{Type: "json_object"}
		}
		v = r
	case Ollama:
		r := ollamaRequest{Model: c.Model, Messages: msgs, Options: ollamaOptions{Temperature: opt.Temperature, NumPredict: opt.MaxTokens, Seed: opt.Seed}}
		if opt.JSON {
			r.Format = "json"
		}
		v = r
	default:
		return nil, fmt.Errorf("teacher: API %q: want openai or ollama", c.API)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("teacher: encoding the request: %w", err)
	}
	return b, nil
}

// once sends one request.
func (c *Client) once(ctx context.Context, body []byte) (Reply, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint, bytes.NewReader(body))
	if err != nil {
		return Reply{}, fmt.Errorf("making the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "gophi-synth-teacher")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return Reply{}, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		now := time.Now()
		if c.Clock != nil {
			now = c.Clock.Now()
		}
		return Reply{}, &HTTPError{Status: resp.StatusCode, Message: errorMessage(data), RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	}
	if len(data) > maxBody {
		return Reply{}, &MalformedError{Reason: fmt.Sprintf("answer over %d bytes", maxBody), Body: snippet(data)}
	}
	switch c.API {
	case OpenAI:
		return parseOpenAI(data)
	default:
		return parseOllama(data)
	}
}

func parseOpenAI(data []byte) (Reply, error) {
	var r openaiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return Reply{}, &MalformedError{Reason: "not a chat completion: " + err.Error(), Body: snippet(data)}
	}
	if len(r.Choices) == 0 || r.Choices[0].Message.Content == nil {
		return Reply{}, &MalformedError{Reason: "no choices[0].message.content", Body: snippet(data)}
	}
	rep := Reply{Text: *r.Choices[0].Message.Content, Model: r.Model, FinishReason: r.Choices[0].FinishReason}
	if r.Usage != nil {
		rep.Usage = Usage{r.Usage.PromptTokens, r.Usage.CompletionTokens}
	}
	if strings.TrimSpace(rep.Text) == "" {
		return Reply{}, &MalformedError{Reason: "empty message", Body: snippet(data)}
	}
	return rep, nil
}

func parseOllama(data []byte) (Reply, error) {
	var r ollamaResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return Reply{}, &MalformedError{Reason: "not an /api/chat answer: " + err.Error(), Body: snippet(data)}
	}
	if r.Message == nil {
		return Reply{}, &MalformedError{Reason: "no message", Body: snippet(data)}
	}
	rep := Reply{Text: r.Message.Content, Model: r.Model, FinishReason: r.DoneReason,
		Usage: Usage{r.PromptEvalCount, r.EvalCount}}
	if strings.TrimSpace(rep.Text) == "" {
		return Reply{}, &MalformedError{Reason: "empty message", Body: snippet(data)}
	}
	return rep, nil
}

// errorMessage extracts the message of an error body in OpenAI's
// ({"error":{"message":...}}) or Ollama's ({"error":"..."}) form.
func errorMessage(data []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && len(e.Error) > 0 {
		var s string
		if json.Unmarshal(e.Error, &s) == nil {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
	}
	return snippet(data)
}

func snippet(data []byte) string {
	const n = 200
	s := strings.TrimSpace(string(data))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
