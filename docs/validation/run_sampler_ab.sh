#!/usr/bin/env bash
# Second sampler-overhead measurement (after run_validation.sh): GPU-bound prefill-heavy A/B and a finely
# interleaved batch-1 A/B, plus the NVML probe. Packs everything into $OUT/sampler-ab.tar.gz.
set -uo pipefail
export PYTHONUNBUFFERED=1
ROOT=$(pwd)
WORK=/tmp/lem-sampler-ab
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK/raw" "$OUTDIR"
export PYTHONPATH="$ROOT/docker/harness"
python3 docs/validation/make_model.py "$WORK/model" > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log"
python3 docs/validation/make_specs.py "$WORK/model" "$WORK/results" "$WORK/specs"
cp "$WORK/specs/sampler-ab.json" "$WORK/raw/"
python3 docs/validation/nvml_probe.py > "$WORK/raw/nvml_probe.json" 2>&1; cat "$WORK/raw/nvml_probe.json"
t0=$(date +%s%N)
python3 -m lem_harness run "$WORK/specs/sampler-ab.json" > "$WORK/raw/events.jsonl" 2> "$WORK/raw/harness.stderr.log"
echo "exit code $?  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$WORK/raw/run.txt"
grep -E "\"event\":\"(engine_loaded|failed|batch_finished)\"" "$WORK/raw/events.jsonl" | cut -c1-220
python3 docs/validation/summarise.py "$WORK/results/sampler-ab" > "$WORK/raw/summary.md" 2>&1
sed -n '/Sampler overhead/,/Environment/p' "$WORK/raw/summary.md"
tar -C "$WORK" -czf "$OUTDIR/sampler-ab.tar.gz" raw results
