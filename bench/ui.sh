#!/usr/bin/env bash
# The wizard's figures: the first frame after start, one keystroke in the
# filter of a list of 10,000 VMs, End and PgDn in lists of 10,000 and
# 100,000, and a page of resources arriving in lists of up to 10,000, of
# 40,000 and of 160,000. Run from anywhere in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./ui -run '^$' -bench 'FirstFrame|Filter10k|Scroll(End|PgDn)|StreamPage' -benchmem -count "${COUNT:-5}"
