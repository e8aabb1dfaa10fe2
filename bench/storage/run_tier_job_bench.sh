#!/usr/bin/env bash
# Training throughput with tables ten times the memory budget (issue 4), at
# job level: the same `ember train` job (the examples/ flag file of MODEL, 1
# server, 1 worker, asynchronous, seed 1) on `ember gen-data` data whose
# token ranks follow Zipf(ZIPF), run once with every row in memory and once
# with --server_memory_bytes small enough that every table of the server
# holds at least RATIO times the rows it keeps in memory (the rest in the
# RocksDB tier under DIR/rocks), alternating memory / tiered REPEATS times.
#
# Throughput is the job's own figure: the `final:` line's samples/s
# (samples / the worker's epoch wall time: reading and parsing the TSV,
# pulls, compute, pushes; evaluation excluded). The 10x is proven from the
# server's stop line "table T: N rows (M in memory)" of every tiered run
# (the script fails if any table holds fewer than RATIO x its memory rows).
# The budget is derived from the first memory run's rows: the bytes they
# take in memory (row_floats*4 + 59 per row, docs/storage.md, "Rows and tiers")
# divided by RATIO*MARGIN. The server splits it among its tables in
# proportion to those bytes, so each table keeps about 1/(RATIO*MARGIN) of
# its rows in memory. Prints each run (samples/s, test AUC, wall, user
# and sys CPU seconds of the process from /usr/bin/time), the medians, the
# ratio tiered / memory and the rows.
#
#   MODEL        lr | wide_deep (default wide_deep: examples/wide_deep.flags, the quickstart's
#                model, with the generator's true interacting pairs as --wide_crosses)
#   ROWS         train rows generated (default 150000)
#   TEST_ROWS    test rows (default 20000)
#   VOCAB_SCALE  gen-data --vocab_scale (default 100: 5.5M possible tokens; 150k rows
#                show 0.41M of them: the deep table; wide_deep's wide table, crosses included, 0.94M)
#   ZIPF         gen-data --zipf_exponent (default 1.05)
#   REPEATS      memory/tiered pairs; medians are reported (default 3)
#   RATIO        table rows / memory rows each table must reach in the tiered runs (default 10)
#   MARGIN       the budget aims at RATIO*MARGIN, for the rows a batch and a slab add (default 1.15)
#   DIR          data, RocksDB tier and logs (default /tmp/ember_tier_job_bench; a local disk)
#   EMBER        ember binary (default build/cli/ember)
#   EXTRA        more `ember train` flags for both runs (default none)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:-wide_deep}
ROWS=${ROWS:-150000}
TEST_ROWS=${TEST_ROWS:-20000}
VOCAB_SCALE=${VOCAB_SCALE:-100}
ZIPF=${ZIPF:-1.05}
REPEATS=${REPEATS:-3}
RATIO=${RATIO:-10}
MARGIN=${MARGIN:-1.15}
DIR=${DIR:-/tmp/ember_tier_job_bench}
EMBER=${EMBER:-build/cli/ember}
EXTRA=${EXTRA:-}
[[ -x $EMBER ]] || { echo "run_tier_job_bench.sh: no ember binary at $EMBER" >&2; exit 1; }
[[ -f examples/$MODEL.flags ]] || { echo "run_tier_job_bench.sh: no examples/$MODEL.flags" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "run_tier_job_bench.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
mkdir -p "$DIR/logs"
data_key="$ROWS $TEST_ROWS $VOCAB_SCALE $ZIPF"
if [[ "$(cat "$DIR/data/params" 2>/dev/null)" != "$data_key" ]]; then
  rm -rf "$DIR/data"
  "$EMBER" gen-data --out_dir="$DIR/data" --train_rows="$ROWS" --test_rows="$TEST_ROWS" --seed=1 \
    --zipf_exponent="$ZIPF" --vocab_scale="$VOCAB_SCALE" >/dev/null 2>&1
  echo "$data_key" > "$DIR/data/params"
fi
model_flags=(--flagfile="examples/$MODEL.flags")
if [[ $MODEL == wide_deep ]]; then
  crosses=$(sed -E 's/.*"interactions": "([^"]*)".*/\1/' "$DIR/data/oracle.json")
  model_flags+=(--wide_crosses="$crosses")
fi
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# run MODE BUDGET R: one job; sets rate, auc, wall, user, sys, tables ("name rows memory_rows" lines).
run() {
  local mode=$1 budget=$2 r=$3 log="$DIR/logs/$MODEL-$1-$3.log"
  rm -rf "$DIR/rocks"
  /usr/bin/time -f "TIME %e %U %S %M" "$EMBER" train "${model_flags[@]}" --train_files="$DIR/data/train.tsv" \
    --eval_files="$DIR/data/test.tsv" --seed=1 --num_servers=1 --num_workers=1 --progress_every_steps=1000000 \
    --server_memory_bytes="$budget" --server_storage_dir="$DIR/rocks" $EXTRA >"$log" 2>&1 ||
    { tail -20 "$log"; echo "run_tier_job_bench.sh: $mode run failed (log $log)" >&2; exit 1; }
  local final
  final=$(grep '^final:' "$log") || { tail -20 "$log"; echo "no final line in $log" >&2; exit 1; }
  rate=$(sed -E 's/.* ([0-9.]+) samples\/s.*/\1/' <<<"$final")
  auc=$(sed -E 's/.*test AUC ([0-9.]+).*/\1/' <<<"$final")
  read -r wall user sys maxrss < <(grep '^TIME ' "$log" | tail -1 | cut -d' ' -f2-)
  tables=$(grep -E 'server [0-9]+ (stops on SHUTDOWN|stopped);' "$log" | tail -1 | sed -E 's/.*; //' |
    tr ',' '\n' | sed -E 's/^ *table ([^:]+): ([0-9]+) rows \(([0-9]+) in memory\).*/\1 \2 \3/')
  [[ -n $tables ]] || { echo "no server stop line in $log" >&2; exit 1; }
}

mem_rates=() tier_rates=() mem_aucs=() tier_aucs=() mem_cpu=() tier_cpu=()
budget=""
echo "MODEL=$MODEL: $ROWS train rows, vocab_scale $VOCAB_SCALE, Zipf($ZIPF), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= REPEATS; r++)); do
  run memory 0 "$r"
  mem_rates+=("$rate") mem_aucs+=("$auc") mem_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')")
  printf '  run %d memory: %8.0f samples/s  test AUC %s  wall %6.1f s  user %6.1f s  sys %5.1f s  max RSS %4.0f MB\n' \
    "$r" "$rate" "$auc" "$wall" "$user" "$sys" "$(awk -v k="$maxrss" 'BEGIN {print k / 1024}')"
  if [[ -z $budget ]]; then
    # Per-table row floats from the job's effective flags (its first log line).
    flags_line=$(grep -m1 ' ember train ' "$DIR/logs/$MODEL-memory-1.log")
    dim=$(sed -E 's/.* --embedding_dim=([0-9]+).*/\1/' <<<"$flags_line")
    deep_opt=$(sed -E 's/.* --deep_optimizer=([a-z]+).*/\1/' <<<"$flags_line")
    budget=$(awk -v dim="$dim" -v opt="$deep_opt" -v ratio="$RATIO" -v margin="$MARGIN" '
      function state(o, d) { return o == "sgd" ? 0 : (o == "adagrad" ? d : 2 * d) }
      { name[NR] = $1; rows[NR] = $2
        # "wide" (lr, wide_deep): FTRL rows of dim 1; the others: --embedding_dim, --deep_optimizer.
        floats[NR] = ($1 == "wide") ? 1 + 2 + 2 : dim + state(opt, dim) + 2; sum += floats[NR] }
      END { mem = 0
        for (i = 1; i <= NR; ++i) mem += rows[i] * (floats[i] * 4 + 59)
        printf "%d %d\n", mem / (ratio * margin), mem }' <<<"$tables")
    read -r budget mem_bytes <<<"$budget"
    echo "  all-in-memory tables: $(tr '\n' ';' <<<"$tables" | sed 's/;$//') (rows, memory rows); charged $((mem_bytes / 1000000)) MB"
    echo "  tiered budget: --server_memory_bytes=$budget ($(awk -v b="$budget" -v m="$mem_bytes" 'BEGIN {printf "%.1f%%", 100 * b / m}') of it)"
  fi
  run tiered "$budget" "$r"
  tier_rates+=("$rate") tier_aucs+=("$auc") tier_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')")
  printf '  run %d tiered: %8.0f samples/s  test AUC %s  wall %6.1f s  user %6.1f s  sys %5.1f s  max RSS %4.0f MB\n' \
    "$r" "$rate" "$auc" "$wall" "$user" "$sys" "$(awk -v k="$maxrss" 'BEGIN {print k / 1024}')"
  # The proof: every table holds >= RATIO x the rows it keeps in memory.
  while read -r name rows memory; do
    x=$(awk -v n="$rows" -v m="$memory" 'BEGIN {printf "%.1f", (m > 0 ? n / m : 1e9)}')
    printf '      table %s: %d rows, %d in memory: %sx\n' "$name" "$rows" "$memory" "$x"
    awk -v x="$x" -v r="$RATIO" 'BEGIN {exit !(x >= r)}' ||
      { echo "run_tier_job_bench.sh: table $name holds only ${x}x its memory rows (< $RATIO); lower MARGIN's budget" >&2; exit 1; }
  done <<<"$tables"
  total=$(awk '{n += $2; m += $3} END {printf "%d rows, %d in memory: %.1fx", n, m, n / m}' <<<"$tables")
  echo "      all tables: $total"
done
mem=$(printf '%s\n' "${mem_rates[@]}" | median)
tier=$(printf '%s\n' "${tier_rates[@]}" | median)
echo "medians of $REPEATS (MODEL=$MODEL, load average at end: $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  memory %.0f samples/s (test AUC %s, CPU %.1f s), tiered %.0f samples/s (test AUC %s, CPU %.1f s)\n' \
  "$mem" "$(printf '%s\n' "${mem_aucs[@]}" | median)" "$(printf '%s\n' "${mem_cpu[@]}" | median)" \
  "$tier" "$(printf '%s\n' "${tier_aucs[@]}" | median)" "$(printf '%s\n' "${tier_cpu[@]}" | median)"
awk -v m="$mem" -v t="$tier" 'BEGIN {printf "  tiered / memory = %.1f%%   (goal >= 50%%)\n", 100 * t / m}'
# The same per CPU-second of the whole process (every thread, RocksDB's included; startup and
# evaluation too): less sensitive than wall time to other load on the machine.
mc=$(printf '%s\n' "${mem_cpu[@]}" | median) tc=$(printf '%s\n' "${tier_cpu[@]}" | median)
awk -v m="$mc" -v t="$tc" -v n="$ROWS" 'BEGIN {printf "  per CPU-second: memory %.0f samples, tiered %.0f samples: %.1f%%\n", n / m, n / t, 100 * m / t}'
echo "command: MODEL=$MODEL ROWS=$ROWS VOCAB_SCALE=$VOCAB_SCALE ZIPF=$ZIPF REPEATS=$REPEATS RATIO=$RATIO DIR=$DIR bench/storage/run_tier_job_bench.sh"
