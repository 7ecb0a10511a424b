package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/flows"
	"amlattach/internal/sshtest"
	"amlattach/probes"
)

// realKeyVM is the VM of the real-host fix tests; its SSH side is a real
// OpenSSH sshd (internal/sshtest) on this computer, for which the sandbox
// acts as the VM agent. rules are its NSG rules (YAML flow list), so that a
// test can block SSH as well.
const realKeyWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces: [{name: real-ws}]
        virtualMachines:
          - name: realkey-vm
            publicIP: 20.9.0.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: %[3]s
            ssh: {address: "%[2]s"}
faults: {attachSeconds: 0.2}
`

// realKeyHost is a sandbox world whose VM realkey-vm answers SSH with a
// real sshd, and the flags that aim `fix vm`/`probe vm` at it as the
// sshtest Ubuntu account with a wrong password.
type realKeyHost struct {
	srv     *sshtest.Server
	user    sshtest.User
	args    []string
	keyFile string // where ssh.install-key puts its key
}

func startRealKeyHost(t *testing.T, opts sshtest.Options, rules string) *realKeyHost {
	t.Helper()
	srv := sshtest.Start(t, opts)
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	dir := t.TempDir()
	world := filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(world, []byte(fmt.Sprintf(realKeyWorld, sub, srv.Addr, rules)), 0o600))
	kh := filepath.Join(dir, "known_hosts")
	must(t, os.WriteFile(kh, []byte(srv.KnownHostsLine("20.9.0.1:22")+"\n"), 0o600))
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("not-"+srv.Ubuntu.Password+"\n"), 0o600))
	id := fmt.Sprintf("/subscriptions/%s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/realkey-vm", sub)
	h := &realKeyHost{srv: srv, user: srv.Ubuntu,
		args: []string{"vm", "--world", world, "--resource-id", id, "--username", srv.Ubuntu.Name, "--password-file", pw,
			"--known-hosts", kh, "--timeout", "10s"}}
	h.keyFile = demoKeyFileFor(t, id, srv.Ubuntu.Name)
	t.Cleanup(func() { h.removeInstalledKeys(t) })
	return h
}

func demoKeyFileFor(t *testing.T, id, userName string) string {
	t.Helper()
	rid, err := azure.ParseResourceID(id)
	must(t, err)
	p, err := flows.KeyFileFor(rid, userName)
	must(t, err)
	return p
}

// authorizedKeys is the account's own ~/.ssh/authorized_keys on this
// computer ("" when absent).
func (h *realKeyHost) authorizedKeys(t *testing.T) (string, string) {
	t.Helper()
	u, err := user.Lookup(h.user.Name)
	must(t, err)
	path := filepath.Join(u.HomeDir, ".ssh", "authorized_keys")
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return path, string(b)
}

// removeInstalledKeys is the fix's undo on the real host: the lines with
// the key comment go.
func (h *realKeyHost) removeInstalledKeys(t *testing.T) {
	path, text := h.authorizedKeys(t)
	if text == "" {
		return
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if !strings.HasSuffix(l, " amlattach-realkey-vm") {
			keep = append(keep, l)
		}
	}
	out := strings.Join(keep, "\n")
	if out != "" {
		out += "\n"
	}
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Errorf("undo the key on the real host: %v", err)
	}
}

// A real OpenSSH server whose user refuses the password: fix --yes makes
// the PEM key, the sandbox (as the VM agent) appends it to the account's
// real ~/.ssh/authorized_keys, and the preflight after the fix logs in to
// the real sshd with it. Without a Docker daemon on this host the Docker
// probe still fails (exit 1); everything up to the login passes.
func TestFixInstallsAKeyOnARealOpenSSHServer(t *testing.T) {
	h := startRealKeyHost(t, sshtest.Options{}, `[{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]`)
	path, before := h.authorizedKeys(t)

	dir := t.TempDir()
	r := runCLI(t, nil, append([]string{"fix"}, append(h.args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "d.log"))...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixSSHInstallKey)
	if f.Status != flows.FixApplied || probeOf(t, rep.Before.Probes, probes.IDSSHAuth).Status != "fail" {
		t.Fatalf("want ssh.auth failing before and ssh.install-key applied\n%s", r)
	}
	auth := probeOf(t, rep.After.Probes, probes.IDSSHAuth)
	if auth.Status != "pass" || !strings.Contains(auth.Detail, "with key "+h.keyFile+" (ssh-rsa)") {
		t.Fatalf("after the fix ssh.auth: %+v\n%s", auth, r)
	}
	for _, p := range rep.After.Probes {
		if p.Status == "fail" && p.ID != probes.IDHostDocker {
			t.Fatalf("after the fix %s fails: %s\n%s", p.ID, p.Detail, r)
		}
	}
	if r.code != 1 || probeOf(t, rep.After.Probes, probes.IDHostDocker).Status != "fail" {
		t.Fatalf("want exit 1 from the Docker probe alone (no daemon here)\n%s", r)
	}
	_, after := h.authorizedKeys(t)
	pub, err := os.ReadFile(h.keyFile + ".pub")
	must(t, err)
	body := strings.Fields(string(pub))[1]
	if strings.Contains(before, body) || !strings.Contains(after, body+" amlattach-realkey-vm\n") {
		t.Fatalf("%s does not hold the new key's line:\n%s", path, after)
	}
	// The key alone logs in to the real sshd.
	pr := runCLI(t, nil, append([]string{"probe"}, append(replaceFlag(h.args, "--password-file", "--ssh-key", h.keyFile), "-o", "json")...)...)
	if p := probeOf(t, report(t, pr).Probes, probes.IDSSHAuth); p.Status != "pass" {
		t.Fatalf("probe with the key: %+v\n%s", p, pr)
	}
	d, err := os.ReadFile(filepath.Join(dir, "d.log"))
	must(t, err)
	noKeyLeak(t, h.keyFile, map[string]string{"stdout": r.stdout, "stderr": r.stderr, "trace": string(d), "probe": pr.stdout + pr.stderr})
}

// replaceFlag swaps the flag old and its value for flag new with value v.
func replaceFlag(args []string, old, new, v string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == old {
			out = append(out, new, v)
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}
