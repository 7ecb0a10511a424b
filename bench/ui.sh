#!/usr/bin/env bash
# The wizard's figures: the first frame after start, and one keystroke in
# the filter of a list of 10,000 VMs. Run from anywhere in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./ui -run '^$' -bench 'FirstFrame|Filter10k' -benchmem -count "${COUNT:-5}"
