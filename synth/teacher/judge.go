package teacher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Grade is the teacher's verdict on one sample: four marks from 1 to 10
// and whether the sample is fine for a young child.
type Grade struct {
	Grammar     float64 `json:"grammar"`
	Consistency float64 `json:"consistency"`
	Creativity  float64 `json:"creativity"`
	// Educational is Phi-1's filter question: would a teacher use this to
	// explain something to a student?
	Educational float64 `json:"educational"`
	ChildSafe   bool    `json:"child_safe"`
}

// Score is the mean of the four marks.
func (g Grade) Score() float64 {
	return (g.Grammar + g.Consistency + g.Creativity + g.Educational) / 4
}

// Judgement is what a judged record carries in its "judge" field.
type Judgement struct {
	*Grade           // nil when the judge gave no usable answer
	Score    float64 `json:"score"`           // Grade.Score
	Pass     bool    `json:"pass"`            // Score ≥ threshold and ChildSafe
	Error    string  `json:"error,omitempty"` // why there is no grade
	Attempts int     `json:"attempts"`        // judge answers asked for
	Model    string  `json:"model,omitempty"`
	Usage    Usage   `json:"usage"`
	// Input is the sample's position in the input of "--judge" (0-based,
	// counting the non-blank lines of all input files); nil for records
	// judged while they were generated.
	Input *int `json:"input,omitempty"`
}

// JudgeOptions configure grading.
type JudgeOptions struct {
	Threshold float64 // the lowest Score that passes
	// Retries is how many more times to ask when the answer is not a valid
	// grade (default 0: ask once).
	Retries   int
	MaxTokens int  // 0: 256
	JSONMode  bool // ask the server for a JSON answer (response_format / format)
}

// JudgeMarker is the sentence every judge prompt contains, so a fake server
// in tests can tell grading requests from story requests.
const JudgeMarker = "Answer with only a JSON object"

// JudgePrompt is the request to grade text.
func JudgePrompt(text string) string {
	return `You are a primary school teacher grading short texts written for young children.

Here is the text, between the lines of equal signs:
==========
` + text + `
==========

Grade it. ` + JudgeMarker + `, nothing else, in exactly this form:
{"grammar": G, "consistency": C, "creativity": R, "educational": E, "child_safe": "yes" or "no"}
where G, C, R and E are whole numbers from 1 (very poor) to 10 (excellent):
- grammar: spelling and grammar;
- consistency: the text makes sense and agrees with itself from start to end;
- creativity: the text is original and interesting;
- educational: a teacher would use this text to explain something to a child;
- child_safe: is this text fine for a young child? "yes" or "no".`
}

// Judge asks the model to grade text and judges it against opt.Threshold.
// An answer that is not a valid grade is asked for again up to opt.Retries
// times; after that the Judgement carries the error and does not pass. The
// error return is for requests that failed (see Client.Chat), not for bad
// answers.
func (c *Client) Judge(ctx context.Context, text string, opt JudgeOptions) (Judgement, error) {
	maxTokens := opt.MaxTokens
	if maxTokens <= 0 {
		maxTokens = 256
	}
	msgs := []Message{{Role: "user", Content: JudgePrompt(text)}}
	var j Judgement
	for attempt := 0; attempt <= opt.Retries; attempt++ {
		rep, err := c.Chat(ctx, msgs, Options{Temperature: 0, MaxTokens: maxTokens, JSON: opt.JSONMode})
		if err != nil {
			return Judgement{}, fmt.Errorf("judge: %w", err)
		}
		j.Attempts++
		j.Usage = j.Usage.Add(rep.Usage)
		j.Model = rep.Model
		g, err := ParseGrade(rep.Text)
		if err != nil {
			j.Error = err.Error()
			continue
		}
		j.Grade, j.Error = &g, ""
		j.Score = math.Round(g.Score()*100) / 100
		j.Pass = g.Score() >= opt.Threshold && g.ChildSafe
		return j, nil
	}
	return j, nil
}

// maxGradeReply bounds the part of a reply ParseGrade looks at.
const maxGradeReply = 16 << 10

// gradeKeys maps the normalized spellings of a grade's fields to their
// canonical names.
var gradeKeys = map[string]string{
	"grammar": "grammar", "consistency": "consistency", "creativity": "creativity",
	"educational": "educational", "educationalvalue": "educational",
	"childsafe": "child_safe", "safeforchildren": "child_safe", "safeforchild": "child_safe",
}

func normKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseGrade reads a judge's reply: the first JSON object in it that has
// any of the grade's fields (so prose around it and code fences do not
// matter), with keys matched loosely ("child_safe", "Child safe",
// "childSafe"), marks as numbers or numeric strings ("8", "8/10") from 1
// to 10, and child_safe as a boolean or yes/no.
func ParseGrade(reply string) (Grade, error) {
	if len(reply) > maxGradeReply {
		reply = reply[:maxGradeReply]
	}
	obj, ok := firstGradeObject(reply)
	if !ok {
		return Grade{}, errors.New("no JSON object with grades in the answer")
	}
	fields := map[string]any{}
	for k, v := range obj {
		if name, ok := gradeKeys[normKey(k)]; ok {
			if _, dup := fields[name]; !dup {
				fields[name] = v
			}
		}
	}
	var g Grade
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"grammar", &g.Grammar}, {"consistency", &g.Consistency}, {"creativity", &g.Creativity}, {"educational", &g.Educational}} {
		v, ok := fields[f.name]
		if !ok {
			return Grade{}, fmt.Errorf("grade: missing %q", f.name)
		}
		x, err := mark(v)
		if err != nil {
			return Grade{}, fmt.Errorf("grade: %q: %w", f.name, err)
		}
		*f.dst = x
	}
	v, ok := fields["child_safe"]
	if !ok {
		return Grade{}, errors.New(`grade: missing "child_safe"`)
	}
	safe, err := yesNo(v)
	if err != nil {
		return Grade{}, fmt.Errorf(`grade: "child_safe": %w`, err)
	}
	g.ChildSafe = safe
	return g, nil
}

// firstGradeObject finds the first JSON object in s with a grade field.
func firstGradeObject(s string) (map[string]any, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(s[i:]))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) != nil {
			continue
		}
		for k := range m {
			if _, ok := gradeKeys[normKey(k)]; ok {
				return m, true
			}
		}
		// A valid object without grades (a wrapper, an example): its
		// inner objects come next in the scan.
	}
	return nil, false
}

func mark(v any) (float64, error) {
	var x float64
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v)
		}
		x = f
	case string:
		s := strings.TrimSpace(v)
		if i := strings.Index(s, "/"); i > 0 { // "8/10"
			if den := strings.TrimSpace(s[i+1:]); den != "10" {
				return 0, fmt.Errorf("%q is not a mark out of 10", v)
			}
			s = strings.TrimSpace(s[:i])
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v)
		}
		x = f
	default:
		return 0, fmt.Errorf("%v is not a number", v)
	}
	if math.IsNaN(x) || x < 1 || x > 10 {
		return 0, fmt.Errorf("%v is outside 1..10", x)
	}
	return x, nil
}

func yesNo(v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.Trim(strings.TrimSpace(v), ".!")) {
		case "yes", "y", "true":
			return true, nil
		case "no", "n", "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("%v is not yes or no", v)
}
