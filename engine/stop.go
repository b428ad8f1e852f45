package engine

import "strings"

// stopper holds back generated text that might be the start of a stop
// string, so a stop string is never printed, even in part.
type stopper struct {
	stops   []string
	pending string
}

// push adds text and returns what is safe to emit, and whether a stop
// string was found (then the text before it is returned and generation ends).
func (s *stopper) push(text string) (out string, stopped bool) {
	s.pending += text
	if len(s.stops) == 0 {
		out, s.pending = s.pending, ""
		return out, false
	}
	first := -1
	for _, st := range s.stops {
		if i := strings.Index(s.pending, st); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first >= 0 {
		out, s.pending = s.pending[:first], ""
		return out, true
	}
	// Keep the longest suffix that is a prefix of some stop string.
	keep := 0
	for _, st := range s.stops {
		for k := min(len(st)-1, len(s.pending)); k > keep; k-- {
			if strings.HasSuffix(s.pending, st[:k]) {
				keep = k
				break
			}
		}
	}
	out = s.pending[:len(s.pending)-keep]
	s.pending = s.pending[len(s.pending)-keep:]
	return out, false
}

// flush returns the held-back text once generation ends without a stop.
func (s *stopper) flush() string {
	out := s.pending
	s.pending = ""
	return out
}
