"""numpy baselines for bench/aggregate.ts, on the same data in the same run.

Reads raw little-endian float32 updates (n_max x params, row-major) and float64 sample counts written by the
TypeScript bench, prints {"numpy_version": ...}, then serves jobs: for each JSON job line on stdin it times the strategy
`repeats` times (after one untimed warm-up; a timed run of `batch` calls counts as the mean call), writes the result
vector next to the data (so the bench can check both sides computed the same thing) and prints one JSON result line.

    /usr/bin/python3 bench/python/aggregate_numpy.py <spec.json>    (jobs on stdin)

The kernels follow Flower's server strategies (flwr.server.strategy.aggregate): FedAvg as a sample-weighted sum,
median as np.median(axis=0), trimmed mean as Flower's _trim_mean (np.partition, then the mean of the middle slice),
Krum as Flower's scores (sum of squared distances to the n - f - 2 nearest others, argmin). Flower computes the
pairwise distances with a Python double loop over np.linalg.norm, which takes minutes at n = 1000; here they come from
one Gram matrix (BLAS), the fastest idiomatic numpy, computed in float64 so selection is not upset by cancellation.
"""
import json
import sys
import time

import numpy as np


def fedavg(x, counts):
    weights = counts / counts.sum()
    # float64 accumulation, like the TypeScript strategy; the float32 -> float64 cast is part of the cost.
    return (weights @ x.astype(np.float64)).astype(np.float32)


def median(x, _counts):
    return np.median(x, axis=0).astype(np.float32)


def trimmed_mean(x, _counts, fraction):
    n = x.shape[0]
    lower = int(fraction * n)
    upper = n - lower
    part = np.partition(x, (lower, upper - 1), axis=0)
    return np.mean(part[lower:upper], axis=0, dtype=np.float64).astype(np.float32)


def krum(x, counts, byzantine):
    n = x.shape[0]
    x64 = x.astype(np.float64)
    squared_norms = np.einsum("ij,ij->i", x64, x64)
    gram = x64 @ x64.T
    distances = np.maximum(squared_norms[:, None] + squared_norms[None, :] - 2.0 * gram, 0.0)
    neighbours = max(1, n - byzantine - 2)
    np.fill_diagonal(distances, np.inf)
    closest = np.sort(distances, axis=1)[:, :neighbours]
    scores = closest.sum(axis=1)
    best = int(np.argmin(scores))
    return x[best].copy(), best


def main():
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    params = spec["params"]
    n_max = spec["n_max"]
    data = np.fromfile(spec["updates_file"], dtype="<f4")
    if data.size != n_max * params:
        raise SystemExit(f"expected {n_max * params} float32 values in {spec['updates_file']}, found {data.size}")
    data = data.reshape(n_max, params)
    counts_all = np.fromfile(spec["counts_file"], dtype="<f8")

    # One job per line on stdin, answered with one JSON line on stdout, so the caller can time its own run of the
    # same job right after ours and slow phases of a shared machine hit both sides alike.
    print(json.dumps({"numpy_version": np.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        n = job["n"]
        strategy = job["strategy"]
        x = data[:n]
        counts = counts_all[:n]
        if strategy == "fedavg":
            run = lambda: (fedavg(x, counts), None)
        elif strategy == "median":
            run = lambda: (median(x, counts), None)
        elif strategy == "trimmed_mean":
            run = lambda: (trimmed_mean(x, counts, job["trim_fraction"]), None)
        elif strategy == "krum":
            run = lambda: krum(x, counts, job["byzantine"])
        else:
            raise SystemExit(f"unknown strategy {strategy}")
        times = []
        output = None
        if job["warmup"]:
            run()  # untimed, as on our side: first-touch page faults are not timed
        batch = job.get("batch", 1)
        for _ in range(job["repeats"]):
            started = time.perf_counter()
            for _ in range(batch):
                output = run()
            times.append((time.perf_counter() - started) * 1000.0 / batch)
        vector, selected = output
        vector.astype("<f4").tofile(job["result_file"])
        result = {"strategy": strategy, "n": n, "times_ms": times, "median_ms": float(np.median(times)), "selected": selected}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
