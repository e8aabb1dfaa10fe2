#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest,
# then the fuzz targets for a few seconds each (launch/fuzz.sh, a clang
# build of its own in build-fuzz/). EMBER_FUZZ_SECONDS=0 skips the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/install-deps.sh
bash launch/build.sh
(
  cd "${BUILD_DIR:-build}"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  ctest --output-on-failure --timeout 600 -j"$(nproc)"
)
if [[ "${EMBER_FUZZ_SECONDS:-5}" != "0" ]]; then bash launch/fuzz.sh; fi
