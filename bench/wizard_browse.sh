#!/usr/bin/env bash
# The wizard's streamed resource list, as a user sees it: the real binary in
# tmux (100x30) on a world of 10,000 VMs over 20 subscriptions, pages of
# 100, every ARM request held back 100 ms (armLatencyMs). Each run confirms
# the workspace, presses enter on the VM type as soon as that step is
# drawn, and times from that keypress
#   - to the first rows on screen (the running count "… VMs so far…"),
#   - to the full count ("10,000 VMs in 20 subscriptions"),
# then waits 5 s and reads the wizard's VmRSS from /proc. The listing
# starts when the workspace is confirmed (the wizard lists ahead while the
# type is chosen), so the time from that keypress is printed too. The
# screen is read every 10 ms or so. Needs tmux. Prints Markdown table rows
# (medians of RUNS runs, 3 by default).
#
# SHAPE=onegroup measures the other shape instead: VMS VMs (default 40,000)
# in ONE resource group of the workspace's subscription, the sandbox's
# default pages (1,000), the same 100 ms latency. There the unkind case is
# timed too: as soon as the first rows show, the user types a filter for
# the VM they want, which is the last of the list, and waits for its row
# ("1 of ...").
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "bench/wizard_browse.sh: tmux is needed" >&2; exit 1; }
runs=${RUNS:-3}
shape=${SHAPE:-subscriptions}
dir=$(mktemp -d)
n=0
sock="$dir/tmux0.sock"
trap 'for f in "$dir"/tmux*.sock; do tmux -S "$f" kill-server 2>/dev/null || true; done; rm -rf "$dir"' EXIT
go build -o "$dir/amlattach" ./cmd/amlattach
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
case $shape in
subscriptions)
	go run ./bench/cmd/bigworld -subs 20 -vms 10000 -page 100 -latency 100 > "$dir/big.yaml"
	total="10,000 VMs in 20 subscriptions"
	what="10,000 VMs / 20 subscriptions"
	wanted=""
	;;
onegroup)
	vms=${VMS:-40000}
	go run ./bench/cmd/bigworld -subs 1 -groups 1 -vms "$vms" -page 0 -latency 100 > "$dir/big.yaml"
	total="$(thousands "$vms") VMs in the workspace's subscription"
	what="$(thousands "$vms") VMs in one resource group"
	wanted=$(printf 'vm-00-%05d' $((vms - 1)))
	;;
*)
	echo "bench/wizard_browse.sh: SHAPE is subscriptions (the default) or onegroup" >&2
	exit 2
	;;
esac
mkdir -p "$dir/home"

start() { # world; each run gets a tmux server of its own
	tmux -S "$sock" kill-server 2>/dev/null || true
	n=$((n + 1))
	sock="$dir/tmux$n.sock"
	tmux -S "$sock" new-session -d -s w -x 100 -y 30 \
		"env -i PATH=/usr/bin:/bin HOME=$dir/home XDG_CONFIG_HOME=$dir/home/.config TERM=xterm-256color $dir/amlattach --timeout 120s --world $1; sleep 300"
}
now_ms() { date +%s%3N; }
# wait_for text [seconds]: polls the screen until it shows text.
wait_for() {
	local end=$((SECONDS + ${2:-120})) screen
	while :; do
		screen=$(tmux -S "$sock" capture-pane -p -t w)
		grep -qF -- "$1" <<<"$screen" && return 0
		if ((SECONDS > end)) || grep -q '^✗' <<<"$screen"; then
			echo "bench/wizard_browse.sh: the screen never showed \"$1\":" >&2
			printf '%s\n' "$screen" >&2
			exit 1
		fi
		sleep 0.01
	done
}
rss() { # MB of the wizard's process
	local pid
	pid=$(pgrep -f "^$dir/amlattach --timeout 120s --world" | head -1)
	awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

firsts=() fulls=() fromws=() rsss=() lasts=()
for ((r = 1; r <= runs; r++)); do
	start "$dir/big.yaml"
	wait_for "Step 1 of"
	sleep 1
	tmux -S "$sock" send-keys -t w Enter
	tws=$(now_ms)
	wait_for "Step 2 of"
	tmux -S "$sock" send-keys -t w Enter
	t0=$(now_ms)
	wait_for "VMs so far"
	t1=$(now_ms)
	if [[ -n $wanted ]]; then
		tmux -S "$sock" send-keys -t w / && tmux -S "$sock" send-keys -t w -l "$wanted"
		wait_for "  1 of "
		lasts+=($(($(now_ms) - t0)))
	fi
	wait_for "$total"
	t2=$(now_ms)
	sleep 5
	firsts+=($((t1 - t0))) fulls+=($((t2 - t0))) fromws+=($((t2 - tws))) rsss+=("$(rss)")
	echo "run $r: first rows $((t1 - t0)) ms${wanted:+, the row of $wanted ${lasts[-1]} ms}, all $((t2 - t0)) ms ($((t2 - tws)) ms after the workspace was confirmed, enter on the type $((t0 - tws)) ms after it), VmRSS ${rsss[-1]} MB" >&2
done
tmux -S "$sock" kill-server

first=$(printf '%s\n' "${firsts[@]}" | median)
full=$(printf '%s\n' "${fulls[@]}" | median)
ws=$(printf '%s\n' "${fromws[@]}" | median)
mem=$(printf '%s\n' "${rsss[@]}" | median)
cmd='bench/wizard_browse.sh'
[[ $shape == onegroup ]] && cmd="SHAPE=onegroup VMS=${vms} bench/wizard_browse.sh"
echo "| Wizard, $what, 100 ms ARM latency: enter on the VM type → first rows on screen | $first ms | - | \`$cmd\` |"
if [[ -n $wanted ]]; then
	last=$(printf '%s\n' "${lasts[@]}" | median)
	echo "| … the wanted VM last of the list, filtered for as soon as rows show: enter on the VM type → its row on screen | $last ms | - | \`$cmd\` |"
fi
echo "| … enter on the VM type → \"$total\" (from the workspace's enter, when the listing starts: $ws ms) | $full ms | - | \`$cmd\` |"
echo "| … wizard resident set (VmRSS) 5 s after everything is listed (sandbox in the same process) | $mem MB | - | \`$cmd\` |"
