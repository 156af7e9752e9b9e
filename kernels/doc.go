// Package kernels holds the hot numerical operations of the policy and its trainer, each as a plain Go
// reference (CPU) and, behind the cuda build tag, as CUDA kernels compiled at run time by NVRTC and launched
// through the driver API, both loaded with purego (the default build needs no CUDA and no cgo).
//
// The operations: a row-major matrix product (MatMul, MatMulTransA, MatMulTransB), a log-softmax over ragged
// candidate sets given by offsets and its backward, gather and scatter-add of candidate rows, and the fused
// Adam update. Every backend implements Backend; the CPU one (CPU) is the reference that conformance tests
// compare the others with. Start with backend.go, then cpu.go.
//
// A ragged set list is described by offsets: set i is rows offsets[i] to offsets[i+1]-1, so len(offsets) is
// one more than the number of sets and offsets[0] is 0. An empty set is allowed and has no rows.
package kernels
