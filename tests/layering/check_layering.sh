#!/usr/bin/env bash
# The module layering of docs/architecture.md, checked on the includes: each
# folder may include its own headers and those of the folders listed for it,
# nothing else of the project, and models/ no socket, RocksDB, MPI or NCCL
# header. Prints every include that breaks a rule and exits 1 if there is one.
#   tests/layering/check_layering.sh [SOURCE_DIR]
set -uo pipefail
cd "${1:-$(dirname "$0")/../..}" || exit 2

# folder: the project folders its code may include besides its own.
declare -A allowed=(
  [common]=""
  [ops]="common"
  [data]="common"
  [sparse]="common"
  [models]="common ops data sparse"
  [storage]="common sparse"
  [net]="common"
  [ps]="common sparse storage net"
  [worker]="common ops data sparse models storage net ps"
  [scheduler]="common sparse storage net ps"
  [job]="common ops data sparse models storage net ps worker scheduler"
  [report]="common"
  [cli]="common ops data sparse models storage net ps worker scheduler job report"
)
# folder: system headers it must not include (extended regular expression).
declare -A forbidden_system=(
  [models]='zmq|rocksdb/|mpi\.h|nccl\.h'
  [ops]='zmq|rocksdb/|mpi\.h|nccl\.h'
  [worker]='rocksdb/'
)
projects="${!allowed[*]}"
failures=0
for folder in "${!allowed[@]}"; do
  [ -d "$folder" ] || { echo "layering: folder $folder is missing"; failures=$((failures + 1)); continue; }
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    target=$(sed -E 's/^[^"]*"([^/"]+)\/.*$/\1/' <<<"${rest#*:}")
    [ "$target" = "$folder" ] && continue
    case " $projects " in *" $target "*) ;; *) continue ;; esac
    case " ${allowed[$folder]} " in
      *" $target "*) ;;
      *) echo "$file:$line: $folder/ may not include $target/ (${rest#*:})"; failures=$((failures + 1)) ;;
    esac
  done < <(grep -rnE '^\s*#\s*include\s+"[^/"]+/' "$folder" --include='*.h' --include='*.cc' --include='*.cu')
  if [ -n "${forbidden_system[$folder]:-}" ]; then
    while IFS= read -r hit; do
      echo "$hit: $folder/ may not include this system header"
      failures=$((failures + 1))
    done < <(grep -rnE "^\s*#\s*include\s+<(${forbidden_system[$folder]})" "$folder" --include='*.h' --include='*.cc' --include='*.cu')
  fi
done
if [ "$failures" -gt 0 ]; then
  echo "layering: $failures include(s) against the layering (docs/architecture.md, 'Module dependencies')"
  exit 1
fi
echo "layering: ${#allowed[@]} folders, every include within its layer"
