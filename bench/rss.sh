#!/usr/bin/env bash
# Resident memory of the wizard with 10,000 VMs listed: the real binary in
# tmux on a world of 10,000 VMs in the workspace's subscription (pages of
# 100), the VM browser opened, VmRSS read from /proc once the list is shown.
# Also: the wizard on the demo world and on the big world before listing,
# and the peak of the headless `browse vm` on the big world, to tell the
# in-process sandbox's share. Needs tmux. Prints Markdown table rows.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "bench/rss.sh: tmux is needed" >&2; exit 1; }
dir=$(mktemp -d)
n=0
sock="$dir/tmux0.sock"
trap 'for f in "$dir"/tmux*.sock; do tmux -S "$f" kill-server 2>/dev/null || true; done; rm -rf "$dir"' EXIT
go build -o "$dir/amlattach" ./cmd/amlattach
go run ./bench/cmd/bigworld -subs 1 -vms 10000 -page 100 > "$dir/big.yaml"
mkdir -p "$dir/home"

start() { # world; each run gets a tmux server of its own
	tmux -S "$sock" kill-server 2>/dev/null || true
	n=$((n + 1))
	sock="$dir/tmux$n.sock"
	tmux -S "$sock" new-session -d -s w -x 100 -y 30 \
		"env -i PATH=/usr/bin:/bin HOME=$dir/home XDG_CONFIG_HOME=$dir/home/.config TERM=xterm-256color $dir/amlattach --timeout 120s --world $1; sleep 300"
}
wait_for() { # text [seconds]
	local end=$((SECONDS + ${2:-120}))
	until tmux -S "$sock" capture-pane -p -t w | grep -qF -- "$1"; do
		if ((SECONDS > end)) || tmux -S "$sock" capture-pane -p -t w | grep -q '^✗'; then
			echo "bench/rss.sh: the screen never showed \"$1\":" >&2
			tmux -S "$sock" capture-pane -p -t w >&2
			exit 1
		fi
		sleep 0.2
	done
}
rss() { # MB of the wizard's process
	local pid
	pid=$(pgrep -f "^$dir/amlattach --timeout 120s --world" | head -1)
	awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"
}

start demo
wait_for "Step 1 of"
sleep 1
demo=$(rss)

start "$dir/big.yaml"
wait_for "Step 1 of"
sleep 1
before=$(rss)
tmux -S "$sock" send-keys -t w Enter
wait_for "Step 2 of"
tmux -S "$sock" send-keys -t w Enter
t0=$SECONDS
wait_for "10,000 VMs in" 300
took=$((SECONDS - t0))
sleep 5
listed=$(rss)
tmux -S "$sock" kill-server

peak=$( { /usr/bin/time -f '%M' "$dir/amlattach" browse vm --timeout 120s --world "$dir/big.yaml" >/dev/null; } 2>&1 | tail -1)
peak=$((peak / 1024))

echo "wizard listed 10,000 VMs in about ${took} s (ARM latency 0, pages of 100)" >&2
cmd='bench/rss.sh'
echo "| Wizard resident set, 10,000 VMs listed (sandbox in the same process) | $listed MB | < 60 MB | \`$cmd\` |"
echo "| … same world before listing (sandbox with 10,000 VMs loaded) / demo world | $before MB / $demo MB | - | \`$cmd\` |"
echo "| … headless browse vm of the same world, peak (no UI) | $peak MB | - | \`$cmd\` |"
