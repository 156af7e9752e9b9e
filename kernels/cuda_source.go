package kernels

// cudaSource is the CUDA C of every device kernel, compiled at run time by NVRTC for the device found (see
// cuda.go, build tag cuda). Everything is double precision, as the CPU reference is; the conformance test
// states the tolerance. It lives in an untagged file so that the default build vets it as a string too.
const cudaSource = `
// NVRTC compiles without the math headers, so infinity is spelled out rather than taken from INFINITY.
#define SSR_INF __longlong_as_double(0x7ff0000000000000LL)

extern "C" __global__ void matmul(double* c, const double* a, const double* b, int m, int k, int n) {
	__shared__ double ta[16][16];
	__shared__ double tb[16][16];
	int row = blockIdx.y * 16 + threadIdx.y, col = blockIdx.x * 16 + threadIdx.x;
	double s = 0;
	for (int t = 0; t < k; t += 16) {
		ta[threadIdx.y][threadIdx.x] = (row < m && t + threadIdx.x < k) ? a[(size_t)row * k + t + threadIdx.x] : 0;
		tb[threadIdx.y][threadIdx.x] = (col < n && t + threadIdx.y < k) ? b[(size_t)(t + threadIdx.y) * n + col] : 0;
		__syncthreads();
		for (int p = 0; p < 16; p++) s += ta[threadIdx.y][p] * tb[p][threadIdx.x];
		__syncthreads();
	}
	if (row < m && col < n) c[(size_t)row * n + col] = s;
}

// One thread per set: sets are a few hundred rows, and there are as many sets as decisions in a batch.
extern "C" __global__ void logsoftmax_ragged(double* out, const double* x, const unsigned char* mask, int has_mask,
		const int* offsets, int nsets) {
	int s = blockIdx.x * blockDim.x + threadIdx.x;
	if (s >= nsets) return;
	int lo = offsets[s], hi = offsets[s + 1];
	double mx = -SSR_INF;
	for (int j = lo; j < hi; j++) if ((!has_mask || mask[j]) && x[j] > mx) mx = x[j];
	double sum = 0;
	for (int j = lo; j < hi; j++) if (!has_mask || mask[j]) sum += exp(x[j] - mx);
	double lse = mx + log(sum);
	for (int j = lo; j < hi; j++) out[j] = (!has_mask || mask[j]) ? x[j] - lse : -SSR_INF;
}

extern "C" __global__ void logsoftmax_ragged_backward(double* gx, const double* logp, const double* gout,
		const unsigned char* mask, int has_mask, const int* offsets, int nsets) {
	int s = blockIdx.x * blockDim.x + threadIdx.x;
	if (s >= nsets) return;
	int lo = offsets[s], hi = offsets[s + 1];
	double sum = 0;
	for (int j = lo; j < hi; j++) if (!has_mask || mask[j]) sum += gout[j];
	for (int j = lo; j < hi; j++) gx[j] = (!has_mask || mask[j]) ? gout[j] - exp(logp[j]) * sum : 0;
}

extern "C" __global__ void gather_rows(double* dst, const double* src, const int* idx, int nidx, int width) {
	long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
	if (e >= (long long)nidx * width) return;
	int r = e / width, j = e % width;
	dst[e] = src[(size_t)idx[r] * width + j];
}

extern "C" __global__ void scatter_add_rows(double* dst, const double* src, const int* idx, int nidx, int width) {
	long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
	if (e >= (long long)nidx * width) return;
	int r = e / width, j = e % width;
	atomicAdd(&dst[(size_t)idx[r] * width + j], src[e]);
}

extern "C" __global__ void adam(double* p, const double* g, double* m, double* v, int n, double lr, double b1,
		double b2, double eps, double wd, double c1, double c2) {
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n) return;
	double gi = g[i];
	m[i] = b1 * m[i] + (1 - b1) * gi;
	v[i] = b2 * v[i] + (1 - b2) * gi * gi;
	double mh = m[i] / c1, vh = v[i] / c2;
	p[i] -= lr * (mh / (sqrt(vh) + eps) + wd * p[i]);
}
`
