#!/usr/bin/env bash
# Samples/s of a distributed job with 1 worker and with 2 workers (1 server,
# 1 scheduler) on the same generated data, under mpirun on this machine
# (launch/run-local.sh). For each worker count the job runs REPEATS times,
# interleaved (1, 2, 1, 2, ...) so background load hits both alike; the
# figure is the median of the `samples_per_sec` field of the final line of
# --metrics_out (training time only), printed with the test AUC.
#
#   bash bench/net/workers_scaling.sh
#   TRAIN_ROWS=400000 REPEATS=3 BUILD_DIR=build bash bench/net/workers_scaling.sh
#
# Environment: TRAIN_ROWS (200000), TEST_ROWS (20000), REPEATS (3),
# BUILD_DIR (build; must hold cli/ember built with EMBER_WITH_MPI), DATA
# (out/workers_scaling), EXTRA_FLAGS (appended to `ember train`; default: a
# small Wide & Deep, --hidden=256,128 --batch_size=1024).
set -euo pipefail
cd "$(dirname "$0")/../.."
TRAIN_ROWS=${TRAIN_ROWS:-200000}
TEST_ROWS=${TEST_ROWS:-20000}
REPEATS=${REPEATS:-3}
BUILD_DIR=${BUILD_DIR:-build}
DATA=${DATA:-out/workers_scaling}
EXTRA_FLAGS=${EXTRA_FLAGS:---hidden=256,128 --batch_size=1024}
ember="$BUILD_DIR/cli/ember"
[[ -x "$ember" ]] || { echo "workers_scaling.sh: $ember not found (set BUILD_DIR)" >&2; exit 2; }
mkdir -p "$DATA"
if [[ ! -s "$DATA/train.tsv" || "$(wc -l < "$DATA/train.tsv")" -ne "$TRAIN_ROWS" ]]; then
  "$ember" gen-data --out_dir="$DATA" --train_rows="$TRAIN_ROWS" --test_rows="$TEST_ROWS" --seed=3 > "$DATA/gen.log" 2>&1
fi
: > "$DATA/runs.log"
# The value of "name": number in a JSON line.
field() { sed -n "s/.*\"$1\": \([-0-9.eE+]*\).*/\1/p" <<< "$2"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
declare -A rates aucs
for ((r = 1; r <= REPEATS; r++)); do
  for w in 1 2; do
    metrics="$DATA/metrics_w${w}_r${r}.jsonl"
    rm -f "$metrics"
    # examples/wide_deep.flags sets --num_workers=1, and a flagfile read after
    # run-local.sh's own --num_workers overrides it: repeat the counts after it.
    # shellcheck disable=SC2086
    if ! timeout -k 10 600 launch/run-local.sh -b "$BUILD_DIR" -s 1 -w "$w" -- --flagfile=examples/wide_deep.flags \
        --num_servers=1 --num_workers="$w" \
        --train_files="$DATA/train.tsv" --eval_files="$DATA/test.tsv" --metrics_out="$metrics" \
        $EXTRA_FLAGS >> "$DATA/runs.log" 2>&1; then
      echo "workers_scaling.sh: the run with $w worker(s) failed; see $DATA/runs.log" >&2
      tail -20 "$DATA/runs.log" >&2
      exit 1
    fi
    final=$(grep '"event": "final"' "$metrics" | tail -1)
    rate=$(field samples_per_sec "$final")
    auc=$(field test_auc "$final")
    printf 'repeat %d, %d worker(s): %s samples/s, test AUC %s\n' "$r" "$w" "$rate" "$auc"
    rates[$w]+="$rate "
    aucs[$w]+="$auc "
  done
done
echo "workers_scaling: $TRAIN_ROWS rows, 1 server, median of $REPEATS; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
m1=$(tr ' ' '\n' <<< "${rates[1]}" | grep . | median)
m2=$(tr ' ' '\n' <<< "${rates[2]}" | grep . | median)
a1=$(tr ' ' '\n' <<< "${aucs[1]}" | grep . | median)
a2=$(tr ' ' '\n' <<< "${aucs[2]}" | grep . | median)
printf '1 worker : %10.0f samples/s  (test AUC %s)\n' "$m1" "$a1"
printf '2 workers: %10.0f samples/s  (test AUC %s)\n' "$m2" "$a2"
awk -v a="$m1" -v b="$m2" 'BEGIN {printf "2 workers / 1 worker: %.2fx\n", b / a}'
echo "reproduce: TRAIN_ROWS=$TRAIN_ROWS TEST_ROWS=$TEST_ROWS REPEATS=$REPEATS BUILD_DIR=$BUILD_DIR bash bench/net/workers_scaling.sh"
