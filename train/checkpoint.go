package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/gophi/gophi/format/safetensors"
	"github.com/gophi/gophi/internal/atomicfile"
	"github.com/gophi/gophi/model"
	"github.com/gophi/gophi/tensor"
	"github.com/gophi/gophi/tokenizer"
)

// A checkpoint is a folder checkpoint-NNNNNN in the run's --out folder:
// a Hugging Face model folder (see ExportDir) plus optimizer.safetensors
// (the AdamW moments, "m.<name>" and "v.<name>", float32) and
// trainer_state.json (State), written last. The folder is built under a
// temporary name and renamed into place, so a run killed at any moment
// leaves either the whole checkpoint or none; the last two are kept.

// StateFormat is State.Format.
const StateFormat = "gophi-train-state"

// StateName is the checkpoint's state file.
const StateName = "trainer_state.json"

// State is what a checkpoint holds beyond the weights and moments: where
// the run stands.
type State struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Step is the number of optimizer steps taken.
	Step int `json:"step"`
	// Epoch and Next are the data loader's position (see Loader).
	Epoch int64 `json:"epoch"`
	Next  int64 `json:"next"`
	// Seed seeds the weights and the data order.
	Seed uint64 `json:"seed"`
	// Tokens is the number of tokens trained on so far.
	Tokens int64 `json:"tokens"`
	// Files maps each file of the folder to its hex SHA-256.
	Files map[string]string `json:"files"`
	// Run is the run's configuration, for reference.
	Run json.RawMessage `json:"run,omitempty"`
}

var checkpointName = regexp.MustCompile(`^checkpoint-([0-9]{6,})$`)

// CheckpointDir returns the folder of the checkpoint at step in out.
func CheckpointDir(out string, step int) string {
	return filepath.Join(out, fmt.Sprintf("checkpoint-%06d", step))
}

// SaveCheckpoint writes a checkpoint of m and opt at st.Step into out
// atomically and removes all but the newest keep checkpoints.
func SaveCheckpoint(out string, m *Model, opt *AdamW, st State, tok *tokenizer.Tokenizer, tokenizerJSON string, keep int) (_ string, err error) {
	final := CheckpointDir(out, st.Step)
	tmp := filepath.Join(out, fmt.Sprintf(".checkpoint-%06d.tmp", st.Step))
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	defer func() {
		if err != nil { // a full disk, say: leave no half folder behind
			os.RemoveAll(tmp)
		}
	}()
	if err := m.ExportDir(tmp, tok, tokenizerJSON); err != nil {
		return "", err
	}
	ts := make([]*safetensors.Tensor, 0, 2*len(m.Params))
	for _, p := range m.Params {
		ts = append(ts,
			&safetensors.Tensor{Name: "m." + p.Name, DType: tensor.F32, Shape: p.Shape, Data: f32Bytes(opt.M[p.Off : p.Off+p.Len])},
			&safetensors.Tensor{Name: "v." + p.Name, DType: tensor.F32, Shape: p.Shape, Data: f32Bytes(opt.V[p.Off : p.Off+p.Len])})
	}
	meta := map[string]string{"adamw_t": strconv.Itoa(opt.T)}
	if err := safetensors.Write(filepath.Join(tmp, "optimizer.safetensors"), ts, meta); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	st.Format, st.Version, st.Files = StateFormat, 1, map[string]string{}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	for _, e := range ents {
		sum, err := fileSHA256(filepath.Join(tmp, e.Name()))
		if err != nil {
			return "", err
		}
		st.Files[e.Name()] = sum
	}
	if err := writeJSON(filepath.Join(tmp, StateName), st); err != nil {
		return "", err
	}
	if err := atomicfile.SyncDir(tmp); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := os.RemoveAll(final); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := atomicfile.SyncDir(out); err != nil {
		return "", fmt.Errorf("train: checkpoint: %w", err)
	}
	steps, err := Checkpoints(out)
	if err != nil {
		return "", err
	}
	for i := 0; i+keep < len(steps); i++ {
		if err := os.RemoveAll(CheckpointDir(out, steps[i])); err != nil {
			return "", fmt.Errorf("train: removing an old checkpoint: %w", err)
		}
	}
	return final, nil
}

// Checkpoints returns the steps of the complete checkpoints in out, oldest
// first.
func Checkpoints(out string) ([]int, error) {
	ents, err := os.ReadDir(out)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var steps []int
	for _, e := range ents {
		mm := checkpointName.FindStringSubmatch(e.Name())
		if mm == nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(out, e.Name(), StateName)); err != nil {
			continue
		}
		n, err := strconv.Atoi(mm[1])
		if err == nil {
			steps = append(steps, n)
		}
	}
	sort.Ints(steps)
	return steps, nil
}

// ErrCorrupt marks a checkpoint that fails its checks.
var ErrCorrupt = errors.New("corrupt checkpoint")

// LoadCheckpoint reads the checkpoint folder dir into m and opt (opt may
// be nil: weights only), checking its state file, every file's SHA-256
// and that its configuration is m's.
func LoadCheckpoint(dir string, m *Model, opt *AdamW) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, StateName))
	if err != nil {
		return nil, fmt.Errorf("train: %s is not a gophi training checkpoint: %w", dir, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("train: %s: %w: %s: %v", dir, ErrCorrupt, StateName, err)
	}
	if st.Format != StateFormat || st.Version != 1 {
		return nil, fmt.Errorf("train: %s: %s is not a gophi training state (format %q version %d)", dir, StateName, st.Format, st.Version)
	}
	for _, name := range []string{"config.json", "model.safetensors", "optimizer.safetensors"} {
		if _, ok := st.Files[name]; !ok {
			return nil, fmt.Errorf("train: %s: %w: %s lists no %s", dir, ErrCorrupt, StateName, name)
		}
	}
	for name, want := range st.Files {
		if filepath.Base(name) != name {
			return nil, fmt.Errorf("train: %s: %w: file name %q", dir, ErrCorrupt, name)
		}
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("train: %s: %w: %v", dir, ErrCorrupt, err)
		}
		if got != want {
			return nil, fmt.Errorf("train: %s: %w: %s has SHA-256 %s, the state says %s (remove this checkpoint folder to resume from the one before)", dir, ErrCorrupt, name, got, want)
		}
	}
	cfg, err := model.LoadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", dir, err)
	}
	if err := sameConfig(cfg, m.Config); err != nil {
		return nil, fmt.Errorf("train: %s is a checkpoint of another model shape: %w", dir, err)
	}
	f, err := safetensors.OpenWith(filepath.Join(dir, "model.safetensors"), safetensors.OpenOptions{NoMmap: true})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	if err := m.SetWeights(model.SafetensorsSource(f, "")); err != nil {
		return nil, err
	}
	if opt == nil {
		return &st, nil
	}
	of, err := safetensors.OpenWith(filepath.Join(dir, "optimizer.safetensors"), safetensors.OpenOptions{NoMmap: true})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer of.Close()
	t, err := strconv.Atoi(of.Metadata["adamw_t"])
	if err != nil || t < 0 {
		return nil, fmt.Errorf("train: %s: %w: optimizer.safetensors has no adamw_t", dir, ErrCorrupt)
	}
	for _, part := range []struct {
		prefix string
		dst    []float32
	}{{"m.", opt.M}, {"v.", opt.V}} {
		if err := m.readParams(part.dst, model.SafetensorsSource(of, part.prefix)); err != nil {
			return nil, fmt.Errorf("train: %s: optimizer: %w", dir, err)
		}
	}
	opt.T = t
	return &st, nil
}

// sameConfig reports how two configurations differ in what shapes and
// computes the model.
func sameConfig(a, b *model.Config) error {
	ja, _ := json.Marshal(HubConfig(a))
	jb, _ := json.Marshal(HubConfig(b))
	if !bytes.Equal(ja, jb) {
		return fmt.Errorf("its config.json is %s, this run's is %s", ja, jb)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("train: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
