package kernels

import (
	"errors"
	"fmt"
	"sync"
)

// Backend carries out the operations on float64 slices in host memory. A device backend copies in and out
// per call, which is what a conformance test needs; the trainer calls the CPU one.
type Backend interface {
	Name() string
	// MatMul sets c (m×n) to a (m×k) times b (k×n), all row-major.
	MatMul(c, a, b []float64, m, k, n int)
	// LogSoftmaxRagged sets out[j] to x[j] minus the log-sum-exp of x over j's set; rows where mask is
	// false (mask may be nil: every row counts) get -Inf and take no part in the sum.
	LogSoftmaxRagged(out, x []float64, mask []bool, offsets []int)
	// LogSoftmaxRaggedBackward sets gx to the gradient with respect to x given logp (the forward's output)
	// and gout (the gradient with respect to logp): gx[j] = gout[j] - p[j]·Σ_set gout, masked rows 0.
	LogSoftmaxRaggedBackward(gx, logp, gout []float64, mask []bool, offsets []int)
	// Gather copies rows idx of src (width columns) into dst, in order.
	Gather(dst, src []float64, idx []int, width int)
	// ScatterAdd adds row r of src to row idx[r] of dst (width columns); repeated indices accumulate.
	ScatterAdd(dst, src []float64, idx []int, width int)
	// Adam applies one fused Adam step to p with gradient g and moments m, v (updated in place).
	Adam(p, g, m, v []float64, s AdamStep)
	// Close releases what the backend holds (a device context); it is not used afterwards.
	Close() error
}

// AdamStep holds the settings of one Adam update; T is the 1-based step number (bias correction).
type AdamStep struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	T                                  int64
}

// ErrNoDevice reports that a device backend cannot run here (no driver, no device, no compiler).
var ErrNoDevice = errors.New("kernels: no usable device")

var (
	mu       sync.Mutex
	backends = map[string]func() (Backend, error){"cpu": func() (Backend, error) { return CPU{}, nil }}
)

// register makes a backend constructor known to Open and Names (device backends register in init).
func register(name string, open func() (Backend, error)) {
	mu.Lock()
	defer mu.Unlock()
	backends[name] = open
}

// Names lists the backends compiled into this binary ("cpu", and "cuda" under the cuda build tag).
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(backends))
	for n := range backends {
		out = append(out, n)
	}
	return out
}

// Compiled reports whether a backend called name is compiled into this binary (without opening it: a
// device backend may still fail at Open).
func Compiled(name string) error {
	mu.Lock()
	_, ok := backends[name]
	mu.Unlock()
	if !ok {
		return fmt.Errorf("kernels: backend %q is not compiled in (have %v; cuda needs a build with -tags cuda, or -tags ssr_cuda for anything that imports gorgonia)", name, Names())
	}
	return nil
}

// Open returns the backend called name; a device backend that cannot run here returns an error wrapping
// ErrNoDevice.
func Open(name string) (Backend, error) {
	if err := Compiled(name); err != nil {
		return nil, err
	}
	mu.Lock()
	open := backends[name]
	mu.Unlock()
	return open()
}
