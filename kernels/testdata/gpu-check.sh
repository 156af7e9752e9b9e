#!/bin/bash
# The GPU check (make gpu-check builds it into bin/gpu; run it there on a machine with the NVIDIA driver and
# the CUDA toolkit's NVRTC, no Go needed): the kernels' tests with every backend's conformance against the
# CPU reference, the kernel benchmarks per backend, and the trainer's step per backend; with a job database
# here (make gpu-check GPU_JOB=JOB GPU_DB=FILE), 'ssr train' end to end on it with each backend, checkpoints
# compared.
# Writes its logs to $OUT (default: this folder). See docs/perf.md, "Kernels on a GPU".
set -o pipefail
cd "$(dirname "$0")"
OUT=${OUT:-.}
exec > >(tee "$OUT/gpu-check.txt") 2>&1
date -u
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv || exit 1
nvrtc=$(ls /usr/local/cuda/lib64/libnvrtc.so* /usr/local/cuda*/lib64/libnvrtc.so* 2>/dev/null | head -1)
[ -z "$nvrtc" ] && nvrtc=$(find /usr /opt -name 'libnvrtc.so*' 2>/dev/null | head -1)
[ -z "$nvrtc" ] && { echo "gpu-check: no libnvrtc.so under /usr or /opt: install the CUDA toolkit's NVRTC"; exit 1; }
echo "nvrtc: $nvrtc"
export LD_LIBRARY_PATH=$(dirname "$nvrtc"):$LD_LIBRARY_PATH
lscpu | grep -E 'Model name|^CPU\(s\)'
rc=0
echo "== kernels tests (conformance: every backend against the CPU reference)"
timeout 120 ./kernels.test -test.v -test.count=1 || rc=1
echo "== kernels benchmarks"
timeout 180 ./kernels.test -test.run '^$' -test.bench . -test.benchtime 1s -test.benchmem || rc=1
echo "== trainer step"
timeout 90 ./policy.test -test.run '^$' -test.bench 'TrainStep' -test.benchtime 10x || rc=1
if [ -f jobs.db ]; then
	job=$(cat job.txt)
	for epochs in 2 40; do
		for k in cpu cuda; do
			echo "== ssr train $job --epochs $epochs --kernels $k"
			cp jobs.db train.db && rm -rf "train-$epochs-$k"
			start=$(date +%s%N)
			timeout 300 ./ssr train "$job" --db train.db --out "train-$epochs-$k" --epochs $epochs --kernels $k || rc=1
			echo "wall $(( ($(date +%s%N) - start) / 1000000 )) ms"
		done
		python3 compare_checkpoints.py "train-$epochs-cpu" "train-$epochs-cuda" || rc=1
	done
	rm -f train.db
fi
date -u
exit $rc
