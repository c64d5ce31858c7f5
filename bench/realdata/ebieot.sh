#!/usr/bin/env bash
# Fits every committed real-data case with ebieot's defaults (no
# hyperparameter flags) and evaluates it on its held-out pairs against the
# baselines, as a new user would. Usage: bench/realdata/ebieot.sh [OUTDIR]
# Prints one line per case: wall seconds of the fit, held-out NLL of the
# model and of the baselines. Run from the repository root.
set -euo pipefail
out="${1:-/tmp/ebieot-realdata}"
mkdir -p "$out"
go build -o "$out/ebieot" ./cmd/ebieot
for case in ames3 chicago10 landsat18 digits32; do
  dir="datasets/testdata/real/$case"
  start=$(date +%s.%N)
  "$out/ebieot" --quiet fit --data "$dir/train.csv" --x-cols 'x_*' --y-cols 'y_*' \
    --out "$out/$case.json" > "$out/$case.fit.log" 2>&1
  end=$(date +%s.%N)
  "$out/ebieot" --quiet eval --model "$out/$case.json" --input "$dir/holdout.csv" \
    --baselines --data "$dir/train.csv" --x-cols 'x_*' --y-cols 'y_*' \
    --json "$out/$case.eval.json" > "$out/$case.eval.txt" 2>&1
  printf '%s\tfit %.1f s\n' "$case" "$(echo "$end - $start" | bc)"
  grep -i "nll\|beats\|loses" "$out/$case.eval.txt" | head -12
done
