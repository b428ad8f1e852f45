//go:build !unix

package bench

// peakRSS returns 0: the peak resident set size is not measured on this
// system.
func peakRSS() uint64 { return 0 }
