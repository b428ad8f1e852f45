package safetensors

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxIndexSize bounds the size of model.safetensors.index.json. Real index
// files are tens of kilobytes.
const maxIndexSize = 64 << 20

// Checkpoint is a Hugging Face model folder's weights: one model.safetensors
// or the shards listed by model.safetensors.index.json.
type Checkpoint struct {
	// Dir is the folder the checkpoint was opened from.
	Dir string
	// Files are the open shard files, in the order of their names.
	Files []*File

	tensors map[string]*Tensor
}

// OpenDir opens the checkpoint in dir. If dir holds
// model.safetensors.index.json, its weight_map decides which shard holds
// each tensor: every shard must exist and parse, and every mapped tensor
// must be present in its shard; only the mapped tensors are exposed, as
// Hugging Face loads them. Shard paths must be local (no "..", not
// absolute). Otherwise dir must hold model.safetensors.
func OpenDir(dir string, opts OpenOptions) (*Checkpoint, error) {
	indexPath := filepath.Join(dir, IndexFileName)
	raw, err := readIndex(indexPath)
	switch {
	case err == nil:
		return openSharded(dir, indexPath, raw, opts)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	single := filepath.Join(dir, SingleFileName)
	f, err := OpenWith(single, opts)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("safetensors: %s: no %s or %s", dir, SingleFileName, IndexFileName)
		}
		return nil, err
	}
	c := &Checkpoint{Dir: dir, Files: []*File{f}, tensors: make(map[string]*Tensor, len(f.Tensors))}
	for _, t := range f.Tensors {
		c.tensors[t.Name] = t
	}
	return c, nil
}

// readIndex reads the index file, bounded by maxIndexSize.
func readIndex(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIndexSize+1))
	if err != nil {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	if len(data) > maxIndexSize {
		return nil, &FormatError{path, -1, fmt.Sprintf("index is larger than %d bytes", maxIndexSize)}
	}
	return data, nil
}

// parseIndex decodes an index file's weight_map, rejecting duplicate names
// and non-string values. Other top-level keys ("metadata") are not used.
func parseIndex(path string, data []byte) (map[string]string, error) {
	s := &scanner{file: path, buf: data}
	if !utf8.Valid(data) {
		return nil, &FormatError{path, -1, "index is not valid UTF-8"}
	}
	if err := s.expect('{', "index"); err != nil {
		return nil, err
	}
	var weightMap map[string]string
	seen := map[string]bool{}
	for first := true; ; first = false {
		ok, err := s.more('}', first, "index")
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		s.ws()
		off := int64(s.pos)
		key, err := s.key("index")
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, &FormatError{path, off, "duplicate key " + quote(key)}
		}
		seen[key] = true
		if key != "weight_map" {
			if err := s.skip("index", 1); err != nil {
				return nil, err
			}
			continue
		}
		if weightMap, err = parseWeightMap(s); err != nil {
			return nil, err
		}
	}
	if err := s.end("index"); err != nil {
		return nil, err
	}
	if weightMap == nil {
		return nil, &FormatError{path, -1, "index has no weight_map"}
	}
	return weightMap, nil
}

// parseWeightMap decodes the weight_map object: tensor name to shard path.
func parseWeightMap(s *scanner) (map[string]string, error) {
	const what = "weight_map"
	if err := s.expect('{', what); err != nil {
		return nil, err
	}
	weightMap := map[string]string{}
	for first := true; ; first = false {
		ok, err := s.more('}', first, what)
		if err != nil || !ok {
			return weightMap, err
		}
		s.ws()
		off := int64(s.pos)
		name, err := s.key(what)
		if err != nil {
			return nil, err
		}
		if _, dup := weightMap[name]; dup {
			return nil, &FormatError{s.file, off, fmt.Sprintf("%s: duplicate tensor %s", what, quote(name))}
		}
		if s.next() != '"' {
			return nil, s.errorf("%s: tensor %s: shard must be a string, found %s", what, quote(name), s.found())
		}
		if weightMap[name], err = s.str(what); err != nil {
			return nil, err
		}
	}
}

// checkShardPath rejects shard names that could leave the checkpoint folder.
func checkShardPath(shard string) error {
	switch {
	case shard == "":
		return errors.New("empty shard path")
	case filepath.IsAbs(shard) || strings.HasPrefix(shard, "/") || strings.HasPrefix(shard, `\`):
		return fmt.Errorf("shard path %s is absolute", quote(shard))
	case slices.Contains(strings.FieldsFunc(shard, func(r rune) bool { return r == '/' || r == '\\' }), ".."):
		return fmt.Errorf("shard path %s contains \"..\"", quote(shard))
	case !filepath.IsLocal(shard):
		return fmt.Errorf("shard path %s is not a local path", quote(shard))
	}
	return nil
}

func openSharded(dir, indexPath string, raw []byte, opts OpenOptions) (_ *Checkpoint, err error) {
	weightMap, err := parseIndex(indexPath, raw)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(weightMap))
	for name := range weightMap {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic errors
	var shards []string
	seen := make(map[string]bool)
	for _, name := range names {
		shard := weightMap[name]
		if err := checkShardPath(shard); err != nil {
			return nil, &FormatError{indexPath, -1, fmt.Sprintf("weight_map: tensor %s: %v", quote(name), err)}
		}
		if !seen[shard] {
			seen[shard] = true
			shards = append(shards, shard)
		}
	}
	slices.Sort(shards)
	c := &Checkpoint{Dir: dir, tensors: make(map[string]*Tensor, len(weightMap))}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	byShard := make(map[string]*File, len(shards))
	for _, shard := range shards {
		f, err := OpenWith(filepath.Join(dir, filepath.FromSlash(shard)), opts)
		if err != nil {
			return nil, fmt.Errorf("%w (shard listed in %s)", err, indexPath)
		}
		c.Files = append(c.Files, f)
		byShard[shard] = f
	}
	for _, name := range names {
		shard := weightMap[name]
		f := byShard[shard]
		t, ok := f.Tensor(name)
		if !ok {
			return nil, &FormatError{indexPath, -1, fmt.Sprintf("weight_map: tensor %s is not in shard %s", quote(name), quote(shard))}
		}
		c.tensors[name] = t
	}
	return c, nil
}

// Tensor returns the tensor with the given name.
func (c *Checkpoint) Tensor(name string) (*Tensor, bool) {
	t, ok := c.tensors[name]
	return t, ok
}

// Names returns the checkpoint's tensor names in sorted order.
func (c *Checkpoint) Names() []string {
	names := make([]string, 0, len(c.tensors))
	for name := range c.tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Metadata returns the "__metadata__" of the first shard (Hugging Face
// writes the same map into every shard).
func (c *Checkpoint) Metadata() map[string]string {
	if len(c.Files) == 0 {
		return nil
	}
	return c.Files[0].Metadata
}

// Close closes every shard; tensor data must not be used afterwards.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.Files {
		errs = append(errs, f.Close())
	}
	c.Files = nil
	c.tensors = nil
	return errors.Join(errs...)
}
