#!/usr/bin/env bash
# Whole-job checkpoint speed: how fast `ember train` writes a checkpoint of
# its servers' tables and dense model (scheduler line "checkpoint step N:
# committed DIR (X MB in Y s, Z MB/s)") and how fast servers load it back on
# --resume (server line "restored N rows (X MB ...) in Y s (Z MB/s)"),
# against the disk's sequential write speed measured in the same run (dd of
# the same size with fsync).
#   ROWS      train rows of the generated data (default 1000000; more rows, more keys)
#   DIM       --embedding_dim (default 64: larger tables)
#   REPEATS   checkpoints measured; medians are reported (default 3)
#   DIR       where data and checkpoints go (default /tmp/ember_ckpt_bench; the disk measured)
#   EMBER     ember binary (default build/cli/ember)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-1000000}
DIM=${DIM:-64}
REPEATS=${REPEATS:-3}
DIR=${DIR:-/tmp/ember_ckpt_bench}
EMBER=${EMBER:-build/cli/ember}
[[ -x $EMBER ]] || { echo "run_checkpoint_job_bench.sh: no ember binary at $EMBER" >&2; exit 1; }
mkdir -p "$DIR"
if [[ "$(cat "$DIR/data/rows" 2>/dev/null)" != "$ROWS" ]]; then
  "$EMBER" gen-data --out_dir="$DIR/data" --train_rows="$ROWS" --test_rows=1000 --seed=1 >/dev/null 2>&1
  echo "$ROWS" > "$DIR/data/rows"
fi
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

write_rates=() load_rates=() sizes=() disk_rates=()
for ((r = 0; r < REPEATS; r++)); do
  rm -rf "$DIR/ckpt"
  # One epoch over the data; the checkpoint at its end holds every key seen.
  out=$("$EMBER" train --train_files="$DIR/data/train.tsv" --model=wide_deep --embedding_dim="$DIM" --hidden=64,32 \
    --batch_size=4096 --num_servers=2 --num_workers=1 --checkpoint_dir="$DIR/ckpt" --progress_every_steps=100000 2>&1)
  line=$(grep "committed" <<<"$out" | tail -1)
  [[ -n $line ]] || { echo "$out" | tail -20; echo "no checkpoint line" >&2; exit 1; }
  mb=$(sed -E 's/.*\(([0-9.]+) MB in ([0-9.]+) s.*/\1/' <<<"$line")
  seconds=$(sed -E 's/.*\(([0-9.]+) MB in ([0-9.]+) s.*/\2/' <<<"$line")
  sizes+=("$mb")
  write_rates+=("$(awk -v m="$mb" -v s="$seconds" 'BEGIN {printf "%.1f", m / s}')")
  # Load: resume at the step it ended (nothing more to train); each server
  # reads every shard and keeps its keys.
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  out=$("$EMBER" train --train_files="$DIR/data/train.tsv" --model=wide_deep --embedding_dim="$DIM" --hidden=64,32 \
    --batch_size=4096 --num_servers=2 --num_workers=1 --checkpoint_dir="$DIR/ckpt" --resume=auto 2>&1)
  load=$(grep -E "restored [0-9]+ rows" <<<"$out" | sed -E 's/.*MB of keys and rows\) in ([0-9.e-]+) s \(([0-9.]+) MB\/s.*/\2/' |
    awk '{s += $1} END {printf "%.1f", s}')
  load_rates+=("$load")
  # The disk: the same number of bytes in 4 MiB writes, then fsync.
  count=$(awk -v m="$mb" 'BEGIN {c = int(m / 4.194304) + 1; print c}')
  disk=$(dd if=/dev/zero of="$DIR/dd.bin" bs=4M count="$count" conv=fsync 2>&1 | tail -1 |
    sed -E 's/.*copied, ([0-9.]+) s, .*/\1/')
  rm -f "$DIR/dd.bin"
  disk_rates+=("$(awk -v m="$mb" -v s="$disk" 'BEGIN {printf "%.1f", m / s}')")
done
size=$(printf '%s\n' "${sizes[@]}" | median)
write=$(printf '%s\n' "${write_rates[@]}" | median)
load=$(printf '%s\n' "${load_rates[@]}" | median)
disk=$(printf '%s\n' "${disk_rates[@]}" | median)
echo "checkpoint of ${size} MB (2 servers, --embedding_dim=$DIM, $ROWS rows), medians of $REPEATS:"
echo "  write: ${write} MB/s   load (both servers together): ${load} MB/s   disk (dd, fsync): ${disk} MB/s"
awk -v w="$write" -v l="$load" -v d="$disk" 'BEGIN {printf "  write / disk = %.0f%%   load / disk = %.0f%%   (goal >= 50%%)\n", 100 * w / d, 100 * l / d}'
echo "command: ROWS=$ROWS DIM=$DIM REPEATS=$REPEATS DIR=$DIR bench/storage/run_checkpoint_job_bench.sh"
