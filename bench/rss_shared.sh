#!/usr/bin/env bash
# Resident memory of the wizard alone with 10,000 VMs listed: the sandbox
# runs in a process of its own (amlattach sandbox serve), the wizard in tmux
# uses it through AMLATTACH_SANDBOX, so the figure is the wizard's process
# only, as against real Azure. Needs tmux. Prints a Markdown table row.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "bench/rss_shared.sh: tmux is needed" >&2; exit 1; }
dir=$(mktemp -d)
sock="$dir/tmux.sock"
serve_pid=""
trap 'tmux -S "$sock" kill-server 2>/dev/null || true; [ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/amlattach" ./cmd/amlattach
go run ./bench/cmd/bigworld -subs 1 -vms 10000 -page 100 > "$dir/big.yaml"
"$dir/amlattach" sandbox serve --world "$dir/big.yaml" --out "$dir/sandbox.json" > "$dir/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do [ -s "$dir/sandbox.json" ] && break; sleep 0.1; done
mkdir -p "$dir/home"
tmux -S "$sock" new-session -d -s w -x 100 -y 30 \
	"env -i PATH=/usr/bin:/bin HOME=$dir/home XDG_CONFIG_HOME=$dir/home/.config TERM=xterm-256color AMLATTACH_SANDBOX=$dir/sandbox.json $dir/amlattach --timeout 120s; sleep 300"
wait_for() { # text
	local end=$((SECONDS + 120))
	until tmux -S "$sock" capture-pane -p -t w | grep -qF -- "$1"; do
		if ((SECONDS > end)); then
			echo "bench/rss_shared.sh: the screen never showed \"$1\":" >&2
			tmux -S "$sock" capture-pane -p -t w >&2
			exit 1
		fi
		sleep 0.2
	done
}
rss() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
wait_for "Step 1 of"
pid=$(pgrep -f "^$dir/amlattach --timeout 120s$" | head -1)
tmux -S "$sock" send-keys -t w Enter
wait_for "Step 2 of"
tmux -S "$sock" send-keys -t w Enter
wait_for "10,000 VMs in"
sleep 5
echo "| Wizard resident set, 10,000 VMs listed, sandbox in its own process | $(rss "$pid") MB | < 60 MB | \`bench/rss_shared.sh\` |"
echo "| … the sandbox process serving them | $(rss "$serve_pid") MB | - | \`bench/rss_shared.sh\` |"
