#!/usr/bin/env bash
# Sequential ARM requests of `probe vm` as the CLI runs it, the workspace
# read included: in-process against the sandbox with armLatencyMs 100 and
# a simulated SSH host (no root needed). RUNS sets the runs (default 10).
# Prints a Markdown table row.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=$(gotest ./cmd/amlattach -run '^$' -bench CLIPreflightARM -benchtime "${RUNS:-10}x" -count 1)
printf '%s\n' "$out" | notes
printf '%s\n' "$out" | rows
