#!/usr/bin/env bash
# The sampler's cost on CPU-bound decode, per decode step (issue: "a sampler proven not to slow decode").
# Run from the repository root on a machine with one NVIDIA GPU, torch, transformers, tokenizers and
# nvidia-ml-py (the H200 of the earlier runs: small-model decode there is CPU/launch-bound, 19-26 % GPU busy).
#   bash docs/validation/run_sampler_cost.sh          -> $OUT/sampler-cost.tar.gz
# BATCHES=1 CYCLES=30 TAG=-bs1 split the run (one batch size per call) where a call has a time limit.
# It builds a random-weight Llama-style model (hidden 1536, 24 layers, intermediate 4096; make_model.py prints
# its parameter count), then sampler_cost.py runs, at batch 1 and 32, 30 cycles of three generates (no sampler /
# sampler thread / sampler process, Latin-square order), 128 input and 128 output tokens, and writes every
# decode-step time, the sweeps' costs and the median-step ratios with bootstrap CIs (summary.md).
# Expected: ~127 x 30 = 3,810 decode steps per arm and batch size; the goal is a ratio <= 1.01 with the CI's
# upper end <= 1.02 (summary.md says "meets the goal", "misses the goal" or "not resolved" and the CI width).
set -uo pipefail
export PYTHONUNBUFFERED=1
ROOT=$(pwd)
WORK=${WORK:-/tmp/lem-sampler-cost}
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK/raw" "$OUTDIR"
export PYTHONPATH="$ROOT/docker/harness"
nvidia-smi --query-gpu=name,driver_version,power.draw,clocks.sm,pstate --format=csv > "$WORK/raw/machine.txt" 2>&1
python3 docs/validation/step_stats.py --self-test | tee "$WORK/raw/step_stats_selftest.txt"
if [ ! -d "$WORK/model" ]; then
  python3 docs/validation/make_model.py "$WORK/model" 1536 24 4096 \
    > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log"
fi
python3 docs/validation/nvml_probe.py > "$WORK/raw/nvml_probe.json" 2>&1
t0=$(date +%s%N)
python3 docs/validation/sampler_cost.py "$WORK/model" "$WORK/raw" --batches "${BATCHES:-1,32}" --cycles "${CYCLES:-30}" \
  > "$WORK/raw/console.log" 2> "$WORK/raw/stderr.log"
echo "exit code $?  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$WORK/raw/run.txt"
cat "$WORK/raw/summary.md" 2>/dev/null
tar -C "$WORK" -czf "$OUTDIR/sampler-cost${TAG:-}.tar.gz" raw
