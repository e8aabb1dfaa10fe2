#!/usr/bin/env bash
# Every check that needs a GPU, in one run, for a machine that has one (a
# session lent a GPU runs this and nothing else there). In order:
#  1. the GPUs (nvidia-smi -L); a build with CUDA and NCCL for this GPU
#     (CMAKE_CUDA_ARCHITECTURES=native) of the binary, the GPU tests and benches;
#  2. every CUDA and NCCL test case (they skip themselves elsewhere): the ops'
#     CUDA-vs-CPU and gradient cases, every model's step on the GPU against
#     the CPU (tests/models/device_test.cc), NcclDenseSync on host and
#     device buffers, the NCCL job tests;
#  3. every --model trained on small generated data with --device=cpu and
#     with --device=cuda, the test metrics side by side
#     (bench/quality/every_model.sh);
#  4. checkpoints across devices: Wide & Deep checkpointed on the GPU and
#     resumed on the CPU, and the other way round;
#  5. end-to-end samples/s of Wide & Deep and DLRM (examples/*.flags, 200k
#     generated rows) on the GPU and on the CPU;
#  6. the dense step against the cuBLAS bound of its GEMMs
#     (bench/models/dense_step_bench) for Wide & Deep and DLRM;
#  7. the NCCL dense allreduce of a GPU buffer against raw ncclAllReduce on
#     min(GPUs, 2) ranks (bench/net/dense_sync_bench).
# Everything goes to one results file, ${RESULTS:-$BUILD_DIR/gpu-check-results.txt}
# (and to stdout). Exits 1 at once when nvidia-smi sees no GPU, else 1 when
# any step failed (every step runs anyway), 0 otherwise.
#   bash launch/gpu-check.sh            # build into ${BUILD_DIR:-build-gpu}
set -uo pipefail
cd "$(dirname "$0")/.."
if ! nvidia-smi -L; then
  echo "gpu-check: no GPU (nvidia-smi -L failed); nothing to check here" >&2
  exit 1
fi
BUILD_DIR=${BUILD_DIR:-build-gpu}
mkdir -p "$BUILD_DIR"
RESULTS=${RESULTS:-$BUILD_DIR/gpu-check-results.txt}
OUT=$BUILD_DIR/gpu-check
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$RESULTS"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
started=$(date +%s)
say() { echo "$*" | tee -a "$RESULTS"; }
# Runs a step, its output into the results file; a failure is remembered.
step() {
  local name=$1
  shift
  say ""
  say "== $name ($(($(date +%s) - started)) s into the check)"
  if ! "$@" 2>&1 | tee -a "$RESULTS"; then
    say "gpu-check: FAILED: $name"
    status=1
  fi
}

step "GPUs" nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
step "build (CUDA, NCCL)" bash -c "cmake -S . -B '$BUILD_DIR' -DCMAKE_BUILD_TYPE=Release -DEMBER_WITH_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=native | grep 'ember:' && cmake --build '$BUILD_DIR' -j$(nproc) --target ember \
    ops_test model_device_test worker_staging_test mpi_job_test nccl_dense_sync_test dense_sync_bench dense_step_bench 2>&1 | \
    grep -E 'warning|error|Built target ember$' ; test \${PIPESTATUS[0]} -eq 0"
ember=$BUILD_DIR/cli/ember
step "CUDA and NCCL test cases" bash -c "cd '$BUILD_DIR' && ctest -R 'Cuda|Nccl' --output-on-failure --timeout 300 -j4 | tail -40; test \${PIPESTATUS[0]} -eq 0"

step "every model, --device=cpu (A) against --device=cuda (B)" \
  bash bench/quality/every_model.sh "$OUT/models" "$ember --device=cpu" "$ember --device=cuda"

"$ember" gen-data --out_dir="$OUT/data" --train_rows=200000 --test_rows=20000 --seed=1 >/dev/null 2>&1
data="--train_files=$OUT/data/train.tsv --eval_files=$OUT/data/test.tsv"
cross_device() {  # first device, second device
  local dir=$OUT/ckpt-$1-$2
  "$ember" train --flagfile=examples/wide_deep.flags $data --device="$1" --checkpoint_dir="$dir" \
    --checkpoint_every_steps=20 --max_steps=40 --metrics_out="$dir.first.jsonl" >"$dir.first.log" 2>&1 || {
    tail -5 "$dir.first.log"; return 1; }
  "$ember" train --flagfile=examples/wide_deep.flags $data --device="$2" --checkpoint_dir="$dir" --resume=auto \
    --metrics_out="$dir.second.jsonl" >"$dir.second.log" 2>&1 || { tail -5 "$dir.second.log"; return 1; }
  grep -h 'resumes from' "$dir.second.log" | head -1
  tail -1 "$dir.second.jsonl"
}
step "checkpoint on cuda, resume on cpu" cross_device cuda cpu
step "checkpoint on cpu, resume on cuda" cross_device cpu cuda

end_to_end() {  # flagfile, device
  "$ember" train --flagfile="$1" $data --device="$2" --metrics_out="$OUT/e2e.jsonl" >"$OUT/e2e.log" 2>&1 || {
    tail -5 "$OUT/e2e.log"; return 1; }
  python3 -c 'import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print("%s on %s: %.0f samples/s, test AUC %.4f" % (sys.argv[2], sys.argv[3], last["samples_per_sec"], last["test_auc"]))' \
    "$OUT/e2e.jsonl" "$1" "$2"
}
for flags in examples/wide_deep.flags examples/dlrm.flags; do
  for device in cuda cpu; do step "end to end: $flags on $device" end_to_end "$flags" "$device"; done
done
for model in wide_deep dlrm; do
  step "dense step against the cuBLAS bound: $model" "$BUILD_DIR/bench/models/dense_step_bench" "$model" cuda 50
done
ranks=$(nvidia-smi -L | wc -l)
[ "$ranks" -gt 2 ] && ranks=2
step "NCCL dense allreduce on $ranks rank(s)" \
  mpirun --oversubscribe -np "$ranks" "$BUILD_DIR/bench/net/dense_sync_bench" 20 10000000 nccl
say ""
say "gpu-check: $([ "$status" -eq 0 ] && echo 'every step passed' || echo 'FAILED (see above)') in $(($(date +%s) - started)) s; results in $RESULTS"
exit "$status"
