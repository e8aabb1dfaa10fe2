#!/usr/bin/env bash
# Configures and builds ember into ${BUILD_DIR:-build} (Release). Extra
# arguments go to cmake's configure step, e.g. -DEMBER_WITH_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
