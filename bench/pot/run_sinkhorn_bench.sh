#!/bin/sh
# Runs POT 0.8.2 and the Go benchmarks side by side on the same inputs.
# Usage (from the repository root): sh bench/pot/run_sinkhorn_bench.sh [reps]
set -e
reps=${1:-3}
export SINKHORN_BENCH_DATA=${SINKHORN_BENCH_DATA:-/tmp/sinkhorn-bench}
go test -c -o /tmp/sinkhorn.test ./sinkhorn/
lscpu | grep 'Model name'
uptime; nproc
for n in 2000 5000; do
  for eps in 0.01 0.1; do
    /usr/bin/python3 bench/pot/sinkhorn_bench.py --sizes $n --eps $eps --reps "$reps"
    tag=$(echo $eps | tr . _)
    /tmp/sinkhorn.test -test.run '^$' -test.bench "POT(Log|Kernel)${n}Eps${tag}\$" -test.benchtime 1x -test.count "$reps" -test.v |
      grep -E '^Benchmark|max relative'
  done
done
/usr/bin/python3 bench/pot/batch_bench.py --reps "$reps"
/tmp/sinkhorn.test -test.run '^$' -test.bench 'Batch64' -test.benchtime 1x -test.count "$reps" | grep -E '^Benchmark'
/usr/bin/time -v /tmp/sinkhorn.test -test.run '^$' -test.bench 'Online20000' -test.benchtime 1x 2>&1 |
  grep -E '^Benchmark|Maximum resident'
uptime; nproc
