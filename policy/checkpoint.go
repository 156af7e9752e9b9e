package policy

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/nlpodyssey/safetensors"
)

// A checkpoint is one safetensors file: the weights under their names (w1, b1, w2, wl; F64, row-major, w1
// shaped [width, hidden]), for a trainer also the Adam moments (adam.m.NAME, adam.v.NAME), and in the
// header's __metadata__ under "ssr" one JSON document (checkpointMeta). Python's safetensors reads it.
const metaKey = "ssr"

// checkpointFormat is the checkpoint layout's version; a reader refuses another.
const checkpointFormat = 1

type checkpointMeta struct {
	Format     int          `json:"format"`
	Version    int64        `json:"version"` // the policy version
	Config     Config       `json:"config"`
	ConfigHash string       `json:"config_hash"` // Config.Hash(Schema)
	Schema     Schema       `json:"schema"`
	Trainer    *trainerMeta `json:"trainer,omitempty"` // absent in a weights-only checkpoint
}

type trainerMeta struct {
	Config  TrainConfig `json:"config"`
	Step    int64       `json:"adam_step"`
	RNG     []byte      `json:"rng"`     // the PCG's state (MarshalBinary)
	Seen    []string    `json:"seen"`    // episodes consumed, sorted
	Dropped int64       `json:"dropped"` // stale episodes dropped so far
}

// Save writes the trainer's whole state (weights, Adam moments, step, random state, consumed episodes) to
// path, atomically (a temporary file renamed into place); LoadTrainer continues from it exactly.
func (t *Trainer) Save(path string) error {
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	seen := make([]string, 0, len(t.seen))
	for id := range t.seen {
		seen = append(seen, id)
	}
	slices.Sort(seen)
	tm := &trainerMeta{Config: t.cfg, Step: t.step, RNG: rng, Seen: seen, Dropped: t.dropped}
	extra := map[string][]float64{}
	for i, n := range paramNames {
		extra["adam.m."+n], extra["adam.v."+n] = t.m[i], t.v[i]
	}
	return writeCheckpoint(path, t.model, tm, extra)
}

// Save writes the model's weights (no trainer state) to path.
func (m *Model) Save(path string) error { return writeCheckpoint(path, m, nil, nil) }

func writeCheckpoint(path string, m *Model, tm *trainerMeta, extra map[string][]float64) error {
	meta := checkpointMeta{Format: checkpointFormat, Version: m.version, Config: m.cfg,
		ConfigHash: m.cfg.Hash(m.schema), Schema: m.schema, Trainer: tm}
	mj, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	views := map[string]safetensors.TensorView{}
	add := func(name string, data []float64, shape ...uint64) error {
		b := make([]byte, 0, 8*len(data))
		for _, v := range data {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		tv, err := safetensors.NewTensorView(safetensors.F64, shape, b)
		views[name] = tv
		return err
	}
	d, h := uint64(m.schema.Width()), uint64(m.cfg.Hidden)
	shapes := [][]uint64{{d, h}, {h}, {h}, {d}}
	for i, s := range m.params.slices() {
		if err := add(paramNames[i], s, shapes[i]...); err != nil {
			return err
		}
	}
	for name, s := range extra {
		if err := add(name, s, uint64(len(s))); err != nil {
			return err
		}
	}
	buf, err := safetensors.Serialize(views, map[string]string{metaKey: string(mj)})
	if err != nil {
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ckpt-*")
	if err != nil {
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf); err != nil {
		tmp.Close()
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("policy: save checkpoint %s: %w", path, err)
	}
	return nil
}

// Load reads a checkpoint's weights to score with. A checkpoint for another feature schema or network size
// is ErrSchema.
func Load(path string) (*Model, error) {
	m, _, _, err := readCheckpoint(path)
	return m, err
}

// LoadTrainer continues training from a checkpoint that Trainer.Save wrote: the next Round is what it
// would have been in the run that saved it.
func LoadTrainer(path string) (*Trainer, error) {
	m, tm, st, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if tm == nil {
		return nil, fmt.Errorf("policy: checkpoint %s holds weights only, no trainer state: start a trainer from it with NewTrainer", path)
	}
	t, err := NewTrainer(m, tm.Config)
	if err != nil {
		return nil, fmt.Errorf("policy: checkpoint %s: %w", path, err)
	}
	t.model = m // Load made fresh slices: the trainer may own them
	if err := t.pcg.UnmarshalBinary(tm.RNG); err != nil {
		return nil, fmt.Errorf("policy: checkpoint %s: random state: %w", path, err)
	}
	t.step, t.dropped = tm.Step, tm.Dropped
	for _, id := range tm.Seen {
		t.seen[id] = true
	}
	for i, n := range paramNames {
		for _, mv := range []struct {
			name string
			dst  []float64
		}{{"adam.m." + n, t.m[i]}, {"adam.v." + n, t.v[i]}} {
			if err := tensorInto(st, mv.name, mv.dst); err != nil {
				return nil, fmt.Errorf("policy: checkpoint %s: %w", path, err)
			}
		}
	}
	return t, nil
}

func readCheckpoint(path string) (*Model, *trainerMeta, safetensors.SafeTensors, error) {
	var st safetensors.SafeTensors
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, st, fmt.Errorf("policy: read checkpoint: %w", err)
	}
	if st, err = safetensors.Deserialize(buf); err != nil {
		return nil, nil, st, fmt.Errorf("policy: checkpoint %s is not a safetensors file: %w", path, err)
	}
	_, header, err := safetensors.ReadMetadata(buf)
	if err != nil {
		return nil, nil, st, fmt.Errorf("policy: checkpoint %s: %w", path, err)
	}
	var meta checkpointMeta
	raw, ok := header.Metadata()[metaKey]
	if !ok {
		return nil, nil, st, fmt.Errorf("policy: checkpoint %s has no %q metadata: not written by ssr", path, metaKey)
	}
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		return nil, nil, st, fmt.Errorf("policy: checkpoint %s: metadata: %w", path, err)
	}
	if meta.Format != checkpointFormat {
		return nil, nil, st, fmt.Errorf("policy: checkpoint %s has format %d, this build reads %d", path, meta.Format, checkpointFormat)
	}
	if meta.Schema != CurrentSchema || meta.ConfigHash != meta.Config.Hash(CurrentSchema) {
		return nil, nil, st, fmt.Errorf("%w: %s has schema %+v (hash %s), this build %+v", ErrSchema, path, meta.Schema, meta.ConfigHash, CurrentSchema)
	}
	if err := meta.Config.Validate(); err != nil {
		return nil, nil, st, fmt.Errorf("policy: checkpoint %s: %w", path, err)
	}
	m := &Model{cfg: meta.Config, schema: meta.Schema, version: meta.Version,
		params: newParams(meta.Config, meta.Schema, rand.New(rand.NewPCG(0, 0)))}
	for i, s := range m.params.slices() {
		if err := tensorInto(st, paramNames[i], s); err != nil {
			return nil, nil, st, fmt.Errorf("policy: checkpoint %s: %w", path, err)
		}
	}
	return m, meta.Trainer, st, nil
}

// tensorInto copies the F64 tensor name into dst, which must have its size.
func tensorInto(st safetensors.SafeTensors, name string, dst []float64) error {
	tv, ok := st.Tensor(name)
	if !ok {
		return fmt.Errorf("tensor %s is missing", name)
	}
	if tv.DType() != safetensors.F64 || tv.DataLen() != uint64(8*len(dst)) {
		return fmt.Errorf("tensor %s is %s of %d bytes, want F64 of %d", name, tv.DType(), tv.DataLen(), 8*len(dst))
	}
	data := tv.Data()
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return nil
}
