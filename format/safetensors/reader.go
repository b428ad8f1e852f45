package safetensors

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// entry is one tensor as the JSON header describes it, before validation.
type entry struct {
	name       string
	off        int64 // file offset of the entry's value, for errors
	dtype      string
	shape      []uint64
	offsets    [2]uint64
	hasDType   bool
	hasShape   bool
	hasOffsets bool
}

// Parse validates data as a complete safetensors file and returns its
// tensors. Tensor Data slices data (no copy), so data must stay alive and
// unmodified while the File is used. name is used only in error messages.
// Corruption is reported as a *FormatError.
func Parse(name string, data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, &FormatError{name, 0, fmt.Sprintf("file is %d bytes, too short for the 8-byte header length", len(data))}
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, &FormatError{name, 0, fmt.Sprintf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)}
	}
	if n > uint64(len(data)-8) {
		return nil, &FormatError{name, 0, fmt.Sprintf("header length %d exceeds file size %d", n, len(data))}
	}
	header := data[8 : 8+n]
	buf := data[8+n:]
	entries, meta, err := parseHeader(name, header)
	if err != nil {
		return nil, err
	}
	f := &File{
		Name:     name,
		Metadata: meta,
		Tensors:  make([]*Tensor, 0, len(entries)),
		byName:   make(map[string]*Tensor, len(entries)),
	}
	for _, e := range entries {
		t, err := validateEntry(name, e, buf)
		if err != nil {
			return nil, err
		}
		f.Tensors = append(f.Tensors, t)
		f.byName[t.Name] = t
	}
	if err := checkTiling(name, entries, len(buf)); err != nil {
		return nil, err
	}
	return f, nil
}

// quote formats a possibly hostile name for an error message.
func quote(s string) string { return strconv.Quote(truncate(s, 200)) }

// parseHeader decodes the JSON header. Duplicate keys are caught and
// nothing is allocated beyond what the header holds.
func parseHeader(file string, header []byte) ([]*entry, map[string]string, error) {
	s := &scanner{file: file, buf: header, base: 8}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, s.errorf("header does not start with '{'")
	}
	if !utf8.Valid(header) {
		return nil, nil, s.errorf("header is not valid UTF-8")
	}
	s.pos++
	var (
		entries []*entry
		meta    map[string]string
		seen    = make(map[string]struct{})
	)
	for first := true; ; first = false {
		ok, err := s.more('}', first, "header")
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		s.ws()
		off := s.base + int64(s.pos)
		key, err := s.key("header")
		if err != nil {
			return nil, nil, err
		}
		if _, dup := seen[key]; dup {
			return nil, nil, &FormatError{file, off, "duplicate key " + quote(key)}
		}
		seen[key] = struct{}{}
		if key == "__metadata__" {
			if meta, err = parseMetadata(s); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := parseEntry(s, key)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if err := s.end("header"); err != nil {
		return nil, nil, err
	}
	return entries, meta, nil
}

// parseMetadata decodes the "__metadata__" value: null or an object mapping
// strings to strings.
func parseMetadata(s *scanner) (map[string]string, error) {
	const what = "__metadata__"
	if s.next() == 'n' {
		return nil, s.literal("null", what)
	}
	if s.next() != '{' {
		return nil, s.errorf("%s must be an object of strings, found %s", what, s.found())
	}
	s.pos++
	meta := make(map[string]string)
	for first := true; ; first = false {
		ok, err := s.more('}', first, what)
		if err != nil || !ok {
			return meta, err
		}
		s.ws()
		off := s.base + int64(s.pos)
		key, err := s.key(what)
		if err != nil {
			return nil, err
		}
		if _, dup := meta[key]; dup {
			return nil, &FormatError{s.file, off, fmt.Sprintf("%s: duplicate key %s", what, quote(key))}
		}
		if s.next() != '"' {
			return nil, s.errorf("%s: value of %s must be a string, found %s", what, quote(key), s.found())
		}
		if meta[key], err = s.str(what); err != nil {
			return nil, err
		}
	}
}

// parseEntry decodes one tensor's {"dtype","shape","data_offsets"} object.
// Unknown fields are skipped, as the reference implementation does;
// duplicated known fields are rejected.
func parseEntry(s *scanner, name string) (*entry, error) {
	s.ws()
	e := &entry{name: name, off: s.base + int64(s.pos)}
	what := "tensor " + quote(name)
	if err := s.expect('{', what); err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first, what)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		s.ws()
		off := s.base + int64(s.pos)
		field, err := s.key(what)
		if err != nil {
			return nil, err
		}
		if field == "dtype" && e.hasDType || field == "shape" && e.hasShape || field == "data_offsets" && e.hasOffsets {
			return nil, &FormatError{s.file, off, fmt.Sprintf("%s: duplicate field %s", what, quote(field))}
		}
		switch field {
		case "dtype":
			if s.next() != '"' {
				return nil, s.errorf("%s: dtype must be a string, found %s", what, s.found())
			}
			if e.dtype, err = s.str(what); err != nil {
				return nil, err
			}
			e.hasDType = true
		case "shape":
			if e.shape, err = parseUints(s, what+": shape", maxRank); err != nil {
				return nil, err
			}
			e.hasShape = true
		case "data_offsets":
			offs, err := parseUints(s, what+": data_offsets", 2)
			if err != nil {
				return nil, err
			}
			if len(offs) != 2 {
				return nil, &FormatError{s.file, off, fmt.Sprintf("%s: data_offsets has %d values, want 2", what, len(offs))}
			}
			e.offsets = [2]uint64{offs[0], offs[1]}
			e.hasOffsets = true
		default:
			if err := s.skip(what, 1); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case !e.hasDType:
		return nil, &FormatError{s.file, e.off, what + ": missing dtype"}
	case !e.hasShape:
		return nil, &FormatError{s.file, e.off, what + ": missing shape"}
	case !e.hasOffsets:
		return nil, &FormatError{s.file, e.off, what + ": missing data_offsets"}
	}
	return e, nil
}

// parseUints decodes a JSON array of at most max non-negative integers.
func parseUints(s *scanner, what string, max int) ([]uint64, error) {
	if err := s.expect('[', what); err != nil {
		return nil, err
	}
	vals := []uint64{}
	for first := true; ; first = false {
		ok, err := s.more(']', first, what)
		if err != nil {
			return nil, err
		}
		if !ok {
			return vals, nil
		}
		if len(vals) == max {
			return nil, s.errorf("%s: more than %d values", what, max)
		}
		v, err := s.uint(what)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
}

// validateEntry checks one entry against the data buffer and builds its Tensor.
func validateEntry(file string, e *entry, buf []byte) (*Tensor, error) {
	fail := func(format string, args ...any) error {
		return &FormatError{file, -1, fmt.Sprintf("tensor %s: ", quote(e.name)) + fmt.Sprintf(format, args...)}
	}
	dt, err := parseDType(e.dtype)
	if err != nil {
		return nil, fail("%v", err)
	}
	shape := make([]int, len(e.shape))
	numel, overflow, zero := uint64(1), false, false
	for i, d := range e.shape {
		if d > math.MaxInt {
			return nil, fail("shape dimension %d is too large", d)
		}
		shape[i] = int(d)
		if d == 0 {
			zero = true
		}
		hi, lo := bits.Mul64(numel, d)
		if hi != 0 {
			overflow = true
		}
		numel = lo
	}
	if zero {
		numel, overflow = 0, false
	}
	if overflow || numel > math.MaxInt {
		return nil, fail("shape %v overflows", e.shape)
	}
	size, err := dt.Bytes(numel)
	if err != nil {
		return nil, fail("shape %v of %s: %v", e.shape, dt, err)
	}
	begin, end := e.offsets[0], e.offsets[1]
	if begin > end {
		return nil, fail("data_offsets [%d,%d] are reversed", begin, end)
	}
	if end > uint64(len(buf)) {
		return nil, fail("data_offsets [%d,%d] exceed data size %d", begin, end, len(buf))
	}
	if end-begin != size {
		return nil, fail("data_offsets [%d,%d] hold %d bytes but shape %v of %s needs %d", begin, end, end-begin, e.shape, dt, size)
	}
	return &Tensor{Name: e.name, DType: dt, Shape: shape, Data: buf[begin:end:end]}, nil
}

// checkTiling checks that the tensors' byte ranges cover the data buffer
// exactly once: no overlaps, no gaps, no trailing bytes.
func checkTiling(file string, entries []*entry, size int) error {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b *entry) int {
		if c := cmp.Compare(a.offsets[0], b.offsets[0]); c != 0 {
			return c
		}
		return cmp.Compare(a.offsets[1], b.offsets[1])
	})
	var pos uint64
	var prev *entry
	for _, e := range sorted {
		begin := e.offsets[0]
		switch {
		case begin < pos:
			return &FormatError{file, -1, fmt.Sprintf("tensor %s: data_offsets [%d,%d] overlap tensor %s at [%d,%d]",
				quote(e.name), begin, e.offsets[1], quote(prev.name), prev.offsets[0], prev.offsets[1])}
		case begin > pos:
			return &FormatError{file, -1, fmt.Sprintf("tensor %s: data_offsets [%d,%d] leave a gap of %d bytes before it",
				quote(e.name), begin, e.offsets[1], begin-pos)}
		}
		pos = e.offsets[1]
		prev = e
	}
	if pos != uint64(size) {
		return &FormatError{file, -1, fmt.Sprintf("%d bytes of data after the last tensor (data size %d)", uint64(size)-pos, size)}
	}
	return nil
}
