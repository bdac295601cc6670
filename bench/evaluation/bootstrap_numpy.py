#!/usr/bin/python3
"""numpy paired bootstrap of the mean difference, the vectorised way (chunks of resamples × items index matrices).

Usage: /usr/bin/python3 bootstrap_numpy.py <data.f64> [repeats]; prints one JSON line like the C# bench.
"""
import json
import sys
import time

import numpy as np

RESAMPLES = 10_000
CHUNK = 500  # 500 × 10,000 int64 indices = 40 MB per chunk


def paired_bootstrap(a, b, resamples, seed, confidence=0.95):
    d = a - b
    n = len(d)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, CHUNK):
        rows = min(CHUNK, resamples - start)
        idx = rng.integers(0, n, size=(rows, n))
        means[start:start + rows] = d[idx].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return d.mean(), low, high


def main():
    values = np.fromfile(sys.argv[1], dtype="<f8")
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    n = len(values) // 2
    a, b = values[:n], values[n:]
    paired_bootstrap(a, b, RESAMPLES, seed=1)  # warm-up
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        diff, low, high = paired_bootstrap(a, b, RESAMPLES, seed=r)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({"impl": "numpy " + np.__version__, "items": n, "resamples": RESAMPLES, "threads": 1,
                      "median_s": round(times[len(times) // 2], 4), "min_s": round(times[0], 4),
                      "diff": round(float(diff), 6), "low": round(float(low), 6), "high": round(float(high), 6)}))


if __name__ == "__main__":
    main()
