#!/usr/bin/env bash
# Every check that needs a GPU, in one run, for a machine that has one:
# builds the CUDA kernels and the NCCL allreduce, then runs the test cases
# that skip themselves elsewhere (the CUDA cases of ops_test, NcclDenseSync,
# MpiJobTest.Nccl*), after printing the GPUs, then the NCCL dense allreduce
# bench (bench/net/dense_sync_bench ... nccl) on min(GPUs, 2) ranks. The NCCL
# job test also starts min(GPUs, 2) workers, one per GPU.
#   bash launch/gpu-check.sh            # build into ${BUILD_DIR:-build-gpu}
# Exits 1 at once when nvidia-smi sees no GPU; otherwise ctest's status.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! nvidia-smi -L; then
  echo "gpu-check: no GPU (nvidia-smi -L failed); nothing to check here" >&2
  exit 1
fi
BUILD_DIR=${BUILD_DIR:-build-gpu}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DEMBER_WITH_CUDA=ON | grep 'ember:'
cmake --build "$BUILD_DIR" -j"$(nproc)" --target ember ops_test mpi_job_test nccl_dense_sync_test dense_sync_bench
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
(cd "$BUILD_DIR" && ctest -R 'Cuda|Nccl' --output-on-failure --timeout 300 -j4) || status=$?
ranks=$(nvidia-smi -L | wc -l)
[ "$ranks" -gt 2 ] && ranks=2
mpirun --oversubscribe -np "$ranks" "$BUILD_DIR/bench/net/dense_sync_bench" 20 10000000 nccl || status=$?
exit "$status"
