#!/usr/bin/env bash
# Profiles one skelc runtime step on the generated workload with perf (call graphs via DWARF) and
# prints the top inclusive symbols; optionally a massif heap profile.
# usage: bench/runtime/profile.sh M R STEP [massif]   STEP: plan | run | noop
# e.g.   bench/runtime/profile.sh 500 9 noop
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SKELC=${SKELC:-${CARGO_TARGET_DIR:-$ROOT/target}/release/skelc}
M=$1; R=$2; STEP=$3; MODE=${4:-perf}
D=$(mktemp -d /tmp/skel-prof.XXXX); trap 'rm -rf "$D"' EXIT
python3 "$ROOT/bench/gen_skel.py" "$D" "$M" "$R"
cd "$D"
case $STEP in
  plan) CMD=("$SKELC" plan .) ;;
  run)  CMD=("$SKELC" run . --auto-approve) ;;
  noop) "$SKELC" run . --auto-approve >/dev/null 2>&1; CMD=("$SKELC" plan . --detailed-exitcode) ;;
  *) echo "STEP: plan | run | noop" >&2; exit 2 ;;
esac
OUT=${OUT:-/tmp/skel-prof-$STEP-$M-$R}
if [ "$MODE" = massif ]; then
  valgrind --tool=massif --massif-out-file="$OUT.massif" "${CMD[@]}" >/dev/null 2>"$OUT.err" || true
  ms_print --threshold=4 "$OUT.massif" | head -40
  echo "full profile: ms_print $OUT.massif"
else
  perf record -q -F 1000 --call-graph dwarf,16384 -o "$OUT.perf" "${CMD[@]}" >/dev/null 2>"$OUT.err" || true
  perf report -i "$OUT.perf" --children --sort symbol --stdio -g none 2>/dev/null \
    | grep '%' | grep -v '^#' | grep -Ev 'tokio::|std::|libc|_start|0xffff| main$' | head -40 | cut -c1-150
  echo "full profile: perf report -i $OUT.perf"
fi
