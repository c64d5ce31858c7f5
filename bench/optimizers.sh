#!/usr/bin/env bash
# Trains the Swiss-roll EBiEOT-GMM preset (P = 128, Q = R = 1024, N = 50,
# M = 25, ε = 1, batch 128) with Adam, SoftSignum and SoftMuon for three
# seeds each and prints the best validation NLL (13 held-out pairs,
# standardised units) and the wall time of each run.
# Usage: bench/optimizers.sh [STEPS]   (default 25000, the paper's preset)
set -euo pipefail
steps=${1:-25000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/ebieot" ./cmd/ebieot
printf 'optimizer\tseed\tbest_valid_nll\twall_s\n'
for seed in 1 2 3; do
  "$dir/ebieot" generate swissroll --paired 128 --sources 1024 --targets 1024 --seed "$seed" --out "$dir/data.csv" -q
  for opt in adam softsignum softmuon; do
    start=$(date +%s.%N)
    "$dir/ebieot" fit --data "$dir/data.csv" --x-cols 'x*' --y-cols 'y*' --steps "$steps" \
      --optimizer "$opt" --valid-frac 0.1 --valid-every 1000 --seed "$seed" --out "$dir/m.json" -q >/dev/null
    end=$(date +%s.%N)
    nll=$("$dir/ebieot" describe --model "$dir/m.json" --json | sed -n 's/.*"best_valid_nll":\([^,}]*\).*/\1/p')
    printf '%s\t%s\t%s\t%.1f\n' "$opt" "$seed" "$nll" "$(echo "$end - $start" | bc)"
  done
done
