#!/usr/bin/env bash
# How soon the end of an attach is seen: time from the PUT to the facade
# reporting Succeeded, less the sandbox's attachSeconds; with the client
# amlattach builds for the sandbox and with the one it builds for Azure.
# RUNS sets the runs (default 2; each Azure-client run waits up to 5 s).
# Prints Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=$(gotest ./bench/attach -run '^$' -bench Attach -benchtime "${RUNS:-2}x" -count 1)
printf '%s\n' "$out" | notes
printf '%s\n' "$out" | rows
