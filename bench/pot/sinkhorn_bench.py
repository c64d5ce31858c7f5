"""Time POT 0.8.2's ot.sinkhorn on the benchmark inputs (see common.py).

Usage: /usr/bin/python3 bench/pot/sinkhorn_bench.py [--sizes 2000,5000]
       [--eps 0.01,0.1] [--reps 3] [--iters 100]
Prints one line per case: method, n, eps, median seconds over reps, and
writes the inputs (x, y as CSV) and POT's plan (binary float64, row-major)
for the Go side to compare against.
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
    ap.add_argument("--sizes", default="2000,5000")
    ap.add_argument("--eps", default="0.01,0.1")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--methods", default="sinkhorn_log,sinkhorn")
    args = ap.parse_args()
    d = data_dir()
    for n in [int(s) for s in args.sizes.split(",")]:
        x, y = gaussian_clouds(n)
        write_points(os.path.join(d, "x%d.csv" % n), x)
        write_points(os.path.join(d, "y%d.csv" % n), y)
        a = np.full(n, 1.0 / n)
        b = np.full(n, 1.0 / n)
        for eps in [float(e) for e in args.eps.split(",")]:
            for method in args.methods.split(","):
                times, cpus = [], []
                for _ in range(args.reps):
                    t0, c0 = time.perf_counter(), time.process_time()
                    c = cost_matrix(x, y)  # counted: the Go side also builds C
                    p = ot.sinkhorn(a, b, c, eps, method=method,
                                    numItermax=args.iters, stopThr=0)
                    times.append(time.perf_counter() - t0)
                    cpus.append(time.process_time() - c0)
                ok = bool(np.all(np.isfinite(p)))
                print("pot %-13s n=%d eps=%g median=%.4fs cpu_median=%.4fs runs=%s finite=%s" % (
                    method, n, eps, statistics.median(times), statistics.median(cpus),
                    ",".join("%.4f" % t for t in times), ok), flush=True)
                p.astype("<f8").tofile(os.path.join(
                    d, "plan_%s_%d_%g.bin" % (method, n, eps)))


if __name__ == "__main__":
    main()
