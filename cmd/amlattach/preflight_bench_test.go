package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkCLIPreflightARM counts the sequential ARM requests of `probe vm`
// as the CLI runs it (the workspace read included), in-process on a sandbox
// whose every ARM answer is 100 ms late: (median wall time with the latency
// - median without) / 100 ms. The VM has an NSG on its NIC and one on its
// subnet, so the chain VM -> NIC -> subnet -> subnet's NSG is 4 long; SSH is
// a simulated host with no latency.
//
//	go test ./cmd/amlattach -run '^$' -bench CLIPreflightARM -benchtime 5x
func BenchmarkCLIPreflightARM(b *testing.B) {
	dir := b.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("New-Pw-2\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	worlds := map[int]string{}
	for _, ms := range []int{0, 100} {
		w := strings.Replace(fmt.Sprintf(edgesWorld, sub), "faults: {", fmt.Sprintf("faults: {armLatencyMs: %d, ", ms), 1)
		w = strings.Replace(w, `            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]`,
			`            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            subnetNsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]`, 1)
		worlds[ms] = filepath.Join(dir, fmt.Sprintf("world-%d.yaml", ms))
		if err := os.WriteFile(worlds[ms], []byte(w), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	kh := filepath.Join(dir, "known_hosts")
	probe := func(ms int) time.Duration {
		start := time.Now()
		var out, errb strings.Builder
		s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb}
		code := run(b.Context(), []string{"probe", "vm", "--world", worlds[ms], "--resource-name", "vm2", "--resource-group-name", "vm-rg",
			"--username", "azureuser", "--password-file", pw, "--known-hosts", kh, "--accept-new-host-key"}, s, func(string) string { return "" })
		if code != 0 {
			b.Fatalf("probe vm: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
		return time.Since(start)
	}
	probe(0)
	var base, slow []time.Duration
	b.ResetTimer()
	for range b.N {
		base = append(base, probe(0))
		slow = append(slow, probe(100))
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	trips := float64(median(slow)-median(base)) / float64(100*time.Millisecond)
	b.ReportMetric(trips, "arm-requests")
	b.ReportMetric(float64(median(base))/float64(time.Millisecond), "ms-no-latency")
	// a table row for bench/cli_preflight.sh (bench/lib.sh keeps the last),
	// on a line of its own: go test has printed the benchmark's name
	fmt.Printf("\nROW| VM preflight, ARM side as the CLI runs it (workspace read included): sequential requests at 100 ms latency | %.1f | 4 (the chain) | `bench/cli_preflight.sh` |\n", trips)
}
