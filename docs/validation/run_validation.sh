#!/usr/bin/env bash
# GPU validation of lem_harness, in one call on the device machine (repository root is the working
# directory; $OUT is the folder whose files come back). Builds a random-weight Llama-style model, runs the
# harness itself on it, times the harness's overhead, and packs everything into $OUT/validation.tar.gz.
set -uo pipefail
export PYTHONUNBUFFERED=1
ROOT=$(pwd)
WORK=/tmp/lem-validation
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK" "$OUTDIR" "$WORK/raw"
export PYTHONPATH="$ROOT/docker/harness"
{
  echo "# machine"; nvidia-smi; nvidia-smi -q -d POWER,CLOCK,PERFORMANCE | head -120
  python3 --version
  python3 -m pip show torch transformers tokenizers nvidia-ml-py accelerate 2>/dev/null | grep -E '^(Name|Version)'
} > "$WORK/raw/machine.txt" 2>&1
python3 docs/validation/make_model.py "$WORK/model" > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log" || {
  tail -30 "$WORK/raw/make_model.stderr.log"; }
python3 docs/validation/make_specs.py "$WORK/model" "$WORK/results" "$WORK/specs"
cp -r "$WORK/specs" "$WORK/raw/specs"
python3 -m lem_harness health > "$WORK/raw/health.json"
echo "== harness run (transformers on the GPU)"
t0=$(date +%s%N)
python3 -m lem_harness run "$WORK/specs/validation.json" > "$WORK/raw/events.jsonl" 2> "$WORK/raw/harness.stderr.log"
echo "exit code $?  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$WORK/raw/run.txt"
grep -E "\"event\":\"(engine_loaded|failed|batch_finished)\"" "$WORK/raw/events.jsonl" | cut -c1-220
echo "== NVML probe (sweep cost, update periods)"
python3 docs/validation/nvml_probe.py > "$WORK/raw/nvml_probe.json" 2>&1; cat "$WORK/raw/nvml_probe.json"
echo "== harness overhead (synthetic zero-work)"
python3 docs/validation/timing.py "$WORK/specs" > "$WORK/raw/timing.json" 2>&1; cat "$WORK/raw/timing.json"
python3 -X importtime -m lem_harness run "$WORK/specs/overhead-1.json" 2> "$WORK/raw/importtime.log" > /dev/null
sort -t'|' -k2 -n "$WORK/raw/importtime.log" | tail -25
python3 docs/validation/summarise.py "$WORK/results/gpu-validation" > "$WORK/raw/summary.md" 2>&1; cat "$WORK/raw/summary.md"
rm -rf "$WORK/results/overhead-1" "$WORK/results/overhead-20"
tar -C "$WORK" -czf "$OUTDIR/validation.tar.gz" raw results
ls -la "$OUTDIR"
