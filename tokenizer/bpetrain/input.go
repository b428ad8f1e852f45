package bpetrain

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gophi/gophi/tokenizer"
)

// Input formats (Input.Format).
const (
	FormatAuto  = "auto"  // by file name: .jsonl, .json, .ndjson (optionally .gz) are JSONL, others text
	FormatJSONL = "jsonl" // one JSON object per line
	FormatText  = "text"  // plain text
)

// How plain text is cut into documents (Input.TextDocs).
const (
	DocsLine      = "line"      // every non-empty line (SentencePiece's unit)
	DocsParagraph = "paragraph" // runs of non-blank lines, joined by "\n"
	DocsFile      = "file"      // each whole file
)

// Input describes where documents come from.
//
// A JSONL record's document is the string in Field ("text" by default).
// When Field is not set and the record has "messages", or when the record
// has no such field but has "messages" (a list of {"role",
// "content"} objects, content a string or a list of {"type":"text","text"}
// parts), the document is a chat: the conversation rendered by
// ChatSegments, else by Chat, else its contents joined by "\n". Records
// with neither are skipped and counted. Tokenize makes loss masks for chats
// rendered by ChatSegments or joined, not for those rendered by Chat
// (which gives no segments).
type Input struct {
	// Paths are the input files; "-" reads Stdin. Names ending in ".gz"
	// are decompressed.
	Paths []string
	// Stdin is what the path "-" reads.
	Stdin io.Reader
	// Format is FormatAuto (the default when empty), FormatJSONL or
	// FormatText.
	Format string
	// Field is the JSONL field with the text ("text" when empty).
	Field string
	// TextDocs cuts plain text into documents: DocsLine (the default when
	// empty), DocsParagraph or DocsFile.
	TextDocs string
	// Chat renders a "messages" record; nil joins the contents.
	Chat func([]tokenizer.Message) (string, error)
	// ChatSegments, when not nil, renders a "messages" record as tagged
	// segments (tokenizer.Tokenizer.ChatSegments) whose texts joined are
	// the document; it takes precedence over Chat.
	ChatSegments func([]tokenizer.Message) ([]tokenizer.ChatSegment, error)
}

// document is one document of the input: its text and, for a chat record,
// its rendering in segments (nil when Input.Chat rendered it).
type document struct {
	text string
	chat bool
	segs []tokenizer.ChatSegment
}

// ChatRenderer returns the Input.Chat to use with a vocabulary that has the
// given special tokens: when they include <|end|>, messages are rendered in
// the Phi-3 format ("<|role|>\n" + content + "<|end|>\n", as
// tokenizer.RenderChat's generic family), else nil (contents joined).
func ChatRenderer(specials []string) func([]tokenizer.Message) (string, error) {
	if !slices.Contains(specials, "<|end|>") {
		return nil
	}
	return func(msgs []tokenizer.Message) (string, error) {
		return tokenizer.RenderChat(tokenizer.FamilyGeneric, msgs, false, "", "")
	}
}

// InputStats counts what was read.
type InputStats struct {
	// Files is the number of inputs read; Bytes their (decompressed) size.
	Files int
	Bytes int64
	// Documents is the number of documents produced; Skipped the number
	// of JSONL records without text.
	Documents int64
	Skipped   int64
}

// record is one raw unit of input: a JSONL line or a plain-text document.
type record struct {
	data []byte
	json bool
	src  string // file name
	line int    // first line
}

func (in *Input) check() error {
	switch in.Format {
	case "", FormatAuto, FormatJSONL, FormatText:
	default:
		return fmt.Errorf("unknown input format %q (auto, jsonl or text)", in.Format)
	}
	switch in.TextDocs {
	case "", DocsLine, DocsParagraph, DocsFile:
	default:
		return fmt.Errorf("unknown text document unit %q (line, paragraph or file)", in.TextDocs)
	}
	if len(in.Paths) == 0 {
		return errors.New("no input files")
	}
	return nil
}

// isJSONL decides the format of one input.
func (in *Input) isJSONL(name string, br *bufio.Reader) bool {
	switch in.Format {
	case FormatJSONL:
		return true
	case FormatText:
		return false
	}
	base := strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch filepath.Ext(base) {
	case ".jsonl", ".json", ".ndjson":
		return true
	case ".txt", ".text", ".md":
		return false
	}
	// Unknown name (or stdin): JSONL when the first non-space byte is '{'.
	for i := 1; ; i++ {
		p, err := br.Peek(i)
		if len(p) < i || err != nil {
			return false
		}
		switch p[i-1] {
		case ' ', '\t', '\r', '\n':
			if i >= 4096 {
				return false
			}
			continue
		case '{':
			return true
		}
		return false
	}
}

// read calls fn with every record of every input, in order.
func (in *Input) read(ctx context.Context, st *readStats, fn func(record) error) error {
	for _, p := range in.Paths {
		if err := in.readOne(ctx, p, st, fn); err != nil {
			return err
		}
	}
	return nil
}

// readStats counts what the reader has read; bytes may be read by other
// goroutines while reading goes on.
type readStats struct {
	files int
	bytes atomic.Int64
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

// Read reads from the underlying reader and counts the bytes.
func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (in *Input) readOne(ctx context.Context, path string, st *readStats, fn func(record) error) error {
	var r io.Reader
	name := path
	if path == "-" {
		if in.Stdin == nil {
			return errors.New("input \"-\" (stdin) given but there is no stdin")
		}
		r, name = in.Stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: not gzip data: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	st.files++
	br := bufio.NewReaderSize(countingReader{r, &st.bytes}, 1<<20)
	jsonl := in.isJSONL(path, br)
	wrap := func(err error) error {
		if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	if !jsonl && in.TextDocs == DocsFile {
		data, err := io.ReadAll(br)
		if err != nil {
			return wrap(err)
		}
		if len(data) > 0 {
			return fn(record{data: data, src: name, line: 1})
		}
		return nil
	}
	var line []byte
	var para []byte
	paraLine := 0
	for n := 1; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var err error
		line, err = readLine(br, line[:0])
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			return wrap(err)
		}
		switch {
		case jsonl:
			if len(bytes.TrimSpace(line)) > 0 {
				if err := fn(record{data: slices.Clone(line), json: true, src: name, line: n}); err != nil {
					return err
				}
			}
		case in.TextDocs == DocsParagraph:
			if len(bytes.TrimSpace(line)) == 0 {
				if len(para) > 0 {
					if err := fn(record{data: para, src: name, line: paraLine}); err != nil {
						return err
					}
					para = nil
				}
				continue
			}
			if len(para) == 0 {
				paraLine = n
			} else {
				para = append(para, '\n')
			}
			para = append(para, bytes.TrimSuffix(line, []byte{'\r'})...)
		default:
			if l := bytes.TrimSuffix(line, []byte{'\r'}); len(l) > 0 {
				if err := fn(record{data: slices.Clone(l), src: name, line: n}); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if len(para) > 0 {
		return fn(record{data: para, src: name, line: paraLine})
	}
	return nil
}

// readLine appends the next line of br (without its "\n") to buf; io.EOF
// comes with the last line when it has no "\n".
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		switch err {
		case nil:
			return buf[:len(buf)-1], nil
		case bufio.ErrBufferFull:
			continue
		default:
			return buf, err
		}
	}
}

// jsonMessage is one chat message of a JSONL record.
type jsonMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns the document of a record; ok is false for a JSONL record
// without text.
func (in *Input) text(rec record) (document, bool, error) {
	if !rec.json {
		return document{text: string(rec.data)}, true, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(rec.data, &obj); err != nil {
		return document{}, false, fmt.Errorf("%s:%d: %w", rec.src, rec.line, err)
	}
	field := in.Field
	if field == "" {
		field = "text"
		// A chat record (gophi synth chat writes both) is read from its
		// messages, so that it is rendered with the tokenizer's template
		// and gets a loss mask, unless --field names the text.
		if raw, ok := obj["messages"]; ok && string(raw) != "null" {
			field = ""
		}
	}
	if raw, ok := obj[field]; ok && field != "" && string(raw) != "null" {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return document{}, false, fmt.Errorf("%s:%d: field %q is not a string", rec.src, rec.line, field)
		}
		return document{text: s}, true, nil
	}
	raw, ok := obj["messages"]
	if !ok || string(raw) == "null" {
		return document{}, false, nil
	}
	var jm []jsonMessage
	if err := json.Unmarshal(raw, &jm); err != nil {
		return document{}, false, fmt.Errorf("%s:%d: messages: %w", rec.src, rec.line, err)
	}
	msgs := make([]tokenizer.Message, 0, len(jm))
	for i, m := range jm {
		c, err := messageContent(m.Content)
		if err != nil {
			return document{}, false, fmt.Errorf("%s:%d: messages[%d]: %w", rec.src, rec.line, i, err)
		}
		msgs = append(msgs, tokenizer.Message{Role: m.Role, Content: c})
	}
	if len(msgs) == 0 {
		return document{}, false, nil
	}
	var segs []tokenizer.ChatSegment
	switch {
	case in.ChatSegments != nil:
		var err error
		if segs, err = in.ChatSegments(msgs); err != nil {
			return document{}, false, fmt.Errorf("%s:%d: %w", rec.src, rec.line, err)
		}
		if segs == nil {
			segs = []tokenizer.ChatSegment{} // rendered empty, but in segments
		}
	case in.Chat != nil:
		s, err := in.Chat(msgs)
		if err != nil {
			return document{}, false, fmt.Errorf("%s:%d: %w", rec.src, rec.line, err)
		}
		return document{text: s, chat: true}, true, nil
	default:
		segs = joinedChat(msgs)
	}
	var b strings.Builder
	for _, sg := range segs {
		b.WriteString(sg.Text)
	}
	return document{text: b.String(), chat: true, segs: segs}, true, nil
}

// joinedChat is a chat without a template: the contents joined by "\n".
func joinedChat(msgs []tokenizer.Message) []tokenizer.ChatSegment {
	segs := make([]tokenizer.ChatSegment, 0, 2*len(msgs))
	for i, m := range msgs {
		if i > 0 {
			segs = append(segs, tokenizer.ChatSegment{Text: "\n", Part: tokenizer.PartMarkup})
		}
		if m.Content != "" {
			segs = append(segs, tokenizer.ChatSegment{Text: m.Content, Part: tokenizer.PartContent, Role: m.Role})
		}
	}
	return segs
}

// messageContent reads a message's content: a string, or a list of parts
// of which the text parts are joined.
func messageContent(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("content is neither a string nor a list of parts: %w", err)
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "" || p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// Documents calls fn with each document of the input, in order.
func (in *Input) Documents(ctx context.Context, fn func(doc string) error) (st InputStats, err error) {
	if err := in.check(); err != nil {
		return st, fmt.Errorf("bpetrain: %w", err)
	}
	var rs readStats
	defer func() { st.Files, st.Bytes = rs.files, rs.bytes.Load() }()
	err = in.read(ctx, &rs, func(rec record) error {
		s, ok, err := in.text(rec)
		if err != nil {
			return err
		}
		if !ok {
			st.Skipped++
			return nil
		}
		st.Documents++
		return fn(s.text)
	})
	if err != nil {
		return st, fmt.Errorf("bpetrain: %w", err)
	}
	return st, nil
}

// batch is a group of records handed to a worker.
type batch struct {
	seq  int
	recs []record
}

// pipeline reads the input in batches, lets workers goroutines turn each
// batch's documents into a result with proc (worker is the goroutine's
// number), and calls emit with the results in input order from a single
// goroutine. The first error stops everything.
func pipeline[R any](ctx context.Context, in *Input, workers int, st *InputStats, rs *readStats,
	proc func(worker int, docs []document) (R, error), emit func(R) error) error {
	if err := in.check(); err != nil {
		return err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type result struct {
		seq     int
		r       R
		docs    int64
		skipped int64
	}
	batches := make(chan batch, workers)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var docs []document
			for b := range batches {
				docs = docs[:0]
				var skipped int64
				for _, rec := range b.recs {
					s, ok, err := in.text(rec)
					if err != nil {
						cancel(err)
						return
					}
					if !ok {
						skipped++
						continue
					}
					docs = append(docs, s)
				}
				r, err := proc(w, docs)
				if err != nil {
					cancel(err)
					return
				}
				select {
				case results <- result{b.seq, r, int64(len(docs)), skipped}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	// Reader.
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		var cur batch
		size := 0
		send := func() bool {
			select {
			case batches <- cur:
			case <-ctx.Done():
				return false
			}
			cur = batch{seq: cur.seq + 1}
			size = 0
			return true
		}
		err := in.read(ctx, rs, func(rec record) error {
			cur.recs = append(cur.recs, rec)
			size += len(rec.data)
			if len(cur.recs) >= 1024 || size >= 1<<20 {
				if !send() {
					return context.Cause(ctx)
				}
			}
			return nil
		})
		if err == nil && len(cur.recs) > 0 {
			send()
		}
		readErr <- err
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	// Ordered emit.
	pending := map[int]result{}
	next := 0
	var emitErr error
	for res := range results {
		if emitErr != nil {
			continue
		}
		pending[res.seq] = res
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			st.Documents += r.docs
			st.Skipped += r.skipped
			if err := emit(r.r); err != nil {
				emitErr = err
				cancel(err)
				break
			}
		}
	}
	err := <-readErr
	st.Files, st.Bytes = rs.files, rs.bytes.Load()
	if emitErr != nil {
		return emitErr
	}
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}

// Count reads the input with workers goroutines (GOMAXPROCS when 0) and
// counts its words for a vocabulary with the given special tokens.
// progress, when not nil, receives a line per second.
func Count(ctx context.Context, in *Input, specials []string, workers int, progress io.Writer) (*Counts, InputStats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var st InputStats
	if err := checkSpecials(specials); err != nil {
		return nil, st, fmt.Errorf("bpetrain: %w", err)
	}
	counts := make([]*Counts, workers)
	for i := range counts {
		counts[i] = NewCounts(specials)
	}
	rep := newReporter(progress, "bpetrain: count")
	var rs readStats
	err := pipeline(ctx, in, workers, &st, &rs, func(w int, docs []document) (struct{}, error) {
		for _, d := range docs {
			counts[w].Add(d.text)
		}
		return struct{}{}, nil
	}, func(struct{}) error {
		rep.report(func() string {
			return fmt.Sprintf("%d documents, %.1f MB", st.Documents, float64(rs.bytes.Load())/1e6)
		})
		return nil
	})
	if err != nil {
		return nil, st, fmt.Errorf("bpetrain: %w", err)
	}
	total := counts[0]
	for _, c := range counts[1:] {
		total.Merge(c)
	}
	return total, st, nil
}
