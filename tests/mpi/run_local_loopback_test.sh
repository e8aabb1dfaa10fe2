#!/usr/bin/env bash
# launch/run-local.sh keeps every listening socket of the ember ranks on
# loopback: ember's own (--bind_interface=127.0.0.1) and MPI's (no tcp BTL;
# the out-of-band channel on lo). While a job trains, each rank's LISTEN
# sockets (/proc/net/tcp and tcp6, matched by inode to the rank's fds) must
# be 127.0.0.1 or ::1. Skips (exit 77) without mpirun.
#   run_local_loopback_test.sh BUILD_DIR
set -euo pipefail
build=$1
command -v mpirun > /dev/null || { echo "mpirun is not on PATH: skipped"; exit 77; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/ember_run_local.XXXXXX")
job=""
cleanup() {
  [[ -n "$job" ]] && kill -- -"$job" 2> /dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
"$build/cli/ember" gen-data --out_dir="$dir" --train_rows=20000 --test_rows=10 --seed=2 > /dev/null 2>&1
# A job that outlives the check: many epochs, stopped by the trap.
setsid "$repo/launch/run-local.sh" -b "$build" -s 1 -w 2 -- --model=lr --train_files="$dir/train.tsv" \
  --epochs=100000 --progress_every_steps=10 > "$dir/job.log" 2>&1 &
job=$!
for _ in $(seq 1 100); do
  grep -q "samples/s" "$dir/job.log" && break
  sleep 0.2
done
grep -q "samples/s" "$dir/job.log" || { echo "the job did not start training:"; tail -20 "$dir/job.log"; exit 1; }
pids=$(pgrep -f "train_files=$dir/train.tsv" | while read -r p; do
  [[ "$(cat /proc/"$p"/comm 2> /dev/null)" == ember ]] && echo "$p"; done || true)
[[ $(echo "$pids" | wc -w) -eq 4 ]] || { echo "want 4 ember ranks, found: $pids"; exit 1; }
bad=0 listening=0
for p in $pids; do
  inodes=$(ls -l /proc/"$p"/fd 2> /dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p' | tr '\n' ' ')
  # LISTEN (state 0A) sockets of this rank: "address inode".
  while read -r address inode; do
    [[ " $inodes " == *" $inode "* ]] || continue
    listening=$((listening + 1))
    host=${address%:*}
    if [[ "$host" != 0100007F && "$host" != 00000000000000000000000001000000 ]]; then
      echo "rank pid $p listens on $address (not loopback)"
      bad=1
    fi
  done < <(awk '$4 == "0A" { print $2, $10 }' /proc/net/tcp /proc/net/tcp6 2> /dev/null)
done
[[ $listening -ge 2 ]] || { echo "found $listening listening sockets of the ranks, want at least 2 (scheduler, server)"; exit 1; }
[[ $bad -eq 0 ]] || exit 1
echo "run-local.sh: $listening listening sockets of 4 ranks, all on loopback"
