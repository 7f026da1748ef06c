#!/usr/bin/env bash
# needs: smpi
# timeout: 120
# Recovery from checkpoints under SimGrid SMPI (deterministic). A power cut turns every host off at
# 1.0 s simulated (platforms/ckpt/alloff8.xml, the master's host included): the job dies mid-run.
# Then, each time on a fresh copy of the checkpoints it left:
#   resume            a run on cluster8 resumes from the newest checkpoint and ends with the counts
#                     of base_log_analyser (for both consistency models)
#   deterministic     two power-cut runs leave byte-identical checkpoint.json files
#   valid             every checkpoint's counts = base_log_analyser run on the checkpoint directory
#   corrupt-json      newest checkpoint.json truncated -> the previous checkpoint is used (warning)
#   missing-file      a processed file deleted from the newest checkpoint -> the previous one is used
#   tmp-leftover      a .tmp-* directory (a save that never reached its rename) is ignored and removed
#   changed-input     a processed file grew since the checkpoint -> it is processed again (warning)
#   fresh             --fresh removes the checkpoints and processes everything
set -euo pipefail
B=${DLA_BUILD:?DLA_BUILD must point at the build dir}
SRC=${DLA_SRC:-$(pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
APP="$B/distributed_log_analyser_smpi"
FLAGS=(--cfg=smpi/simulate-computation:no --cfg=smpi/grow-injected-times:no --cfg=smpi/iprobe:1e-6
       --cfg=smpi/async-small-thresh:65536 --log=root.thres:critical)
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
counts_of_json() { jq -r '(.lines - (.counts.DEBUG + .counts.ERROR + .counts.INFO + .counts.WARN)) as $u | "DEBUG=\(.counts.DEBUG) ERROR=\(.counts.ERROR) INFO=\(.counts.INFO) WARN=\(.counts.WARN) \(if $u > 0 then "unleveled=\($u) " else "" end)lines=\(.lines)"'; }
result_counts() { sed -n 's/^RESULT OK .*\(DEBUG=[0-9]* ERROR=[0-9]* INFO=[0-9]* WARN=[0-9]*\( unleveled=[0-9]*\)\{0,1\} lines=[0-9]*\).*$/\1/p' "$1" | tail -n 1; }
smpi() {  # platform-name ckdir out extra-args...
  local plat=$1 ck=$2 out=$3
  shift 3
  local dir=$SRC/platforms hosts
  case $plat in
    alloff8) dir=$SRC/platforms/ckpt ;;
  esac
  hosts=$dir/$plat.hosts
  local rc=0
  (cd "$T" && timeout -k 5 60 smpirun -platform "$dir/$plat.xml" -hostfile "$hosts" -np 4 "${FLAGS[@]}" "$APP" \
      --flops-per-byte 2000 --checkpoint-every 2 --keep 5 --checkpoint-dir "$ck" --quiet "$@" "$LOGS") >"$out" 2>"$out.err" || rc=$?
  if [ $rc -ne 0 ] || grep -q 'Deadlock detected\|is gone??' "$out" "$out.err"; then
    bad "smpirun on $plat failed (rc $rc): $(tail -n 3 "$out.err" | tr '\n' '|')"
  fi
}
newest() { ls -d "$1"/ckpt-* 2>/dev/null | sort | tail -n 1; }
nproc_of() { jq '.processed_files | length' "$1/checkpoint.json"; }

LOGS=$T/logs
"$B/generate_logs" --out "$LOGS" --files 24 --lines 2000 --skew 0.6 --seed 31 >/dev/null
base=$("$B/base_log_analyser" --json "$LOGS" | counts_of_json)
echo "base_log_analyser: $base"

for cons in eventual strong; do
  smpi alloff8 "$T/cut-$cons" "$T/cut-$cons.out" --consistency "$cons"
  if grep -q '^RESULT' "$T/cut-$cons.out"; then bad "power cut ($cons): the run finished before the cut"; fi
  n=0
  for d in "$T/cut-$cons"/ckpt-*; do
    want=$(counts_of_json <"$d/checkpoint.json")
    got=$("$B/base_log_analyser" --json "$d" | counts_of_json)
    [ "$want" = "$got" ] && n=$((n + 1)) || bad "valid ($cons): $(basename "$d") says [$want], its files count [$got]"
  done
  nd=$(nproc_of "$(newest "$T/cut-$cons")")
  ok "power cut ($cons) at 1.0 s: $n checkpoints left, all valid (counts = base_log_analyser on the checkpoint dir); newest has $nd/24 files"
  cp -a "$T/cut-$cons" "$T/r-$cons"
  smpi cluster8 "$T/r-$cons" "$T/r-$cons.out" --consistency "$cons"
  grep -qx "Resuming from checkpoint: $nd files already processed" "$T/r-$cons.out" || bad "resume ($cons): no 'Resuming from checkpoint: $nd' line"
  grep -qx "Found 24 log file(s) to analyse ($((24 - nd)) remaining)" "$T/r-$cons.out" || bad "resume ($cons): no '($((24 - nd)) remaining)' line"
  got=$(result_counts "$T/r-$cons.out")
  [ "$got" = "$base" ] && ok "resume ($cons): $got" || bad "resume ($cons): got [$got], expected [$base]"
done

# Determinism: the same power cut again leaves identical checkpoints.
smpi alloff8 "$T/cut2" "$T/cut2.out"
if diff -r "$T/cut-eventual" "$T/cut2" >/dev/null; then ok "deterministic: a second power-cut run left byte-identical checkpoints"
else bad "deterministic: checkpoints differ between two identical simulated runs"; fi

prev_of() { ls -d "$1"/ckpt-* | sort | tail -n 2 | head -n 1; }
resume_case() {  # name ckdir expected-processed expected-warning-regex
  local name=$1 ck=$2 want_n=$3 warn=$4
  smpi cluster8 "$ck" "$T/$name.out"
  grep -qx "Resuming from checkpoint: $want_n files already processed" "$T/$name.out" ||
    bad "$name: expected to resume with $want_n files: $(grep -m1 '^Resuming' "$T/$name.out" || echo none)"
  if [ -n "$warn" ]; then grep -Eq "$warn" "$T/$name.out.err" || bad "$name: no warning matching /$warn/ on stderr"; fi
  local got
  got=$(result_counts "$T/$name.out")
  [ "$got" = "${5:-$base}" ] && ok "$name: resumed with $want_n files -> $got" || bad "$name: got [$got], expected [${5:-$base}]"
}

cp -a "$T/cut-eventual" "$T/c1"
N=$(newest "$T/c1")
P=$(nproc_of "$(prev_of "$T/c1")")
head -c 100 "$N/checkpoint.json" >"$N/checkpoint.json.cut" && mv "$N/checkpoint.json.cut" "$N/checkpoint.json"
resume_case corrupt-json "$T/c1" "$P" "unusable \(checkpoint.json is not valid JSON"

cp -a "$T/cut-eventual" "$T/c2"
N=$(newest "$T/c2")
rm "$N/$(jq -r '.processed_files[0]' "$N/checkpoint.json")"
resume_case missing-file "$T/c2" "$P" "unusable \(processed file .* missing"

cp -a "$T/cut-eventual" "$T/c3"
N=$(newest "$T/c3")
NN=$(nproc_of "$N")
mkdir "$T/c3/.tmp-00000099-1"
cp "$N/checkpoint.json" "$T/c3/.tmp-00000099-1/"
resume_case tmp-leftover "$T/c3" "$NN" ""
[ -e "$T/c3/.tmp-00000099-1" ] && bad "tmp-leftover: the .tmp- directory was not removed" || ok "tmp-leftover: removed"

cp -a "$T/cut-eventual" "$T/c4"
cp -a "$LOGS" "$T/logs.orig"
N=$(newest "$T/c4")
victim=$(jq -r '.processed_files[0]' "$N/checkpoint.json")
cp "$LOGS/$victim" "$T/victim.copy"   # the checkpoint's hard link keeps the old inode's content
printf '[2026-11-24T10:00:00] [ERROR] appended after the checkpoint\n' >>"$LOGS/$victim"
base4=$("$B/base_log_analyser" --json "$LOGS" | counts_of_json)
resume_case changed-input "$T/c4" "$((NN - 1))" "$victim changed since the checkpoint" "$base4"
rm -rf "$LOGS" && mv "$T/logs.orig" "$LOGS"

cp -a "$T/cut-eventual" "$T/c5"
smpi cluster8 "$T/c5" "$T/fresh.out" --fresh
grep -q '^Starting fresh' "$T/fresh.out" && ! grep -q '^Resuming' "$T/fresh.out" || bad "fresh: expected 'Starting fresh' and no resume"
got=$(result_counts "$T/fresh.out")
[ "$got" = "$base" ] && ok "fresh: processed all 24 files -> $got" || bad "fresh: got [$got]"

if [ $fail -ne 0 ]; then
  echo "ckpt_smpi_recovery: FAILED"
  exit 1
fi
echo "ckpt_smpi_recovery: all recovery scenarios exact"
