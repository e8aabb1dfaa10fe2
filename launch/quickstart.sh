#!/usr/bin/env bash
# The README's first command: installs, builds, generates data with a known
# click model, and trains Wide & Deep on it in one process, then compares the
# test AUC with the generator's oracle AUC.
#   TRAIN_ROWS, TEST_ROWS: data size (default 1,000,000 and 100,000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install-deps.sh
# Only what the job needs: the `ember` target (the test command builds the
# rest), and its CUDA kernels only where a GPU is visible.
if nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then cuda=(); else cuda=(-DEMBER_WITH_CUDA=OFF); fi
BUILD_TARGETS=ember bash launch/build.sh "${cuda[@]}"
DATA=${DATA:-out/quickstart}
./build/cli/ember gen-data --out_dir="$DATA" --train_rows="${TRAIN_ROWS:-1000000}" --test_rows="${TEST_ROWS:-100000}" --seed=1
# The wide part crosses the field pairs that interact in the true model (the
# "domain knowledge" Wide & Deep's crosses stand for); oracle.json names them.
CROSSES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["interactions"])' "$DATA/oracle.json")
./build/cli/ember train --flagfile=examples/wide_deep.flags --train_files="$DATA/train.tsv" --wide_crosses="$CROSSES" \
  --eval_files="$DATA/test.tsv" --metrics_out="$DATA/metrics.jsonl"
python3 - "$DATA" <<'PY'
import json, sys
d = sys.argv[1]
oracle = json.load(open(f"{d}/oracle.json"))["test_auc"]
final = [json.loads(l) for l in open(f"{d}/metrics.jsonl")][-1]
print(f"test AUC {final['test_auc']:.4f}  oracle AUC {oracle:.4f}  gap {oracle - final['test_auc']:.4f}  "
      f"{final['samples_per_sec']:.0f} samples/s")
PY
