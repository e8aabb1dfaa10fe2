#!/usr/bin/env bash
# Runs `ember train` as separate processes on this machine under mpirun:
# rank 0 the scheduler, S servers, W workers (S + W + 1 processes), talking
# over tcp on loopback. Everything after `--` goes to `ember train`.
#
#   launch/run-local.sh -s 2 -w 2 -- --flagfile=examples/wide_deep.flags \
#       --train_files=out/quickstart/train.tsv --eval_files=out/quickstart/test.tsv
#
#   -s S   servers (default 1)        -w W   workers (default 2)
#   -b DIR build directory holding cli/ember (default: $BUILD_DIR or build)
# Extra mpirun options: MPIRUN_ARGS="--bind-to none ...". Exits with ember's code.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=1 workers=2 build=${BUILD_DIR:-build}
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while getopts "s:w:b:h" opt; do
  case "$opt" in
    s) servers=$OPTARG ;;
    w) workers=$OPTARG ;;
    b) build=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ "${1:-}" == "--" ]] && shift
[[ "$servers" =~ ^[1-9][0-9]*$ && "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "run-local.sh: -s and -w must be positive integers" >&2; exit 2; }
ember="$build/cli/ember"
[[ -x "$ember" ]] || { echo "run-local.sh: $ember not found; run launch/build.sh first (or pass -b DIR)" >&2; exit 2; }
command -v mpirun > /dev/null || { echo "run-local.sh: mpirun not found; run launch/install-deps.sh" >&2; exit 2; }
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
np=$((1 + servers + workers))
# --oversubscribe: more processes than cores is fine for the scheduler and servers.
# The role counts come after the user's flags: a --flagfile that sets them
# must not override -s and -w.
# Every rank is on this machine: MPI's messages go over shared memory
# (btl self,vader: no tcp BTL, whose listener binds every interface), and
# the launch's out-of-band channel over loopback (PMIx listens on 127.0.0.1).
# mpirun's own out-of-band listener still binds 0.0.0.0 and :: (OpenMPI 4.1's
# oob/tcp binds the wildcard address whatever oob_tcp_if_include says; seen
# with strace -k: orte_oob_tcp_start_listening); the ranks' sockets are all
# on loopback (tests/mpi/run_local_loopback_test.sh).
# shellcheck disable=SC2086
exec mpirun --oversubscribe --bind-to none --mca btl self,vader --mca oob_tcp_if_include lo -np "$np" ${MPIRUN_ARGS:-} \
  "$ember" train --bind_interface=127.0.0.1 "$@" --num_servers="$servers" --num_workers="$workers"
