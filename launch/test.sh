#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite with ctest,
# then the sanitized runs (launch/sanitize.sh, clang builds of their own in
# build-asan/ and build-tsan/): the unit tests under ASan+UBSan and under
# TSan, and the fuzz targets for a few seconds each. EMBER_SANITIZE=0 skips
# them; EMBER_FUZZ_SECONDS=0 skips only the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
EMBER_TEST_DEPS=1 bash launch/install-deps.sh
# -U: a build folder the quickstart configured without CUDA builds it
# again where nvcc is found (CUDA code compiles in every test run).
bash launch/build.sh -UEMBER_WITH_CUDA
(
  cd "${BUILD_DIR:-build}"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  ctest --output-on-failure --timeout 600 -j"$(nproc)"
)
if [[ "${EMBER_SANITIZE:-1}" != "0" ]]; then bash launch/sanitize.sh; fi
