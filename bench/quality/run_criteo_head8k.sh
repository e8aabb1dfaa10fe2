#!/usr/bin/env bash
# ember vs a PyTorch reference on ../shared/data/criteo_head8k (issue 5).
#
# For each model of examples/{lr,wide_deep,deepfm,dcn,dlrm}.flags and each
# seed, runs
#   ember train --flagfile=examples/<m>.flags --train_files=<d>/train.tsv \
#     --eval_files=<d>/<split>.tsv --seed=S --epochs=$EPOCHS
# once with split=dev and once with split=test, reads the AUC of every
# `eval  epoch k` line (ember evaluates after every epoch; the `final:` line
# repeats the last one, checked here), then runs
# bench/quality/criteo_reference.py (same split, seeds and epochs) and
# prints per model and epoch count the median [min, max] over the seeds,
# ember next to torch. The epoch count of each side is chosen on dev AUC
# (median over seeds); the test AUC at that count is the headline.
#
# Run from the repository root:  bench/quality/run_criteo_head8k.sh
# Environment: DATA_DIR (default ../shared/data/criteo_head8k), EMBER
# (default build/cli/ember), MODELS, SEEDS ("1 2 3 4 5"), EPOCHS (3),
# EMBER_EXTRA_FLAGS (e.g. --deterministic), TORCH_FIRST_ORDER (adagrad|ftrl),
# OUT (work folder, default a fresh mktemp -d), TORCH_JSON (reuse a
# criteo_reference.py --json_out file instead of rerunning it).
# Exits 0 with a message when the data folder is absent.
set -euo pipefail

cd "$(dirname "$0")/../.."
DATA_DIR=${DATA_DIR:-../shared/data/criteo_head8k}
EMBER=${EMBER:-build/cli/ember}
MODELS=${MODELS:-"lr wide_deep deepfm dcn dlrm"}
SEEDS=${SEEDS:-"1 2 3 4 5"}
EPOCHS=${EPOCHS:-3}
EMBER_EXTRA_FLAGS=${EMBER_EXTRA_FLAGS:-}
TORCH_FIRST_ORDER=${TORCH_FIRST_ORDER:-adagrad}
PYTHON=${PYTHON:-python3}

for s in train dev test; do
  if [[ ! -f "$DATA_DIR/$s.tsv" ]]; then
    echo "run_criteo_head8k: $DATA_DIR/$s.tsv is absent; skipping."
    exit 0
  fi
done
if [[ ! -x "$EMBER" ]]; then
  echo "run_criteo_head8k: $EMBER is not built; skipping."
  exit 0
fi

OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
EMBER_TSV="$OUT/ember.tsv"   # model seed split epoch auc
: > "$EMBER_TSV"
echo "work folder: $OUT"

for m in $MODELS; do
  for seed in $SEEDS; do
    for split in dev test; do
      log="$OUT/ember_${m}_s${seed}_${split}.log"
      # shellcheck disable=SC2086
      "$EMBER" train --flagfile="examples/$m.flags" \
        --train_files="$DATA_DIR/train.tsv" --eval_files="$DATA_DIR/$split.tsv" \
        --seed="$seed" --epochs="$EPOCHS" $EMBER_EXTRA_FLAGS > "$log" 2>&1
      final=$(sed -n 's/^final:.* test AUC \([0-9.]*\),.*/\1/p' "$log")
      evals=$(sed -n 's/^eval  *epoch \([0-9]*\) .* AUC \([0-9.]*\) .*/\1 \2/p' "$log")
      [[ -n "$final" && -n "$evals" ]] || { echo "no AUC in $log" >&2; exit 1; }
      last=$(echo "$evals" | tail -1 | cut -d' ' -f2)
      [[ "$last" == "$final" ]] || { echo "final AUC $final != last eval $last in $log" >&2; exit 1; }
      echo "$evals" | while read -r ep a; do
        echo -e "$m\t$seed\t$split\t$((ep + 1))\t$a" >> "$EMBER_TSV"
      done
      echo "ember $m seed $seed $split: $(echo "$evals" | awk '{printf "ep%d %s  ", $1 + 1, $2}')"
    done
  done
done

if [[ -z "${TORCH_JSON:-}" ]]; then
  TORCH_JSON="$OUT/torch.json"
  "$PYTHON" bench/quality/criteo_reference.py --data_dir="$DATA_DIR" \
    --models="$(echo $MODELS | tr ' ' ',')" --seeds="$(echo $SEEDS | tr ' ' ',')" \
    --epochs="$EPOCHS" --first_order="$TORCH_FIRST_ORDER" --json_out="$TORCH_JSON"
fi

"$PYTHON" - "$EMBER_TSV" "$TORCH_JSON" "$MODELS" "$EPOCHS" <<'EOF'
import json, statistics, sys
ember_tsv, torch_json, models, epochs = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4])
auc = {}  # (side, model, epoch, split) -> [auc per seed]
for line in open(ember_tsv):
    m, seed, split, ep, a = line.split("\t")
    auc.setdefault(("ember", m, int(ep), split), []).append(float(a))
for r in json.load(open(torch_json))["results"]:
    for split in ("dev", "test"):
        auc.setdefault(("torch", r["model"], r["epoch"], split), []).append(r[split + "_auc"])
def fmt(v):
    return f"{statistics.median(v):.4f} [{min(v):.4f}, {max(v):.4f}] n={len(v)}" if v else "-"
print("\nAUC, median [min, max] over seeds")
print(f"{'model':10s} {'ep':>2s}  {'ember dev':28s} {'ember test':28s} {'torch dev':28s} {'torch test':28s}")
for m in models:
    for ep in range(1, epochs + 1):
        print(f"{m:10s} {ep:2d}  " + " ".join(f"{fmt(auc.get((s, m, ep, sp), [])):28s}"
              for s in ("ember", "torch") for sp in ("dev", "test")))
print("\nepochs chosen on median dev AUC; test AUC at that count")
print(f"{'model':10s} {'ember (epochs) test':36s} {'torch (epochs) test':36s}")
for m in models:
    cols = []
    for s in ("ember", "torch"):
        eps = [ep for ep in range(1, epochs + 1) if auc.get((s, m, ep, "dev"))]
        if not eps:
            cols.append("-"); continue
        best = max(eps, key=lambda ep: statistics.median(auc[(s, m, ep, "dev")]))
        cols.append(f"({best}) {fmt(auc[(s, m, best, 'test')])}")
    print(f"{m:10s} {cols[0]:36s} {cols[1]:36s}")
EOF
