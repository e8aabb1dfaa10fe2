#!/usr/bin/env bash
# End-to-end training throughput of two ember binaries on the same job and
# data (examples/wide_deep.flags by default), runs interleaved (A, B, A, B,
# ...) so that drifting background load hits both alike; prints each run's
# samples/s, the medians and B / A. For a change: A the binary before it, B
# after.
#   bench/e2e/compare_binaries.sh BINARY_A BINARY_B
#   REPEATS runs per binary (default 3)  TRAIN_ROWS (default 200000)  TEST_ROWS (default 20000)
#   FLAGFILE (default examples/wide_deep.flags)  EMBER_FLAGS more train flags (default none)
#   DATA output directory (default out/bench_compare)
set -euo pipefail
cd "$(dirname "$0")/../.."
a=${1:?BINARY_A}
b=${2:?BINARY_B}
REPEATS=${REPEATS:-3}
TRAIN_ROWS=${TRAIN_ROWS:-200000}
TEST_ROWS=${TEST_ROWS:-20000}
FLAGFILE=${FLAGFILE:-examples/wide_deep.flags}
EMBER_FLAGS=${EMBER_FLAGS:-}
DATA=${DATA:-out/bench_compare}
mkdir -p "$DATA"
# Copies: a rebuild during the run must not change what is measured.
cp "$a" "$DATA/ember_a"
cp "$b" "$DATA/ember_b"
"$DATA/ember_b" gen-data --out_dir="$DATA" --train_rows="$TRAIN_ROWS" --test_rows="$TEST_ROWS" --seed=1 >/dev/null 2>&1
samples_per_sec() {
  python3 -c 'import json, sys
print([json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]["samples_per_sec"])' "$1"
}
declare -a runs_a runs_b
for r in $(seq 1 "$REPEATS"); do
  for side in a b; do
    # shellcheck disable=SC2086
    "$DATA/ember_$side" train --flagfile="$FLAGFILE" $EMBER_FLAGS --train_files="$DATA/train.tsv" \
      --eval_files="$DATA/test.tsv" --metrics_out="$DATA/run_$side.$r.jsonl" >"$DATA/run_$side.$r.log" 2>&1
    value=$(samples_per_sec "$DATA/run_$side.$r.jsonl")
    echo "run $r $side: $value samples/s"
    if [ "$side" = a ]; then runs_a+=("$value"); else runs_b+=("$value"); fi
  done
done
python3 - "${runs_a[*]}" "${runs_b[*]}" "$a" "$b" <<'PY'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
ma, mb = statistics.median(a), statistics.median(b)
print(f"A {sys.argv[3]}: median {ma:.0f} samples/s of {len(a)} runs")
print(f"B {sys.argv[4]}: median {mb:.0f} samples/s of {len(b)} runs")
print(f"B / A = {mb / ma:.3f}")
PY
