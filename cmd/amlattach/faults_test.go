package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/azure/sandbox"
	"amlattach/internal/sshtest"
)

// Faults injected into the sandbox (docs/faults.md): each test runs the real
// command tree against a simulated Azure that misbehaves, and checks what the
// user sees (exit code, message, fix) and what state is left in the
// workspace. They use simulated hosts only: no sshd, no root.

const faultWorldTmpl = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: fault-ws
        virtualMachines:
          - name: sim-vm
            publicIP: 20.7.0.1
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh:
              sim:
                os: ubuntu 22.04
                docker: 24.0.7
                dockerDaemon: true
                hostKeySeed: %[2]q
                users: {azureuser: {password: "Fault-Passw0rd!"}}
          - name: slow-vm
            publicIP: 20.7.0.2
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh:
              sim:
                os: ubuntu 22.04
                latencyMs: 20000
                users: {azureuser: {password: "Fault-Passw0rd!"}}
          - name: drop-vm
            publicIP: 20.7.0.3
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh:
              sim:
                os: ubuntu 22.04
                docker: 24.0.7
                dockerDaemon: true
                dropAfterCommands: 1
                users: {azureuser: {password: "Fault-Passw0rd!"}}
          - name: silent-vm
            publicIP: 20.7.0.4
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {address: %[3]q}
faults:
  attachSeconds: 0.3
  detachSeconds: 0.2
%[1]s`

// faultEnv is one faulty sandbox shared by the commands of a test.
type faultEnv struct {
	t      *testing.T
	srv    *sandbox.Server
	world  string
	pw, kh string
}

// newFaultEnv starts the world with the given faults (YAML lines under
// faults:) and makes it the sandbox of every command until the test ends.
func newFaultEnv(t *testing.T, faults string, hostKeySeed ...string) *faultEnv {
	t.Helper()
	seed := "fault-host-key"
	if len(hostKeySeed) > 0 {
		seed = hostKeySeed[0]
	}
	dir := t.TempDir()
	e := &faultEnv{t: t, world: filepath.Join(dir, "world.yaml"), pw: filepath.Join(dir, "pw"), kh: filepath.Join(dir, "known_hosts")}
	must(t, os.WriteFile(e.world, []byte(fmt.Sprintf(faultWorldTmpl, faults, seed, sshtest.Silent(t))), 0o600))
	must(t, os.WriteFile(e.pw, []byte("Fault-Passw0rd!\n"), 0o600))
	w, err := sandbox.LoadWorldFile(e.world)
	must(t, err)
	e.srv, err = sandbox.Start(w)
	must(t, err)
	sharedSandbox = e.srv
	t.Cleanup(func() { sharedSandbox = nil; e.srv.Close() })
	return e
}

// run runs a command against the faulty sandbox; it fails the test when a
// secret reaches the output.
func (e *faultEnv) run(args ...string) result {
	e.t.Helper()
	r := runCLI(e.t, nil, append(args, "--world", e.world)...)
	if strings.Contains(r.stdout+r.stderr, "Fault-Passw0rd!") {
		e.t.Fatalf("the password reached the output\n%s", r)
	}
	return r
}

// vmArgs are a VM's probe or attach flags.
func (e *faultEnv) vmArgs(vm string, extra ...string) []string {
	return append([]string{"--resource-id", demoVM + vm, "--username", "azureuser", "--password-file", e.pw,
		"--known-hosts", e.kh, "--accept-new-host-key", "--timeout", "5s"}, extra...)
}

func (e *faultEnv) attach(name string) result {
	e.t.Helper()
	return e.run(append([]string{"attach", "vm", "-o", "json", "--yes", "--name", name}, e.vmArgs("sim-vm")...)...)
}

// computes is what the workspace holds, read past Resource Manager.
func (e *faultEnv) computes() map[string]string {
	return e.srv.ComputeStates()
}

// settle waits for the attaches and detaches still running in Azure.
func (e *faultEnv) settle() { time.Sleep(600 * time.Millisecond) }

// wantOut checks that the output holds every part.
func wantOut(t *testing.T, r result, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("the output lacks %q\n%s", p, r)
		}
	}
}

func wantComputes(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("computes left: %v, want %v", got, want)
	}
}

// preflightRequests counts the ARM requests of `probe vm` for sim-vm on a
// fault-free sandbox: the setup's read of the workspace and the preflight.
// An attach then sends the name check as request n+1 and the PUT as n+2.
func preflightRequests(t *testing.T) int {
	t.Helper()
	e := newFaultEnv(t, "")
	r := e.run(append([]string{"probe", "vm", "-o", "json"}, e.vmArgs("sim-vm")...)...)
	if r.code != 0 {
		t.Fatalf("the fault-free preflight does not pass\n%s", r)
	}
	n := e.srv.FaultStats().Requests
	sharedSandbox = nil
	return n
}

func TestFaultThrottledARM(t *testing.T) {
	t.Run("every fourth request is throttled: waited out", func(t *testing.T) {
		e := newFaultEnv(t, "  armThrottleEvery: 4\n")
		r := e.attach("thr-vm")
		rep := report(t, r)
		if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
			t.Fatalf("want the attach to succeed\n%s", r)
		}
		if st := e.srv.FaultStats(); st.Throttled == 0 {
			t.Fatalf("nothing was throttled: %+v", st)
		}
		wantComputes(t, e.computes(), map[string]string{"fault-ws/thr-vm": "Succeeded"})
	})
	t.Run("every request is throttled: the retries end, exit 3", func(t *testing.T) {
		e := newFaultEnv(t, "  armThrottleEvery: 1\n")
		start := time.Now()
		r := e.attach("thr-vm")
		if r.code != 3 {
			t.Fatalf("want exit 3\n%s", r)
		}
		wantOut(t, r, "HTTP 429 TooManyRequests", "fix: Azure is throttling requests: wait a minute and try again")
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("gave up after %s", d)
		}
		wantComputes(t, e.computes(), map[string]string{})
	})
}

func TestFaultInternalErrors(t *testing.T) {
	// A share of all requests answers 500. Whatever the seed, the user sees
	// either the attach done once, or an error that names the 500 with a
	// fix; never a name taken by the attach itself, never two computes.
	succeeded := 0
	for seed := 1; seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			e := newFaultEnv(t, fmt.Sprintf("  armErrorRate: 0.15\n  faultSeed: %d\n", seed))
			r := e.attach("err-vm")
			if strings.Contains(r.stderr, "already used") || strings.Contains(r.stderr, "appeared during the preflight") {
				t.Fatalf("a false 'name taken'\n%s", r)
			}
			e.settle()
			got := e.computes()
			switch r.code {
			case 0:
				succeeded++
				wantComputes(t, got, map[string]string{"fault-ws/err-vm": "Succeeded"})
			case 1, 3:
				wantOut(t, r, "HTTP 500 InternalServerError", "try again")
				if len(got) > 1 {
					t.Fatalf("computes: %v", got)
				}
			default:
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			t.Logf("seed %d: exit %d, %+v", seed, r.code, e.srv.FaultStats())
		})
	}
	if succeeded == 0 {
		t.Fatal("no seed let the attach through: the retries do not work")
	}
	t.Run("every request fails: exit 3, nothing attached", func(t *testing.T) {
		e := newFaultEnv(t, "  armErrorRate: 1\n")
		r := e.attach("err-vm")
		if r.code != 3 {
			t.Fatalf("want exit 3\n%s", r)
		}
		wantOut(t, r, "HTTP 500 InternalServerError", "fix: Azure had an internal error: try again")
		wantComputes(t, e.computes(), map[string]string{})
	})
}

func TestFaultLostAnswerToTheAttach(t *testing.T) {
	put := preflightRequests(t) + 2
	// The PUT is carried out and its connection reset: the SDK sends it
	// again, and Azure ML takes it as the attach already running.
	e := newFaultEnv(t, fmt.Sprintf("  armResetEvery: %d\n", put))
	r := e.attach("lost-vm")
	rep := report(t, r)
	if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
		t.Fatalf("want the attach to succeed\n%s", r)
	}
	if st := e.srv.FaultStats(); st.Resets == 0 || st.Requests < put+1 {
		t.Fatalf("the PUT was not reset and sent again: %+v", st)
	}
	wantComputes(t, e.computes(), map[string]string{"fault-ws/lost-vm": "Succeeded"})
	// Every third request loses its answer, all through the command.
	e = newFaultEnv(t, "  armResetEvery: 3\n")
	r = e.attach("lost-vm")
	if r.code != 0 {
		t.Fatalf("want the attach to succeed\n%s", r)
	}
	wantComputes(t, e.computes(), map[string]string{"fault-ws/lost-vm": "Succeeded"})
	// Every answer lost: the retries end, exit 3.
	e = newFaultEnv(t, "  armResetEvery: 1\n")
	r = e.attach("lost-vm")
	if r.code != 3 {
		t.Fatalf("want exit 3\n%s", r)
	}
	wantOut(t, r, "no answer from Azure: ", "connection reset", "fix: check your network connection and try again")
	wantComputes(t, e.computes(), map[string]string{})
}

func TestFaultExpiredToken(t *testing.T) {
	pre := preflightRequests(t)
	signIn := "fix: sign in again: az login"
	t.Run("expired from the start", func(t *testing.T) {
		e := newFaultEnv(t, "  tokenExpiresAfter: 0\n")
		r := e.run("list")
		if r.code != 4 {
			t.Fatalf("want exit 4\n%s", r)
		}
		wantOut(t, r, "ExpiredAuthenticationToken", "no longer accepts your sign-in", signIn)
	})
	t.Run("during the preflight", func(t *testing.T) {
		e := newFaultEnv(t, "  tokenExpiresAfter: 3\n")
		r := e.attach("tok-vm")
		if r.code != 4 {
			t.Fatalf("want exit 4\n%s", r)
		}
		wantOut(t, r, "nothing was sent", signIn)
		wantComputes(t, e.computes(), map[string]string{})
		r = e.run(append([]string{"probe", "vm"}, e.vmArgs("sim-vm")...)...)
		if r.code != 4 {
			t.Fatalf("probe: want exit 4\n%s", r)
		}
	})
	t.Run("at the PUT", func(t *testing.T) {
		e := newFaultEnv(t, fmt.Sprintf("  tokenExpiresAfter: %d\n", pre+1))
		r := e.attach("tok-vm")
		if r.code != 4 {
			t.Fatalf("want exit 4\n%s", r)
		}
		wantOut(t, r, "nothing was attached", signIn)
		wantComputes(t, e.computes(), map[string]string{})
	})
	t.Run("while the attach runs", func(t *testing.T) {
		e := newFaultEnv(t, fmt.Sprintf("  tokenExpiresAfter: %d\n", pre+2))
		r := e.attach("tok-vm")
		if r.code != 4 {
			t.Fatalf("want exit 4\n%s", r)
		}
		wantOut(t, r, "goes on in Azure", "ExpiredAuthenticationToken", signIn, "amlattach list")
		e.settle()
		wantComputes(t, e.computes(), map[string]string{"fault-ws/tok-vm": "Succeeded"})
	})
}

func TestFaultPollFailures(t *testing.T) {
	t.Run("the first five polls fail: the end is still seen", func(t *testing.T) {
		e := newFaultEnv(t, "  pollFailures: 5\n")
		r := e.attach("poll-vm")
		rep := report(t, r)
		if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
			t.Fatalf("want the attach to succeed\n%s", r)
		}
		wantComputes(t, e.computes(), map[string]string{"fault-ws/poll-vm": "Succeeded"})
		r = e.run("detach", "poll-vm", "--yes")
		if r.code != 0 {
			t.Fatalf("want the detach to succeed\n%s", r)
		}
		wantComputes(t, e.computes(), map[string]string{})
		if st := e.srv.FaultStats(); st.PollFailures != 10 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("polls never work: the wait ends, the attach goes on", func(t *testing.T) {
		e := newFaultEnv(t, "  pollFailures: 100000\n")
		start := time.Now()
		r := e.attach("poll-vm")
		if r.code != 3 {
			t.Fatalf("want exit 3\n%s", r)
		}
		wantOut(t, r, "goes on in Azure", "following it failed", "HTTP 500", "fix: check it with: amlattach list")
		if strings.Contains(r.stderr, "ended Failed") {
			t.Fatalf("the attach is called Failed\n%s", r)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("gave up after %s", d)
		}
		e.settle()
		wantComputes(t, e.computes(), map[string]string{"fault-ws/poll-vm": "Succeeded"})
	})
}

func TestFaultUnansweredARMIsBounded(t *testing.T) {
	e := newFaultEnv(t, "  armLatencyMs: 30000\n")
	for _, args := range [][]string{{"list"}, {"detach", "any-vm", "--yes"}, append([]string{"attach", "vm", "--yes", "--name", "slow-arm"}, e.vmArgs("sim-vm", "--timeout", "1s")...)} {
		start := time.Now()
		r := e.run(append(args, "--timeout", "1s")...)
		if r.code != 3 {
			t.Fatalf("%s: want exit 3\n%s", args[0], r)
		}
		wantOut(t, r, "no answer from Azure in time", "fix: check your network connection")
		if d := time.Since(start); d > 6*time.Second {
			t.Fatalf("%s: gave up after %s with --timeout 1s", args[0], d)
		}
	}
	wantComputes(t, e.computes(), map[string]string{})
}

func TestFaultHosts(t *testing.T) {
	e := newFaultEnv(t, "")
	probe := func(vm string, timeout string) (result, time.Duration) {
		t.Helper()
		start := time.Now()
		r := e.run(append([]string{"probe", "vm", "-o", "json"}, e.vmArgs(vm, "--timeout", timeout)...)...)
		return r, time.Since(start)
	}
	detailOf := func(r result, id string) string {
		for _, p := range report(t, r).Probes {
			if p.ID == id {
				return p.Detail + " | fix: " + p.Remedy
			}
		}
		return ""
	}

	t.Run("a port that never sends a banner", func(t *testing.T) {
		r, d := probe("silent-vm", "2s")
		wantStatuses(t, report(t, r), map[string]string{"net.tcp": "pass", "ssh.hostkey": "fail", "ssh.auth": "skip"})
		if det := detailOf(r, "ssh.hostkey"); !strings.Contains(det, "no SSH handshake from 20.7.0.4:22 within 2s") || !strings.Contains(det, "--ssh-port") {
			t.Errorf("ssh.hostkey: %s", det)
		}
		if r.code != 1 || d > 6*time.Second {
			t.Fatalf("exit %d after %s\n%s", r.code, d, r)
		}
	})
	t.Run("a very slow host", func(t *testing.T) {
		r, d := probe("slow-vm", "2s")
		wantStatuses(t, report(t, r), map[string]string{"ssh.auth": "pass", "host.os": "fail", "host.docker": "fail", "host.disk": "fail"})
		if det := detailOf(r, "host.os"); !strings.Contains(det, "timed out") || !strings.Contains(det, "within 2s") {
			t.Errorf("host.os: %s", det)
		}
		if r.code != 1 || d > 8*time.Second {
			t.Fatalf("exit %d after %s\n%s", r.code, d, r)
		}
	})
	t.Run("a connection dropped mid-command", func(t *testing.T) {
		r, d := probe("drop-vm", "5s")
		rep := report(t, r)
		wantStatuses(t, rep, map[string]string{"ssh.auth": "pass"})
		dropped := 0
		for _, p := range rep.Probes {
			if strings.HasPrefix(p.ID, "host.") && p.Status == "fail" {
				if !strings.Contains(p.Detail, "closed the SSH connection in the middle of the command") {
					t.Errorf("%s: %s", p.ID, p.Detail)
				}
				dropped++
			}
		}
		if dropped == 0 || r.code != 1 || d > 10*time.Second {
			t.Fatalf("%d host probes failed, exit %d after %s\n%s", dropped, r.code, d, r)
		}
	})
}

func TestFaultHostKeyChangesBetweenRuns(t *testing.T) {
	// Two runs of the "same" VM whose host key differs, one known_hosts file.
	e := newFaultEnv(t, "", "host-key-monday")
	r := e.run(append([]string{"probe", "vm", "-o", "json"}, e.vmArgs("sim-vm")...)...)
	wantStatuses(t, report(t, r), map[string]string{"ssh.hostkey": "pass", "ssh.auth": "pass"})
	before, err := os.ReadFile(e.kh)
	must(t, err)
	if strings.Count(string(before), "\n") != 1 {
		t.Fatalf("known_hosts after the first run:\n%s", before)
	}

	e2 := newFaultEnv(t, "", "host-key-tuesday")
	e2.kh, e2.pw = e.kh, e.pw
	r = e2.run(append([]string{"probe", "vm", "-o", "json"}, e2.vmArgs("sim-vm")...)...) // --accept-new-host-key included
	rep := report(t, r)
	wantStatuses(t, rep, map[string]string{"ssh.hostkey": "fail", "ssh.auth": "skip", "host.os": "skip"})
	for _, p := range rep.Probes {
		if p.ID == "ssh.hostkey" {
			if !strings.Contains(p.Detail, "HOST KEY CHANGED for 20.7.0.1:22") || !strings.Contains(p.Detail, e.kh+":1") {
				t.Errorf("detail does not name the known_hosts line: %s", p.Detail)
			}
			if !strings.Contains(p.Remedy, "ssh-keygen -R 20.7.0.1 -f "+e.kh) {
				t.Errorf("remedy: %s", p.Remedy)
			}
		}
	}
	if r.code != 1 {
		t.Fatalf("want exit 1\n%s", r)
	}
	after, err := os.ReadFile(e.kh)
	must(t, err)
	if string(after) != string(before) {
		t.Fatalf("known_hosts changed:\n%s", after)
	}
}
