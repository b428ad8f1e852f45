package report

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var nan = math.NaN()

// sameFloat is bit equality, so NaN equals NaN and -0 differs from 0.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

func sameRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Step != w.Step || !sameFloat(g.TrainLoss, w.TrainLoss) || !sameFloat(g.ValLoss, w.ValLoss) ||
			!sameFloat(g.LR, w.LR) || !sameFloat(g.TokensPerS, w.TokensPerS) || !sameFloat(g.GradNorm, w.GradNorm) {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	f32 := func(v float32) float64 { return float64(v) }
	tests := []struct {
		name string
		rows []Row
		want string // the file, when checked
	}{
		{"empty", nil, Header + "\n"},
		{"plain", []Row{
			{Step: 0, TrainLoss: 10.5, ValLoss: 10.25, LR: 0, TokensPerS: 0, GradNorm: 3},
			{Step: 10, TrainLoss: 4.125, ValLoss: nan, LR: 6e-4, TokensPerS: 12345.5, GradNorm: 0.75},
		}, Header + "\n0,10.5,10.25,0,0,3\n10,4.125,,0.0006,12345.5,0.75\n"},
		{"float32 values", []Row{
			{Step: 1, TrainLoss: f32(3.2141), ValLoss: f32(3.3), LR: f32(6e-4), TokensPerS: f32(12345.678), GradNorm: f32(0.1)},
		}, ""},
		{"awkward values", []Row{
			{Step: 2, TrainLoss: 0.1 + 0.2, ValLoss: math.SmallestNonzeroFloat64, LR: 1e-300, TokensPerS: 1e21, GradNorm: math.MaxFloat64},
			{Step: 3, TrainLoss: nan, ValLoss: math.Inf(1), LR: math.Copysign(0, -1), TokensPerS: math.Inf(-1), GradNorm: nan},
			{Step: -1, TrainLoss: 1.0 / 3, ValLoss: 2.0 / 3, LR: math.Pi, TokensPerS: math.E, GradNorm: math.Sqrt2},
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "metrics.csv")
			if err := WriteCSV(path, tc.rows); err != nil {
				t.Fatal(err)
			}
			first, _ := os.ReadFile(path)
			if !strings.HasPrefix(string(first), Header+"\n") {
				t.Fatalf("file starts %q", first)
			}
			if tc.want != "" && string(first) != tc.want {
				t.Errorf("file\n%s\nwant\n%s", first, tc.want)
			}
			got, err := ReadCSV(path)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, got, tc.rows)
			// Writing what was read gives the same bytes (a resumed run's file
			// equals an uninterrupted one's).
			if err := WriteCSV(path, got); err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(path)
			if string(second) != string(first) {
				t.Errorf("rewrite differs:\n%s\n%s", first, second)
			}
			// Appending row by row gives the same bytes too.
			app := filepath.Join(dir, "appended.csv")
			if err := AppendCSV(app); err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.rows {
				if err := AppendCSV(app, r); err != nil {
					t.Fatal(err)
				}
			}
			third, _ := os.ReadFile(app)
			if string(third) != string(first) {
				t.Errorf("appended file differs:\n%s\n%s", third, first)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 2 {
				t.Errorf("folder holds %d entries, want 2 (no temporary files)", len(entries))
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // in the error
		rows    int    // rows returned with the error
	}{
		{"empty file", "", "no header", 0},
		{"wrong header", "step,loss\n1,2\n", "line 1: header", 0},
		{"header with a space", "step, train_loss,val_loss,lr,tokens_per_s,grad_norm\n", "line 1: header", 0},
		{"too few fields", Header + "\n1,2,,3,4,5\n2,2,,3,4\n", "line 3: 5 fields, want 6", 1},
		{"too many fields", Header + "\n1,2,,3,4,5,6\n", "line 2: 7 fields", 0},
		{"step not an integer", Header + "\n1.5,2,,3,4,5\n", `line 2: step "1.5" is not an integer`, 0},
		{"bad loss", Header + "\n1,2,,3,4,5\n\n3,x,,3,4,5\n", `line 4: train_loss "x" is not a number`, 1},
		{"empty train loss", Header + "\n1,,,3,4,5\n", "line 2: train_loss is empty", 0},
		{"empty grad norm", Header + "\n1,2,,3,4,\n", "line 2: grad_norm is empty", 0},
		{"torn last line", Header + "\n1,2,,3,4,5\n2,2.5,", "line 3: 3 fields", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "metrics.csv")
			os.WriteFile(path, []byte(tc.content), 0o644)
			rows, err := ReadCSV(path)
			if err == nil {
				t.Fatalf("no error, rows %+v", rows)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want %q and the path", err, tc.want)
			}
			if len(rows) != tc.rows {
				t.Errorf("%d rows with the error, want %d", len(rows), tc.rows)
			}
		})
	}
}

func TestReadCSVMissingAndCRLF(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadCSV(filepath.Join(dir, "none.csv"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
	path := filepath.Join(dir, "crlf.csv")
	os.WriteFile(path, []byte(Header+"\r\n5,1.5,,0.001,100,2\r\n6,1.25,1.375,0.001,100,2\r\n"), 0o644)
	rows, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, rows, []Row{{5, 1.5, nan, 0.001, 100, 2}, {6, 1.25, 1.375, 0.001, 100, 2}})
}

func TestAppendCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics.csv")
	if err := AppendCSV(path, Row{1, 2, nan, 3, 4, 5}, Row{2, 2, 1, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if err := AppendCSV(path, Row{3, 2, nan, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := Header + "\n1,2,,3,4,5\n2,2,1,3,4,5\n3,2,,3,4,5\n"
	if string(b) != want {
		t.Errorf("file %q, want %q", b, want)
	}

	tests := []struct {
		name, content, want string
	}{
		{"foreign header", "a,b\n1,2\n", "header is not"},
		{"short header", "step\n", "header is not"},
		{"torn last line", Header + "\n1,2,", "does not end with a newline"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "metrics.csv")
			os.WriteFile(path, []byte(tc.content), 0o644)
			err := AppendCSV(path, Row{Step: 9})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Errorf("file changed to %q", b)
			}
		})
	}
	if err := AppendCSV(filepath.Join(dir, "missing", "m.csv"), Row{}); err == nil {
		t.Error("append into a missing folder succeeded")
	}
}

func TestTruncate(t *testing.T) {
	rows := []Row{{Step: 0}, {Step: 10}, {Step: 20}, {Step: 30}}
	tests := []struct {
		step int
		want []int
	}{
		{-1, nil},
		{0, []int{0}},
		{15, []int{0, 10}},
		{20, []int{0, 10, 20}},
		{1000, []int{0, 10, 20, 30}},
	}
	for _, tc := range tests {
		got := Truncate(rows, tc.step)
		var steps []int
		for _, r := range got {
			steps = append(steps, r.Step)
		}
		if len(steps) != len(tc.want) {
			t.Errorf("Truncate(%d) = %v, want %v", tc.step, steps, tc.want)
			continue
		}
		for i := range steps {
			if steps[i] != tc.want[i] {
				t.Errorf("Truncate(%d) = %v, want %v", tc.step, steps, tc.want)
			}
		}
	}
	// rows is left as it was.
	out := Truncate(rows, 10)
	out = append(out, Row{Step: 99})
	if rows[2].Step != 20 {
		t.Errorf("Truncate changed its input: %+v", rows)
	}
}
