package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/internal/sshtest"
	"amlattach/probes"
)

// Issue 12's "Done when" on a real host: a real OpenSSH sshd with a real
// dockerd (internal/sshtest), behind an NSG that lets SSH in from an office
// range only, and a password the account refuses (sudo for docker is
// passwordless in its chroot, as on a DSVM). fix --yes adds the NSG
// rule and installs a generated PEM key (the sandbox acting as the VM agent
// appends it to the account's real authorized_keys); the preflight after it
// logs in to the real sshd with that key, finds the real Docker daemon, and
// passes (exit 0). No secret shows in any output or trace of the run.
func TestAcceptanceFixOnARealOpenSSHServerBlockedAndPasswordRefused(t *testing.T) {
	h := startRealKeyHost(t, sshtest.Options{Docker: true, Sudo: true},
		`[{name: AllowOfficeSSH, priority: 300, access: Allow, source: 203.0.113.0/24, protocol: Tcp, ports: "22"}]`)
	// One sandbox for every command of the test, so that the next command
	// sees what the fix changed (the NSG rule), as against Azure.
	w, err := sandbox.LoadWorldFile(h.args[indexOf(h.args, "--world")+1])
	must(t, err)
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })

	dir := t.TempDir()
	outputs := map[string]string{}
	traced := func(name string, args ...string) result {
		t.Helper()
		trace := filepath.Join(dir, name+".log")
		r := runCLI(t, nil, append(args, "--debug", trace)...)
		b, err := os.ReadFile(trace)
		must(t, err)
		outputs[name+" stdout"], outputs[name+" stderr"], outputs[name+" --debug trace"] = r.stdout, r.stderr, string(b)
		return r
	}

	r := traced("probe-before", append([]string{"probe"}, append(h.args, "-o", "json")...)...)
	before := report(t, r)
	if r.code != 1 || probeOf(t, before.Probes, probes.IDNSGSSH).Status != "fail" || probeOf(t, before.Probes, probes.IDSSHAuth).Status != "fail" {
		t.Fatalf("want arm.nsg.ssh and ssh.auth failing before the fix\n%s", r)
	}

	r = traced("fix", append([]string{"fix"}, append(h.args, "--yes", "-o", "json")...)...)
	rep := fixReport(t, r)
	for _, id := range []string{flows.FixNSGAllowAMLSSH, flows.FixSSHInstallKey} {
		if f := fixOutcome(t, rep, id); f.Status != flows.FixApplied {
			t.Fatalf("%s: %s, want applied\n%s", id, f.Status, r)
		}
	}
	if r.code != 0 || !rep.OK {
		t.Fatalf("fix --yes: want exit 0 and a passing preflight after it\n%s", r)
	}
	for _, p := range rep.After.Probes {
		if p.Status == "fail" || p.Status == "warn" {
			t.Fatalf("after the fix %s is %s: %s\n%s", p.ID, p.Status, p.Detail, r)
		}
	}
	auth := probeOf(t, rep.After.Probes, probes.IDSSHAuth)
	docker := probeOf(t, rep.After.Probes, probes.IDHostDocker)
	if !strings.Contains(auth.Detail, "with key "+h.keyFile+" (ssh-rsa)") || docker.Status != "pass" || !strings.Contains(docker.Detail, h.srv.DockerVersion) {
		t.Fatalf("after the fix: login %q, docker %q (real dockerd %s)", auth.Detail, docker.Detail, h.srv.DockerVersion)
	}
	key, err := os.ReadFile(h.keyFile)
	must(t, err)
	st, err := os.Stat(h.keyFile)
	must(t, err)
	if !strings.HasPrefix(string(key), "-----BEGIN RSA PRIVATE KEY-----\n") || st.Mode().Perm() != 0o600 {
		t.Fatalf("the generated key is not a PEM RSA key of mode 0600 (mode %v)", st.Mode().Perm())
	}

	// A later probe with the key passes too (the NSG keeps its rule, the
	// real sshd its authorized key).
	r = traced("probe-after", append([]string{"probe"}, append(replaceFlag(h.args, "--password-file", "--ssh-key", h.keyFile), "-o", "json")...)...)
	if after := report(t, r); r.code != 0 || !after.OK {
		t.Fatalf("probe with the generated key after the fix\n%s", r)
	}

	// No secret: the account's real password, the wrong one that was
	// given, the private key and the public key sent in protected settings.
	pwFile := h.args[indexOf(h.args, "--password-file")+1]
	wrong, err := os.ReadFile(pwFile)
	must(t, err)
	for where, text := range outputs {
		for _, sec := range []string{strings.TrimSpace(string(wrong)), h.user.Password} {
			if strings.Contains(text, sec) {
				t.Errorf("%s holds a password", where)
			}
		}
	}
	noKeyLeak(t, h.keyFile, outputs)
}

func indexOf(args []string, s string) int {
	for i, a := range args {
		if a == s {
			return i
		}
	}
	return -1
}
