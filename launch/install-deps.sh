#!/usr/bin/env bash
# Installs the Debian packages ember builds and tests with (clang and its
# libFuzzer runtime for launch/fuzz.sh); EMBER_TEST_DEPS=1 adds those only
# the test suite needs. Idempotent: a second run installs nothing. Run as
# root (or with sudo) on Debian 12.
# CUDA and NCCL are not Debian packages here: they come with the CUDA
# toolkit where it is installed (CMake finds nvcc); without them the build
# is CPU-only.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin
  libzmq3-dev cppzmq-dev
  librocksdb-dev
  libgflags-dev libgoogle-glog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev
  python3
  clang clang-format libclang-rt-14-dev
)
# Only the test suite (launch/test.sh sets EMBER_TEST_DEPS=1): a single-node
# SLURM for tests/mpi/slurm_test.sh, and chromium (headless) for
# tests/report/report_browser_test.py. Building and training need none of it.
if [[ "${EMBER_TEST_DEPS:-0}" == "1" ]]; then packages+=(slurm-wlm munge chromium); fi
# Optional: the end-to-end benchmark compares with PyTorch.
if [[ "${EMBER_WITH_TORCH:-0}" == "1" ]]; then packages+=(python3-torch python3-numpy); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
