#!/usr/bin/env bash
# Browse at scale in ONE resource group of one subscription, where the
# 20-subscription shape of bench/browse.sh cannot spread the work: the real
# binary, `amlattach browse vm --world FILE`, on worlds of SIZES VMs
# (default "2000 8000 40000"; every 100th VM attached to the workspace),
# the sandbox's default page size (1,000), no added ARM latency. For each
# size it times
#   - the whole list printed (wall time and CPU time, user + system),
#   - the unkind case: the wanted VM is the last of the long list, and the
#     user completes its --resource-id in the shell
#     (`amlattach __complete probe vm --resource-id PREFIX`), which lists
#     everything to offer that one ID.
# Both include the sandbox's start (parsing the world, building the VMs),
# which runs in the same process. A third figure runs the sandbox in a
# process of its own (`amlattach sandbox serve`, started once per size) and
# times `browse vm` against it (AMLATTACH_SANDBOX): the client alone, as
# against Azure. Medians of RUNS runs (3 by default).
# Prints Markdown table rows; the per-run figures go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
sizes=${SIZES:-2000 8000 40000}
dir=$(mktemp -d)
serve_pid=""
trap '[ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/amlattach" ./cmd/amlattach
mkdir -p "$dir/home"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# timed file cmd...: runs cmd with stdout to file; prints "wall_ms cpu_ms".
timed() {
	local out=$1 t
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time env -i PATH=/usr/bin:/bin HOME="$dir/home" ${SANDBOX:+AMLATTACH_SANDBOX=$SANDBOX} "$@" >"$out" 2>"$dir/err"; } 2>&1) || {
		echo "bench/browse_onegroup.sh: $* failed:" >&2
		cat "$dir/err" >&2
		exit 1
	}
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$t"
}

for n in $sizes; do
	world="$dir/onegroup-$n.yaml"
	go run ./bench/cmd/bigworld -subs 1 -groups 1 -vms "$n" -page 0 >"$world"
	last=$(printf 'vm-00-%05d' $((n - 1)))
	id="/subscriptions/00000000-0000-0000-0000-00000000b000/resourceGroups/rg-00-0/providers/Microsoft.Compute/virtualMachines/$last"
	rm -f "$dir/sandbox.json"
	"$dir/amlattach" sandbox serve --world "$world" --out "$dir/sandbox.json" >"$dir/serve.log" 2>&1 &
	serve_pid=$!
	for _ in $(seq 600); do [ -s "$dir/sandbox.json" ] && break; sleep 0.1; done
	walls=() cpus=() cwalls=() ccpus=() swalls=() scpus=()
	for ((r = 1; r <= runs; r++)); do
		read -r wall cpu < <(timed "$dir/out" "$dir/amlattach" browse vm --world "$world")
		rows=$(($(wc -l <"$dir/out") - 1))
		if ((rows != n)) || ! grep -q "^$last " "$dir/out"; then
			echo "bench/browse_onegroup.sh: browse vm listed $rows VMs, want $n ending with $last" >&2
			exit 1
		fi
		read -r cwall ccpu < <(timed "$dir/comp" "$dir/amlattach" __complete probe vm --world "$world" --resource-id "${id%?}")
		if ! grep -qx "$id" "$dir/comp"; then
			echo "bench/browse_onegroup.sh: completing ${id%?} did not offer $id:" >&2
			cat "$dir/comp" >&2
			exit 1
		fi
		read -r swall scpu < <(SANDBOX="$dir/sandbox.json" timed "$dir/out" "$dir/amlattach" browse vm)
		if (($(wc -l <"$dir/out") - 1 != n)); then
			echo "bench/browse_onegroup.sh: browse vm against the served sandbox did not list $n VMs" >&2
			exit 1
		fi
		walls+=("$wall") cpus+=("$cpu") cwalls+=("$cwall") ccpus+=("$ccpu") swalls+=("$swall") scpus+=("$scpu")
		echo "$n VMs, run $r: browse vm $wall ms (CPU $cpu ms); completing the last VM's ID $cwall ms (CPU $ccpu ms); against the served sandbox $swall ms (CPU $scpu ms)" >&2
	done
	kill -INT "$serve_pid"
	wait "$serve_pid" 2>/dev/null || true
	serve_pid=""
	w=$(printf '%s\n' "${walls[@]}" | median)
	c=$(printf '%s\n' "${cpus[@]}" | median)
	cw=$(printf '%s\n' "${cwalls[@]}" | median)
	cc=$(printf '%s\n' "${ccpus[@]}" | median)
	sw=$(printf '%s\n' "${swalls[@]}" | median)
	sc=$(printf '%s\n' "${scpus[@]}" | median)
	label=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$n") # 40000 -> 40,000
	echo "| \`browse vm\`, $label VMs in one resource group (pages of 1,000, sandbox start included): wall / CPU | $w ms / $c ms | < 2000 ms at 40,000 | \`bench/browse_onegroup.sh\` |"
	echo "| … the wanted VM last of the $label: completing its \`--resource-id\` in the shell, wall / CPU | $cw ms / $cc ms | - | \`bench/browse_onegroup.sh\` |"
	echo "| … the $label against a sandbox in its own process (\`amlattach sandbox serve\`): the client's wall / CPU | $sw ms / $sc ms | - | \`bench/browse_onegroup.sh\` |"
done
