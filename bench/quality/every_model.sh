#!/usr/bin/env bash
# Trains every --model on small generated data with two ember commands and
# prints their test metric side by side (AUC for the CTR models, HR@10 for
# the ranking ones), one row a model, then writes the table to OUT_DIR/every_model.tsv.
#   bench/quality/every_model.sh OUT_DIR "COMMAND_A" "COMMAND_B" [EXTRA_FLAGS]
# A command is an ember binary with flags of its own, e.g. the same binary
# on two devices (what launch/gpu-check.sh runs):
#   bench/quality/every_model.sh out/devices "build/cli/ember --device=cpu" "build/cli/ember --device=cuda"
# or two binaries, before and after a change, with --deterministic (the
# same bits: the metrics must agree to the last digit):
#   bench/quality/every_model.sh out/change "/tmp/ember-before" "build/cli/ember" --deterministic
# Exits 1 when a job fails; prints the difference of each pair (it judges none).
set -euo pipefail
out=${1:?OUT_DIR}
command_a=${2:?COMMAND_A}
command_b=${3:?COMMAND_B}
extra=${4:-}
mkdir -p "$out"
first_binary=${command_b%% *}

"$first_binary" gen-data --out_dir="$out/criteo" --train_rows=60000 --test_rows=10000 --seed=3 >/dev/null 2>&1
"$first_binary" gen-data --kind=sequences --out_dir="$out/seq" --num_users=1500 --num_items=1000 --seed=3 >/dev/null 2>&1
"$first_binary" gen-data --kind=watch --out_dir="$out/watch" --train_rows=40000 --test_rows=10000 --seed=3 >/dev/null 2>&1

criteo="--train_files=$out/criteo/train.tsv --eval_files=$out/criteo/test.tsv --batch_size=1024"
seq="--train_files=$out/seq/interactions.txt --embedding_dim=16 --hidden=64,32 --epochs=3 --batch_size=250"
# model name | flags | the metric of the final line
jobs=(
  "lr|--flagfile=examples/lr.flags $criteo|test_auc"
  "wide_deep|--flagfile=examples/wide_deep.flags $criteo --hidden=256,128 --wide_crosses=C1xC7|test_auc"
  "deepfm|--flagfile=examples/deepfm.flags $criteo --hidden=128,128|test_auc"
  "dcn|--flagfile=examples/dcn.flags $criteo --hidden=128,64|test_auc"
  "dlrm|--flagfile=examples/dlrm.flags $criteo --bottom_hidden=64,16 --hidden=128,64|test_auc"
  "youtube_ranking|--flagfile=examples/youtube_ranking.flags --train_files=$out/watch/train.csv --eval_files=$out/watch/test.csv --epochs=1|test_auc"
  "ncf|--flagfile=examples/ncf.flags $seq --embedding_dim=16 --ncf_mlp_embedding_dim=16 --hidden=32,16|test_hr@10"
  "din|--flagfile=examples/din.flags $seq --max_seq_len=2|test_hr@10"
  "bst|--flagfile=examples/bst.flags $seq --max_seq_len=4|test_hr@10"
  "youtube_retrieval|--flagfile=examples/youtube_retrieval.flags $seq --max_seq_len=3|test_hr@10"
)

metric_of() {  # metrics.jsonl, field
  python3 -c 'import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print("%.6f" % last[sys.argv[2]])' "$1" "$2"
}

printf '%-18s %-8s %12s %12s %10s %9s %9s\n' model metric A B "B - A" "A s" "B s" | tee "$out/every_model.tsv"
status=0
for job in "${jobs[@]}"; do
  IFS='|' read -r model flags metric <<<"$job"
  results=()
  for side in a b; do
    command=$command_a
    [ "$side" = b ] && command=$command_b
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    if ! $command train $flags $extra --metrics_out="$out/$model.$side.jsonl" >"$out/$model.$side.log" 2>&1; then
      echo "every_model: $model with '$command' failed; the tail of $out/$model.$side.log:" >&2
      tail -5 "$out/$model.$side.log" >&2
      status=1
      results+=("nan" "0")
      continue
    fi
    results+=("$(metric_of "$out/$model.$side.jsonl" "$metric")" "$(python3 -c "print('%.1f' % ($(date +%s.%N) - $start))")")
  done
  diff=$(python3 -c "a, b = '${results[0]}', '${results[2]}'; print('%+.6f' % (float(b) - float(a)))")
  printf '%-18s %-8s %12s %12s %10s %9s %9s\n' "$model" "${metric#test_}" "${results[0]}" "${results[2]}" "$diff" \
    "${results[1]}" "${results[3]}" | tee -a "$out/every_model.tsv"
done
exit "$status"
