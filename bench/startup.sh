#!/usr/bin/env bash
# Startup: wall time of `amlattach version`, with hyperfine when installed
# (apt-get install -y hyperfine), else a loop of 100 runs timed by the
# shell. Prints a Markdown table row.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/amlattach" ./cmd/amlattach
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 10 --runs 200 --export-csv "$dir/t.csv" "$dir/amlattach version" >&2
	# command,mean,stddev,median,user,system,min,max (seconds)
	fig=$(awk -F, 'NR == 2 { printf "%.1f ms (median %.1f ms, min %.1f ms)", $2 * 1000, $4 * 1000, $7 * 1000 }' "$dir/t.csv")
	how='hyperfine -N, 200 runs'
else
	n=100
	start=$(date +%s%N)
	for _ in $(seq $n); do "$dir/amlattach" version >/dev/null; done
	end=$(date +%s%N)
	fig=$(awk -v ns=$((end - start)) -v n=$n 'BEGIN { printf "%.1f ms (mean of %d)", ns / n / 1e6, n }')
	how='shell loop'
fi
echo "| Startup: amlattach version wall time ($how) | $fig | < 20 ms | \`bench/startup.sh\` |"
