package teacher

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gophi/gophi/synth/teacher/teachertest"
)

func TestParseGrade(t *testing.T) {
	good := Grade{Grammar: 8, Consistency: 7, Creativity: 6, Educational: 5, ChildSafe: true}
	for _, c := range []struct {
		name  string
		reply string
		want  Grade
		err   string // a part of the error; "" for none
	}{
		{"clean", `{"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, good, ""},
		{"bool and floats", `{"grammar": 8.0, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": true}`, good, ""},
		{"in prose", "Sure! Here is my grade:\n{\"grammar\": 8, \"consistency\": 7, \"creativity\": 6, \"educational\": 5, \"child_safe\": \"Yes\"}\nThe story is sweet.", good, ""},
		{"code fence", "```json\n{\n  \"grammar\": 8,\n  \"consistency\": 7,\n  \"creativity\": 6,\n  \"educational\": 5,\n  \"child_safe\": \"yes\"\n}\n```", good, ""},
		{"braces in prose first", `I think {this} is fine. {"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, good, ""},
		{"wrapped", `{"grades": {"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}}`, good, ""},
		{"loose keys and strings", `{"Grammar": "8", "Consistency": "7/10", "CREATIVITY": 6, "educational value": 5, "Child safe": "yes."}`, good, ""},
		{"childSafe no", `{"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5, "childSafe": "no"}`,
			Grade{Grammar: 8, Consistency: 7, Creativity: 6, Educational: 5}, ""},
		{"braces inside strings", `{"grammar": 8, "note": "a } here { and", "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, good, ""},
		{"missing field", `{"grammar": 8, "consistency": 7, "creativity": 6, "child_safe": "yes"}`, Grade{}, `missing "educational"`},
		{"missing child_safe", `{"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5}`, Grade{}, `missing "child_safe"`},
		{"too high", `{"grammar": 11, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, Grade{}, "outside 1..10"},
		{"zero", `{"grammar": 0, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, Grade{}, "outside 1..10"},
		{"negative", `{"grammar": 8, "consistency": -3, "creativity": 6, "educational": 5, "child_safe": "yes"}`, Grade{}, "outside 1..10"},
		{"out of 5", `{"grammar": "4/5", "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, Grade{}, "out of 10"},
		{"word mark", `{"grammar": "good", "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, Grade{}, "not a number"},
		{"null mark", `{"grammar": null, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "yes"}`, Grade{}, "not a number"},
		{"maybe safe", `{"grammar": 8, "consistency": 7, "creativity": 6, "educational": 5, "child_safe": "maybe"}`, Grade{}, "not yes or no"},
		{"garbage", `The story is lovely, 9 out of 10!`, Grade{}, "no JSON object"},
		{"empty", ``, Grade{}, "no JSON object"},
		{"unclosed", `{"grammar": 8, "consistency": 7`, Grade{}, "no JSON object"},
		{"array", `[8, 7, 6, 5, "yes"]`, Grade{}, "no JSON object"},
		{"only braces", strings.Repeat("{", 10000), Grade{}, "no JSON object"},
	} {
		g, err := ParseGrade(c.reply)
		if c.err == "" {
			if err != nil || g != c.want {
				t.Errorf("%s: got %+v, %v; want %+v", c.name, g, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.err)
		}
	}
}

func TestJudgePromptHasMarker(t *testing.T) {
	if JudgeMarker != teachertest.JudgeMarker || !strings.Contains(JudgePrompt("x"), JudgeMarker) {
		t.Error("the fake server would not see judge prompts")
	}
	if got := teachertest.StoryOf(JudgePrompt("A story.\nTwo lines.")); got != "A story.\nTwo lines." {
		t.Errorf("StoryOf(JudgePrompt) = %q", got)
	}
}

func TestJudge(t *testing.T) {
	const valid = `{"grammar": 9, "consistency": 8, "creativity": 7, "educational": 6, "child_safe": "yes"}`
	const unsafe = `{"grammar": 9, "consistency": 8, "creativity": 7, "educational": 6, "child_safe": "no"}`
	replies := func(rs ...string) func(teachertest.Request) string {
		var n atomic.Int32
		return func(teachertest.Request) string {
			i := int(n.Add(1)) - 1
			return rs[min(i, len(rs)-1)]
		}
	}
	for _, c := range []struct {
		name      string
		grade     func(teachertest.Request) string
		threshold float64
		retries   int
		pass      bool
		attempts  int
		err       bool // Judgement.Error set
	}{
		{"valid", replies(valid), 7, 2, true, 1, false},
		{"below threshold", replies(valid), 7.6, 2, false, 1, false},
		{"not child safe", replies(unsafe), 1, 2, false, 1, false},
		{"malformed then valid", replies("I'd give it an 8.", valid), 7, 2, true, 2, false},
		{"always malformed", replies("no idea"), 1, 2, false, 3, true},
		{"out of range, no retries", replies(`{"grammar": 12}`), 1, 0, false, 1, true},
	} {
		srv := teachertest.NewServer(teachertest.Config{Grade: c.grade})
		cl, _ := newClient(srv, Ollama)
		j, err := cl.Judge(context.Background(), "A story.", JudgeOptions{Threshold: c.threshold, Retries: c.retries, JSONMode: true})
		reqs := srv.Requests()
		srv.Close()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if j.Pass != c.pass || j.Attempts != c.attempts || (j.Error != "") != c.err || (j.Grade == nil) != c.err {
			t.Errorf("%s: judgement %+v", c.name, j)
		}
		if !c.err && j.Score != 7.5 {
			t.Errorf("%s: score %v, want 7.5", c.name, j.Score)
		}
		if j.Usage.PromptTokens == 0 || len(reqs) != c.attempts || !reqs[0].Judge || !reqs[0].JSONMode {
			t.Errorf("%s: usage %+v, requests %+v", c.name, j.Usage, reqs)
		}
	}

	// A request that fails (not a bad answer) is an error.
	srv := teachertest.NewServer(teachertest.Config{Hook: func(w http.ResponseWriter, r *http.Request, req teachertest.Request) bool {
		teachertest.WriteError(w, req.API, 403, "no")
		return true
	}})
	defer srv.Close()
	cl, _ := newClient(srv, OpenAI)
	if _, err := cl.Judge(context.Background(), "x", JudgeOptions{}); err == nil || Retryable(err) {
		t.Errorf("judge against a 403: error %v, want a non-retryable one", err)
	}
}
