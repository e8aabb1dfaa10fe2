#!/usr/bin/env bash
# check_layering.sh must fail, naming the file and the rule, on a tree where
# models/ includes a ps/ header and <zmq.hpp> and worker/ a scheduler/ header.
set -uo pipefail
check="$(dirname "$0")/check_layering.sh"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
for folder in common ops data sparse models storage net ps worker scheduler job cli; do mkdir -p "$tree/$folder"; done
printf '#include "ops/tensor.h"\n#include "ps/client.h"\n' >"$tree/models/bad.h"
printf '#include <zmq.hpp>\n' >"$tree/models/bad.cc"
printf '#include "net/control.h"\n#include "scheduler/scheduler.h"\n' >"$tree/worker/bad.cc"
output=$(bash "$check" "$tree")
status=$?
echo "$output"
fail() { echo "FAILED: $*"; exit 1; }
[ "$status" -eq 1 ] || fail "check_layering.sh exited $status, expected 1"
grep -q 'models/bad.h:2: models/ may not include ps/' <<<"$output" || fail "models/ -> ps/ not reported"
grep -q 'models/bad.cc:1:.*system header' <<<"$output" || fail "models/ -> <zmq.hpp> not reported"
grep -q 'worker/bad.cc:2: worker/ may not include scheduler/' <<<"$output" || fail "worker/ -> scheduler/ not reported"
if grep -q 'ops/\|net/control' <<<"$output"; then fail "an allowed include was reported"; fi
echo "planted includes: all 3 reported"
