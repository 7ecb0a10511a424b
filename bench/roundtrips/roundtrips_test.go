// Package roundtrips counts the sequential round trips of a VM preflight:
// amlattach's (flows.ProbeVM, the code the CLI and the wizard run) and a
// naive one written here, side by side in one run.
//
// The VM's SSH side is a real OpenSSH sshd (internal/sshtest, needs root and
// a real dockerd) behind bench/latproxy; ARM is the sandbox with
// faults.armLatencyMs. Each iteration runs both preflights three ways: no
// latency, SSH RTT only, ARM latency only. Round trips = (median wall time
// with latency - median without) / the latency.
//
//	go test ./bench/roundtrips -run '^$' -bench RoundTrips -benchtime 5x
package roundtrips

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/bench/latproxy"
	"amlattach/flows"
	"amlattach/internal/sandboxtest"
	"amlattach/internal/sshtest"
	"amlattach/probes"
)

const (
	subID    = "00000000-0000-0000-0000-0000000000b1"
	publicIP = "20.9.8.7"
	latency  = 50 * time.Millisecond
)

// world is one VM whose public IP leads to the proxy, with an NSG on its NIC
// and one on its subnet (the NSG probe then reads both), and a workspace
// holding a few computes.
const world = `subscriptions:
  - id: %[1]s
    name: Bench
    resourceGroups:
      - name: bench-rg
        location: eastus
        workspaces:
          - name: bench-ws
            computes:
              - {name: other-1, resourceId: /subscriptions/%[1]s/resourceGroups/bench-rg/providers/Microsoft.Compute/virtualMachines/gone-1}
              - {name: other-2, resourceId: /subscriptions/%[1]s/resourceGroups/bench-rg/providers/Microsoft.Compute/virtualMachines/gone-2}
        virtualMachines:
          - name: bench-vm
            image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}
            publicIP: %[2]s
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            subnetNsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            ssh: {address: "%[3]s"}
faults:
  armLatencyMs: %[4]d
`

type env struct {
	srv        *sshtest.Server
	proxy      *latproxy.Proxy
	arm0, armL *sandbox.Server
	knownHosts string
	user       sshtest.User
	ws         azure.Workspace
	vmID       string
}

func startSandbox(b *testing.B, proxy string, ms int) *sandbox.Server {
	b.Helper()
	s := sandboxtest.Start(b, []byte(fmt.Sprintf(world, subID, publicIP, proxy, ms)), "bench world")
	return s
}

func setup(b *testing.B) *env {
	srv := sshtest.Start(b, sshtest.Options{Docker: os.Getenv("BENCH_NO_DOCKER") == ""})
	p, err := latproxy.Start(srv.Addr, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	e := &env{srv: srv, proxy: p, user: srv.Ubuntu}
	e.arm0 = startSandbox(b, p.Addr(), 0)
	e.armL = startSandbox(b, p.Addr(), int(latency/time.Millisecond))
	e.knownHosts = filepath.Join(b.TempDir(), "known_hosts")
	if err := os.WriteFile(e.knownHosts, []byte(srv.KnownHostsLine(publicIP+":22")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	e.ws = azure.Workspace{SubscriptionID: subID, ResourceGroup: "bench-rg", Name: "bench-ws"}
	e.vmID = "/subscriptions/" + subID + "/resourceGroups/bench-rg/providers/Microsoft.Compute/virtualMachines/bench-vm"
	return e
}

func client(s *sandbox.Server) *azure.Client {
	return sandboxtest.Client(s, azure.Options{Retry: &policy.RetryOptions{MaxRetries: -1}})
}

// run is one amlattach preflight: its wall time, when each probe ended
// (from the start), and a one-line summary of the outcome.
type run struct {
	took    time.Duration
	ends    map[string]time.Duration
	summary string
}

// armEnd is when the last probe that reads ARM ended: the ARM chain alone,
// even where it overlaps the SSH probes.
func (r run) armEnd() time.Duration {
	var m time.Duration
	for id, t := range r.ends {
		if strings.HasPrefix(id, "arm.") || strings.HasPrefix(id, "ws.") {
			m = max(m, t)
		}
	}
	return m
}

// amlattach runs the preflight as the CLI does.
func (e *env) amlattach(s *sandbox.Server) run {
	d := flows.Deps{Azure: client(s), Dial: s.Dial, Timeout: 30 * time.Second}
	plan, err := flows.ValidateVM(flows.VMInput{Name: "bench", ResourceID: e.vmID, Username: e.user.Name,
		Password: e.user.Password, PasswordSource: "bench", KnownHosts: e.knownHosts}, true)
	if err != nil {
		panic(err)
	}
	ends := map[string]time.Duration{}
	start := time.Now()
	rs := flows.ProbeVM(context.Background(), d, e.ws, plan, func(ev flows.Event) {
		if ev.Kind == flows.ProbeFinished {
			ends[ev.Result.ID] = time.Since(start)
		}
	})
	took := time.Since(start)
	count := map[probes.Status]int{}
	var bad []string
	for _, r := range rs {
		count[r.Status]++
		if r.Status == probes.Fail {
			bad = append(bad, r.ID+": "+r.Detail)
		}
	}
	sum := fmt.Sprintf("%d probes: %d pass, %d warn, %d fail, %d skip", len(rs), count[probes.Pass], count[probes.Warn], count[probes.Fail], count[probes.Skip])
	if len(bad) > 0 {
		sum += " (" + strings.Join(bad, "; ") + ")"
	}
	return run{took, ends, sum}
}

// naive is the baseline: the same checks one after another, each ARM read
// on its own, a new TCP connection and SSH login for every SSH probe.
func (e *env) naive(s *sandbox.Server) (time.Duration, error) {
	ctx := context.Background()
	c := client(s)
	start := time.Now()
	err := func() error {
		// ws.name and ws.duplicate each list the workspace's computes.
		for range 2 {
			if _, err := c.ListComputes(ctx, e.ws); err != nil {
				return err
			}
		}
		id, _ := azure.ParseResourceID(e.vmID)
		vm, err := c.GetVM(ctx, id)
		if err != nil {
			return err
		}
		nicID, _ := azure.ParseResourceID(vm.NICIDs[0])
		// arm.vm.public_ip: the NIC, then its public IP.
		nic, err := c.GetNIC(ctx, nicID)
		if err != nil {
			return err
		}
		pipID, _ := azure.ParseResourceID(nic.IPConfigs[0].PublicIPID)
		pip, err := c.GetPublicIP(ctx, pipID)
		if err != nil {
			return err
		}
		// arm.nsg.ssh: the NIC again, its subnet, the subnet's NSG, the NIC's NSG.
		if nic, err = c.GetNIC(ctx, nicID); err != nil {
			return err
		}
		subnetID, _ := azure.ParseResourceID(nic.IPConfigs[0].SubnetID)
		snsg, err := c.SubnetNSG(ctx, subnetID)
		if err != nil {
			return err
		}
		for _, g := range []string{snsg, nic.NSGID} {
			gid, _ := azure.ParseResourceID(g)
			if _, err := c.GetNSG(ctx, gid); err != nil {
				return err
			}
		}
		target := net.JoinHostPort(pip.Address, "22")
		// net.tcp
		conn, err := s.Dial(ctx, "tcp", target)
		if err != nil {
			return err
		}
		conn.Close()
		// ssh.hostkey: a handshake that stops once the key is checked.
		if _, err := e.login(ctx, s, target, true); !errors.Is(err, errKeyChecked) {
			return fmt.Errorf("host key: %v", err)
		}
		// ssh.auth
		cl, err := e.login(ctx, s, target, false)
		if err != nil {
			return err
		}
		cl.Close()
		// host.os, host.docker (three commands), host.gpu, host.disk
		for _, cmds := range [][]string{
			{"cat /etc/os-release"},
			{"command -v docker", "docker version --format '{{.Server.Version}}'", "sudo -n docker version --format '{{.Server.Version}}'"},
			{"nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader"},
			{"df -Pk ."},
		} {
			cl, err := e.login(ctx, s, target, false)
			if err != nil {
				return err
			}
			for _, cmd := range cmds {
				sess, err := cl.NewSession()
				if err != nil {
					cl.Close()
					return err
				}
				_, err = sess.CombinedOutput(cmd)
				sess.Close()
				var ee *ssh.ExitError
				if err != nil && !errors.As(err, &ee) {
					cl.Close()
					return fmt.Errorf("%s: %w", cmd, err)
				}
			}
			cl.Close()
		}
		return nil
	}()
	return time.Since(start), err
}

var errKeyChecked = errors.New("host key checked")

func (e *env) login(ctx context.Context, s *sandbox.Server, target string, keyOnly bool) (*ssh.Client, error) {
	kh, err := knownhosts.New(e.knownHosts)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{User: e.user.Name, Auth: []ssh.AuthMethod{ssh.Password(e.user.Password)}, Timeout: 30 * time.Second,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			if err := kh(host, remote, key); err != nil {
				return err
			}
			if keyOnly {
				return errKeyChecked
			}
			return nil
		}}
	conn, err := s.Dial(ctx, "tcp", target)
	if err != nil {
		return nil, err
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, target, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// row prints one line of the benchmarks table, for bench/*.sh to collect.
func row(what, figure, goal, command string) {
	fmt.Printf("ROW| %s | %s | %s | `%s` |\n", what, figure, goal, command)
}

const command = "bench/roundtrips.sh"

func BenchmarkRoundTrips(b *testing.B) {
	e := setup(b)
	// One warm-up of each, so that no first-time cost (a cold sshd path,
	// the SDK's first connection) lands in a timed run.
	e.amlattach(e.arm0)
	if _, err := e.naive(e.arm0); err != nil {
		b.Fatalf("naive preflight: %v", err)
	}
	type series struct{ base, ssh, arm []time.Duration }
	var aml, nv, armEnd series
	var last [3]run
	b.ResetTimer()
	for range b.N {
		for i, cfg := range []struct {
			rtt  time.Duration
			arm  *sandbox.Server
			pick func(*series) *[]time.Duration
		}{
			{0, e.arm0, func(s *series) *[]time.Duration { return &s.base }},
			{latency, e.arm0, func(s *series) *[]time.Duration { return &s.ssh }},
			{0, e.armL, func(s *series) *[]time.Duration { return &s.arm }},
		} {
			e.proxy.SetRTT(cfg.rtt)
			r := e.amlattach(cfg.arm)
			*cfg.pick(&aml) = append(*cfg.pick(&aml), r.took)
			*cfg.pick(&armEnd) = append(*cfg.pick(&armEnd), r.armEnd())
			last[i] = r
			t, err := e.naive(cfg.arm)
			if err != nil {
				b.Fatalf("naive preflight: %v", err)
			}
			*cfg.pick(&nv) = append(*cfg.pick(&nv), t)
		}
	}
	b.StopTimer()
	e.proxy.SetRTT(0)
	trips := func(with, without []time.Duration) float64 {
		return float64(median(with)-median(without)) / float64(latency)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	b.ReportMetric(trips(aml.ssh, aml.base), "ssh-rtts")
	b.ReportMetric(trips(aml.arm, aml.base), "arm-rtts")
	b.ReportMetric(trips(armEnd.arm, armEnd.base), "arm-chain-rtts")
	b.ReportMetric(trips(nv.ssh, nv.base), "naive-ssh-rtts")
	b.ReportMetric(trips(nv.arm, nv.base), "naive-arm-rtts")
	fmt.Printf("amlattach preflight: %s\n", last[0].summary)
	for i, name := range []string{"no latency", "SSH RTT " + latency.String(), "ARM latency " + latency.String()} {
		ids := make([]string, 0, len(last[i].ends))
		for id := range last[i].ends {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return int(last[i].ends[a] - last[i].ends[b]) })
		var parts []string
		for _, id := range ids {
			parts = append(parts, fmt.Sprintf("%s %s", id, ms(last[i].ends[id])))
		}
		fmt.Printf("probe ends, %s: %s\n", name, strings.Join(parts, ", "))
	}
	fmt.Printf("median wall time over %d runs: amlattach %s / %s (SSH RTT %s) / %s (ARM %s); naive %s / %s / %s\n", b.N,
		ms(median(aml.base)), ms(median(aml.ssh)), latency, ms(median(aml.arm)), latency,
		ms(median(nv.base)), ms(median(nv.ssh)), ms(median(nv.arm)))
	row(fmt.Sprintf("VM preflight, SSH side: sequential round trips at %s RTT, amlattach", latency), fmt.Sprintf("%.1f", trips(aml.ssh, aml.base)), "≤ 9", command)
	row("VM preflight, SSH side: naive baseline (one connection per probe, probes in turn)", fmt.Sprintf("%.1f", trips(nv.ssh, nv.base)), "-", command)
	row(fmt.Sprintf("VM preflight, ARM side: sequential requests at %s latency, amlattach", latency), fmt.Sprintf("%.1f", trips(aml.arm, aml.base)), "≤ 2", command)
	row("VM preflight, ARM side: the ARM probes' own chain (last ARM probe's end), amlattach", fmt.Sprintf("%.1f", trips(armEnd.arm, armEnd.base)), "≤ 2", command)
	row("VM preflight, ARM side: naive baseline (reads in turn)", fmt.Sprintf("%.1f", trips(nv.arm, nv.base)), "-", command)
	row("VM preflight wall time, no added latency (amlattach / naive)", ms(median(aml.base))+" / "+ms(median(nv.base)), "-", command)
}
