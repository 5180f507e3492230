# Sort/unique group-by peer: first copy per (minute, fingerprint) counts (arrival order), then
# counts per (minute, ad) for filter 0 and each of the 4 filters. Reads gpu_perf's --export
# file. Backends: torch (CUDA), cupy, or numpy (argument numpy, to check the logic here).
import sys, time
import numpy as np

path = sys.argv[1]
backend = sys.argv[2] if len(sys.argv) > 2 else "auto"
head = np.fromfile(path, dtype=np.uint32, count=4)
assert head[0] == 0x56454B43 and head[1] == 1, "not an events file"
n = int(head[2]) | (int(head[3]) << 32)
rec = np.dtype([("ad", "<u4"), ("minute", "<i4"), ("lo", "<u8"), ("hi", "<u8"), ("mask", "<u4")])
data = np.fromfile(path, dtype=rec, offset=16, count=n)

if backend == "auto":
    try:
        import torch
        backend = "torch" if torch.cuda.is_available() else "cupy"
    except ImportError:
        backend = "cupy"

if backend == "torch":
    import torch
    dev = torch.device("cuda")
    put = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(dev)
    argsort = lambda a: torch.argsort(a, stable=True)
    def unique_count(a):
        return torch.unique(a).numel()
    def nonzero_index(b):
        return torch.nonzero(b).flatten()
    sync = torch.cuda.synchronize
    ones = lambda k: torch.ones(k, dtype=torch.bool, device=dev)
elif backend == "cupy":
    import cupy as cp
    put = lambda a: cp.asarray(np.ascontiguousarray(a))
    argsort = lambda a: cp.argsort(a)  # CuPy sorts with a stable radix sort
    unique_count = lambda a: int(cp.unique(a).size)
    nonzero_index = lambda b: cp.nonzero(b)[0]
    sync = cp.cuda.runtime.deviceSynchronize
    ones = lambda k: cp.ones(k, dtype=bool)
else:
    put = lambda a: np.ascontiguousarray(a)
    argsort = lambda a: np.argsort(a, kind="stable")
    unique_count = lambda a: int(np.unique(a).size)
    nonzero_index = lambda b: np.nonzero(b)[0]
    sync = lambda: None
    ones = lambda k: np.ones(k, dtype=bool)

ad = put(data["ad"].astype(np.int64))
minute = put(data["minute"].astype(np.int64))
lo = put(data["lo"].view(np.int64))
hi = put(data["hi"].view(np.int64))
mask = put(data["mask"].astype(np.int64))

def run():
    # Stable sorts from the least significant key: within equal (minute, lo, hi) the arrival
    # order survives, so the head of each run is the first copy.
    order = argsort(hi)
    order = order[argsort(lo[order])]
    order = order[argsort(minute[order])]
    m, l, h = minute[order], lo[order], hi[order]
    head = ones(n)
    head[1:] = (m[1:] != m[:-1]) | (l[1:] != l[:-1]) | (h[1:] != h[:-1])
    first = order[nonzero_index(head)]
    key = minute[first] * (1 << 32) + ad[first]
    groups = unique_count(key)
    fm = mask[first]
    for k in range(4):
        groups += unique_count(key[nonzero_index((fm >> k) & 1)])
    sync()
    return int(first.shape[0]), groups

run()
times = []
for _ in range(5):
    t0 = time.perf_counter()
    counted, groups = run()
    times.append(time.perf_counter() - t0)
t = sorted(times)[len(times) // 2]
print(f"peer {backend}: {n} events in {t * 1e3:.1f} ms = {n / t / 1e6:.1f} M events/s; counted {counted}, groups {groups}")
