#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan into
# ${FUZZ_BUILD_DIR:-build-fuzz} and fuzzes each for ${EMBER_FUZZ_SECONDS:-5}
# seconds from its seed corpus (ctest -L fuzz): launch/sanitize.sh without
# the unit tests. Fails on any crash, leak, UB report or timeout; the input
# is then under <build dir>/fuzz/work/<target>/artifacts/. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
EMBER_SANITIZE_TESTS=0 ASAN_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz} exec bash launch/sanitize.sh
