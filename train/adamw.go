package train

import (
	"math"
)

// AdamW is the optimizer: Adam with decoupled weight decay (Loshchilov &
// Hutter), as torch.optim.AdamW computes it, on float32 moments:
//
//	p ← p·(1 − lr·wd)            (matrices only, Param.Decay)
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − (lr/(1−β1ᵗ)) · m / (√v/√(1−β2ᵗ) + eps)
type AdamW struct {
	Beta1, Beta2, Eps, WeightDecay float64
	// DecayAll applies weight decay to every parameter, norm weights too.
	DecayAll bool

	M, V []float32 // first and second moments, laid out as Model.W
	T    int       // steps taken
}

// NewAdamW returns the optimizer for a model with torch's defaults for the
// betas and eps that llama2.c and nanoGPT use (0.9, 0.95, 1e-8).
func NewAdamW(m *Model, weightDecay float64) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: weightDecay, M: touched(len(m.W)), V: touched(len(m.W))}
}

// Update applies one step with learning rate lr to m.W from m.G.
func (o *AdamW) Update(m *Model, lr float64) {
	o.T++
	m.op.lr, m.op.opt = lr, o
	m.parallel((len(m.W)+sumBlock-1)/sumBlock, (*Model).adamwBlocks)
	m.op.opt = nil
}

// adamwBlocks updates blocks [lo, hi) of sumBlock floats, each part of a
// block with its parameter's decay.
func (m *Model) adamwBlocks(_, lo, hi int) {
	o := m.op.opt
	lr := m.op.lr
	bc1 := 1 - math.Pow(o.Beta1, float64(o.T))
	bc2 := 1 - math.Pow(o.Beta2, float64(o.T))
	step := float32(lr / bc1)
	sq2 := float32(math.Sqrt(bc2))
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	eps := float32(o.Eps)
	b0, b1e := lo*sumBlock, min(len(m.W), hi*sumBlock)
	for _, p := range m.Params {
		s, e := max(p.Off, b0), min(p.Off+p.Len, b1e)
		if s >= e {
			continue
		}
		w, g := m.W[s:e], m.G[s:e]
		mm, vv := o.M[s:e], o.V[s:e]
		decay := float32(1)
		if p.Decay || o.DecayAll {
			decay = float32(1 - lr*o.WeightDecay)
		}
		for i, gi := range g {
			mi := b1*mm[i] + (1-b1)*gi
			vi := b2*vv[i] + (1-b2)*gi*gi
			mm[i], vv[i] = mi, vi
			w[i] = w[i]*decay - step*mi/(float32(math.Sqrt(float64(vi)))/sq2+eps)
		}
	}
}

// GradNorm returns the global L2 norm of m.G (summed in float64, in fixed
// blocks, so the result is reproducible).
func (m *Model) GradNorm() float64 {
	n := len(m.G)
	blocks := (n + sumBlock - 1) / sumBlock
	m.parallel(blocks, (*Model).sumSquares)
	var s float64
	for _, v := range m.a.sumPart[:blocks] {
		s += v
	}
	return math.Sqrt(s)
}

func (m *Model) sumSquares(_, lo, hi int) {
	for b := lo; b < hi; b++ {
		var s float64
		for _, v := range m.G[b*sumBlock : min(len(m.G), (b+1)*sumBlock)] {
			s += float64(v) * float64(v)
		}
		m.a.sumPart[b] = s
	}
}

// ClipGrad scales m.G so that its global norm is at most maxNorm, as
// torch.nn.utils.clip_grad_norm_ does (factor maxNorm/(norm+1e-6) when
// below 1), and returns the norm before clipping.
func (m *Model) ClipGrad(maxNorm float64) float64 {
	norm := m.GradNorm()
	if maxNorm <= 0 {
		return norm
	}
	if k := maxNorm / (norm + 1e-6); k < 1 {
		m.op.scale = float32(k)
		m.parallel((len(m.G)+sumBlock-1)/sumBlock, (*Model).scaleGrads)
	}
	return norm
}

func (m *Model) scaleGrads(_, lo, hi int) {
	k := m.op.scale
	for i := range m.G[lo*sumBlock : min(len(m.G), hi*sumBlock)] {
		m.G[lo*sumBlock+i] *= k
	}
}

// ZeroGrad sets every gradient to zero.
func (m *Model) ZeroGrad() {
	m.parallel((len(m.G)+sumBlock-1)/sumBlock, (*Model).zeroGrads)
}

func (m *Model) zeroGrads(_, lo, hi int) { clear(m.G[lo*sumBlock : min(len(m.G), hi*sumBlock)]) }

// Schedule is the learning rate: linear warmup from lr/Warmup to LR over
// Warmup steps, then a cosine decay to MinLR at step Steps (and MinLR
// after), as llama2.c and nanoGPT schedule it.
type Schedule struct {
	LR, MinLR     float64
	Warmup, Steps int
}

// At returns the learning rate of step s (1-based).
func (s Schedule) At(step int) float64 {
	if step <= s.Warmup {
		return s.LR * float64(step) / float64(max(s.Warmup, 1))
	}
	if step >= s.Steps {
		return s.MinLR
	}
	r := float64(step-s.Warmup) / float64(s.Steps-s.Warmup)
	return s.MinLR + 0.5*(1+math.Cos(math.Pi*r))*(s.LR-s.MinLR)
}
