#!/usr/bin/env bash
# Issue 14's GPU validation, in one call on the device machine (repository root is the working directory):
# the harness measures four experiments on the GPU (NVML energy counter and 100 ms power integral) while
# nvidia-smi logs power every 100 ms (-lms 100) and, where the host exposes it, RAPL is logged too.
# The logs are then cut at the harness's windows by lem's own importers (meters_crosscheck.mjs, run here
# afterwards, where Node is). Needs the batch spec written by make_meters_spec.mjs, carried as $SPEC.
#   SPEC=docs/validation/raw/meters-crosscheck/spec.json bash docs/validation/run_meters_crosscheck.sh
#   -> $OUT/meters-crosscheck.tar.gz
set -uo pipefail
export PYTHONUNBUFFERED=1
ROOT=$(pwd)
WORK=/tmp/lem-meters
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK/raw" "$OUTDIR"
export PYTHONPATH="$ROOT/docker/harness"
{
  date -u; echo "TZ=${TZ:-unset} local offset $(date +%z)"
  nvidia-smi; nvidia-smi -q -d POWER | head -60
  python3 --version
  python3 -m pip show torch transformers nvidia-ml-py 2>/dev/null | grep -E '^(Name|Version)'
  echo "# powercap"; ls -la /sys/class/powercap 2>&1
} > "$WORK/raw/machine.txt" 2>&1
cp "$SPEC" "$WORK/raw/spec.json"
python3 docs/validation/make_model.py "$WORK/model" 1536 24 4096 > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log" \
  || tail -30 "$WORK/raw/make_model.stderr.log"
# power.draw.average/.instant exist on recent drivers only: each is kept if this nvidia-smi accepts it.
nvidia-smi --help-query-gpu > "$WORK/raw/nvidia-smi-help-query.txt" 2>&1
FIELDS=timestamp,index,power.draw
for kind in average instant; do
  for extra in power.draw.$kind gpu.power.draw.$kind; do
    if nvidia-smi --query-gpu=$extra --format=csv >> "$WORK/raw/nvidia-smi-probe.txt" 2>&1; then FIELDS=$FIELDS,$extra; break; fi
  done
done
echo "nvidia-smi fields: $FIELDS" | tee "$WORK/raw/fields.txt"
nvidia-smi --query-gpu=$FIELDS --format=csv -lms 100 -f "$WORK/raw/nvidia-smi.csv" &
SMI=$!
python3 docs/validation/rapl_log.py /sys/class/powercap "$WORK/raw/rapl.csv" "$WORK/raw/rapl-status.json" &
RAPL=$!
sleep 2
t0=$(date +%s%N)
timeout "${PY_TIMEOUT_S:-480}" python3 -m lem_harness run "$WORK/raw/spec.json" > "$WORK/raw/events.jsonl" 2> "$WORK/raw/harness.stderr.log"
echo "exit code $?  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee "$WORK/raw/run.txt"
sleep 2
kill -TERM $SMI $RAPL 2>/dev/null; wait $SMI $RAPL 2>/dev/null
cat "$WORK/raw/rapl-status.json"; wc -l "$WORK/raw/nvidia-smi.csv"; head -3 "$WORK/raw/nvidia-smi.csv"
grep -E "\"event\":\"(engine_loaded|failed|experiment_finished|batch_finished)\"" "$WORK/raw/events.jsonl" | cut -c1-200
tail -5 "$WORK/raw/harness.stderr.log"
for r in "$WORK"/results/*/result.json "$WORK"/results/*/*/result.json; do [ -f "$r" ] && echo "$r"; done
tar -C "$WORK" -czf "$OUTDIR/meters-crosscheck.tar.gz" raw results
