package synth

import "math/bits"

// rng is the generator's source of randomness: splitmix64, chosen because its
// output is fully specified here (math/rand's methods may change between Go
// releases, and a seed must give the same story forever) and it is fast.
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{s: seed} }

// next returns the next 64 random bits.
func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// mix64 is splitmix64's finalizer, a good 64-bit hash of x.
func mix64(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// intn returns a number in [0, n) (0 when n <= 0), by Lemire's
// multiply-high method (the tiny bias is irrelevant here).
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// chance reports true with probability pct/100.
func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

// pick returns a random element of xs (the zero value when xs is empty).
func pick[T any](r *rng, xs []T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	return xs[r.intn(len(xs))]
}

// shuffle permutes xs in place (Fisher-Yates).
func shuffle[T any](r *rng, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// SampleSeed returns the seed of sample i of a run with seed s. Each sample
// is generated from its own seed alone, so sample i is the same whatever -n,
// sharding or number of goroutines produced it, and any single sample can be
// regenerated from the seed recorded with it.
func SampleSeed(s uint64, i int) uint64 {
	return mix64(mix64(s^0x6a09e667f3bcc909) + uint64(i)*0x9e3779b97f4a7c15)
}
