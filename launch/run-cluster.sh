#!/usr/bin/env bash
# Runs `ember train` across the hosts of an OpenMPI hostfile: rank 0 the
# scheduler, S servers, W workers (S + W + 1 processes, placed by mpirun in
# the hostfile's order, filling each host's slots). Everything after `--`
# goes to `ember train`; the ember binary and the data paths must be the same
# on every host (a shared file system, or copies).
#
#   launch/run-cluster.sh -H hosts.txt -s 4 -w 8 -i eth0 -p 40000-40100 -- \
#       --flagfile=examples/wide_deep.flags --train_files=/shared/criteo/day_*.tsv
#
#   -H FILE  OpenMPI hostfile, lines like "node1 slots=8" (REQUIRED)
#   -s S     servers (default 1)       -w W   workers (default 2)
#   -i IF    network interface for ember's and MPI's tcp traffic, e.g. eth0 or
#            ib0 (default: let MPI choose; ember binds the host's address on it)
#   -p A-B   ports ember may bind (firewalls); default ephemeral
#   -t FILE  job token file (on a shared file system); default: a random token
#   -b DIR   build directory holding cli/ember (default: $BUILD_DIR or build)
#   -r N     when the job fails (a dead rank, a pre-emption), run it again up
#            to N times with --resume=auto: it goes on from the newest complete
#            checkpoint under the --checkpoint_dir of the ember flags (default 0)
# Extra mpirun options: MPIRUN_ARGS. Exits with ember's code.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=1 workers=2 build=${BUILD_DIR:-build} hostfile="" iface="" ports="" token="" restarts=0
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while getopts "H:s:w:i:p:t:b:r:h" opt; do
  case "$opt" in
    H) hostfile=$OPTARG ;;
    s) servers=$OPTARG ;;
    w) workers=$OPTARG ;;
    i) iface=$OPTARG ;;
    p) ports=$OPTARG ;;
    t) token=$OPTARG ;;
    b) build=$OPTARG ;;
    r) restarts=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ "${1:-}" == "--" ]] && shift
[[ -n "$hostfile" && -r "$hostfile" ]] || { echo "run-cluster.sh: -H hostfile is required and must be readable" >&2; exit 2; }
[[ "$servers" =~ ^[1-9][0-9]*$ && "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "run-cluster.sh: -s and -w must be positive integers" >&2; exit 2; }
[[ "$restarts" =~ ^[0-9]+$ ]] || { echo "run-cluster.sh: -r must be a number of restarts (0, 1, ...)" >&2; exit 2; }
ember="$(pwd)/$build/cli/ember"
[[ -x "$ember" ]] || { echo "run-cluster.sh: $ember not found; run launch/build.sh first" >&2; exit 2; }
np=$((1 + servers + workers))
mpi_args=(--hostfile "$hostfile" -np "$np" --bind-to none)
ember_args=(--num_servers="$servers" --num_workers="$workers")
if [[ -n "$iface" ]]; then
  mpi_args+=(--mca btl_tcp_if_include "$iface" --mca oob_tcp_if_include "$iface")
  # Each rank binds its own host's address on the interface: a small wrapper
  # resolves it on the host the rank runs on.
  wrapper='addr=$(ip -4 -o addr show dev '"$iface"' | awk "{print \$4}" | cut -d/ -f1 | head -1); '
  wrapper+='[ -n "$addr" ] || { echo "no IPv4 address on '"$iface"' on $(hostname)" >&2; exit 2; }; '
  wrapper+='exec "$0" train --bind_interface="$addr" "$@"'
  launch=(bash -c "$wrapper" "$ember")
else
  launch=("$ember" train --bind_interface=0.0.0.0)
fi
[[ -n "$ports" ]] && ember_args+=(--port_range="$ports")
[[ -n "$token" ]] && ember_args+=(--job_token_file="$token")
# The script's flags come after the user's: a --flagfile that sets the role
# counts must not override -s and -w.
resume=()
for ((attempt = 0; ; attempt++)); do
  # shellcheck disable=SC2086
  code=0
  mpirun "${mpi_args[@]}" ${MPIRUN_ARGS:-} "${launch[@]}" "$@" "${ember_args[@]}" "${resume[@]}" || code=$?
  if [[ $code -eq 0 || $attempt -ge $restarts ]]; then exit "$code"; fi
  echo "run-cluster.sh: the job failed (exit $code); restart $((attempt + 1)) of $restarts with --resume=auto" >&2
  resume=(--resume=auto)
done
