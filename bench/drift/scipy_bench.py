#!/usr/bin/python3
"""scipy/numpy side of bench/drift/run.sh: the same statistics on the same float64 column, one JSON line.

Usage: /usr/bin/python3 scipy_bench.py <column.f64> [repeats]
Streaming PSI in numpy: reference deciles fixed once, np.searchsorted + np.bincount per 100,000-value batch,
Evidently's smoothing of empty bins at the end (the same definition as Courseware.Drift.StreamingPsi).
"""
import json, sys, time
import numpy as np
from scipy import stats

values = np.fromfile(sys.argv[1], dtype="<f8")
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
half = len(values) // 2
a, b = values[:half], values[half:]


def streaming_psi(ref, cur, batch=100_000):
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10.0))
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    counts = np.zeros(len(edges) + 1, dtype=np.int64)
    for start in range(0, len(cur), batch):
        counts += np.bincount(np.searchsorted(edges, cur[start:start + batch], side="right"), minlength=len(edges) + 1)
    c = counts / counts.sum()
    for s in (r, c):
        m = min(s[s != 0])
        np.place(s, s == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return float(np.sum((r - c) * np.log(r / c)))


def median_time(fn):
    result = fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2], result


ks_t, ks = median_time(lambda: stats.ks_2samp(a, b))
w_t, w = median_time(lambda: stats.wasserstein_distance(a, b))
p_t, p = median_time(lambda: streaming_psi(a, b))
print(json.dumps({"impl": "scipy", "scipy": __import__("scipy").__version__, "n": len(values), "ks_s": ks_t,
                  "wasserstein_s": w_t, "psi_stream_s": p_t, "ks_d": float(ks.statistic), "ks_p": float(ks.pvalue),
                  "wasserstein": float(w), "psi": p}))
