package train

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/gophi/gophi/tokenizer/shards"
)

// Data is one split of a shard folder ("gophi tokenize"), read into
// memory as one stream of token ids (and loss-mask bytes when the folder
// is masked): windows may cross shard boundaries, as llama2.c's do.
type Data struct {
	Index  *shards.Index
	shards []*shards.Tokens
	masks  [][]byte
	starts []int64 // first stream position of each shard
	total  int64
}

// OpenData reads split of an opened shard folder (shards.Open), checking
// that it was tokenized for a vocabulary of vocab ids (the tokenizer's
// size).
func OpenData(ds *shards.Dataset, split shards.Split, vocab int) (*Data, error) {
	if ds.Index.VocabSize != vocab {
		return nil, fmt.Errorf("train: --data %s was tokenized for a vocabulary of %d ids, the tokenizer has %d (tokenize it with the same tokenizer)", ds.Dir, ds.Index.VocabSize, vocab)
	}
	d := &Data{Index: ds.Index}
	for i := range ds.Index.Shards(split) {
		t, err := ds.Load(split, i)
		if err != nil {
			return nil, fmt.Errorf("train: --data: %w", err)
		}
		var mask []byte
		if ds.Index.Masked {
			if mask, err = ds.LoadMask(split, i); err != nil {
				return nil, fmt.Errorf("train: --data: %w", err)
			}
		}
		d.starts = append(d.starts, d.total)
		d.shards = append(d.shards, t)
		d.masks = append(d.masks, mask)
		d.total += int64(t.Len())
	}
	return d, nil
}

// Tokens returns the number of ids in the stream.
func (d *Data) Tokens() int64 { return d.total }

// Masked reports whether the data has loss masks.
func (d *Data) Masked() bool { return d.Index.Masked }

// Windows returns how many windows of seq+1 tokens, seq apart, the stream
// holds.
func (d *Data) Windows(seq int) int64 {
	if d.total <= int64(seq) {
		return 0
	}
	return (d.total - 1) / int64(seq)
}

// read copies the ids (and mask bytes, when mask is not nil) at stream
// positions [pos, pos+len(dst)) into dst.
func (d *Data) read(dst []int32, mask []byte, pos int64) {
	for len(dst) > 0 {
		s := sort.Search(len(d.starts), func(i int) bool { return d.starts[i] > pos }) - 1
		off := int(pos - d.starts[s])
		n := d.shards[s].Read(dst, off)
		if mask != nil {
			copy(mask[:n], d.masks[s][off:off+n])
			mask = mask[n:]
		}
		dst = dst[n:]
		pos += int64(n)
	}
}

// Loader hands out micro-batches of shuffled windows: each epoch visits
// every window once in an order drawn from (seed, epoch), so a position
// (Epoch, Next) says exactly which windows come next, and a resumed run
// sees the batches an uninterrupted one would.
type Loader struct {
	data        *Data
	seq, batch  int
	seed        uint64
	Epoch, Next int64 // the next window is perm[Next] of epoch Epoch
	perm        []int64
	permEpoch   int64
}

// NewLoader returns a loader of micro-batches of batch windows of seq+1
// tokens.
func NewLoader(d *Data, batch, seq int, seed uint64) (*Loader, error) {
	w := d.Windows(seq)
	if w < int64(batch) {
		return nil, fmt.Errorf("train: the training data has %d tokens, fewer than one batch of %d sequences of %d+1 tokens (give more data, or a smaller --batch or --ctx)", d.total, batch, seq)
	}
	return &Loader{data: d, seq: seq, batch: batch, seed: seed, perm: make([]int64, w), permEpoch: -1}, nil
}

// Fill sets b to the next micro-batch. b.Tokens must hold batch·(seq+1)
// ids, and b.Mask as many bytes when the data is masked.
func (l *Loader) Fill(b *Batch) {
	w := int64(len(l.perm))
	for r := 0; r < l.batch; r++ {
		if l.Next >= w {
			l.Epoch, l.Next = l.Epoch+1, 0
		}
		if l.permEpoch != l.Epoch {
			for i := range l.perm {
				l.perm[i] = int64(i)
			}
			rng := rand.New(rand.NewPCG(l.seed, uint64(l.Epoch)+0x51ed))
			rng.Shuffle(len(l.perm), func(i, j int) { l.perm[i], l.perm[j] = l.perm[j], l.perm[i] })
			l.permEpoch = l.Epoch
		}
		k := l.perm[l.Next]
		l.Next++
		n := l.seq + 1
		var mask []byte
		if b.Mask != nil {
			mask = b.Mask[r*n : (r+1)*n]
		}
		l.data.read(b.Tokens[r*n:(r+1)*n], mask, k*int64(l.seq))
	}
}

// ValBatches returns up to max micro-batches of consecutive windows from
// the start of d (the held-out split), the last one padded with masked-out
// rows; the same every time, so validation losses compare across steps.
func ValBatches(d *Data, batch, seq, maxBatches int) []*Batch {
	w := d.Windows(seq)
	var out []*Batch
	for k := int64(0); k < w && len(out) < maxBatches; k += int64(batch) {
		n := seq + 1
		b := &Batch{Tokens: make([]int32, batch*n), Mask: make([]byte, batch*n)}
		for r := 0; r < batch; r++ {
			if k+int64(r) >= w {
				break // padding rows: token 0, mask 0
			}
			var mask []byte
			if d.Masked() {
				mask = b.Mask[r*n : (r+1)*n]
			}
			d.read(b.Tokens[r*n:(r+1)*n], mask, (k+int64(r))*int64(seq))
			if !d.Masked() {
				for i := r * n; i < (r+1)*n; i++ {
					b.Mask[i] = 1
				}
			}
		}
		out = append(out, b)
	}
	return out
}
