package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var (
	inf = float32(math.Inf(1))
	nan = float32(math.NaN())
)

// opts returns options with every filter and penalty disabled, the given
// temperature and a fixed seed; tests switch on what they exercise.
func opts(temperature float32) Options {
	return Options{
		Temperature:   temperature,
		TopP:          1,
		RepeatPenalty: 1,
		RepeatLastN:   64,
		Seed:          1,
	}
}

func mustNew(t testing.TB, o Options, vocab int) *Sampler {
	t.Helper()
	s, err := New(o, vocab)
	if err != nil {
		t.Fatalf("New(%+v, %d): %v", o, vocab, err)
	}
	return s
}

// softmax returns softmax(l/temperature) in float64.
func softmax(l []float32, temperature float64) []float64 {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, float64(v))
	}
	p := make([]float64, len(l))
	var z float64
	for i, v := range l {
		p[i] = math.Exp((float64(v) - m) / temperature)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
	return p
}

// randomLogits returns n logits drawn from N(0, scale²) by r.
func randomLogits(r *rand.Rand, n int, scale float64) []float32 {
	l := make([]float32, n)
	for i := range l {
		l[i] = float32(r.NormFloat64() * scale)
	}
	return l
}

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	want := Options{
		Temperature: 0.8, TopK: 40, TopP: 0.9, MinP: 0,
		RepeatPenalty: 1, RepeatLastN: 64,
		PresencePenalty: 0, FrequencyPenalty: 0, Seed: -1,
	}
	if o != want {
		t.Errorf("DefaultOptions() = %+v, want %+v", o, want)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("DefaultOptions().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	nan32 := float32(math.NaN())
	tests := []struct {
		name    string
		modify  func(*Options)
		wantErr string // substring; "" means valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"greedy", func(o *Options) { o.Temperature = 0 }, ""},
		{"zero value", func(o *Options) { *o = Options{} }, "zero Options"},
		{"negative temperature", func(o *Options) { o.Temperature = -0.1 }, "Temperature"},
		{"NaN temperature", func(o *Options) { o.Temperature = nan32 }, "Temperature"},
		{"Inf temperature", func(o *Options) { o.Temperature = inf }, "Temperature"},
		{"top_p 0", func(o *Options) { o.TopP = 0 }, "TopP"},
		{"top_p negative", func(o *Options) { o.TopP = -0.5 }, "TopP"},
		{"top_p above 1", func(o *Options) { o.TopP = 1.01 }, "TopP"},
		{"top_p NaN", func(o *Options) { o.TopP = nan32 }, "TopP"},
		{"top_p 1", func(o *Options) { o.TopP = 1 }, ""},
		{"top_p tiny", func(o *Options) { o.TopP = 1e-9 }, ""},
		{"min_p negative", func(o *Options) { o.MinP = -0.01 }, "MinP"},
		{"min_p above 1", func(o *Options) { o.MinP = 1.5 }, "MinP"},
		{"min_p NaN", func(o *Options) { o.MinP = nan32 }, "MinP"},
		{"min_p 1", func(o *Options) { o.MinP = 1 }, ""},
		{"repeat_penalty 0", func(o *Options) { o.RepeatPenalty = 0 }, "RepeatPenalty"},
		{"repeat_penalty negative", func(o *Options) { o.RepeatPenalty = -1.1 }, "RepeatPenalty"},
		{"repeat_penalty NaN", func(o *Options) { o.RepeatPenalty = nan32 }, "RepeatPenalty"},
		{"repeat_penalty Inf", func(o *Options) { o.RepeatPenalty = inf }, "RepeatPenalty"},
		{"repeat_penalty below 1", func(o *Options) { o.RepeatPenalty = 0.9 }, ""},
		{"repeat_last_n -2", func(o *Options) { o.RepeatLastN = -2 }, "RepeatLastN"},
		{"repeat_last_n -1", func(o *Options) { o.RepeatLastN = -1 }, ""},
		{"presence NaN", func(o *Options) { o.PresencePenalty = nan32 }, "PresencePenalty"},
		{"presence negative", func(o *Options) { o.PresencePenalty = -2 }, ""},
		{"frequency Inf", func(o *Options) { o.FrequencyPenalty = -inf }, "FrequencyPenalty"},
		{"top_k negative", func(o *Options) { o.TopK = -5 }, ""},
		{"negative seed", func(o *Options) { o.Seed = -42 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.modify(&o)
			err := o.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error mentioning %q", err, tt.wantErr)
			}
			if _, err := New(o, 10); err == nil {
				t.Fatalf("New accepted invalid options %+v", o)
			}
		})
	}

	t.Run("all problems reported", func(t *testing.T) {
		o := DefaultOptions()
		o.Temperature, o.TopP, o.MinP = -1, 2, 2
		err := o.Validate()
		for _, f := range []string{"Temperature", "TopP", "MinP"} {
			if err == nil || !strings.Contains(err.Error(), f) {
				t.Errorf("Validate() = %v, want it to mention %s", err, f)
			}
		}
	})
}

func TestNewVocabSize(t *testing.T) {
	bad := []int{0, -1}
	if strconv.IntSize == 64 {
		tooBig := int64(math.MaxInt32) + 1
		bad = append(bad, int(tooBig))
	}
	for _, n := range bad {
		if _, err := New(DefaultOptions(), n); err == nil {
			t.Errorf("New(DefaultOptions(), %d) succeeded, want error", n)
		}
	}
	if _, err := New(DefaultOptions(), 1); err != nil {
		t.Errorf("New(DefaultOptions(), 1) = %v", err)
	}
}

func TestSampleWrongLengthPanics(t *testing.T) {
	s := mustNew(t, DefaultOptions(), 4)
	defer func() {
		if recover() == nil {
			t.Error("Sample with 3 logits for vocab 4 did not panic")
		}
	}()
	s.Sample([]float32{1, 2, 3}, nil)
}

func TestGreedy(t *testing.T) {
	tests := []struct {
		name   string
		logits []float32
		want   int32
	}{
		{"single", []float32{0.5}, 0},
		{"max in middle", []float32{0.1, 3, -2, 2.9}, 1},
		{"max last", []float32{-5, -4, -3, -2}, 3},
		{"tie picks lowest id", []float32{1, 7, 3, 7, 7}, 1},
		{"all equal", []float32{2, 2, 2}, 0},
		{"negative", []float32{-1.5, -0.5, -0.25, -9}, 2},
		{"max float", []float32{0, math.MaxFloat32, 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, opts(0), len(tt.logits))
			if got := s.Sample(tt.logits, nil); got != tt.want {
				t.Errorf("Sample(%v) = %d, want %d", tt.logits, got, tt.want)
			}
		})
	}
}

// TestGreedyIgnoresFilters checks that temperature 0 returns the argmax
// whatever the filters, and consumes no randomness.
func TestGreedyIgnoresFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	o := DefaultOptions()
	o.Temperature, o.TopK, o.TopP, o.MinP, o.Seed = 0, 3, 0.1, 0.5, -1
	s := mustNew(t, o, 1000)
	for range 50 {
		l := randomLogits(r, 1000, 3)
		want := int32(0)
		for i, v := range l {
			if v > l[want] {
				want = int32(i)
			}
		}
		if got := s.Sample(l, nil); got != want {
			t.Fatalf("greedy Sample = %d, want argmax %d", got, want)
		}
	}
}

// sequence returns n tokens sampled by a fresh Sampler from a fixed set of
// logits that changes with every step.
func sequence(t testing.TB, o Options, vocab, n int) []int32 {
	s := mustNew(t, o, vocab)
	r := rand.New(rand.NewPCG(99, 99))
	var out []int32
	for range n {
		l := randomLogits(r, vocab, 2)
		out = append(out, s.Sample(l, out))
	}
	return out
}

func TestDeterminism(t *testing.T) {
	configs := map[string]func(*Options){
		"defaults":  func(*Options) {},
		"no filter": func(o *Options) { o.TopK, o.TopP = 0, 1 },
		"top_p":     func(o *Options) { o.TopK = 0 },
		"min_p":     func(o *Options) { o.TopK, o.TopP, o.MinP = 0, 1, 0.05 },
		"penalties": func(o *Options) { o.RepeatPenalty, o.PresencePenalty, o.FrequencyPenalty = 1.3, 0.2, 0.1 },
	}
	for name, modify := range configs {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			o.Seed = 1234
			modify(&o)
			a := sequence(t, o, 500, 200)
			b := sequence(t, o, 500, 200)
			if !slices.Equal(a, b) {
				t.Fatalf("same seed gave different sequences:\n%v\n%v", a, b)
			}
		})
	}
}

// TestGoldenSequence pins the exact tokens of a seed, so that any change to
// the arithmetic, the order of operations or the generator, on any platform,
// is caught. Updating it is a deliberate, user-visible change.
func TestGoldenSequence(t *testing.T) {
	o := DefaultOptions()
	o.Seed = 42
	o.TopK = 0
	o.MinP = 0.02
	o.RepeatPenalty = 1.1
	got := sequence(t, o, 100, 24)
	want := []int32{89, 80, 56, 9, 91, 74, 43, 16, 44, 42, 90, 74, 13, 73, 69, 64, 35, 77, 67, 74, 62, 4, 89, 98}
	if !slices.Equal(got, want) {
		t.Errorf("seed 42 sequence = %#v\nwant %#v", got, want)
	}
}

func TestSeedsDiffer(t *testing.T) {
	o := DefaultOptions()
	o.Seed = 1
	a := sequence(t, o, 500, 100)
	o.Seed = 2
	b := sequence(t, o, 500, 100)
	if slices.Equal(a, b) {
		t.Fatalf("seeds 1 and 2 gave the same sequence %v", a)
	}
}

func TestRandomSeed(t *testing.T) {
	o := DefaultOptions()
	a := mustNew(t, o, 100)
	b := mustNew(t, o, 100)
	if a.Seed() == RandomSeed || b.Seed() == RandomSeed {
		t.Fatalf("random seed resolved to -1")
	}
	if a.Seed() == b.Seed() {
		t.Errorf("two random seeds are equal: %d", a.Seed())
	}
	// The reported seed reproduces the sequence.
	r := rand.New(rand.NewPCG(5, 5))
	o.Seed = a.Seed()
	c := mustNew(t, o, 100)
	for range 100 {
		l := randomLogits(r, 100, 2)
		if x, y := a.Sample(l, nil), c.Sample(l, nil); x != y {
			t.Fatalf("sampler with Seed() = %d diverged: %d vs %d", o.Seed, x, y)
		}
	}
}

// chiSquare returns the chi-square statistic of counts against the
// probabilities p for n draws, and whether some token with p == 0 was drawn.
func chiSquare(counts []int, p []float64, n int) (stat float64, impossible bool) {
	for i, c := range counts {
		e := p[i] * float64(n)
		if e == 0 {
			if c > 0 {
				impossible = true
			}
			continue
		}
		d := float64(c) - e
		stat += d * d / e
	}
	return stat, impossible
}

// TestDistribution checks that the sampled frequencies match the expected
// distribution. The seed is fixed, so the test is deterministic; the bound
// (the chi-square quantile at p = 1e-4 for the degrees of freedom used) is
// only there to say what a correct sampler must satisfy.
func TestDistribution(t *testing.T) {
	logits := []float32{1, 0.5, 0, -0.5, -1, 2, 1.5, -3}
	tests := []struct {
		name        string
		temperature float32
		topK        int
		topP        float32
		minP        float32
		want        []float64
	}{
		{name: "T=1 no filters", temperature: 1, topP: 1, want: softmax(logits, 1)},
		{name: "T=0.5", temperature: 0.5, topP: 1, want: softmax(logits, 0.5)},
		{name: "T=2", temperature: 2, topP: 1, want: softmax(logits, 2)},
		{
			// Top 3 are ids 5, 6, 0 with logits 2, 1.5, 1.
			name: "top_k=3", temperature: 1, topK: 3, topP: 1,
			want: padded(len(logits), map[int]float32{5: 2, 6: 1.5, 0: 1}, 1),
		},
		{
			// softmax: id5 .4046, id6 .2454, id0 .1488, ... so the nucleus
			// for 0.7 is {5, 6, 0} (cumulative .6500 < .7 <= .7988).
			name: "top_p=0.7", temperature: 1, topP: 0.7,
			want: padded(len(logits), map[int]float32{5: 2, 6: 1.5, 0: 1}, 1),
		},
		{
			// p/p_max = exp(l-2) >= 0.3 keeps l >= 2 + ln 0.3 = 0.796.
			name: "min_p=0.3", temperature: 1, topP: 1, minP: 0.3,
			want: padded(len(logits), map[int]float32{5: 2, 6: 1.5, 0: 1}, 1),
		},
	}
	const n = 200000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(tt.temperature)
			o.TopK, o.TopP, o.MinP, o.Seed = tt.topK, tt.topP, tt.minP, 2024
			s := mustNew(t, o, len(logits))
			counts := make([]int, len(logits))
			for range n {
				counts[s.Sample(logits, nil)]++
			}
			df := -1
			for _, p := range tt.want {
				if p > 0 {
					df++
				}
			}
			// Chi-square quantiles at 1 - 1e-4 for df = 2 and 7.
			limit := map[int]float64{2: 18.42, 7: 29.88}[df]
			stat, impossible := chiSquare(counts, tt.want, n)
			if impossible || stat > limit {
				t.Errorf("counts %v vs probabilities %v: chi2 = %.2f (limit %.2f), impossible draw = %v",
					counts, tt.want, stat, limit, impossible)
			}
		})
	}
}

// padded returns softmax over the given id -> logit entries, 0 elsewhere.
func padded(vocab int, keep map[int]float32, temperature float64) []float64 {
	var ids []int
	var l []float32
	for id, v := range keep {
		ids = append(ids, id)
		l = append(l, v)
	}
	p := softmax(l, temperature)
	out := make([]float64, vocab)
	for i, id := range ids {
		out[id] = p[i]
	}
	return out
}

// TestFiltersEqualGreedy checks the filters that must reduce sampling to
// argmax: top_k=1, a tiny top_p and min_p=1, on random logits with ties.
func TestFiltersEqualGreedy(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Options)
		ties   bool // also test with ties for the max
	}{
		{"top_k=1", func(o *Options) { o.TopK = 1 }, true},
		{"top_p tiny", func(o *Options) { o.TopP = 1e-6 }, true},
		{"top_p tiny with top_k", func(o *Options) { o.TopP, o.TopK = 1e-6, 50 }, true},
		// min_p=1 keeps every token tied with the max, so only without ties.
		{"min_p=1", func(o *Options) { o.MinP = 1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(1.5)
			tt.modify(&o)
			s := mustNew(t, o, 300)
			g := mustNew(t, opts(0), 300)
			r := rand.New(rand.NewPCG(3, 4))
			for i := range 300 {
				l := randomLogits(r, 300, 1)
				if tt.ties && i%2 == 0 { // make ties for the max
					for j := range l {
						l[j] = float32(math.Round(float64(l[j])))
					}
				}
				if got, want := s.Sample(l, nil), g.Sample(l, nil); got != want {
					t.Fatalf("Sample = %d, greedy = %d (logits %v)", got, want, l)
				}
			}
		})
	}
}

// filtered returns the result of s.filter as a candidate list, in drawing
// order, without the candidates of weight 0, which are never drawn; and the
// total weight.
func (s *Sampler) filtered() ([]cand, float64) {
	c, total, dense := s.filter()
	if !dense {
		return slices.DeleteFunc(c, func(e cand) bool { return e.w == 0 }), total
	}
	c = nil
	for i, w := range s.weights {
		if w != 0 {
			c = append(c, cand{w: w, l: min(s.work[i], math.MaxFloat32), id: int32(i)})
		}
	}
	return c, total
}

// kept returns the ids that survive the filters for logits.
func kept(s *Sampler, logits []float32) []int32 {
	s.prepare(logits, nil)
	var ids []int32
	c, _ := s.filtered()
	for _, c := range c {
		ids = append(ids, c.id)
	}
	slices.Sort(ids)
	return ids
}

func TestFilterSets(t *testing.T) {
	// ln of probabilities .5 .25 .15 .07 .03 (they sum to 1).
	ln := func(p float64) float32 { return float32(math.Log(p)) }
	probs := []float32{ln(.07), ln(.5), ln(.03), ln(.25), ln(.15)}
	tests := []struct {
		name   string
		modify func(*Options)
		logits []float32
		want   []int32
	}{
		{"no filter", func(*Options) {}, probs, []int32{0, 1, 2, 3, 4}},
		{"top_k 2", func(o *Options) { o.TopK = 2 }, probs, []int32{1, 3}},
		{"top_k >= vocab", func(o *Options) { o.TopK = 9 }, probs, []int32{0, 1, 2, 3, 4}},
		{"top_p 0.4", func(o *Options) { o.TopP = 0.4 }, probs, []int32{1}},
		{"top_p 0.6", func(o *Options) { o.TopP = 0.6 }, probs, []int32{1, 3}},
		{"top_p 0.85", func(o *Options) { o.TopP = 0.85 }, probs, []int32{1, 3, 4}},
		{"top_p 0.95", func(o *Options) { o.TopP = 0.95 }, probs, []int32{0, 1, 3, 4}},
		{"top_p 0.99", func(o *Options) { o.TopP = 0.99 }, probs, []int32{0, 1, 2, 3, 4}},
		// After top_k 3 the probabilities are .5 .25 .15 over .9.
		{"top_k 3 top_p 0.8", func(o *Options) { o.TopK, o.TopP = 3, 0.8 }, probs, []int32{1, 3}},
		{"top_k 3 top_p 0.9", func(o *Options) { o.TopK, o.TopP = 3, 0.9 }, probs, []int32{1, 3, 4}},
		// min_p compares with p_max = .5.
		{"min_p 0.1", func(o *Options) { o.MinP = 0.1 }, probs, []int32{0, 1, 3, 4}},
		{"min_p 0.2", func(o *Options) { o.MinP = 0.2 }, probs, []int32{1, 3, 4}},
		{"min_p 0.45", func(o *Options) { o.MinP = 0.45 }, probs, []int32{1, 3}},
		{"min_p 0.6", func(o *Options) { o.MinP = 0.6 }, probs, []int32{1}},
		{"min_p after top_p", func(o *Options) { o.TopP, o.MinP = 0.95, 0.2 }, probs, []int32{1, 3, 4}},
		{"top_p after min_p", func(o *Options) { o.TopP, o.MinP = 0.6, 0.1 }, probs, []int32{1, 3}},
		{"ties all kept by min_p", func(o *Options) { o.MinP = 1 }, []float32{1, 3, 3, 2}, []int32{1, 2}},
		{"tie at top_k boundary: lower id", func(o *Options) { o.TopK = 2 }, []float32{1, 3, 2, 2}, []int32{1, 2}},
		{"-Inf never kept", func(*Options) {}, []float32{-inf, 1, -inf}, []int32{1}},
		{"nothing usable", func(*Options) {}, []float32{-inf, nan}, nil},
		{"nothing usable top_k", func(o *Options) { o.TopK = 1 }, []float32{-inf, nan}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(1)
			tt.modify(&o)
			s := mustNew(t, o, len(tt.logits))
			if got := kept(s, tt.logits); !slices.Equal(got, tt.want) {
				t.Errorf("kept = %v, want %v", got, tt.want)
			}
		})
	}
}

// refFilter is a straightforward implementation of the filter chain with
// full sorts, used to check the optimised one on random inputs.
func refFilter(work []float32, o Options) []cand {
	var c []cand
	for i, v := range work {
		if v > negInf {
			c = append(c, cand{l: min(v, math.MaxFloat32), id: int32(i)})
		}
	}
	if len(c) == 0 {
		return nil
	}
	sorted := false
	if o.TopK > 0 && o.TopK < len(work) {
		slices.SortFunc(c, cmpCand)
		c = c[:min(o.TopK, len(c))]
		sorted = true
	}
	maxL := negInf
	for _, e := range c {
		maxL = max(maxL, e.l)
	}
	var z float64
	for i := range c {
		c[i].w = expNeg((float64(c[i].l) - float64(maxL)) * (1 / float64(o.Temperature)))
		z += c[i].w
	}
	if o.TopP < 1 {
		if !sorted {
			slices.SortFunc(c, cmpCand)
		}
		target, cum := float64(o.TopP)*z, 0.0
		for i := range c {
			if cum += c[i].w; cum >= target {
				c = c[:i+1]
				break
			}
		}
	}
	if o.MinP > 0 {
		c = slices.DeleteFunc(c, func(e cand) bool { return e.w < float64(o.MinP) })
	}
	return c
}

func TestFilterMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 1000 {
		vocab := 1 + r.IntN(3000)
		o := opts([]float32{0.1, 0.7, 1, 1.8}[r.IntN(4)])
		o.TopK = []int{0, 0, 1, 5, 40, vocab - 1, vocab + 3}[r.IntN(7)]
		o.TopP = []float32{1, 1, 0.05, 0.5, 0.9, 0.95, 0.999}[r.IntN(7)]
		o.MinP = []float32{0, 0, 0.001, 0.05, 0.3}[r.IntN(5)]
		l := randomLogits(r, vocab, []float64{0.3, 2, 8}[r.IntN(3)])
		for j := range l {
			switch r.IntN(20 + 200*r.IntN(2)) {
			case 3:
				l[j] = inf
			case 0:
				l[j] = float32(math.Round(float64(l[j]))) // ties
			case 1:
				l[j] = -inf
			case 2:
				l[j] = nan
			}
		}
		s := mustNew(t, o, vocab)
		s.prepare(l, nil)
		want := refFilter(slices.Clone(s.work), o)
		want = slices.DeleteFunc(want, func(e cand) bool { return e.w == 0 })
		got, total := s.filtered()
		var sum float64
		for _, e := range got {
			sum += e.w
		}
		if !slices.Equal(got, want) || total != sum {
			t.Fatalf("case %d (%+v, vocab %d): filter gave %d candidates, reference %d",
				i, o, vocab, len(got), len(want))
		}
	}
}

func TestRepeatPenalty(t *testing.T) {
	tests := []struct {
		name    string
		logits  []float32
		history []int32
		penalty float32
		lastN   int
		want    int32
		wantL0  float32 // penalised logit of id 0
	}{
		{"positive logit divided, argmax changes", []float32{2, 1.9, 0, 0}, []int32{0}, 1.1, 64, 1, 1.8181818},
		{"weak penalty keeps argmax", []float32{2, 1.9, 0, 0}, []int32{0}, 1.05, 64, 0, 1.9047619},
		{"counted once per distinct token", []float32{2, 1.9, 0, 0}, []int32{0, 0, 0}, 1.1, 64, 1, 1.8181818},
		{"negative logit multiplied", []float32{-1, -1.05, -3, -3}, []int32{0}, 1.1, 64, 1, -1.1},
		{"zero logit multiplied stays 0", []float32{0, -0.01, -3, -3}, []int32{0}, 1.5, 64, 0, 0},
		{"penalty below 1 favours repeats", []float32{1.9, 2, 0, 0}, []int32{0}, 0.9, 64, 0, 2.1111112},
		{"outside window", []float32{2, 1.9, 0, 0}, []int32{0, 2, 3}, 1.1, 2, 0, 2},
		{"window -1 is whole history", []float32{2, 1.9, 0, 0}, []int32{0, 2, 3}, 1.1, -1, 1, 1.8181818},
		{"window 0 disables", []float32{2, 1.9, 0, 0}, []int32{0}, 1.1, 0, 0, 2},
		{"window longer than history", []float32{2, 1.9, 0, 0}, []int32{0}, 1.1, 1000, 1, 1.8181818},
		{"out of range history ignored", []float32{2, 1.9, 0, 0}, []int32{-1, 4, 1 << 30}, 1.1, 64, 0, 2},
		{"penalised token still wins", []float32{5, 1, 0, 0}, []int32{0, 1}, 2, 64, 0, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(0)
			o.RepeatPenalty, o.RepeatLastN = tt.penalty, tt.lastN
			s := mustNew(t, o, len(tt.logits))
			if got := s.Sample(tt.logits, tt.history); got != tt.want {
				t.Errorf("Sample = %d, want %d", got, tt.want)
			}
			if got := s.work[0]; math.Abs(float64(got-tt.wantL0)) > 1e-6 {
				t.Errorf("penalised logit[0] = %v, want %v", got, tt.wantL0)
			}
			if s.counts != nil && slices.ContainsFunc(s.counts, func(c int32) bool { return c != 0 }) {
				t.Error("counts not reset after Sample")
			}
		})
	}
}

func TestPresenceFrequencyPenalty(t *testing.T) {
	tests := []struct {
		name                        string
		logits                      []float32
		history                     []int32
		repeat, presence, frequency float32
		lastN                       int
		want                        int32
		wantL                       []float32 // penalised logits
	}{
		{"frequency x3 flips", []float32{3, 2.5}, []int32{0, 0, 0}, 1, 0, 0.2, 64, 1, []float32{2.4, 2.5}},
		{"frequency x3 keeps", []float32{3, 2.5}, []int32{0, 0, 0}, 1, 0, 0.1, 64, 0, []float32{2.7, 2.5}},
		{"presence once keeps", []float32{3, 2.5}, []int32{0, 0, 0}, 1, 0.4, 0, 64, 0, []float32{2.6, 2.5}},
		{"presence once flips", []float32{3, 2.5}, []int32{0, 0, 0}, 1, 0.6, 0, 64, 1, []float32{2.4, 2.5}},
		{"frequency counts only window", []float32{3, 2.5}, []int32{0, 0, 0, 0}, 1, 0, 0.2, 2, 0, []float32{2.6, 2.5}},
		{"both tokens", []float32{3, 2.5}, []int32{0, 1, 1}, 1, 0.1, 0.2, 64, 0, []float32{2.7, 2.0}},
		// 3/1.2 = 2.5, - 2*0.1 - 0.1 = 2.2.
		{"repeat then frequency then presence", []float32{3, 2.3}, []int32{0, 0}, 1.2, 0.1, 0.1, 64, 1, []float32{2.2, 2.3}},
		{"negative presence favours", []float32{2, 2.5}, []int32{0}, 1, -1, 0, 64, 0, []float32{3, 2.5}},
		{"negative frequency favours", []float32{2, 2.5}, []int32{0, 0}, 1, 0, -0.5, 64, 0, []float32{3, 2.5}},
		{"window 0 disables all", []float32{3, 2.5}, []int32{0, 0}, 1.5, 1, 1, 0, 0, []float32{3, 2.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(0)
			o.RepeatPenalty, o.PresencePenalty, o.FrequencyPenalty, o.RepeatLastN =
				tt.repeat, tt.presence, tt.frequency, tt.lastN
			s := mustNew(t, o, len(tt.logits))
			if got := s.Sample(tt.logits, tt.history); got != tt.want {
				t.Errorf("Sample = %d, want %d", got, tt.want)
			}
			for i, w := range tt.wantL {
				if got := s.work[i]; math.Abs(float64(got-w)) > 1e-6 {
					t.Errorf("penalised logit[%d] = %v, want %v", i, got, w)
				}
			}
		})
	}
}

func TestMask(t *testing.T) {
	t.Run("greedy skips masked argmax", func(t *testing.T) {
		s := mustNew(t, opts(0), 4)
		s.SetMask([]int32{2})
		if got := s.Sample([]float32{1, 2, 9, 3}, nil); got != 3 {
			t.Errorf("Sample = %d, want 3", got)
		}
		s.SetMask([]int32{3}) // replaces the previous mask
		if got := s.Sample([]float32{1, 2, 9, 3}, nil); got != 2 {
			t.Errorf("after SetMask({3}): Sample = %d, want 2", got)
		}
		s.SetMask(nil)
		if got := s.Sample([]float32{1, 2, 3, 9}, nil); got != 3 {
			t.Errorf("after SetMask(nil): Sample = %d, want 3", got)
		}
	})

	t.Run("phi-3 padded rows", func(t *testing.T) {
		const vocab, real = 32064, 32011
		var pad []int32
		for id := int32(real); id < vocab; id++ {
			pad = append(pad, id)
		}
		r := rand.New(rand.NewPCG(1, 2))
		l := randomLogits(r, vocab, 1)
		for _, id := range pad {
			l[id] = 50 // would win every draw
		}
		for _, temp := range []float32{0, 0.8, 5} {
			o := DefaultOptions()
			o.Temperature, o.TopK, o.Seed = temp, 0, 3
			s := mustNew(t, o, vocab)
			s.SetMask(pad)
			for range 100 {
				if got := s.Sample(l, nil); got >= real {
					t.Fatalf("temperature %v: Sample returned padded id %d", temp, got)
				}
			}
		}
	})

	t.Run("only unmasked finite token", func(t *testing.T) {
		s := mustNew(t, opts(1), 4)
		s.SetMask([]int32{0, 1, 3})
		for range 50 {
			if got := s.Sample([]float32{5, 5, -100, 5}, nil); got != 2 {
				t.Fatalf("Sample = %d, want 2", got)
			}
		}
	})

	t.Run("out of range and duplicates ignored", func(t *testing.T) {
		s := mustNew(t, opts(0), 4)
		s.SetMask([]int32{-1, 4, 1 << 20, 0, 0, 1, 1, 2})
		if got := s.Sample([]float32{9, 9, 9, 1}, nil); got != 3 {
			t.Errorf("Sample = %d, want 3", got)
		}
	})

	t.Run("masking everything panics and clears", func(t *testing.T) {
		s := mustNew(t, opts(0), 3)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("SetMask of the whole vocabulary did not panic")
				}
			}()
			s.SetMask([]int32{2, 1, 0})
		}()
		if got := s.Sample([]float32{0, 5, 1}, nil); got != 1 {
			t.Errorf("after the panic Sample = %d, want 1 (mask cleared)", got)
		}
	})
}

func TestNonFiniteLogits(t *testing.T) {
	tests := []struct {
		name    string
		logits  []float32
		mask    []int32
		history []int32
		penalty float32
		greedy  int32   // the greedy result
		allowed []int32 // all possible sampled results; nil means {greedy}
	}{
		{"NaN at max", []float32{nan, 1, 2}, nil, nil, 1, 2, []int32{1, 2}},
		{"NaN everywhere but one", []float32{nan, nan, -7, nan}, nil, nil, 1, 2, nil},
		{"all NaN: lowest id", []float32{nan, nan, nan}, nil, nil, 1, 0, nil},
		{"all NaN: lowest unmasked id", []float32{nan, nan, nan}, []int32{0}, nil, 1, 1, nil},
		{"all -Inf", []float32{-inf, -inf, -inf}, nil, nil, 1, 0, nil},
		{"NaN and -Inf", []float32{-inf, nan, -inf}, []int32{0}, nil, 1, 2, nil},
		{"+Inf ties", []float32{1, inf, 3, inf}, nil, nil, 1, 1, []int32{1, 3}},
		{"masked +Inf", []float32{-inf, inf, 3}, []int32{1}, nil, 1, 2, nil},
		// -3e38 * 2 overflows to -Inf for both: fall back to the raw argmax.
		{"penalty overflow falls back to raw argmax", []float32{-3e38, -3.2e38, nan}, nil, []int32{0, 1}, 2, 0, nil},
		// 3e38 / 0.5 overflows to +Inf, clamped to MaxFloat32: id 0 wins.
		{"penalty overflow to +Inf is clamped", []float32{3e38, 3e38}, nil, []int32{0}, 0.5, 0, nil},
	}
	for _, tt := range tests {
		allowed := tt.allowed
		if allowed == nil {
			allowed = []int32{tt.greedy}
		}
		for _, temp := range []float32{0, 1} {
			for _, topK := range []int{0, 1} {
				want := allowed
				if temp == 0 || topK == 1 {
					want = []int32{tt.greedy}
				}
				o := opts(temp)
				o.RepeatPenalty, o.TopK = tt.penalty, topK
				s := mustNew(t, o, len(tt.logits))
				s.SetMask(tt.mask)
				seen := map[int32]bool{}
				for range 50 {
					got := s.Sample(tt.logits, tt.history)
					seen[got] = true
					if !slices.Contains(want, got) {
						t.Fatalf("%s (T=%v, top_k=%d): Sample = %d, want one of %v",
							tt.name, temp, topK, got, want)
					}
				}
				if len(seen) != len(want) {
					t.Errorf("%s (T=%v, top_k=%d): saw %v, want all of %v", tt.name, temp, topK, seen, want)
				}
			}
		}
	}
}

func TestSampleDoesNotModifyInputs(t *testing.T) {
	o := DefaultOptions()
	o.RepeatPenalty, o.FrequencyPenalty, o.Seed = 1.3, 0.5, 9
	s := mustNew(t, o, 1000)
	s.SetMask([]int32{5, 6})
	r := rand.New(rand.NewPCG(8, 8))
	l := randomLogits(r, 1000, 3)
	l[7] = nan
	h := []int32{1, 2, 3, 2, 5, -4, 5000}
	l0, h0 := slices.Clone(l), slices.Clone(h)
	for range 10 {
		s.Sample(l, h)
	}
	if !slices.EqualFunc(l, l0, func(a, b float32) bool { return a == b || (a != a && b != b) }) {
		t.Error("Sample modified logits")
	}
	if !slices.Equal(h, h0) {
		t.Error("Sample modified history")
	}
}

func TestZeroAllocs(t *testing.T) {
	const vocab = 32064
	r := rand.New(rand.NewPCG(1, 1))
	l := randomLogits(r, vocab, 3)
	h := make([]int32, 512)
	for i := range h {
		h[i] = int32(r.IntN(vocab))
	}
	for name, modify := range benchConfigs {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			o.Seed = 1
			modify(&o)
			s := mustNew(t, o, vocab)
			s.SetMask([]int32{32011, 32012})
			if a := testing.AllocsPerRun(20, func() { s.Sample(l, h) }); a != 0 {
				t.Errorf("Sample allocates %v times per call", a)
			}
		})
	}
}

func TestExpNeg(t *testing.T) {
	if got := expNeg(0); got != 1 {
		t.Errorf("expNeg(0) = %v, want 1", got)
	}
	if got := expNeg(math.Copysign(0, -1)); got != 1 {
		t.Errorf("expNeg(-0) = %v, want 1", got)
	}
	for _, x := range []float64{-709, -1e10, math.Inf(-1), math.NaN()} {
		if got := expNeg(x); got != 0 {
			t.Errorf("expNeg(%v) = %v, want 0", x, got)
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 100000 {
		var x float64
		switch i % 3 {
		case 0:
			x = -r.Float64()
		case 1:
			x = -r.Float64() * 40
		default:
			x = -r.Float64() * 708
		}
		want := math.Exp(x)
		if got := expNeg(x); math.Abs(got-want) > 1e-15*want {
			t.Fatalf("expNeg(%v) = %v, math.Exp = %v", x, got, want)
		}
	}
}

// benchConfigs are the option sets of BenchmarkSample and TestZeroAllocs,
// applied to DefaultOptions.
var benchConfigs = map[string]func(*Options){
	"defaults(top_k=40,top_p=0.9)": func(*Options) {},
	"greedy":                       func(o *Options) { o.Temperature = 0 },
	"top_p=0.9 only":               func(o *Options) { o.TopK = 0 },
	"min_p=0.05 only":              func(o *Options) { o.TopK, o.TopP, o.MinP = 0, 1, 0.05 },
	"top_p=0.9+min_p=0.05":         func(o *Options) { o.TopK, o.MinP = 0, 0.05 },
	"no filters":                   func(o *Options) { o.TopK, o.TopP = 0, 1 },
	"defaults+penalties(last 512)": func(o *Options) {
		o.RepeatPenalty, o.RepeatLastN, o.PresencePenalty, o.FrequencyPenalty = 1.1, 512, 0.1, 0.1
	},
}

// BenchmarkSample measures one Sample call with a 512-token history, for
// several option sets with Phi-3's vocabulary (32064), and for the defaults
// with a 200064-id vocabulary.
func BenchmarkSample(b *testing.B) {
	names := make([]string, 0, len(benchConfigs))
	for name := range benchConfigs {
		names = append(names, name)
	}
	slices.Sort(names)
	run := func(b *testing.B, vocab int, modify func(*Options)) {
		r := rand.New(rand.NewPCG(1, 1))
		// Logits shaped like a language model's: a broad N(0, 2.5²) bulk
		// with a few clear favourites.
		l := randomLogits(r, vocab, 2.5)
		for range 20 {
			l[r.IntN(vocab)] += 10
		}
		h := make([]int32, 512)
		for i := range h {
			h[i] = int32(r.IntN(vocab))
		}
		o := DefaultOptions()
		o.Seed = 1
		modify(&o)
		s := mustNew(b, o, vocab)
		b.ReportAllocs()
		for b.Loop() {
			s.Sample(l, h)
		}
	}
	for _, name := range names {
		b.Run("vocab=32064/"+name, func(b *testing.B) { run(b, 32064, benchConfigs[name]) })
	}
	b.Run("vocab=200064/defaults(top_k=40,top_p=0.9)", func(b *testing.B) { run(b, 200064, func(*Options) {}) })
}
