#!/usr/bin/env bash
# needs: mpi
# timeout: 200
# A log truncated while it is scanned (what copytruncate rotation does) must be reported as an
# unreadable file with a clear message, never kill the analyser with SIGBUS (rc 135, the old mmap
# path) nor be counted silently as OK:
#   1. base_log_analyser scanning a 3 GB sparse file cut to 1 MB after 0.3 s: exit 2 and
#      "big.log shrank from ... bytes" on stderr (retried with a bigger file if the scan was over
#      before the cut; no retry ever ends by a signal);
#   2. distributed_log_analyser (plain mpirun -np 2, throttled worker) with its only big file cut
#      while the worker reads it: RESULT INCOMPLETE, exit 3, and the worker's "shrank" message.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
BASE=${DLA_BASE_ANALYSER:-$B/base_log_analyser}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail=0

# 1. base_log_analyser
mkdir -p "$T/sparse"
seen=no
for gb in 3 6; do
  rm -f "$T/sparse/big.log"
  truncate -s "${gb}G" "$T/sparse/big.log"  # sparse: no disk space, read as zeros
  rc=0
  timeout -k 5 60 "$BASE" "$T/sparse" >"$T/base.out" 2>"$T/base.err" &
  pid=$!
  sleep 0.3
  truncate -s 1M "$T/sparse/big.log"
  wait "$pid" || rc=$?
  echo "base_log_analyser on ${gb} GB cut to 1 MB: rc $rc"
  if [ "$rc" -ge 124 ]; then
    echo "FAIL base_log_analyser ended by a signal or timeout (rc $rc):"
    cat "$T/base.err"
    fail=1
    break
  fi
  if [ "$rc" -eq 2 ]; then
    seen=yes
    check "base: message" 1 "$(grep -c "big.log shrank from $((gb << 30)) to 1048576 bytes while it was read" "$T/base.err")"
    check "base: reported unreadable" 1 "$(grep -c 'Unreadable files' "$T/base.out")"
    break
  fi
  [ "$rc" -eq 0 ] || { echo "FAIL base: unexpected rc $rc"; cat "$T/base.err"; fail=1; break; }
done
[ "$fail" -eq 1 ] || check "base: the cut landed during a scan" yes "$seen"

# 2. distributed_log_analyser: worker throttled to 2 MB/s on an 8 MB file, cut after 1 s.
"$B/generate_logs" --out "$T/logs" --files 3 --lines 2000 --seed 3 >/dev/null
awk 'BEGIN { for (i = 0; i < 110000; i++) printf "[2025-01-01 00:00:00] [INFO] line %d of the big one\n", i }' \
  >"$T/logs/zz_big.log"
rc=0
timeout -k 5 90 mpirun -np 2 --oversubscribe "$B/distributed_log_analyser" --no-checkpoint --throttle 2000000 \
  "$T/logs" >"$T/dist.out" 2>"$T/dist.err" &
pid=$!
sleep 1.5
truncate -s 100000 "$T/logs/zz_big.log"
wait "$pid" || rc=$?
echo "distributed: rc $rc; last line: $(tail -n 1 "$T/dist.out")"
check "dist: exit" 3 "$rc"
check "dist: RESULT INCOMPLETE" 1 "$(tail -n 1 "$T/dist.out" | grep -c '^RESULT INCOMPLETE')"
check "dist: message" 1 "$(grep -c 'zz_big.log shrank' "$T/dist.err")"
[ "$fail" -eq 0 ] || { echo "--- dist stderr"; cat "$T/dist.err"; }
exit "$fail"
