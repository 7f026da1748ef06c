# Shared by the integration scripts (sourced, not a test: ctest runs tests/integration/*.sh only).

# The SMPI flags that make a simulation deterministic (the same list as the scenario runner's
# determinism_flags() in src/testbed/scenario_check.cc; see platforms/README.md).
SMPI_DET_FLAGS=(--cfg=smpi/simulate-computation:no --cfg=smpi/grow-injected-times:no --cfg=smpi/iprobe:1e-6
                --cfg=smpi/async-small-thresh:65536 --cfg=smpi/test:1e-6 --cfg=smpi/wtime:0)

# JSON on stdin (base_log_analyser --json, distributed --json, ...) -> "DEBUG=n ERROR=n INFO=n WARN=n
# [unleveled=u ]lines=n", the counts part of a RESULT line; u = lines minus the four levels, shown
# when not 0 (the inputs of these tests carry no other level).
json_counts() {
  awk '/^ *"(DEBUG|ERROR|INFO|WARN|lines)": *[0-9]+/{k=$1; gsub(/[" :]/,"",k); v=$2; gsub(/[^0-9]/,"",v); c[k]=v}
    END{u = c["lines"] - c["DEBUG"] - c["ERROR"] - c["INFO"] - c["WARN"]
        printf "DEBUG=%s ERROR=%s INFO=%s WARN=%s %slines=%s\n", c["DEBUG"], c["ERROR"], c["INFO"], c["WARN"],
               (c["lines"] != "" && u > 0) ? "unleveled=" u " " : "", c["lines"]}'
}

# check NAME EXPECTED ACTUAL: prints ok/FAIL; a mismatch sets fail=1 (the script exits with it).
check() {
  if [ "$2" == "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected [$2] got [$3]"; fail=1; fi
}

# enter_test_dir [--stay]: the common start of a test script. B = the build dir ($DLA_BUILD, made
# absolute), SRC = the source tree ($DLA_SRC, default .), T = a scratch directory removed on exit
# (a script that needs more at exit sets its own trap, which replaces this one); then cd "$T"
# unless --stay.
enter_test_dir() {
  B=$(cd "${DLA_BUILD:?DLA_BUILD must point at the build dir}" && pwd)
  SRC=$(cd "${DLA_SRC:-.}" && pwd)
  T=$(mktemp -d)
  trap 'rm -rf "$T"' EXIT
  if [ "${1:-}" != --stay ]; then cd "$T"; fi
}

# worker_pid OUT W TRIES: the pid of worker W from the master's "[Master] Worker W ready (pid P,"
# line in the file OUT (a run still going), waiting up to TRIES tenths of a second; empty if never.
worker_pid() {
  local p="" i
  for ((i = 0; i < $3; i++)); do
    p=$(sed -n "s/^\[Master\] Worker $2 ready (pid \([0-9]*\),.*/\1/p" "$1")
    [ -n "$p" ] && break
    sleep 0.1
  done
  echo "$p"
}
