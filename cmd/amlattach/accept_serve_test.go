package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/flows"
	"amlattach/probes"
)

// Issue 12's "Done when", headless: the built binary against one
// `amlattach sandbox serve` of the demo world (a copy with shorter fault
// timings and two resource groups of its own for the permission cases).

// acceptGroups are appended to the demo's resource groups: locked-rg, where
// the caller may read and ask Network Watcher but write nothing, with a VM
// that needs vm.start and nsg.allow-aml-ssh; and noattach-rg, whose
// workspace does not let the caller write computes, with a stopped VM.
const acceptGroups = `      - name: locked-rg
        location: eastus
        permissions: {actions: ["*/read", "Microsoft.Network/networkWatchers/ipFlowVerify/action"]}
        virtualMachines:
          - name: locked-vm
            powerState: deallocated
            image: {publisher: microsoft-dsvm, offer: ubuntu-2004, sku: 2004-gen2}
            publicIP: 20.1.3.1
            privateIP: 10.20.0.4
            nsgRules:
              - {name: AllowOfficeSSH, priority: 300, direction: Inbound, access: Allow,
                 source: 203.0.113.0/24, protocol: Tcp, ports: "22"}
            ssh: {sim: {os: ubuntu 20.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Demo-Passw0rd!"}}}}
      - name: noattach-rg
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.MachineLearningServices/workspaces/computes/write"]}
        workspaces: [{name: readonly-ws}]
        virtualMachines:
          - name: ro-stopped-vm
            powerState: deallocated
            image: {publisher: microsoft-dsvm, offer: ubuntu-2004, sku: 2004-gen2}
            publicIP: 20.1.3.2
            privateIP: 10.21.0.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, direction: Inbound, access: Allow,
                 source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            ssh: {sim: {os: ubuntu 20.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Demo-Passw0rd!"}}}}
`

// acceptWorld is the demo world with acceptGroups and its fault timings
// shortened, written to a file for `sandbox serve --world`.
func acceptWorld(t *testing.T, dir string) string {
	t.Helper()
	demo, err := os.ReadFile(filepath.Join("..", "..", "azure", "sandbox", "demo.yaml"))
	must(t, err)
	text := string(demo)
	i := strings.Index(text, "\nfaults:\n")
	if i < 0 {
		t.Fatal("the demo world has no faults section to put the groups before")
	}
	text = text[:i+1] + acceptGroups + `faults:
  attachSeconds: 0.2
  detachSeconds: 0.1
  providerRegisterSeconds: 0.2
  extensionInstallSeconds: 0.2
  vmExtensionSeconds: 0.1
`
	path := filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// servedBinary is the built amlattach and one `sandbox serve` of it.
type servedBinary struct {
	t        *testing.T
	bin, dir string
	env      []string
	n        int
	// outputs collects every stdout, stderr and --debug trace of the run,
	// by where it came from, for the secret scan.
	outputs map[string]string
	// serveOut and serveErr are what sandbox serve printed.
	serveOut, serveErr *lockedBuffer
}

func startServedBinary(t *testing.T, world string) *servedBinary {
	t.Helper()
	bin := buildBinary(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	must(t, os.MkdirAll(home, 0o700))
	config := filepath.Join(home, ".config")
	t.Setenv("XDG_CONFIG_HOME", config) // where this test looks for the key of ssh.install-key
	conn := filepath.Join(dir, "sandbox.json")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + config}
	s := &servedBinary{t: t, bin: bin, dir: dir, env: append(env, "AMLATTACH_SANDBOX="+conn), outputs: map[string]string{}}

	serve := exec.Command(bin, "sandbox", "serve", "--world", world, "--out", conn)
	serve.Env = env
	var sout, serr lockedBuffer
	serve.Stdout, serve.Stderr = &sout, &serr
	must(t, serve.Start())
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("sandbox serve ended with %v\n%s", err, serr.String())
			}
		case <-time.After(10 * time.Second):
			_ = serve.Process.Kill()
			t.Error("sandbox serve did not stop on interrupt")
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if st, err := os.Stat(conn); err == nil && st.Size() > 0 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("sandbox serve ended early: %v\n%s%s", err, sout.String(), serr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox serve wrote no connection file\n%s%s", sout.String(), serr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.serveOut = &sout
	s.serveErr = &serr
	return s
}

// run runs the binary with stdin not a terminal, and a --debug trace of
// its own; it returns the result and the trace.
func (s *servedBinary) run(args ...string) (result, string) {
	s.t.Helper()
	s.n++
	trace := filepath.Join(s.dir, fmt.Sprintf("trace-%02d.log", s.n))
	cmd := exec.Command(s.bin, append(args, "--debug", trace)...)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		s.t.Fatalf("run %v: %v", args, err)
	}
	b, _ := os.ReadFile(trace)
	name := strings.Join(args, " ")
	s.outputs[fmt.Sprintf("#%d %s: stdout", s.n, name)] = r.stdout
	s.outputs[fmt.Sprintf("#%d %s: stderr", s.n, name)] = r.stderr
	s.outputs[fmt.Sprintf("#%d %s: --debug trace", s.n, name)] = string(b)
	return r, string(b)
}

// writeRequest matches a request in a --debug trace that changes something:
// every PUT, PATCH, DELETE and POST but Network Watcher's IP flow verify,
// which only asks.
var writeRequest = regexp.MustCompile(`(?m)^\s+(PUT|PATCH|DELETE|POST) (https://\S+)`)

func writesIn(trace string) []string {
	var out []string
	for _, m := range writeRequest.FindAllStringSubmatch(trace, -1) {
		if !strings.Contains(m[2], "/ipFlowVerify?") {
			out = append(out, m[1]+" "+m[2])
		}
	}
	return out
}

// fixCase is one broken demo VM and the fix that repairs it.
type fixCase struct {
	vm, probe, fix string
	before         string // the probe's status before the fix
	wrongPassword  bool   // log in with a password the VM refuses
}

var acceptCases = []fixCase{
	{vm: "stopped-vm", probe: probes.IDVMRunning, fix: flows.FixVMStart, before: "fail"},
	{vm: "closed-nsg-vm", probe: probes.IDNSGSSH, fix: flows.FixNSGAllowAMLSSH, before: "fail"},
	{vm: "no-nsg-vm", probe: probes.IDNSGSSH, fix: flows.FixNSGCreate, before: "fail"},
	{vm: "no-ip-vm", probe: probes.IDVMPublicIP, fix: flows.FixIPCreate, before: "fail"},
	{vm: "dynamic-ip-vm", probe: probes.IDVMPublicIP, fix: flows.FixIPStatic, before: "warn"},
	{vm: "nodaemon-vm", probe: probes.IDHostDocker, fix: flows.FixDockerSetup, before: "fail"},
	{vm: "sudopw-vm", probe: probes.IDHostDocker, fix: flows.FixDockerSetup, before: "fail"},
	// The demo's wrong-password scenario: a healthy VM whose login fails.
	{vm: "dsvm-ubuntu", probe: probes.IDSSHAuth, fix: flows.FixSSHInstallKey, before: "fail", wrongPassword: true},
}

// statusLine is a report's probes as "id=status" in plan order, with the
// detail of the probe that matters, so that "nothing changed" compares
// what a user would see.
func statusLine(rep flows.Report, focus string) string {
	var parts []string
	for _, p := range rep.Probes {
		parts = append(parts, p.ID+"="+p.Status)
		if p.ID == focus {
			parts = append(parts, "("+sameDetail(p.Detail)+")")
		}
	}
	return strings.Join(parts, " ")
}

var hostKeyNote = regexp.MustCompile(` (accepted \(--accept-new-host-key\) and added to|matches) \S+`)

func sameDetail(s string) string { return hostKeyNote.ReplaceAllString(s, "") }

func TestAcceptanceFixEachBrokenDemoVMAgainstServe(t *testing.T) {
	dir := t.TempDir()
	s := startServedBinary(t, acceptWorld(t, dir))
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	wrong := filepath.Join(dir, "wrong-pw")
	must(t, os.WriteFile(wrong, []byte("Not-The-Demo-Passw0rd\n"), 0o600))
	kh := filepath.Join(dir, "known_hosts")
	id := func(rg, vm string) string { return flows.BuildResourceID(sub, rg, flows.VMKind, vm) }
	flags := func(c fixCase) []string {
		p := pw
		if c.wrongPassword {
			p = wrong
		}
		return []string{"vm", "-g", "ml-rg", "-w", "contoso-ws", "--resource-id", id("ml-rg", c.vm), "--username", "azureuser",
			"--password-file", p, "--known-hosts", kh, "--accept-new-host-key", "--timeout", "10s"}
	}
	probeJSON := func(args []string) (result, flows.Report) {
		t.Helper()
		r, _ := s.run(append([]string{"probe"}, append(args, "-o", "json")...)...)
		return r, report(t, r)
	}

	// 1. Before anything is fixed: without consent nothing changes, and a
	// dry run lists the requests and changes nothing.
	t.Run("no consent, dry run", func(t *testing.T) {
		for _, c := range acceptCases {
			r, before := probeJSON(flags(c))
			p := probeOf(t, before.Probes, c.probe)
			if p.Status != c.before || p.Fix == nil || p.Fix.ID != c.fix || p.Fix.Needs != "" || p.Fix.Permission == "" || p.Fix.Undo == "" {
				t.Fatalf("%s: want %s %s with fix %s offered, got %+v fix %+v\n%s", c.vm, c.probe, c.before, c.fix, p, p.Fix, r)
			}
			want := statusLine(before, c.probe)

			r, trace := s.run(append([]string{"fix"}, append(flags(c), "-o", "json")...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "--yes") || !strings.Contains(r.stderr, "nothing was changed") {
				t.Fatalf("%s: fix without --yes and without a terminal: want exit 2 naming --yes\n%s", c.vm, r)
			}
			for _, o := range fixReport(t, r).Fixes {
				if o.Status == flows.FixApplied || len(o.Changed) > 0 {
					t.Fatalf("%s: fix without consent reports %s %s\n%s", c.vm, o.ID, o.Status, r)
				}
			}
			if w := writesIn(trace); len(w) > 0 {
				t.Fatalf("%s: fix without consent sent %v", c.vm, w)
			}
			if _, after := probeJSON(flags(c)); statusLine(after, c.probe) != want {
				t.Fatalf("%s: the probe changed after a fix without consent:\nbefore %s\nafter  %s", c.vm, want, statusLine(after, c.probe))
			}

			r, trace = s.run(append([]string{"fix"}, append(flags(c), "--dry-run")...)...)
			block := fixBlock(r.stdout, c.fix)
			if !strings.Contains(block, "fix "+c.fix+" (for "+c.probe+"): planned") || !strings.Contains(block, "change: request: ") ||
				!strings.Contains(block, "permission: "+p.Fix.Permission) || !strings.Contains(r.stdout, "Nothing was changed.") {
				t.Fatalf("%s: --dry-run does not list %s as planned with its requests\n%s", c.vm, c.fix, r)
			}
			if w := writesIn(trace); len(w) > 0 {
				t.Fatalf("%s: --dry-run sent %v", c.vm, w)
			}
			if _, after := probeJSON(flags(c)); statusLine(after, c.probe) != want {
				t.Fatalf("%s: the probe changed after --dry-run:\nbefore %s\nafter  %s", c.vm, want, statusLine(after, c.probe))
			}
		}
	})
	if t.Failed() {
		return
	}

	// 2. fix --yes repairs each, a later probe passes, a second fix
	// changes nothing.
	t.Run("fix --yes, probe, fix again", func(t *testing.T) {
		for _, c := range acceptCases {
			r, trace := s.run(append([]string{"fix"}, append(flags(c), "--yes", "-o", "json")...)...)
			rep := fixReport(t, r)
			f := fixOutcome(t, rep, c.fix)
			if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || len(f.Changed) == 0 ||
				probeOf(t, rep.Before.Probes, c.probe).Status != c.before || probeOf(t, rep.After.Probes, c.probe).Status != "pass" {
				t.Fatalf("%s: fix --yes: want exit 0, %s applied with its changes and %s passing after\n%s", c.vm, c.fix, c.probe, r)
			}
			if len(writesIn(trace)) == 0 {
				t.Fatalf("%s: %s applied, yet the trace shows no write", c.vm, c.fix)
			}
			for _, o := range rep.Fixes {
				if o.ID != c.fix && o.Status != flows.FixUnchanged {
					t.Fatalf("%s: fix %s is %s; only %s had something to do\n%s", c.vm, o.ID, o.Status, c.fix, r)
				}
			}

			after := flags(c)
			if c.wrongPassword {
				key, err := flows.KeyFileFor(mustID(t, id("ml-rg", c.vm)), "azureuser")
				must(t, err)
				if !strings.Contains(rep.Next, "--ssh-key "+key) {
					t.Fatalf("%s: the fix does not say to attach with its key %s: %q", c.vm, key, rep.Next)
				}
				after = replaceFlag(after, "--password-file", "--ssh-key", key)
			}
			r, later := probeJSON(after)
			if r.code != 0 || !later.OK || probeOf(t, later.Probes, c.probe).Status != "pass" {
				t.Fatalf("%s: the probe after the fix does not pass\n%s", c.vm, r)
			}
			for _, p := range later.Probes {
				if p.Status == "fail" || p.Status == "warn" {
					t.Fatalf("%s: after the fix %s is %s: %s\n%s", c.vm, p.ID, p.Status, p.Detail, r)
				}
			}

			r, trace = s.run(append([]string{"fix"}, append(flags(c), "--yes", "-o", "json")...)...)
			rep = fixReport(t, r)
			if r.code != 0 || !rep.OK || len(rep.Fixes) == 0 {
				t.Fatalf("%s: second fix: want exit 0\n%s", c.vm, r)
			}
			for _, o := range rep.Fixes {
				if o.Status != flows.FixUnchanged || len(o.Changed) != 0 {
					t.Fatalf("%s: second fix: %s is %s, want unchanged\n%s", c.vm, o.ID, o.Status, r)
				}
			}
			if w := writesIn(trace); len(w) > 0 {
				t.Fatalf("%s: the second fix sent %v", c.vm, w)
			}
		}
	})

	// 3. A resource group the caller may not write: every fix is shown as
	// needing its action and nothing is sent, even with --yes.
	t.Run("no write permission in the VM's group", func(t *testing.T) {
		args := []string{"vm", "-g", "ml-rg", "-w", "contoso-ws", "--resource-id", id("locked-rg", "locked-vm"), "--username", "azureuser",
			"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--timeout", "10s"}
		r, before := probeJSON(args)
		needs := map[string]string{flows.FixVMStart: azure.ActionVMStart, flows.FixNSGAllowAMLSSH: "Microsoft.Network/networkSecurityGroups/securityRules/write"}
		for probe, fix := range map[string]string{probes.IDVMRunning: flows.FixVMStart, probes.IDNSGSSH: flows.FixNSGAllowAMLSSH} {
			p := probeOf(t, before.Probes, probe)
			if p.Status != "fail" || p.Fix == nil || p.Fix.ID != fix || !strings.Contains(p.Fix.Needs, needs[fix]) {
				t.Fatalf("locked-vm: want %s failing with %s needing %s, got %+v\n%s", probe, fix, needs[fix], p.Fix, r)
			}
		}
		want := statusLine(before, probes.IDNSGSSH)
		r, trace := s.run(append([]string{"fix"}, append(args, "--yes", "-o", "json")...)...)
		rep := fixReport(t, r)
		if r.code != 1 || rep.OK {
			t.Fatalf("locked-vm: fix --yes without write permission: want exit 1\n%s", r)
		}
		for fix, action := range needs {
			if f := fixOutcome(t, rep, fix); f.Status != flows.FixRefused || !strings.Contains(f.Error, action) {
				t.Fatalf("locked-vm: %s: want refused naming %s, got %+v", fix, action, f)
			}
		}
		if w := writesIn(trace); len(w) > 0 {
			t.Fatalf("locked-vm: fixes the caller may not make were sent: %v", w)
		}
		if _, after := probeJSON(args); statusLine(after, probes.IDNSGSSH) != want {
			t.Fatalf("locked-vm changed:\nbefore %s\nafter  %s", want, statusLine(after, probes.IDNSGSSH))
		}
	})

	// 4. A workspace where the caller may not write computes: ws.permission
	// fails first and nothing else is tried.
	t.Run("no compute write in the workspace", func(t *testing.T) {
		args := []string{"vm", "-g", "noattach-rg", "-w", "readonly-ws", "--resource-id", id("noattach-rg", "ro-stopped-vm"), "--username", "azureuser",
			"--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--timeout", "10s"}
		r, trace := s.run(append([]string{"fix"}, append(args, "--yes", "-o", "json")...)...)
		rep := fixReport(t, r)
		if r.code != 1 || rep.OK || rep.Before == nil || len(rep.Before.Probes) == 0 {
			t.Fatalf("ro-stopped-vm: want exit 1 with a preflight\n%s", r)
		}
		first := rep.Before.Probes[0]
		if first.ID != probes.IDWsPermission || first.Status != "fail" || !strings.Contains(first.Detail, probes.ActionComputeWrite) {
			t.Fatalf("ro-stopped-vm: want ws.permission first and failing naming %s, got %+v\n%s", probes.ActionComputeWrite, first, r)
		}
		// The other probes only read; they still run, so the user sees the
		// whole picture, but no fix is tried: each needs the workspace
		// permission first.
		if f := fixOutcome(t, rep, flows.FixVMStart); f.Status != flows.FixRefused || !strings.Contains(f.Error, probes.ActionComputeWrite) ||
			!strings.Contains(f.Error, "ws.permission") {
			t.Fatalf("ro-stopped-vm: want vm.start refused naming ws.permission and %s, got %+v\n%s", probes.ActionComputeWrite, f, r)
		}
		for _, f := range rep.Fixes {
			if f.Status == flows.FixApplied {
				t.Fatalf("ro-stopped-vm: %s was applied in a workspace the caller may not attach to\n%s", f.ID, r)
			}
		}
		if p := probeOf(t, rep.After.Probes, probes.IDVMRunning); p.Status != "fail" {
			t.Fatalf("ro-stopped-vm runs after a fix in a workspace the caller may not attach to\n%s", r)
		}
		// probe -o json shows the fix as needing the workspace permission.
		pr, _ := s.run(append([]string{"probe"}, append(args, "-o", "json")...)...)
		if p := probeOf(t, report(t, pr).Probes, probes.IDVMRunning); p.Fix == nil || !strings.Contains(p.Fix.Needs, probes.ActionComputeWrite) {
			t.Fatalf("ro-stopped-vm: probe: want vm.start needing %s, got %+v\n%s", probes.ActionComputeWrite, p.Fix, pr)
		}
		if w := writesIn(trace); len(w) > 0 {
			t.Fatalf("ro-stopped-vm: sent %v after ws.permission failed", w)
		}
		if !strings.Contains(trace, "/workspaces/readonly-ws/providers/Microsoft.Authorization/permissions") {
			t.Fatal("ro-stopped-vm: the trace shows no permissions request at the workspace")
		}
	})

	// 5. Attach two of the fixed VMs (one with the key ssh.install-key
	// made), run doctor on them with a report, then look for the secrets in
	// everything the run printed, traced and reported.
	key, err := flows.KeyFileFor(mustID(t, id("ml-rg", "dsvm-ubuntu")), "azureuser")
	must(t, err)
	t.Run("attach and doctor after the fixes", func(t *testing.T) {
		for _, a := range [][]string{
			{"--name", "fixed-stopped", "--resource-id", id("ml-rg", "stopped-vm"), "--password-file", pw},
			{"--name", "keyed-vm", "--resource-id", id("ml-rg", "dsvm-ubuntu"), "--ssh-key", key},
		} {
			args := append([]string{"attach", "vm", "-g", "ml-rg", "-w", "contoso-ws", "--username", "azureuser", "--known-hosts", kh, "--accept-new-host-key", "--yes"}, a...)
			if r, _ := s.run(args...); r.code != 0 {
				t.Fatalf("attach after the fix\n%s", r)
			}
		}
		for _, name := range []string{"fixed-stopped", "keyed-vm"} {
			rep := filepath.Join(dir, name+".md")
			r, _ := s.run("doctor", name, "-g", "ml-rg", "-w", "contoso-ws", "--known-hosts", kh, "--accept-new-host-key", "--report", rep)
			b, err := os.ReadFile(rep)
			if r.code != 0 || err != nil || !strings.Contains(string(b), "## Probes") || !strings.Contains(string(b), "SSH login") {
				t.Fatalf("doctor %s after the fix: %v\n%s\n%s", name, err, r, b)
			}
			s.outputs["doctor --report "+name] = string(b)
		}
	})

	t.Run("no secret anywhere", func(t *testing.T) {
		s.outputs["sandbox serve output"] = s.serveOut.String() + s.serveErr.String()
		secrets := []string{"Demo-Passw0rd!", "Not-The-Demo-Passw0rd", redactedMark}
		priv, err := os.ReadFile(key)
		must(t, err)
		for _, l := range strings.Split(string(priv), "\n") {
			if len(l) > 20 && !strings.HasPrefix(l, "-----") {
				secrets = append(secrets, l)
			}
		}
		// The public key went to Azure only in the extension's protected
		// settings: its body (past the header every RSA key shares) must
		// not show either.
		pub, err := os.ReadFile(key + ".pub")
		must(t, err)
		body := strings.Fields(string(pub))[1]
		secrets = append(secrets, body[len(body)-60:])
		if len(s.outputs) < 100 {
			t.Fatalf("only %d outputs were collected", len(s.outputs))
		}
		size := 0
		for _, text := range s.outputs {
			size += len(text)
		}
		t.Logf("scanned %d outputs, %d bytes, for %d secrets", len(s.outputs), size, len(secrets))
		for where, text := range s.outputs {
			for _, sec := range secrets {
				if strings.Contains(text, sec) {
					t.Errorf("%s holds a secret (%.12s...)", where, sec)
				}
			}
		}
	})
}

// fixBlock is the text output's block of one fix: from its "fix ID" line to
// the next line that does not start with a space.
func fixBlock(out, id string) string {
	i := strings.Index(out, "fix "+id+" (")
	if i < 0 {
		return ""
	}
	lines := strings.SplitAfter(out[i:], "\n")
	var b strings.Builder
	for j, l := range lines {
		if j > 0 && !strings.HasPrefix(l, " ") {
			break
		}
		b.WriteString(l)
	}
	return b.String()
}

func mustID(t *testing.T, s string) azure.ResourceID {
	t.Helper()
	id, err := azure.ParseResourceID(s)
	must(t, err)
	return id
}
