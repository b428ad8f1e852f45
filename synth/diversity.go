package synth

import (
	"slices"
)

// DiversityStats measures how varied a set of texts is.
type DiversityStats struct {
	Samples int `json:"samples"`
	Words   int `json:"words"`
	// DistinctN is the number of distinct word n-grams over the number of
	// n-grams in all the texts (Li et al.'s distinct-n): 1 means no n-gram
	// repeats anywhere.
	Distinct1 float64 `json:"distinct_1"`
	Distinct2 float64 `json:"distinct_2"`
	Distinct3 float64 `json:"distinct_3"`
	// NearDuplicates is how many texts have a near-duplicate earlier in
	// the list: an estimated Jaccard similarity of their word 3-shingle
	// sets (MinHash, 64 hashes) above Threshold. NearDupRate is that over
	// Samples.
	NearDuplicates int     `json:"near_duplicates"`
	NearDupRate    float64 `json:"near_duplicate_rate"`
	Threshold      float64 `json:"threshold"`
}

// NearDupThreshold is the MinHash Jaccard similarity above which two texts
// count as near-duplicates.
const NearDupThreshold = 0.8

const (
	minhashK    = 64 // hashes per signature
	lshBands    = 16 // bands of minhashK/lshBands rows: pairs above ~0.5 become candidates
	lshRows     = minhashK / lshBands
	maxCompares = 256 // candidates compared per text, at most
)

// Diversity returns the distinct-n ratios and the near-duplicate rate of
// texts (words are lower-cased, punctuation ignored).
func Diversity(texts []string) DiversityStats {
	st := DiversityStats{Samples: len(texts), Threshold: NearDupThreshold}
	toks := make([][]uint64, len(texts))
	for i, t := range texts {
		toks[i] = tokenHashes(t)
		st.Words += len(toks[i])
	}
	grams := make([]uint64, 0, st.Words)
	for n := 1; n <= 3; n++ {
		grams = grams[:0]
		for _, ts := range toks {
			for i := 0; i+n <= len(ts); i++ {
				grams = append(grams, gramHash(ts[i:i+n]))
			}
		}
		if len(grams) == 0 {
			continue
		}
		slices.Sort(grams)
		d := float64(len(slices.Compact(grams))) / float64(countGrams(toks, n))
		switch n {
		case 1:
			st.Distinct1 = d
		case 2:
			st.Distinct2 = d
		case 3:
			st.Distinct3 = d
		}
	}
	st.NearDuplicates = nearDuplicates(toks, NearDupThreshold)
	if st.Samples > 0 {
		st.NearDupRate = float64(st.NearDuplicates) / float64(st.Samples)
	}
	return st
}

func countGrams(toks [][]uint64, n int) int {
	c := 0
	for _, ts := range toks {
		if len(ts) >= n {
			c += len(ts) - n + 1
		}
	}
	return c
}

// minhashSeeds are the multipliers and offsets of the signature's hashes.
var minhashSeeds = func() [minhashK][2]uint64 {
	var s [minhashK][2]uint64
	r := newRNG(0x2545f4914f6cdd1d)
	for i := range s {
		s[i] = [2]uint64{r.next() | 1, r.next()}
	}
	return s
}()

// signature is the MinHash signature of a text's word 3-shingles.
func signature(ts []uint64) [minhashK]uint64 {
	var sig [minhashK]uint64
	for i := range sig {
		sig[i] = ^uint64(0)
	}
	for i := 0; i+3 <= len(ts) || (i == 0 && len(ts) > 0); i++ {
		end := min(i+3, len(ts))
		h := gramHash(ts[i:end])
		for k := range sig {
			if v := h*minhashSeeds[k][0] + minhashSeeds[k][1]; v < sig[k] {
				sig[k] = v
			}
		}
	}
	return sig
}

// nearDuplicates counts the texts whose signature agrees with an earlier
// text's on more than threshold of its hashes, finding candidates by
// locality-sensitive hashing of bands of the signature.
func nearDuplicates(toks [][]uint64, threshold float64) int {
	sigs := make([][minhashK]uint64, len(toks))
	for i, ts := range toks {
		sigs[i] = signature(ts)
	}
	buckets := make([]map[uint64][]int32, lshBands)
	for b := range buckets {
		buckets[b] = map[uint64][]int32{}
	}
	seen := make([]int32, len(toks)) // last text that compared against j, plus one
	dups := 0
	for i := range sigs {
		found, compares := false, 0
		for b := 0; b < lshBands; b++ {
			key := gramHash(sigs[i][b*lshRows : (b+1)*lshRows])
			if !found {
				for _, j := range buckets[b][key] {
					if seen[j] == int32(i)+1 || compares >= maxCompares {
						continue
					}
					seen[j] = int32(i) + 1
					compares++
					same := 0
					for k := range sigs[i] {
						if sigs[i][k] == sigs[j][k] {
							same++
						}
					}
					if float64(same)/minhashK > threshold {
						found = true
						break
					}
				}
			}
			buckets[b][key] = append(buckets[b][key], int32(i))
		}
		if found {
			dups++
		}
	}
	return dups
}
