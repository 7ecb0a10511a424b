#!/usr/bin/env bash
# Every speed measurement, one after another, as one Markdown table with
# the machine it ran on. The round trips need root, sshd, busybox and
# docker (internal/sshtest); the memory figure needs tmux; hyperfine is
# used when installed. Does not run bench/ui.sh (the wizard's frames).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Machine: $(nproc) cores, $(uname -m), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(go version | awk '{ print $3 }')"
echo
echo "| what | figure | goal | command |"
echo "|---|---|---|---|"
for s in roundtrips cli_preflight browse browse_onegroup attach job startup rss rss_shared wizard_browse; do
	bench/$s.sh
done
