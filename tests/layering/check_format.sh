#!/usr/bin/env bash
# The C++ and CUDA sources follow .clang-format (Google style, 120 columns):
# prints each file clang-format would change and exits 1 if there is one;
# exits 77 (skipped) where clang-format 14 is not installed, since another
# version formats differently. Fix with:
#   git ls-files '*.cc' '*.h' '*.cu' '*.cuh' | xargs clang-format-14 -i
#   tests/layering/check_format.sh [SOURCE_DIR]
set -uo pipefail
cd "${1:-$(dirname "$0")/../..}" || exit 2
format=$(command -v clang-format-14 || true)
if [[ -z "$format" ]]; then
  echo "check_format: clang-format-14 not installed; skipped"
  exit 77
fi
if [[ -d .git || -f .git ]]; then
  mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cu' '*.cuh')
else
  mapfile -t files < <(find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -print | grep -v '^./build')
fi
bad=0
for file in "${files[@]}"; do
  if ! "$format" --dry-run --Werror "$file" >/dev/null 2>&1; then
    echo "check_format: $file is not formatted (clang-format-14 -i $file)"
    bad=$((bad + 1))
  fi
done
echo "check_format: ${#files[@]} files, $bad not formatted"
((bad == 0))
