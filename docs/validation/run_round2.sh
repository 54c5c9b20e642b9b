#!/usr/bin/env bash
# Round-two validity on a GPU (not yet run): both named baselines on the card, a default-config run whose windows
# are all >= 30 s, warmup over every batch shape converging, the validity block and uncertainty budget per result.
# Run from the repository root on a machine with one NVIDIA GPU, torch, transformers, tokenizers, nvidia-ml-py:
#   bash docs/validation/run_round2.sh            -> $OUT/round2.tar.gz
# RUNS=bs1-thread,bs32-thread TAG=-a runs only those experiments (to split the run across time-limited calls).
# What to read afterwards (raw/round2-table.md): per experiment, device_idle and loaded_idle power / pstate /
# SM clock (expected on an H200: device_idle near 78 W at P8-ish clocks, loaded_idle near 121 W at 1980 MHz, as
# seen before), measured_s >= 30 with window.passes >= 1, validity.valid with each check, warmup runs / shapes /
# converged, the J/token uncertainty budget, and the sampler's calls per sweep and sweep_ms.
set -uo pipefail
export PYTHONUNBUFFERED=1
ROOT=$(pwd)
WORK=${WORK:-/tmp/lem-round2}
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK/raw" "$OUTDIR"
export PYTHONPATH="$ROOT/docker/harness"
nvidia-smi --query-gpu=name,driver_version,power.draw,clocks.sm,pstate --format=csv > "$WORK/raw/machine.txt" 2>&1
if [ ! -d "$WORK/model" ]; then
  python3 docs/validation/make_model.py "$WORK/model" 1536 24 4096 \
    > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log"
fi
python3 docs/validation/make_round2_spec.py "$WORK/model" "$WORK/results" "$WORK/raw/spec.json" "${RUNS:-}"
t0=$(date +%s%N)
python3 -m lem_harness run "$WORK/raw/spec.json" > "$WORK/raw/events.jsonl" 2> "$WORK/raw/harness.stderr.log"
echo "exit code $?  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$WORK/raw/run.txt"
python3 docs/validation/round2_table.py "$WORK/results/round2" > "$WORK/raw/round2-table.md" 2>&1
cat "$WORK/raw/round2-table.md"
tar -C "$WORK" -czf "$OUTDIR/round2${TAG:-}.tar.gz" raw results
