#!/usr/bin/env bash
# Sequential round trips of a VM preflight, amlattach's and a naive one, in
# one run: a real sshd behind bench/latproxy (SSH RTT 50 ms) and the sandbox
# with armLatencyMs 50. Needs what internal/sshtest needs: root, sshd,
# busybox, docker (BENCH_NO_DOCKER=1 skips dockerd). RUNS sets the runs per
# configuration (default 5). Prints Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=$(gotest ./bench/roundtrips -run '^$' -bench RoundTrips -benchtime "${RUNS:-5}x" -count 1)
printf '%s\n' "$out" | notes
printf '%s\n' "$out" | rows
