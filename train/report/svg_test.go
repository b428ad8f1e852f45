package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// curve is a plausible run: a loss falling from about 10.4 towards 2 with
// validation every evalEvery rows.
func curve(n, evalEvery int, first float64) []Row {
	rows := make([]Row, n)
	for i := range rows {
		step := i * 10
		loss := 2 + 8*math.Exp(-float64(step)/300) + 0.05*math.Sin(float64(i))
		rows[i] = Row{Step: step, TrainLoss: loss, ValLoss: nan, LR: 6e-4, TokensPerS: 12000, GradNorm: 1}
		if evalEvery > 0 && i%evalEvery == 0 {
			rows[i].ValLoss = loss + 0.1
		}
	}
	if n > 0 && first != 0 {
		rows[0].TrainLoss = first
	}
	return rows
}

// svgInfo is what the tests look for in a rendered SVG.
type svgInfo struct {
	ids       map[string]bool
	texts     []string
	valPoints int
	root      string
	width     string
	height    string
}

// parseSVG checks that b is well-formed XML and collects element ids, text
// and the validation dots.
func parseSVG(t *testing.T, b []byte) svgInfo {
	t.Helper()
	info := svgInfo{ids: map[string]bool{}}
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				info.root = e.Name.Local
			}
			if e.Name.Local == "script" || e.Name.Local == "image" || e.Name.Local == "foreignObject" || e.Name.Local == "style" {
				t.Errorf("element <%s> in a self-contained SVG", e.Name.Local)
			}
			for _, a := range e.Attr {
				if a.Name.Local == "id" {
					info.ids[a.Value] = true
				}
				if a.Name.Local == "href" || strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("attribute %s=%q", a.Name.Local, a.Value)
				}
				if len(stack) == 0 && a.Name.Local == "width" {
					info.width = a.Value
				}
				if len(stack) == 0 && a.Name.Local == "height" {
					info.height = a.Value
				}
				if strings.Contains(a.Value, "NaN") || strings.Contains(a.Value, "Inf") {
					t.Errorf("<%s %s=%q>", e.Name.Local, a.Name.Local, a.Value)
				}
			}
			if e.Name.Local == "circle" && len(stack) > 0 && stack[len(stack)-1] == "val-points" {
				info.valPoints++
			}
			id := ""
			for _, a := range e.Attr {
				if a.Name.Local == "id" {
					id = a.Value
				}
			}
			stack = append(stack, id)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if s := strings.TrimSpace(string(e)); s != "" {
				info.texts = append(info.texts, s)
			}
		}
	}
	return info
}

func TestRenderSVG(t *testing.T) {
	withNaN := curve(50, 10, 0)
	withNaN[5].TrainLoss = nan
	withNaN[6].TrainLoss = math.Inf(1)
	withNaN[7].TrainLoss = math.Inf(-1)
	withNaN[20].ValLoss = math.Inf(1)

	tests := []struct {
		name      string
		rows      []Row
		train     bool // a train polyline or dot
		val       bool // a val polyline
		valPoints int
		clipped   bool
		texts     []string // among the text
	}{
		{"no rows", nil, false, false, 0, false, []string{"no data", "train no data", "val no data"}},
		{"one row", []Row{{Step: 0, TrainLoss: 10.4, ValLoss: 10.5}}, true, false, 1, false,
			[]string{"train 10.4000 (step 0)", "val 10.5000 (step 0)"}},
		{"one row without validation", []Row{{Step: 7, TrainLoss: 3, ValLoss: nan}}, true, false, 0, false,
			[]string{"train 3.0000 (step 7)", "val no data"}},
		{"all-NaN validation", curve(100, 0, 0), true, false, 0, false, []string{"val no data", "step", "loss"}},
		{"normal", curve(200, 20, 0), true, true, 10, false, []string{"step", "loss", "0", "2000"}},
		{"NaN and Inf skipped", withNaN, true, true, 4, false, nil},
		{"huge first loss", curve(200, 20, 1e6), true, true, 10, true, []string{"(step 1990)"}},
		{"mild first loss is not clipped", curve(200, 20, 11), true, true, 10, false, nil},
		{"all-NaN training", []Row{{Step: 1, TrainLoss: nan, ValLoss: nan}, {Step: 2, TrainLoss: nan, ValLoss: nan}}, false, false, 0, false,
			[]string{"no data"}},
		{"constant loss", []Row{{Step: 0, TrainLoss: 2, ValLoss: nan}, {Step: 100, TrainLoss: 2, ValLoss: nan}}, true, false, 0, false,
			[]string{"2.0000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderSVG(&buf, tc.rows, "phi3 d=256 L=4 <&>"); err != nil {
				t.Fatal(err)
			}
			info := parseSVG(t, buf.Bytes())
			if info.root != "svg" || info.width != "800" || info.height != "480" {
				t.Errorf("root <%s width=%s height=%s>", info.root, info.width, info.height)
			}
			if info.ids["train"] != tc.train {
				t.Errorf("train series drawn: %v, want %v", info.ids["train"], tc.train)
			}
			if info.ids["val"] != tc.val {
				t.Errorf("val line drawn: %v, want %v", info.ids["val"], tc.val)
			}
			if info.valPoints != tc.valPoints {
				t.Errorf("%d validation dots, want %d", info.valPoints, tc.valPoints)
			}
			if !info.ids["legend"] {
				t.Error("no legend")
			}
			all := strings.Join(info.texts, "\n")
			if !strings.Contains(all, "phi3 d=256 L=4 <&>") {
				t.Errorf("title missing from %q", all)
			}
			if got := strings.Contains(all, "clipped"); got != tc.clipped {
				t.Errorf("clipped note: %v, want %v", got, tc.clipped)
			}
			for _, s := range tc.texts {
				if !strings.Contains(all, s) {
					t.Errorf("text %q missing from %q", s, all)
				}
			}
			var again bytes.Buffer
			RenderSVG(&again, tc.rows, "phi3 d=256 L=4 <&>")
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("two renderings differ")
			}
		})
	}
}

func TestWriteSVG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "loss.svg")
	rows := curve(200, 20, 0)
	if err := WriteSVG(path, rows, "run"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	RenderSVG(&buf, rows, "run")
	if !bytes.Equal(b, buf.Bytes()) {
		t.Error("file differs from RenderSVG")
	}
	if err := WriteSVG(filepath.Join(dir, "missing", "loss.svg"), rows, ""); err == nil {
		t.Error("write into a missing folder succeeded")
	}
	// SVG_OUT=folder keeps sample renderings to look at (rsvg-convert).
	if out := os.Getenv("SVG_OUT"); out != "" {
		withNaN := curve(300, 25, 0)
		withNaN[40].TrainLoss = nan
		for name, rows := range map[string][]Row{
			"normal": curve(201, 20, 0), "huge-first": curve(201, 20, 1e6), "one-row": {{Step: 0, TrainLoss: 10.4, ValLoss: 10.5}},
			"empty": nil, "no-val": curve(150, 0, 0), "nan": withNaN,
		} {
			if err := WriteSVG(filepath.Join(out, name+".svg"), rows, "phi3 d=256 L=4 H=4 ctx=512 ("+name+")"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestTicks(t *testing.T) {
	tests := []struct {
		lo, hi         float64
		target         int
		tlo, thi, step float64
	}{
		{0, 2000, 8, 0, 2000, 500}, // 2000/8 = 250, up to 1-2-5: 500
		{1.93, 10.4, 6, 0, 12, 2},
		{2.01, 2.37, 6, 2, 2.4, 0.1},
		{0, 1, 5, 0, 1, 0.2},
		{3, 3, 6, 2.7, 3.3, 0.1},
		{0, 0, 6, -1, 1, 0.5},
		{0, 7, 8, 0, 7, 1},
		{-0.5, 0.5, 6, -0.6, 0.6, 0.2},
	}
	for _, tc := range tests {
		tlo, thi, step := ticks(tc.lo, tc.hi, tc.target)
		if math.Abs(tlo-tc.tlo) > 1e-9 || math.Abs(thi-tc.thi) > 1e-9 || math.Abs(step-tc.step) > 1e-12 {
			t.Errorf("ticks(%v, %v, %d) = %v, %v, %v; want %v, %v, %v", tc.lo, tc.hi, tc.target, tlo, thi, step, tc.tlo, tc.thi, tc.step)
		}
	}
	labels := []struct {
		v, step float64
		want    string
	}{
		{2.4000000000000004, 0.1, "2.4"},
		{1e-17, 0.2, "0.0"},
		{-1e-17, 0.5, "0.0"},
		{2000, 500, "2000"},
		{0.25, 0.05, "0.25"},
		{0.015, 0.005, "0.015"},
	}
	for _, tc := range labels {
		if got := tickLabel(tc.v, tc.step); got != tc.want {
			t.Errorf("tickLabel(%v, %v) = %q, want %q", tc.v, tc.step, got, tc.want)
		}
	}
}
