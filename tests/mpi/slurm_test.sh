#!/usr/bin/env bash
# launch/slurm.sbatch as shipped, under a real single-node SLURM started here:
# munged with a key of its own, slurmctld and slurmd as root with a private
# slurm.conf (this host as the one node, free ports, every state, spool and
# log file under a temporary directory, no cgroups). `sbatch --wait` runs the
# script on 4 tasks (1 scheduler, 1 server, 2 workers) over lo on data from
# `ember gen-data`; the job must exit 0, give the roles by SLURM's ranks and
# reach the test AUC of local mode with the same flags (within 0.005, as
# tests/mpi/mpi_job_test.cc asserts for mpirun). The script picks
# `srun --mpi=pmix` where srun lists pmix and mpirun inside the allocation
# otherwise; LAUNCHER=mpirun in the environment forces the fallback.
# Skips (exit 77, one line) when not root, without SLURM or munge, or when
# the daemons do not start; every daemon it started is stopped on exit.
#   slurm_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
ember=$build/cli/ember
skip() { echo "skipped: $*"; exit 77; }

[[ $(id -u) -eq 0 ]] || skip "slurmd must run as root to start jobs"
PATH=$PATH:/usr/sbin:/sbin
for tool in munged slurmctld slurmd sbatch sinfo squeue scancel srun; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (EMBER_TEST_DEPS=1 launch/install-deps.sh installs slurm-wlm and munge)"
done
command -v mpirun > /dev/null || skip "mpirun is not on PATH"
node=$(hostname -s)
[[ -n "$node" ]] || skip "hostname -s is empty"

# Nothing of a SLURM job this test may itself run in reaches its own cluster.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^SLURM_' || true)
dir=$(mktemp -d "${TMPDIR:-/tmp}/ember_slurm.XXXXXX")
# munged wants every directory above its socket searchable by all.
chmod 755 "$dir"
mkdir -p "$dir"/{state,spool,log,tmp,data,out}
export SLURM_CONF=$dir/slurm.conf
daemons=() daemon_names=()
cleanup() {
  if ((${#daemons[@]} == 3)); then
    # The jobs first (their steps end with slurmd still up), then the daemons.
    local ids
    ids=$(timeout 5 squeue -h -o %i 2> /dev/null || true)
    if [[ -n "$ids" ]]; then
      # shellcheck disable=SC2086
      timeout 5 scancel --signal=KILL --full $ids 2> /dev/null || true
      for _ in $(seq 1 50); do
        [[ -z "$(timeout 5 squeue -h -o %i 2> /dev/null)" ]] && break
        sleep 0.2
      done
    fi
  fi
  local i pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do kill "${daemons[i]}" 2> /dev/null || true; done
  for pid in "${daemons[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$dir"
}
# start NAME COMMAND...: runs a daemon in the foreground of a background job.
start() {
  local name=$1
  shift
  "$@" > "$dir/log/$name.out" 2>&1 &
  daemons+=($!)
  daemon_names+=("$name")
}
# The last error a daemon logged, on one line.
last_error() { cat "$dir/log/$1".* 2> /dev/null | grep -i 'error\|fatal' | tail -1; }
trap cleanup EXIT

# A port nothing listens on (below Linux's ephemeral range).
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 12000))
    [[ " $* " == *" $port "* ]] && continue
    grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2> /dev/null || { echo "$port"; return; }
  done
  return 1
}
ctld_port=$(free_port) || skip "no free port for slurmctld"
slurmd_port=$(free_port "$ctld_port") || skip "no free port for slurmd"

dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge.key"
start munged munged -F --socket="$dir/munge.sock" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
  --seed-file="$dir/munged.seed" --log-file="$dir/log/munged.log"
for _ in $(seq 1 50); do [[ -S "$dir/munge.sock" ]] && break; sleep 0.1; done
[[ -S "$dir/munge.sock" ]] || skip "munged did not start: $(last_error munged)"

cat > "$SLURM_CONF" << EOF
ClusterName=embertest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
TmpFS=$dir/tmp
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# sbatch --wait polls every 2 s while MinJobAge is under 8 (else up to 32 s).
MinJobAge=4
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=ember Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
start slurmctld slurmctld -D
start slurmd slurmd -D
state=""
deadline=$((SECONDS + 20))
while ((SECONDS < deadline)); do
  for i in "${!daemons[@]}"; do
    kill -0 "${daemons[i]}" 2> /dev/null || skip "${daemon_names[i]} exited: $(last_error "${daemon_names[i]}")"
  done
  state=$(timeout 3 sinfo -h -N -n "$node" -o %T 2> /dev/null || true)
  [[ "$state" == idle || "$state" == drain* || "$state" == inval* ]] && break
  sleep 0.2
done
if [[ "$state" != idle ]]; then
  reason=$(last_error slurmd || last_error slurmctld)
  [[ -n "$state" ]] && reason="reason '$(timeout 3 sinfo -h -N -n "$node" -o %E 2> /dev/null || true)'"
  skip "node $node is '${state:-no answer}', not idle: $reason"
fi

"$ember" gen-data --out_dir="$dir/data" --train_rows=20000 --test_rows=5000 --seed=3 > "$dir/gen-data.log" 2>&1 ||
  { echo "gen-data failed:"; tail -5 "$dir/gen-data.log"; exit 1; }
printf '%s\n' --model=wide_deep --hidden=64,32 --embedding_dim=8 --batch_size=512 > "$dir/small.flags"
if [[ -n "${LAUNCHER:-}" ]]; then
  want_launcher=$LAUNCHER
elif srun --mpi=list 2>&1 | grep -qw pmix; then
  want_launcher=srun
else
  want_launcher=mpirun
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
start=$SECONDS
rc=0
# Every variable of the script is set here but LAUNCHER (see the header);
# PORT_RANGE and EMBER_FLAGS empty: the script's defaults.
EMBER=$ember DATA=$dir/data TRAIN_FILES=$dir/data/train.tsv EVAL_FILES=$dir/data/test.tsv \
  FLAGFILE=$dir/small.flags EMBER_FLAGS='' NUM_SERVERS=1 NUM_WORKERS=2 IFACE=lo PORT_RANGE='' OUT=$dir/out \
  timeout 90 sbatch --wait --quiet --nodes=1 --ntasks=4 --cpus-per-task=1 --overcommit --time=2 \
  --output="$dir/out/job.log" "$repo/launch/slurm.sbatch" || rc=$?
job_seconds=$((SECONDS - start))
if [[ $rc -ne 0 ]]; then
  echo "sbatch --wait exited $rc; the job's output:"
  tail -30 "$dir/out/job.log" 2> /dev/null || true
  exit 1
fi
for line in "slurm.sbatch: $want_launcher starts 1 + 1 + 2 tasks" "rank 1: server 0" "rank 3: worker 1"; do
  grep -qF "$line" "$dir/out/job.log" || { echo "the job's output lacks '$line':"; tail -30 "$dir/out/job.log"; exit 1; }
done

timeout 60 "$ember" train --flagfile="$dir/small.flags" --train_files="$dir/data/train.tsv" \
  --eval_files="$dir/data/test.tsv" --num_servers=1 --num_workers=2 --metrics_out="$dir/local.jsonl" \
  > "$dir/local.log" 2>&1 || { echo "local mode failed:"; tail -20 "$dir/local.log"; exit 1; }

# The test AUC of a metrics file's final line; empty when it has none.
final_auc() { { grep '"event": "final"' "$1" || true; } | tail -1 | sed -n 's/.*"test_auc": \([-0-9.eE+]*\).*/\1/p'; }
slurm_auc=$(final_auc "$dir/out/metrics.jsonl" 2> /dev/null || true)
local_auc=$(final_auc "$dir/local.jsonl" 2> /dev/null || true)
[[ -n "$slurm_auc" && -n "$local_auc" ]] || { echo "no final test_auc: SLURM '$slurm_auc', local '$local_auc'"; exit 1; }
awk -v s="$slurm_auc" -v l="$local_auc" 'BEGIN { d = s - l; if (d < 0) d = -d; exit !(s > 0.7 && d <= 0.005) }' ||
  { echo "SLURM job's test AUC $slurm_auc, local mode's $local_auc: want > 0.7 and within 0.005"; exit 1; }
echo "slurm.sbatch under SLURM ($want_launcher, ${job_seconds} s): test AUC $slurm_auc; local mode $local_auc"
