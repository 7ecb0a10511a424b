#!/usr/bin/env bash
# How soon a test job's status change is seen: the time from the sandbox
# moving the job to a status to `flows.RunJob` reporting it, worst over
# every change, with the sandbox's poll (250 ms) and Azure's (1 s).
# RUNS sets the runs (default 2). Prints Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=$(gotest ./bench/job -run '^$' -bench JobStatus -benchtime "${RUNS:-2}x" -count 1)
printf '%s\n' "$out" | notes
printf '%s\n' "$out" | rows
