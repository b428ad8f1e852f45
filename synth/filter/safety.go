package filter

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

//go:embed safety.txt
var defaultSafety string

// Blocklist matches words and phrases by category, ignoring case and at
// word boundaries.
type Blocklist struct {
	cats []blockCategory
}

type blockCategory struct {
	name string
	re   *regexp.Regexp
}

// DefaultBlocklist returns the list shipped in gophi (safety.txt in this
// package's source: hate, sexual, violence, self-harm, drugs, profanity).
func DefaultBlocklist() *Blocklist {
	b, err := ParseBlocklist(strings.NewReader(defaultSafety))
	if err != nil {
		// The embedded list is checked by TestDefaultBlocklist.
		return &Blocklist{}
	}
	return b
}

// entryRE is the syntax of an entry: words of letters, digits, ' and -,
// separated by spaces, with an optional trailing *.
var entryRE = regexp.MustCompile(`^[a-z0-9'-]+( [a-z0-9'-]+)*\*?$`)

// ParseBlocklist reads a list in safety.txt's format: "[category]" lines
// start a section; other lines are entries, a word or phrase matched at
// word boundaries, also in its plural (+s, +es), or with a trailing * as a
// prefix of a word. Blank lines and lines starting with # are skipped.
func ParseBlocklist(r io.Reader) (*Blocklist, error) {
	var b Blocklist
	var alts []string
	name := ""
	flush := func() error {
		if len(alts) == 0 {
			return nil
		}
		re, err := regexp.Compile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)
		if err != nil {
			return fmt.Errorf("safety list: category %q: %w", name, err)
		}
		b.cats = append(b.cats, blockCategory{name, re})
		alts = nil
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			if err := flush(); err != nil {
				return nil, err
			}
			name = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		e := strings.Join(strings.Fields(strings.ToLower(line)), " ")
		if !entryRE.MatchString(e) {
			return nil, fmt.Errorf("safety list: line %d: %q: want a word or phrase of letters, digits, ' and -, optionally ending in *", n, line)
		}
		if name == "" {
			name = "unsafe"
		}
		var alt string
		if prefix, ok := strings.CutSuffix(e, "*"); ok {
			alt = strings.ReplaceAll(regexp.QuoteMeta(prefix), " ", `\s+`) + `\w*`
		} else {
			alt = strings.ReplaceAll(regexp.QuoteMeta(e), " ", `\s+`) + `(?:e?s)?`
		}
		alts = append(alts, alt)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("safety list: %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(b.cats) == 0 {
		return nil, fmt.Errorf("safety list: no entries")
	}
	return &b, nil
}

// Match returns the category and the text of the first entry found in
// text, checking categories in the list's order.
func (b *Blocklist) Match(text string) (category, found string, ok bool) {
	for _, c := range b.cats {
		if m := c.re.FindString(text); m != "" {
			return c.name, m, true
		}
	}
	return "", "", false
}

// Safety drops records that match the blocklist, and records the teacher
// judged not fine for a young child ("judge": {"child_safe": false} as
// "gophi synth teacher" writes it, or a top-level "child_safe"; yes/no
// strings are read too).
type Safety struct {
	List       *Blocklist // nil: no word list
	UseVerdict bool       // drop on the teacher's "not for a child"
}

// Name is "safety".
func (s Safety) Name() string { return "safety" }

// Check drops unsafe text.
func (s Safety) Check(r *Record) string {
	if s.UseVerdict {
		if safe, ok := childSafe(r); ok && !safe {
			return "teacher: not for a child"
		}
	}
	if s.List != nil {
		if cat, _, ok := s.List.Match(r.Text); ok {
			return cat
		}
	}
	return ""
}

// childSafe reads the record's child_safe verdict, if it has one.
func childSafe(r *Record) (safe, ok bool) {
	raw := r.Field("child_safe")
	if raw == nil {
		var j struct {
			ChildSafe json.RawMessage `json:"child_safe"`
		}
		if judge := r.Field("judge"); judge != nil && json.Unmarshal(judge, &j) == nil {
			raw = j.ChildSafe
		}
	}
	if raw == nil {
		return false, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false, false
	}
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "yes", "true":
			return true, true
		case "no", "false":
			return false, true
		}
	}
	return false, false
}
