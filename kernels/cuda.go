//go:build cuda || ssr_cuda

package kernels

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The cuda backend: the driver API (libcuda) and NVRTC loaded at run time with purego, so this builds with
// CGO_ENABLED=0 on a machine with no CUDA at all, and fails at Open (ErrNoDevice) where there is no driver,
// device or NVRTC. Kernels (cuda_source.go) are compiled by NVRTC for the device's compute capability.
//
// Each call copies its inputs to the device, launches, and copies the result back: that is what the
// conformance test needs, and what a host-memory Backend can promise. Keeping the trainer's tensors on the
// device between calls is the next step (see docs/policy.md).

func init() { register("cuda", func() (Backend, error) { return openCUDA() }) }

type cuDriver struct {
	cuInit                    func(flags uint32) int32
	cuDeviceGet               func(dev *int32, ordinal int32) int32
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) int32
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) int32
	cuDevicePrimaryCtxRelease func(dev int32) int32
	cuCtxSetCurrent           func(ctx uintptr) int32
	cuCtxSynchronize          func() int32
	cuModuleLoadData          func(mod *uintptr, image unsafe.Pointer) int32
	cuModuleUnload            func(mod uintptr) int32
	cuModuleGetFunction       func(fn *uintptr, mod uintptr, name string) int32
	cuMemAlloc                func(dptr *uint64, size uint64) int32
	cuMemFree                 func(dptr uint64) int32
	cuMemcpyHtoD              func(dst uint64, src unsafe.Pointer, size uint64) int32
	cuMemcpyDtoH              func(dst unsafe.Pointer, src uint64, size uint64) int32
	cuMemsetD8                func(dst uint64, v uint8, n uint64) int32
	cuLaunchKernel            func(fn uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params unsafe.Pointer, extra unsafe.Pointer) int32
	cuGetErrorString          func(code int32, s **byte) int32
	nvrtcCreateProgram        func(prog *uintptr, src, name string, nHeaders int32, headers, includes unsafe.Pointer) int32
	nvrtcCompileProgram       func(prog uintptr, nOpts int32, opts unsafe.Pointer) int32
	nvrtcGetPTXSize           func(prog uintptr, size *uint64) int32
	nvrtcGetPTX               func(prog uintptr, ptx unsafe.Pointer) int32
	nvrtcGetProgramLogSize    func(prog uintptr, size *uint64) int32
	nvrtcGetProgramLog        func(prog uintptr, log unsafe.Pointer) int32
	nvrtcDestroyProgram       func(prog *uintptr) int32
}

// CUDA is the device backend. Calls are serialised (one context, one stream).
type CUDA struct {
	d    *cuDriver
	dev  int32
	ctx  uintptr
	mod  uintptr
	fns  map[string]uintptr
	mu   sync.Mutex
	arch string
}

var _ Backend = (*CUDA)(nil)

func dlopenAny(names ...string) (uintptr, error) {
	var msgs []string
	for _, n := range names {
		h, err := purego.Dlopen(n, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			return h, nil
		}
		msgs = append(msgs, err.Error())
	}
	return 0, errors.New(strings.Join(msgs, "; "))
}

// bind binds fn to symbol name in lib, turning purego's panic on a missing symbol into an error.
func bind(lib uintptr, fn any, name string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("symbol %s: %v", name, r)
		}
	}()
	purego.RegisterLibFunc(fn, lib, name)
	return nil
}

func openCUDA() (*CUDA, error) {
	cu, err := dlopenAny("libcuda.so.1", "libcuda.so")
	if err != nil {
		return nil, fmt.Errorf("%w: load the CUDA driver (libcuda.so.1): %v", ErrNoDevice, err)
	}
	nv, err := dlopenAny("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2")
	if err != nil {
		return nil, fmt.Errorf("%w: load NVRTC (libnvrtc.so; put the CUDA toolkit's lib64 on LD_LIBRARY_PATH): %v", ErrNoDevice, err)
	}
	d := &cuDriver{}
	for _, b := range []struct {
		lib  uintptr
		fn   any
		name string
	}{
		{cu, &d.cuInit, "cuInit"}, {cu, &d.cuDeviceGet, "cuDeviceGet"}, {cu, &d.cuDeviceGetAttribute, "cuDeviceGetAttribute"},
		{cu, &d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"}, {cu, &d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"},
		{cu, &d.cuCtxSetCurrent, "cuCtxSetCurrent"}, {cu, &d.cuCtxSynchronize, "cuCtxSynchronize"},
		{cu, &d.cuModuleLoadData, "cuModuleLoadData"}, {cu, &d.cuModuleUnload, "cuModuleUnload"},
		{cu, &d.cuModuleGetFunction, "cuModuleGetFunction"}, {cu, &d.cuMemAlloc, "cuMemAlloc_v2"}, {cu, &d.cuMemFree, "cuMemFree_v2"},
		{cu, &d.cuMemcpyHtoD, "cuMemcpyHtoD_v2"}, {cu, &d.cuMemcpyDtoH, "cuMemcpyDtoH_v2"}, {cu, &d.cuMemsetD8, "cuMemsetD8_v2"},
		{cu, &d.cuLaunchKernel, "cuLaunchKernel"}, {cu, &d.cuGetErrorString, "cuGetErrorString"},
		{nv, &d.nvrtcCreateProgram, "nvrtcCreateProgram"}, {nv, &d.nvrtcCompileProgram, "nvrtcCompileProgram"},
		{nv, &d.nvrtcGetPTXSize, "nvrtcGetPTXSize"}, {nv, &d.nvrtcGetPTX, "nvrtcGetPTX"},
		{nv, &d.nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize"}, {nv, &d.nvrtcGetProgramLog, "nvrtcGetProgramLog"},
		{nv, &d.nvrtcDestroyProgram, "nvrtcDestroyProgram"},
	} {
		if err := bind(b.lib, b.fn, b.name); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoDevice, err)
		}
	}
	c := &CUDA{d: d, fns: map[string]uintptr{}}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if r := d.cuInit(0); r != 0 {
		return nil, fmt.Errorf("%w: cuInit: %s", ErrNoDevice, c.errString(r))
	}
	if r := d.cuDeviceGet(&c.dev, 0); r != 0 {
		return nil, fmt.Errorf("%w: cuDeviceGet(0): %s", ErrNoDevice, c.errString(r))
	}
	var major, minor int32
	if err := errors.Join(c.check("compute capability", d.cuDeviceGetAttribute(&major, 75, c.dev)),
		c.check("compute capability", d.cuDeviceGetAttribute(&minor, 76, c.dev))); err != nil {
		return nil, err
	}
	c.arch = fmt.Sprintf("compute_%d%d", major, minor)
	if err := c.check("retain the primary context", d.cuDevicePrimaryCtxRetain(&c.ctx, c.dev)); err != nil {
		return nil, err
	}
	if err := c.check("make the context current", d.cuCtxSetCurrent(c.ctx)); err != nil {
		return nil, err
	}
	ptx, err := c.compile()
	if err != nil {
		return nil, err
	}
	if err := c.check("load the module", d.cuModuleLoadData(&c.mod, unsafe.Pointer(&ptx[0]))); err != nil {
		return nil, err
	}
	for _, name := range []string{"matmul", "logsoftmax_ragged", "logsoftmax_ragged_backward", "gather_rows", "scatter_add_rows", "adam"} {
		var fn uintptr
		if err := c.check("find kernel "+name, d.cuModuleGetFunction(&fn, c.mod, name)); err != nil {
			return nil, err
		}
		c.fns[name] = fn
	}
	return c, nil
}

// compile turns cudaSource into PTX for the device with NVRTC.
func (c *CUDA) compile() ([]byte, error) {
	d := c.d
	var prog uintptr
	if r := d.nvrtcCreateProgram(&prog, cudaSource, "ssr_kernels.cu", 0, nil, nil); r != 0 {
		return nil, fmt.Errorf("%w: nvrtcCreateProgram: status %d", ErrNoDevice, r)
	}
	defer d.nvrtcDestroyProgram(&prog)
	opts := [][]byte{[]byte("--gpu-architecture=" + c.arch + "\x00"), []byte("--std=c++14\x00")}
	ptrs := make([]*byte, len(opts))
	for i := range opts {
		ptrs[i] = &opts[i][0]
	}
	if r := d.nvrtcCompileProgram(prog, int32(len(ptrs)), unsafe.Pointer(&ptrs[0])); r != 0 {
		var n uint64
		d.nvrtcGetProgramLogSize(prog, &n)
		log := make([]byte, n+1)
		d.nvrtcGetProgramLog(prog, unsafe.Pointer(&log[0]))
		return nil, fmt.Errorf("kernels: NVRTC could not compile the kernels for %s (status %d): %s", c.arch, r, cstr(log))
	}
	runtime.KeepAlive(opts)
	var n uint64
	if r := d.nvrtcGetPTXSize(prog, &n); r != 0 || n == 0 {
		return nil, fmt.Errorf("kernels: nvrtcGetPTXSize: status %d", r)
	}
	ptx := make([]byte, n)
	if r := d.nvrtcGetPTX(prog, unsafe.Pointer(&ptx[0])); r != 0 {
		return nil, fmt.Errorf("kernels: nvrtcGetPTX: status %d", r)
	}
	return ptx, nil
}

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func (c *CUDA) errString(r int32) string {
	var s *byte
	if c.d.cuGetErrorString == nil || c.d.cuGetErrorString(r, &s) != 0 || s == nil {
		return fmt.Sprintf("CUresult %d", r)
	}
	var b []byte
	for p := unsafe.Pointer(s); *(*byte)(p) != 0; p = unsafe.Add(p, 1) {
		b = append(b, *(*byte)(p))
	}
	return fmt.Sprintf("%s (CUresult %d)", b, r)
}

func (c *CUDA) check(what string, r int32) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("kernels: cuda: %s: %s", what, c.errString(r))
}

// Close unloads the kernels and releases the device's primary context.
func (c *CUDA) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c.d.cuCtxSetCurrent(c.ctx)
	err := c.check("unload the module", c.d.cuModuleUnload(c.mod))
	return errors.Join(err, c.check("release the context", c.d.cuDevicePrimaryCtxRelease(c.dev)))
}

// Name is "cuda".
func (c *CUDA) Name() string { return "cuda" }

// call runs f with the context current on a locked thread; a device failure panics, since Backend's methods
// return nothing (a device that worked at Open and fails later is not something a caller can handle).
func (c *CUDA) call(f func(s *session)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if r := c.d.cuCtxSetCurrent(c.ctx); r != 0 {
		panic(c.check("make the context current", r))
	}
	s := &session{c: c}
	defer s.free()
	f(s)
}

// session tracks the device buffers of one call.
type session struct {
	c    *CUDA
	bufs []uint64
}

func (s *session) must(what string, r int32) {
	if err := s.c.check(what, r); err != nil {
		panic(err)
	}
}

func (s *session) alloc(bytes int) uint64 {
	var p uint64
	s.must("allocate", s.c.d.cuMemAlloc(&p, uint64(max(bytes, 8))))
	s.bufs = append(s.bufs, p)
	return p
}

func (s *session) free() {
	for _, p := range s.bufs {
		s.c.d.cuMemFree(p)
	}
}

func (s *session) f64(x []float64) uint64 {
	p := s.alloc(8 * len(x))
	if len(x) > 0 {
		s.must("copy in", s.c.d.cuMemcpyHtoD(p, unsafe.Pointer(&x[0]), uint64(8*len(x))))
	}
	return p
}

func (s *session) i32(x []int) uint64 {
	v := make([]int32, len(x))
	for i, e := range x {
		v[i] = int32(e)
	}
	p := s.alloc(4 * len(v))
	if len(v) > 0 {
		s.must("copy in", s.c.d.cuMemcpyHtoD(p, unsafe.Pointer(&v[0]), uint64(4*len(v))))
	}
	return p
}

func (s *session) mask(m []bool, n int) (uint64, int32) {
	if m == nil {
		return s.alloc(1), 0
	}
	b := make([]byte, n)
	for i := range b {
		if m[i] {
			b[i] = 1
		}
	}
	p := s.alloc(n)
	if n > 0 {
		s.must("copy in", s.c.d.cuMemcpyHtoD(p, unsafe.Pointer(&b[0]), uint64(n)))
	}
	return p, 1
}

func (s *session) back(dst []float64, p uint64) {
	if len(dst) > 0 {
		s.must("copy out", s.c.d.cuMemcpyDtoH(unsafe.Pointer(&dst[0]), p, uint64(8*len(dst))))
	}
}

// launch runs kernel name on a grid with args (each a pointer to the argument's value) and waits.
func (s *session) launch(name string, grid, block [3]uint32, args ...unsafe.Pointer) {
	if grid[0] == 0 || grid[1] == 0 {
		return
	}
	s.must("launch "+name, s.c.d.cuLaunchKernel(s.c.fns[name], grid[0], grid[1], grid[2], block[0], block[1], block[2], 0, 0,
		unsafe.Pointer(&args[0]), nil))
	s.must("run "+name, s.c.d.cuCtxSynchronize())
	runtime.KeepAlive(args)
}

func blocks(n, per int) uint32 { return uint32((n + per - 1) / per) }

// MatMul sets c = a·b on the device (16×16 tiles).
func (c *CUDA) MatMul(out, a, b []float64, m, k, n int) {
	c.call(func(s *session) {
		dc, da, db := s.alloc(8*m*n), s.f64(a[:m*k]), s.f64(b[:k*n])
		mm, kk, nn := int32(m), int32(k), int32(n)
		s.launch("matmul", [3]uint32{blocks(n, 16), blocks(m, 16), 1}, [3]uint32{16, 16, 1},
			unsafe.Pointer(&dc), unsafe.Pointer(&da), unsafe.Pointer(&db), unsafe.Pointer(&mm), unsafe.Pointer(&kk), unsafe.Pointer(&nn))
		s.back(out[:m*n], dc)
	})
}

// LogSoftmaxRagged runs the ragged log-softmax on the device.
func (c *CUDA) LogSoftmaxRagged(out, x []float64, mask []bool, offsets []int) {
	n, sets := offsets[len(offsets)-1], int32(len(offsets)-1)
	c.call(func(s *session) {
		do, dx, doff := s.alloc(8*n), s.f64(x[:n]), s.i32(offsets)
		dm, has := s.mask(mask, n)
		s.launch("logsoftmax_ragged", [3]uint32{blocks(int(sets), 128), 1, 1}, [3]uint32{128, 1, 1},
			unsafe.Pointer(&do), unsafe.Pointer(&dx), unsafe.Pointer(&dm), unsafe.Pointer(&has), unsafe.Pointer(&doff), unsafe.Pointer(&sets))
		s.back(out[:n], do)
	})
}

// LogSoftmaxRaggedBackward runs the backward on the device.
func (c *CUDA) LogSoftmaxRaggedBackward(gx, logp, gout []float64, mask []bool, offsets []int) {
	n, sets := offsets[len(offsets)-1], int32(len(offsets)-1)
	c.call(func(s *session) {
		dg, dl, dgo, doff := s.alloc(8*n), s.f64(logp[:n]), s.f64(gout[:n]), s.i32(offsets)
		dm, has := s.mask(mask, n)
		s.launch("logsoftmax_ragged_backward", [3]uint32{blocks(int(sets), 128), 1, 1}, [3]uint32{128, 1, 1},
			unsafe.Pointer(&dg), unsafe.Pointer(&dl), unsafe.Pointer(&dgo), unsafe.Pointer(&dm), unsafe.Pointer(&has),
			unsafe.Pointer(&doff), unsafe.Pointer(&sets))
		s.back(gx[:n], dg)
	})
}

// Gather copies rows on the device.
func (c *CUDA) Gather(dst, src []float64, idx []int, width int) {
	c.call(func(s *session) {
		dd, ds, di := s.alloc(8*len(idx)*width), s.f64(src), s.i32(idx)
		ni, w := int32(len(idx)), int32(width)
		s.launch("gather_rows", [3]uint32{blocks(len(idx)*width, 256), 1, 1}, [3]uint32{256, 1, 1},
			unsafe.Pointer(&dd), unsafe.Pointer(&ds), unsafe.Pointer(&di), unsafe.Pointer(&ni), unsafe.Pointer(&w))
		s.back(dst[:len(idx)*width], dd)
	})
}

// ScatterAdd adds rows on the device (atomic adds: the order of a repeated index's sum is the device's).
func (c *CUDA) ScatterAdd(dst, src []float64, idx []int, width int) {
	c.call(func(s *session) {
		dd, ds, di := s.f64(dst), s.f64(src[:len(idx)*width]), s.i32(idx)
		ni, w := int32(len(idx)), int32(width)
		s.launch("scatter_add_rows", [3]uint32{blocks(len(idx)*width, 256), 1, 1}, [3]uint32{256, 1, 1},
			unsafe.Pointer(&dd), unsafe.Pointer(&ds), unsafe.Pointer(&di), unsafe.Pointer(&ni), unsafe.Pointer(&w))
		s.back(dst, dd)
	})
}

// Adam runs the fused update on the device.
func (c *CUDA) Adam(p, g, m, v []float64, st AdamStep) {
	n := int32(len(p))
	c1 := 1 - math.Pow(st.Beta1, float64(st.T))
	c2 := 1 - math.Pow(st.Beta2, float64(st.T))
	c.call(func(s *session) {
		dp, dg, dm, dv := s.f64(p), s.f64(g[:len(p)]), s.f64(m[:len(p)]), s.f64(v[:len(p)])
		s.launch("adam", [3]uint32{blocks(len(p), 256), 1, 1}, [3]uint32{256, 1, 1},
			unsafe.Pointer(&dp), unsafe.Pointer(&dg), unsafe.Pointer(&dm), unsafe.Pointer(&dv), unsafe.Pointer(&n),
			unsafe.Pointer(&st.LR), unsafe.Pointer(&st.Beta1), unsafe.Pointer(&st.Beta2), unsafe.Pointer(&st.Eps),
			unsafe.Pointer(&st.WeightDecay), unsafe.Pointer(&c1), unsafe.Pointer(&c2))
		s.back(p, dp)
		s.back(m[:len(p)], dm)
		s.back(v[:len(p)], dv)
	})
}
