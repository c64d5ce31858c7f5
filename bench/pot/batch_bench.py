"""Time a loop of POT calls on many small problems (the batched case).

Usage: /usr/bin/python3 bench/pot/batch_bench.py [--problems 1000] [--size 64]
       [--reps 3] [--iters 100] [--eps 0.05]
Writes the problems (all source points, then all target points; CSV p1,p2,
problem after problem) for the Go benchmark BenchmarkBatch64 and prints the
median time of the loop for ot.sinkhorn (method 'sinkhorn' and
'sinkhorn_log'), each call running exactly --iters iterations (stopThr=0).
"""
import argparse
import os
import statistics
import time

import numpy as np
import ot

from common import cost_matrix, data_dir, gaussian_clouds, write_points


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", type=int, default=1000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--eps", type=float, default=0.05)
    args = ap.parse_args()
    d = data_dir()
    k, n = args.problems, args.size
    xs, ys = [], []
    for p in range(k):
        x, y = gaussian_clouds(n, seed=1000 + p)
        xs.append(x)
        ys.append(y)
    write_points(os.path.join(d, "batch_x.csv"), np.concatenate(xs))
    write_points(os.path.join(d, "batch_y.csv"), np.concatenate(ys))
    a = np.full(n, 1.0 / n)
    for method in ("sinkhorn", "sinkhorn_log"):
        times, cpus = [], []
        for _ in range(args.reps):
            t0, c0 = time.perf_counter(), time.process_time()
            for p in range(k):
                c = cost_matrix(xs[p], ys[p])
                ot.sinkhorn(a, a, c, args.eps, method=method,
                            numItermax=args.iters, stopThr=0)
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        print("pot batch %-13s problems=%d size=%d eps=%g median=%.4fs cpu_median=%.4fs runs=%s" % (
            method, k, n, args.eps, statistics.median(times), statistics.median(cpus),
            ",".join("%.4f" % t for t in times)), flush=True)


if __name__ == "__main__":
    main()
