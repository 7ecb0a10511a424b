#!/usr/bin/env bash
# Runs each fuzz target for FUZZTIME (default 60s), one after another, and
# prints one summary line per target. Name targets to run only those:
#   bench/fuzz.sh FuzzKnownHosts FuzzParseWorld
# A failing input is written under the package's testdata/fuzz/<target>/;
# commit it with the fix, as a seed. FUZZMINTIME bounds the minimizing of
# each new input (Go's default, 60s, stalls on the large world seeds).
# Run from anywhere in the repository.
set -uo pipefail
cd "$(dirname "$0")/.."

targets=(
  "./azure FuzzParseResourceID"
  "./probes FuzzParseOSRelease"
  "./probes FuzzScrubToken"
  "./probes FuzzKnownHosts"
  "./flows FuzzParseComputeFile"
  "./azure/sandbox FuzzParseWorld"
)
time=${FUZZTIME:-60s}
mintime=${FUZZMINTIME:-5s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

selected() {
  [ $# -eq 1 ] && return 0
  local name=$1 want
  shift
  for want in "$@"; do [ "$want" = "$name" ] && return 0; done
  return 1
}

summary=()
failed=0
for t in "${targets[@]}"; do
  pkg=${t% *} name=${t#* }
  selected "$name" "$@" || continue
  echo "fuzz: $name in $pkg for $time"
  start=$(date +%s)
  go test -run '^$' -fuzz "^$name\$" -fuzztime "$time" -fuzzminimizetime "$mintime" "$pkg" >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  found=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  if [ "$rc" -eq 0 ]; then
    line=$(printf '%-22s %-16s ok    %4ss  %9s execs  %5s new interesting' "$name" "$pkg" "$took" "${execs:-?}" "${found:-?}")
  else
    failed=1
    crasher=$(grep -Eo 'testdata/fuzz/[^ ]+' "$log" | head -1)
    line=$(printf '%-22s %-16s FAIL  %4ss  %9s execs  input: %s' "$name" "$pkg" "$took" "${execs:-?}" "${crasher:-see the log above}")
    grep -vE '^fuzz: elapsed' "$log" | head -40
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "fuzz summary (FUZZTIME=$time):"
printf '%s\n' "${summary[@]}"
exit "$failed"
