#!/usr/bin/env bash
# Configures and builds ember into ${BUILD_DIR:-build} (Release). Extra
# arguments go to cmake's configure step, e.g. -DEMBER_WITH_CUDA=OFF.
# BUILD_TARGETS: the targets to build (default: all of them); the
# quickstart builds only `ember`, the binary a job needs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@"
targets=()
for target in ${BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
