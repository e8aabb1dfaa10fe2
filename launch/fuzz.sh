#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan into
# ${FUZZ_BUILD_DIR:-build-fuzz} (a build dir of its own: every library is
# compiled with the sanitizers there) and fuzzes each for
# ${EMBER_FUZZ_SECONDS:-5} seconds from its seed corpus (ctest -L fuzz).
# Fails on any crash, leak, UB report or timeout; the input is then under
# <build dir>/fuzz/work/<target>/artifacts/. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install-deps.sh
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$FUZZ_BUILD_DIR" \
  -DEMBER_BUILD_FUZZ=ON -DEMBER_WITH_CUDA=OFF -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_BENCH=OFF \
  -DEMBER_WITH_MPI=OFF -DEMBER_FUZZ_SECONDS="${EMBER_FUZZ_SECONDS:-5}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only"
cmake --build "$FUZZ_BUILD_DIR" -j"$(nproc)" --target ember_fuzzers
cd "$FUZZ_BUILD_DIR"
ctest -L fuzz --output-on-failure -j"$(nproc)"
