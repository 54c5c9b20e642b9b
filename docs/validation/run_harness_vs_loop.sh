#!/usr/bin/env bash
# The harness's measured generate vs a plain transformers loop, interleaved in one process.
# Run from the repository root on a machine with one NVIDIA GPU, torch, transformers, tokenizers, nvidia-ml-py:
#   bash docs/validation/run_harness_vs_loop.sh        -> $OUT/harness-vs-loop.tar.gz
# BATCHES=1 CYCLES=20 TAG=-bs1 split it across time-limited calls; PY_TIMEOUT_S stops the Python in time for the tarball. Check: tokens/s ratio within +-3 % with a 95 % CI
# that includes 1.0 at batch 1, 8 and 32 (summary.md says which).
set -uo pipefail
export PYTHONUNBUFFERED=1
WORK=${WORK:-/tmp/lem-harness-vs-loop}
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK/raw" "$OUTDIR"
nvidia-smi --query-gpu=name,driver_version,power.draw,clocks.sm,pstate --format=csv > "$WORK/raw/machine.txt" 2>&1
if [ ! -d "$WORK/model" ]; then
  python3 docs/validation/make_model.py "$WORK/model" 1536 24 4096 \
    > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log"
fi
t0=$(date +%s%N)
timeout "${PY_TIMEOUT_S:-86400}" python3 docs/validation/harness_vs_loop.py "$WORK/model" "$WORK/raw" --batches "${BATCHES:-1,8,32}" \
  --cycles "${CYCLES:-20}" > "$WORK/raw/console.log" 2> "$WORK/raw/stderr.log"
echo "exit code $?  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$WORK/raw/run.txt"
cat "$WORK/raw/summary.md" 2>/dev/null
tar -C "$WORK" -czf "$OUTDIR/harness-vs-loop${TAG:-}.tar.gz" raw
