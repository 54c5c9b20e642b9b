#!/usr/bin/env bash
# Sampler-overhead A/B on a strongly GPU-bound load, in one call on the device machine (repository root is the
# working directory; what is written under $OUT comes back). The earlier A/Bs (run_validation.sh,
# run_sampler_ab.sh) ran a 219.7 M-parameter model whose windows were CPU/launch-bound and swung 6-20 % between
# windows, too much to resolve 1 %. Here:
#   - a 1.36 B-parameter random-weight Llama-style model (hidden 2048, 24 layers, intermediate 5632, vocab 32000,
#     bf16), created on the GPU and saved with save_pretrained; the harness loads it by path;
#   - prefill only: one generate() call on 32 prompts x 1024 input tokens, 1 output token, repeated for >= 5 s
#     per window; sampling every 100 ms ('on') vs `sampling: false` ('off'), ABBA pairs, one engine load for all;
#   - a pilot of 2 pairs in its own harness run first, whose per-experiment time sizes the main run to fit
#     BUDGET_S (the whole script; the device call's limit is 600 s). The main run is also bounded by `timeout`,
#     and whatever finished is analysed and packed all the same.
# Packs everything into $OUT/sampler-ab-gpu-bound.tar.gz. Changes no GPU setting.
# LEM_HARNESS_PYTHONPATH may point at a pinned copy of docker/harness (the default is this checkout's).
set -uo pipefail
export PYTHONUNBUFFERED=1
T0=$(date +%s)
BUDGET_S=${BUDGET_S:-540}
MAX_PAIRS=${MAX_PAIRS:-40}
ROOT=$(pwd)
V="$ROOT/docs/validation"
WORK=/tmp/lem-ab-gpu
OUTDIR=${OUT:-/tmp/lem-out}
mkdir -p "$WORK/raw" "$OUTDIR"
export PYTHONPATH="${LEM_HARNESS_PYTHONPATH:-$ROOT/docker/harness}"
el() { echo $(( $(date +%s) - T0 )); }
pack() { tar -C "$WORK" -czf "$OUTDIR/sampler-ab-gpu-bound.tar.gz" raw results; ls -la "$OUTDIR"; }

{
  echo "# machine (before anything ran)"; nvidia-smi; nvidia-smi -q -d POWER,CLOCK,PERFORMANCE,TEMPERATURE
  python3 --version
  python3 -m pip show torch transformers tokenizers nvidia-ml-py 2>/dev/null | grep -E '^(Name|Version)'
  echo "harness: $PYTHONPATH"; md5sum "$PYTHONPATH"/lem_harness/*.py "$PYTHONPATH"/lem_harness/*/*.py
} > "$WORK/raw/machine.txt" 2>&1

python3 "$V/make_model.py" "$WORK/model" 2048 24 5632 > "$WORK/raw/model.json" 2> "$WORK/raw/make_model.stderr.log" \
  || { tail -30 "$WORK/raw/make_model.stderr.log"; pack; exit 1; }
cat "$WORK/raw/model.json"; du -sh "$WORK/model"; echo "model ready at $(el) s"

harness() {  # harness <name> <limit s>: runs spec-<name>.json, events and stderr into raw/
  local t0=$(date +%s%N)
  timeout -s INT -k 15 "$2" python3 -m lem_harness run "$WORK/raw/spec-$1.json" \
    > "$WORK/raw/events-$1.jsonl" 2> "$WORK/raw/harness-$1.stderr.log"
  local rc=$?
  echo "$1: exit code $rc  wall $(( ($(date +%s%N) - t0) / 1000000 )) ms  (at $(el) s)" | tee -a "$WORK/raw/run.txt"
  grep -E '"event":"(engine_loaded|failed|batch_finished|interrupted)"' "$WORK/raw/events-$1.jsonl" | cut -c1-240
}

# Pilot: 2 pairs.
python3 "$V/make_specs.py" --gpu-bound "$WORK/model" "$WORK/results" "$WORK/raw/spec-pilot.json" sampler-ab-gpu-pilot 2
P0=$(date +%s)
harness pilot $(( BUDGET_S - $(el) - 30 ))
PILOT_WALL=$(( $(date +%s) - P0 ))

# Size the main run from the pilot: per experiment the slowest pilot experiment after the first (the first
# also holds the engine load and the first CUDA calls), fixed cost = the pilot's wall time less its experiments.
PAIRS=$(python3 - "$WORK/raw/events-pilot.jsonl" "$PILOT_WALL" "$(( BUDGET_S - $(el) - 25 ))" "$MAX_PAIRS" <<'EOF' 2>>"$WORK/raw/run.txt"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
dur = [e["duration_s"] for e in events if e.get("event") == "finished"]
per_exp = max(dur[1:]) if len(dur) > 1 else 8.0
fixed = float(sys.argv[2]) - sum(dur[1:]) - per_exp  # the first experiment counts as one, its excess as fixed
left = float(sys.argv[3]) - fixed
pairs = int(left / (2 * per_exp * 1.05))
pairs = max(12, min(int(sys.argv[4]), pairs - pairs % 2))
print(f"sizing: pilot experiments {[round(d, 2) for d in dur]} s, per experiment {per_exp:.2f} s, fixed "
      f"{fixed:.1f} s, {left:.0f} s left for pairs -> {pairs} pairs", file=sys.stderr)
print(pairs)
EOF
)
tail -1 "$WORK/raw/run.txt"

# Main run.
python3 "$V/make_specs.py" --gpu-bound "$WORK/model" "$WORK/results" "$WORK/raw/spec-main.json" sampler-ab-gpu "$PAIRS"
harness main $(( BUDGET_S - $(el) - 20 ))

for c in pilot main; do
  camp=sampler-ab-gpu; [ $c = pilot ] && camp=sampler-ab-gpu-pilot
  python3 "$V/ab_table.py" "$WORK/results/$camp" > "$WORK/raw/ab-runs-$c.csv"
  python3 "$V/ab_stats.py" "$WORK/raw/ab-runs-$c.csv" | tee "$WORK/raw/ab-stats-$c.md"
  python3 "$V/ab_stats.py" "$WORK/raw/ab-runs-$c.csv" --json > "$WORK/raw/ab-stats-$c.json"
done
python3 "$V/summarise.py" "$WORK/results/sampler-ab-gpu" > "$WORK/raw/summary.md" 2>&1
nvidia-smi -q -d POWER,CLOCK,PERFORMANCE,TEMPERATURE > "$WORK/raw/machine-after.txt" 2>&1
echo "done at $(el) s"
pack
