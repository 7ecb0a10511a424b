# Shared by the bench/*.sh scripts (sourced, not run).
#
# rows reads a benchmark's output on stdin and prints its table rows (lines
# "ROW| what | figure | goal | command |") as Markdown, keeping the last
# figure of each "what": `go test -bench` runs a benchmark once with b.N=1
# before the real run, so early rows are superseded.
rows() {
	awk -F'|' '/^ROW\|/ {
		line = $0; sub(/^ROW\|/, "|", line)
		key = $2
		if (!(key in seen)) { order[++n] = key; seen[key] = 1 }
		last[key] = line
	}
	END { for (i = 1; i <= n; i++) print last[order[i]] }'
}

# notes copies the benchmark's explanatory lines (not rows, not go test's
# own chatter) to stderr.
notes() {
	grep -v -e '^ROW|' -e '^goos:' -e '^goarch:' -e '^pkg:' -e '^cpu:' -e '^PASS' -e '^ok ' -e '^--- BENCH' -e '^ *[a-z_]*\.go:[0-9]*: ' >&2 || true
}

# gotest runs go test with the arguments, failing with its whole output.
gotest() {
	local out
	if ! out=$(go test "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}
