"""Compare the checkpoints two 'ssr train' runs published (gpu-check.sh): the same versions, the same
tensors, and the largest weight difference; read with Python's safetensors, as any user's tools would."""
import glob
import os
import sys

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file
except ImportError as e:
    sys.exit(f"compare_checkpoints: {e}: install numpy and safetensors for Python to compare checkpoints")

a_dir, b_dir = sys.argv[1], sys.argv[2]
names = lambda d: sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "policy-v*.safetensors")))
va, vb = names(a_dir), names(b_dir)
print(f"versions: {a_dir} {va}, {b_dir} {vb}")
if not va or va != vb:
    sys.exit("compare_checkpoints: the runs published different versions")
for v in va:
    a, b = load_file(os.path.join(a_dir, v)), load_file(os.path.join(b_dir, v))
    if a.keys() != b.keys():
        sys.exit(f"compare_checkpoints: {v}: tensors {sorted(a)} vs {sorted(b)}")
    diff = max(float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) for k in a)
    scale = max(float(np.max(np.abs(a[k]))) for k in a)
    weights = sum(t.size for t in a.values())
    print(f"{v}: {len(a)} tensors, {weights} weights, max |difference| {diff:.3g} (max |weight| {scale:.3g})")
with safe_open(os.path.join(a_dir, "trainer.safetensors"), "numpy") as f:
    print(f"trainer.safetensors: {len(list(f.keys()))} tensors, metadata {sorted((f.metadata() or {}).keys())}")
