#!/usr/bin/env bash
# The sanitized runs, each in a clang build dir of its own (every library is
# compiled with the sanitizers there):
#   ${ASAN_BUILD_DIR:-build-asan}: ASan and UBSan (and libFuzzer's coverage
#     hooks): the unit tests (ctest -L unit), then every fuzz target for
#     ${EMBER_FUZZ_SECONDS:-5} seconds from its seed corpus (ctest -L fuzz).
#   ${TSAN_BUILD_DIR:-build-tsan}: TSan: the unit tests of common and
#     storage (the part runner, table batches split across threads, the
#     tier's writer thread). Not ps: its messages cross threads inside
#     ZeroMQ, whose hand-over TSan cannot see (every message reads as a race).
# Fails on any report: a leak, an overflow, UB, a data race, a fuzz crash
# (its input is then under build-asan/fuzz/work/<target>/artifacts/).
#   EMBER_SANITIZE_TESTS=0  only the fuzz targets (launch/fuzz.sh)
#   EMBER_FUZZ_SECONDS=0    no fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install-deps.sh
tests=${EMBER_SANITIZE_TESTS:-1}
fuzz_seconds=${EMBER_FUZZ_SECONDS:-5}
# Behave as the unsanitized build does: a huge allocation returns null (and
# ember reports ResourceExhausted) instead of ASan aborting.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# TSan cannot see the synchronisation inside Debian's uninstrumented ZeroMQ
# and RocksDB: tests/tsan.supp says which reports that excuses.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp}

configure() {  # DIR, then cmake options
  local dir=$1
  shift
  CC=clang CXX=clang++ cmake -S . -B "$dir" -DEMBER_WITH_CUDA=OFF -DEMBER_WITH_MPI=OFF -DEMBER_BUILD_BENCH=OFF \
    -DEMBER_UNIT_TESTS_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" "$@"
}

asan=${ASAN_BUILD_DIR:-build-asan}
if [[ "$tests" != 0 ]]; then
  configure "$asan" -DEMBER_BUILD_FUZZ=ON -DEMBER_BUILD_TESTS=ON -DEMBER_FUZZ_SECONDS="$fuzz_seconds"
  cmake --build "$asan" -j"$(nproc)" --target ember_unit_tests ember_fuzzers
  (cd "$asan" && ctest -L unit --output-on-failure -j"$(nproc)")
else
  configure "$asan" -DEMBER_BUILD_FUZZ=ON -DEMBER_BUILD_TESTS=OFF -DEMBER_FUZZ_SECONDS="$fuzz_seconds"
  cmake --build "$asan" -j"$(nproc)" --target ember_fuzzers
fi
if [[ "$fuzz_seconds" != 0 ]]; then (cd "$asan" && ctest -L fuzz --output-on-failure -j"$(nproc)"); fi

if [[ "$tests" != 0 ]]; then
  tsan=${TSAN_BUILD_DIR:-build-tsan}
  configure "$tsan" -DEMBER_SANITIZE=thread -DEMBER_BUILD_TESTS=ON
  cmake --build "$tsan" -j"$(nproc)" --target common_test storage_test
  (cd "$tsan" && ctest -L unit --output-on-failure -j"$(nproc)")  # the binaries not built are not run
fi
