package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/kernels"
)

// Config sizes the network and sets how it samples. It is part of a checkpoint (and of its hash): a
// checkpoint loads only into a model of the same Config and Schema.
type Config struct {
	Hidden      int     `json:"hidden"`      // hidden units of the one tanh layer
	Temperature float64 `json:"temperature"` // scores are divided by it before the softmax; 1 samples the model as trained
	InitScale   float64 `json:"init_scale"`  // standard deviation of the first layer's initial weights
}

// DefaultConfig fits the 2-core budget: a decision of 400 candidates costs one 400×1090×32 product to score
// (a few milliseconds), and a training step over 32 decisions a few hundred milliseconds.
var DefaultConfig = Config{Hidden: 32, Temperature: 1, InitScale: 0.05}

// Validate reports a config that cannot build a model.
func (c Config) Validate() error {
	switch {
	case c.Hidden < 1:
		return fmt.Errorf("policy: hidden must be at least 1 (got %d)", c.Hidden)
	case !(c.Temperature > 0) || math.IsInf(c.Temperature, 0):
		return fmt.Errorf("policy: temperature must be positive (got %v)", c.Temperature)
	case !(c.InitScale >= 0):
		return fmt.Errorf("policy: init_scale must be at least 0 (got %v)", c.InitScale)
	}
	return nil
}

// Hash identifies the config and schema: a checkpoint's hash must match the loader's.
func (c Config) Hash(s Schema) string {
	b, _ := json.Marshal(struct {
		Hidden int    `json:"hidden"`
		Schema Schema `json:"schema"`
	}{c.Hidden, s}) // temperature and init do not change what the weights mean
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// Params are the network's weights, row-major, in one place: the scorer reads them with the CPU kernels, the
// training graph binds the same slices as its values, and the checkpoint writes them by name.
//
//	hidden = tanh(x·W1 + B1)                 x: a candidate's row (Schema.Width), W1: Width×Hidden
//	score  = hidden·W2 + x·WL                W2: Hidden, WL: Width (a linear skip: a conditional logit)
//
// W2 and WL start at zero, so an untrained model scores every candidate alike (the uniform policy) while W1
// starts random, so the hidden layer gets a gradient from the first step.
type Params struct {
	W1, B1, W2, WL []float64
}

// paramNames fixes the order of Params.slices (checkpoints, Adam state).
var paramNames = []string{"w1", "b1", "w2", "wl"}

func (p *Params) slices() [][]float64 { return [][]float64{p.W1, p.B1, p.W2, p.WL} }

func (p *Params) clone() *Params {
	return &Params{W1: clone(p.W1), B1: clone(p.B1), W2: clone(p.W2), WL: clone(p.WL)}
}

func clone(x []float64) []float64 { return append([]float64(nil), x...) }

func newParams(c Config, s Schema, rng *rand.Rand) *Params {
	d, h := s.Width(), c.Hidden
	p := &Params{W1: make([]float64, d*h), B1: make([]float64, h), W2: make([]float64, h), WL: make([]float64, d)}
	for i := range p.W1 {
		p.W1[i] = rng.NormFloat64() * c.InitScale
	}
	return p
}

// Model is one policy version: immutable weights that score candidates for either role. It implements
// native.Scorer and is safe for concurrent use.
type Model struct {
	cfg     Config
	schema  Schema
	version int64
	params  *Params
}

var _ native.Scorer = (*Model)(nil)

// ErrSchema reports a checkpoint written for another feature schema or network size.
var ErrSchema = errors.New("policy: checkpoint does not match this build's feature schema or config")

// New returns an untrained model (version 0, uniform scores) with weights drawn from seed.
func New(c Config, seed uint64) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Model{cfg: c, schema: CurrentSchema, params: newParams(c, CurrentSchema, rand.New(rand.NewPCG(seed, 0x5eed)))}, nil
}

// Version is the policy version of the weights.
func (m *Model) Version() int64 { return m.version }

// Config is the model's config.
func (m *Model) Config() Config { return m.cfg }

// WithTemperature returns the same weights sampling at temperature t.
func (m *Model) WithTemperature(t float64) (*Model, error) {
	c := m.cfg
	c.Temperature = t
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out := *m
	out.cfg = c
	return &out, nil
}

// Score returns the candidates' logits for role: the network's scores divided by the temperature, so the
// native agent's softmax over them is the policy.
func (m *Model) Score(_ context.Context, role agent.Role, cands []agent.Candidate) ([]float64, error) {
	x := make([]float64, len(cands)*m.schema.Width())
	m.schema.Featurise(x, role, cands)
	s := m.forward(kernels.CPU{}, x, len(cands))
	for i := range s {
		s[i] /= m.cfg.Temperature
	}
	return s, nil
}

// forward is the network's scores for n rows x, with the CPU kernels (the training graph computes the same).
func (m *Model) forward(k kernels.Backend, x []float64, n int) []float64 {
	d, h := m.schema.Width(), m.cfg.Hidden
	hid := make([]float64, n*h)
	k.MatMul(hid, x, m.params.W1, n, d, h)
	for i := range n {
		row := hid[i*h : (i+1)*h]
		for j := range row {
			row[j] = math.Tanh(row[j] + m.params.B1[j])
		}
	}
	s := make([]float64, n)
	lin := make([]float64, n)
	k.MatMul(s, hid, m.params.W2, n, h, 1)
	k.MatMul(lin, x, m.params.WL, n, d, 1)
	for i := range s {
		s[i] += lin[i]
	}
	return s
}

// zeros is one zeroed slice per weight slice of p (gradients, Adam moments).
func zeros(p *Params) [][]float64 {
	var out [][]float64
	for _, s := range p.slices() {
		out = append(out, make([]float64, len(s)))
	}
	return out
}
