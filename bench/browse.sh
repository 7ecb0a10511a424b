#!/usr/bin/env bash
# Browse at scale: 10,000 VMs over 20 subscriptions, pages of 100, ARM
# latency 100 ms, in the sandbox. flows.BrowseAll (every subscription in
# parallel, pages streamed) against two baselines. RUNS sets the runs
# (default 3). Prints Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=$(gotest ./bench/browse -run '^$' -bench Browse -benchtime "${RUNS:-3}x" -count 1 -timeout 30m)
printf '%s\n' "$out" | notes
printf '%s\n' "$out" | rows
