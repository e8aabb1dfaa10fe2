#!/usr/bin/env bash
# End-to-end training throughput: ember train (Wide & Deep,
# examples/wide_deep.flags) vs the same model in PyTorch
# (bench/e2e/wide_deep_torch.py), on the same generated Criteo-format data.
# See bench/e2e/README.md.
#   TRAIN_ROWS  rows of train.tsv (default 200000)     TEST_ROWS  rows of test.tsv (default 20000)
#   REPEATS     runs per (implementation, threads); the median is reported (default 3)
#   THREADS     thread counts to measure (default "1 2")
#   DATA        output directory (default out/bench_e2e, under the repo root)
#   EMBER       ember binary (default build/cli/ember)   PYTHON  Python with torch (default /usr/bin/python3)
#   FLAGFILE    ember train flagfile (default examples/wide_deep.flags; snapshotted to $DATA at the start)
#   EMBER_FLAGS more ember train flags, e.g. "--wide_crosses=C1xC7,C11xC12" (default none); torch follows them
#   EMB_OPT     torch embedding optimizer: auto (default: as --deep_optimizer; wide AdaGrad for FTRL) or sparseadam
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TRAIN_ROWS=${TRAIN_ROWS:-200000}
TEST_ROWS=${TEST_ROWS:-20000}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-"1 2"}
DATA=${DATA:-out/bench_e2e}
EMBER=${EMBER:-build/cli/ember}
PYTHON=${PYTHON:-/usr/bin/python3}
EMB_OPT=${EMB_OPT:-auto}
FLAGFILE=${FLAGFILE:-examples/wide_deep.flags}
EMBER_FLAGS=${EMBER_FLAGS:-}

die() { echo "run_wide_deep_bench.sh: $*" >&2; exit 1; }
[[ -x $EMBER ]] || die "no ember binary at '$EMBER' (relative to $ROOT); build it with" \
  "'cmake --build build -j2 --target ember' or set EMBER=/path/to/ember"
"$PYTHON" -c 'import torch, numpy' 2>/dev/null ||
  die "$PYTHON cannot import torch and numpy; install them (Debian: apt-get install python3-torch) or set PYTHON"
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || die "REPEATS must be a positive integer; got '$REPEATS'"
[[ -f $FLAGFILE ]] || die "no flagfile '$FLAGFILE'"
for t in $THREADS; do [[ $t =~ ^[1-9][0-9]*$ ]] || die "THREADS must hold positive integers; got '$THREADS'"; done

mkdir -p "$DATA"
RESULTS=$DATA/bench_e2e_runs.jsonl
LOG=$DATA/bench_e2e.log
: >"$RESULTS"
: >"$LOG"
# The tree is shared: copy the binary and the flags, so that every run uses the same ones.
FLAGS=$DATA/bench.flags
cp "$FLAGFILE" "$FLAGS"
EMBER_SRC=$EMBER
EMBER=$DATA/ember
cp "$EMBER_SRC" "$EMBER"
EMBER_SHA=$(sha256sum "$EMBER" | cut -c1-12)
REPRO="TRAIN_ROWS=$TRAIN_ROWS TEST_ROWS=$TEST_ROWS REPEATS=$REPEATS THREADS=\"$THREADS\" DATA=$DATA EMBER=$EMBER_SRC"
REPRO+=" PYTHON=$PYTHON FLAGFILE=$FLAGFILE EMBER_FLAGS=\"$EMBER_FLAGS\" EMB_OPT=$EMB_OPT bash bench/e2e/run_wide_deep_bench.sh"
echo "bench e2e: $TRAIN_ROWS train rows, threads {$THREADS} x $REPEATS runs, data in $DATA (log: $LOG)"

# 1. Data, and the torch side's parsed copy (built before any timed run).
"$EMBER" gen-data --out_dir="$DATA" --train_rows="$TRAIN_ROWS" --test_rows="$TEST_ROWS" --seed=1 >>"$LOG" 2>&1 ||
  die "ember gen-data failed; see $LOG"
rm -f "$DATA/torch_data.npz"
TORCH=("$PYTHON" bench/e2e/wide_deep_torch.py --train="$DATA/train.tsv" --test="$DATA/test.tsv"
       --cache="$DATA/torch_data.npz" --emb_optimizer="$EMB_OPT" --flagfile="$FLAGS" --ember_flags="$EMBER_FLAGS")
"${TORCH[@]}" --prepare_only >>"$LOG" 2>&1 || die "torch data preparation failed; see $LOG"

# 2-3. Interleaved runs, so that drifting background load hits both sides alike.
for ((r = 1; r <= REPEATS; ++r)); do
  for t in $THREADS; do
    m=$DATA/metrics_t${t}_r${r}.jsonl
    rm -f "$m"
    "$EMBER" train --flagfile="$FLAGS" --train_files="$DATA/train.tsv" --eval_files="$DATA/test.tsv" \
      $EMBER_FLAGS --metrics_out="$m" --compute_threads="$t" >>"$LOG" 2>&1 || die "ember train (threads $t) failed; see $LOG"
    tail -n 1 "$m" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); assert d["event"]=="final", d
d.update(impl="ember", threads=int(sys.argv[1]), run=int(sys.argv[2])); print(json.dumps(d))' "$t" "$r" >>"$RESULTS"
    OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t "${TORCH[@]}" --threads="$t" 2>>"$LOG" |
      "$PYTHON" -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1])
d.update(run=int(sys.argv[1])); print(json.dumps(d))' "$r" >>"$RESULTS" || die "torch run (threads $t) failed; see $LOG"
    echo "  run $r threads $t: $(tail -n 2 "$RESULTS" | "$PYTHON" -c 'import json,sys
print("  ".join("%s %.0f/s" % (d["impl"], d["samples_per_sec"]) for d in map(json.loads, sys.stdin)))')"
  done
done

EMBER_NOTE="ember: copy of $EMBER_SRC taken at the start, sha256 $EMBER_SHA"
[[ $(sha256sum "$EMBER_SRC" | cut -c1-12) == "$EMBER_SHA" ]] || EMBER_NOTE+=" ($EMBER_SRC was rebuilt since)"

# 4. Table of medians.
EFFECTIVE_FLAGS="$(grep -v '^#' "$FLAGS" | tr '\n' ' ')$EMBER_FLAGS"
"$PYTHON" - "$RESULTS" "$DATA/bench_e2e.txt" "$REPRO" "$THREADS" "$EMBER_NOTE" "$FLAGFILE" "$EFFECTIVE_FLAGS" <<'PY'
import json, os, statistics, subprocess, sys, time
results, out_path, repro, threads = sys.argv[1], sys.argv[2], sys.argv[3], [int(t) for t in sys.argv[4].split()]
ember_note, flagfile, effective_flags = sys.argv[5], sys.argv[6], " ".join(sys.argv[7].split())
runs = [json.loads(l) for l in open(results)]
def med(impl, t, key):
    v = [d[key] for d in runs if d["impl"] == impl and d["threads"] == t and key in d]
    return statistics.median(v) if v else float("nan")
ember = {t: med("ember", t, "samples_per_sec") for t in threads}
torch = {t: med("torch", t, "samples_per_sec") for t in threads}
best_t = max(threads, key=lambda t: torch[t])
torch_runs = [d for d in runs if d["impl"] == "torch"]
try:
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
except OSError:
    commit = "?"
n = runs[0]["samples"]
lines = [
    f"ember vs PyTorch {torch_runs[0]['torch']}: Wide & Deep, {n} samples; median of "
    f"{len(runs) // (2 * len(threads))} runs",
    f"flags ({flagfile}): {effective_flags}",
    f"{time.strftime('%Y-%m-%d %H:%M')}  commit {commit}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.2f}  "
    f"torch embeddings: {torch_runs[0]['emb_optimizer']}",
    ember_note,
    f"{'threads':>7}  {'ember samples/s':>15}  {'torch samples/s':>15}  {'ember/torch@' + str(best_t):>15}  "
    f"{'ember AUC':>9}  {'torch AUC':>9}",
]
for t in threads:
    lines.append(f"{t:>7}  {ember[t]:>15.0f}  {torch[t]:>15.0f}  {ember[t] / torch[best_t]:>15.2f}  "
                 f"{med('ember', t, 'test_auc'):>9.4f}  {med('torch', t, 'test_auc'):>9.4f}")
lines.append(f"best torch: {best_t} thread(s), {torch[best_t]:.0f} samples/s; ember best "
             f"{max(ember.values()):.0f} samples/s = {max(ember.values()) / torch[best_t]:.2f}x")
lines.append(f"reproduce: {repro}")
text = "\n".join(lines) + "\n"
open(out_path, "w").write(text)
print(text, end="")
PY
echo "table: $DATA/bench_e2e.txt  per-run JSON: $RESULTS"
