package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/probes"
)

// keyDemo aims `probe vm`/`fix vm` at the demo's healthy dsvm-ubuntu with
// a wrong password (the demo's wrong-password scenario), on one sandbox for
// the whole test, with the user's config folder (where the key goes) in a
// temporary folder.
func keyDemo(t *testing.T, change func(*sandbox.World)) (args []string, config string) {
	t.Helper()
	config = t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	args = fixDemo(t, change)
	pw := filepath.Join(t.TempDir(), "wrong-pw")
	must(t, os.WriteFile(pw, []byte("Not-The-Passw0rd\n"), 0o600))
	for i := range args {
		switch {
		case args[i] == "stopped-vm":
			args[i] = "dsvm-ubuntu"
		case i > 0 && args[i-1] == "--password-file":
			args[i] = pw
		}
	}
	return args, config
}

// demoKeyFile is where ssh.install-key keeps the key for azureuser on the
// demo VM vm.
func demoKeyFile(t *testing.T, vm string) string {
	t.Helper()
	id, err := azure.ParseResourceID(flows.BuildResourceID(flows.DemoSubscriptionID, flows.DemoResourceGroup, flows.VMKind, vm))
	must(t, err)
	path, err := flows.KeyFileFor(id, "azureuser")
	must(t, err)
	return path
}

// noKeyLeak fails when an output holds the private key's body, the public
// key sent in the protected settings, or anything the redactor had to take
// out (the secrets must not be printed in the first place).
func noKeyLeak(t *testing.T, keyFile string, outputs map[string]string) {
	t.Helper()
	text, err := os.ReadFile(keyFile)
	must(t, err)
	blk, _ := pem.Decode(text)
	if blk == nil {
		t.Fatalf("%s is not PEM", keyFile)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	must(t, err)
	var needles []string
	for _, l := range strings.Split(string(text), "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			needles = append(needles, l)
		}
	}
	needles = append(needles, strings.Fields(string(pub))[1][:40], redactedMark)
	for where, out := range outputs {
		for _, n := range needles {
			if strings.Contains(out, n) {
				t.Fatalf("%s holds %q (a secret, or a redaction of one)", where, n)
			}
		}
	}
}

// The demo VM with a wrong password, through the real SDK against one
// sandbox: probe offers ssh.install-key; fix --yes makes a PEM key 0600 in
// the config folder, installs it with the VM access extension and the
// preflight after logs in with it; the attach command it prints names the
// key file, and that attach works; no output holds the key. A second fix
// with the old password finds the key in place and sends nothing; with
// the key, no fix is offered.
func TestFixInstallsAKeyWhenThePasswordIsWrong(t *testing.T) {
	args, config := keyDemo(t, nil)
	keyFile := demoKeyFile(t, "dsvm-ubuntu")
	if !strings.HasPrefix(keyFile, filepath.Join(config, "amlattach", "keys", "dsvm-ubuntu-")) {
		t.Fatalf("the key goes to %s, not under the config folder %s", keyFile, config)
	}

	r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
	p := probeOf(t, report(t, r).Probes, probes.IDSSHAuth)
	if r.code != 1 || p.Status != "fail" || p.Fix == nil || p.Fix.ID != flows.FixSSHInstallKey || p.Fix.Permission != azure.ActionVMExtensionWrite ||
		!strings.Contains(p.Fix.Undo, "amlattach-dsvm-ubuntu") || !strings.Contains(p.Fix.Undo, keyFile) || p.Fix.Needs != "" {
		t.Fatalf("probe: want ssh.auth failing with ssh.install-key, got %+v\n%s", p.Fix, r)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("the probe made the key")
	}

	dir := t.TempDir()
	trace := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		return string(b)
	}
	// --dry-run: planned; no key made, no PUT.
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--dry-run", "--debug", filepath.Join(dir, "dry.log"))...)...)
	if f := fixOutcome(t, fixReport(t, r), flows.FixSSHInstallKey); r.code != 1 || f.Status != flows.FixPlanned {
		t.Fatalf("dry run: want exit 1 with ssh.install-key planned\n%s", r)
	}
	if _, err := os.Stat(keyFile); err == nil || strings.Contains(trace("dry.log"), "PUT ") {
		t.Fatal("--dry-run made the key or sent the extension")
	}

	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "yes.log"))...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixSSHInstallKey)
	after := probeOf(t, rep.After.Probes, probes.IDSSHAuth)
	if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || after.Status != "pass" || !strings.Contains(after.Detail, "with key "+keyFile) {
		t.Fatalf("fix --yes: want exit 0, ssh.install-key applied and ssh.auth passing with the key\n%s", r)
	}
	if !strings.Contains(rep.Next, "amlattach attach vm") || !strings.Contains(rep.Next, "--ssh-key "+keyFile) || strings.Contains(rep.Next, "--password-file") {
		t.Fatalf("the attach command: %q", rep.Next)
	}
	var changed []string
	for _, c := range f.Changed {
		changed = append(changed, c.String())
	}
	all := strings.Join(changed, "\n")
	for _, want := range []string{"key file " + keyFile + ": absent", "/virtualMachines/dsvm-ubuntu/extensions/enablevmaccess: absent -> VMAccessForLinux 1.5, provisioningState Succeeded",
		"~azureuser/.ssh/authorized_keys", "login of the attach: the password -> the key file " + keyFile} {
		if !strings.Contains(all, want) {
			t.Fatalf("the changes do not say %q:\n%s", want, all)
		}
	}
	if tr := trace("yes.log"); !strings.Contains(tr, "PUT ") || !strings.Contains(tr, "/virtualMachines/dsvm-ubuntu/extensions/enablevmaccess?") {
		t.Fatalf("the consented fix left no PUT in the trace:\n%s", tr)
	}

	// The key: PEM RSA, 0600, in folders 0700.
	st, err := os.Stat(keyFile)
	must(t, err)
	text, err := os.ReadFile(keyFile)
	must(t, err)
	if st.Mode().Perm() != 0o600 || !strings.HasPrefix(string(text), "-----BEGIN RSA PRIVATE KEY-----\n") {
		t.Fatalf("key file mode %v, starts %q", st.Mode().Perm(), string(text[:min(40, len(text))]))
	}
	for _, d := range []string{filepath.Dir(keyFile), filepath.Dir(filepath.Dir(keyFile))} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("folder %s: %v %v, want 0700", d, st.Mode().Perm(), err)
		}
	}
	k, err := ssh.ParseRawPrivateKey(text)
	must(t, err)
	if kk, ok := k.(interface{ Size() int }); !ok || kk.Size()*8 < 3072 {
		t.Fatalf("the key is a %T, want RSA of 3072 bits or more", k)
	}

	// Text, with the old password: the key logs in already, nothing is sent.
	r2 := runCLI(t, nil, append([]string{"fix"}, append(args, "--yes", "--debug", filepath.Join(dir, "again.log"))...)...)
	if r2.code != 0 || !strings.Contains(r2.stdout, "Already in place, nothing sent: ssh.install-key (ssh.auth)") ||
		!strings.Contains(r2.stdout, "Attach with the new key:\n  amlattach attach vm") || !strings.Contains(r2.stdout, "--ssh-key "+keyFile) {
		t.Fatalf("second fix with the old password: want exit 0, unchanged, the attach command\n%s", r2)
	}
	for _, l := range strings.Split(trace("again.log"), "\n") {
		if strings.Contains(l, "PUT ") {
			t.Fatalf("the second fix sent a PUT: %s", l)
		}
	}
	st2, err := os.Stat(keyFile)
	must(t, err)
	if !st2.ModTime().Equal(st.ModTime()) {
		t.Fatal("the key file was written again")
	}

	// With the key: the login passes, no fix is offered.
	withKey := func(verb string, extra ...string) result {
		var a []string
		for i := 0; i < len(args); i++ {
			if args[i] == "--password-file" {
				a = append(a, "--ssh-key", keyFile)
				i++
				continue
			}
			a = append(a, args[i])
		}
		return runCLI(t, nil, append(append([]string{verb}, a...), extra...)...)
	}
	r3 := withKey("fix", "-o", "json", "--yes")
	rep3 := fixReport(t, r3)
	if r3.code != 0 || len(rep3.Offers) != 0 || rep3.Next != "" || fixOutcome(t, rep3, flows.FixSSHInstallKey).Status != flows.FixUnchanged {
		t.Fatalf("fix with the key: want exit 0, no fix offered, ssh.install-key in place\n%s", r3)
	}
	for _, f := range rep3.Fixes {
		if f.Status != flows.FixUnchanged {
			t.Fatalf("fix with the key: %s %s", f.ID, f.Status)
		}
	}
	// The attach with the key: Azure ML (the sandbox) logs in with it too.
	r4 := withKey("attach", "-o", "json", "--yes")
	if rep := report(t, r4); r4.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
		t.Fatalf("attach with the new key: want exit 0 and Succeeded\n%s", r4)
	}

	noKeyLeak(t, keyFile, map[string]string{
		"fix stdout": r.stdout, "fix stderr": r.stderr, "fix trace": trace("yes.log"),
		"second fix stdout": r2.stdout, "second fix stderr": r2.stderr, "second fix trace": trace("again.log"),
		"attach stdout": r4.stdout, "attach stderr": r4.stderr,
	})
}

// A VM whose agent does not report: the extension ends Failed with
// Azure's VMAgentStatusCommunicationError, fix exits 3 with Azure's
// message, the key made for it is not left behind and the login is as it
// was.
func TestFixInstallKeyWithTheAgentNotReadyExits3(t *testing.T) {
	args, _ := keyDemo(t, func(w *sandbox.World) {
		for i, vm := range w.Subscriptions[0].ResourceGroups[0].VirtualMachines {
			if vm.Name == "dsvm-ubuntu" {
				w.Subscriptions[0].ResourceGroups[0].VirtualMachines[i].VMAgent = "notReady"
			}
		}
	})
	keyFile := demoKeyFile(t, "dsvm-ubuntu")
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes")...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixSSHInstallKey)
	if r.code != 3 || f.Status != flows.FixFailed || !strings.Contains(f.Error, "VMAgentStatusCommunicationError") ||
		!strings.Contains(f.Error, "VM 'dsvm-ubuntu' has not reported status for VM agent or extensions") || !strings.Contains(r.stderr, "VMAgentStatusCommunicationError") {
		t.Fatalf("agent not ready: want exit 3 with Azure's error\n%s", r)
	}
	if probeOf(t, rep.After.Probes, probes.IDSSHAuth).Status != "fail" || rep.Next != "" {
		t.Fatalf("after a failed install the login changed\n%s", r)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("the key of the failed install was left behind")
	}
}

// A caller whose roles do not grant extensions/write: the fix is shown as
// needing it and nothing is sent or made.
func TestFixInstallKeyWithoutThePermissionSendsNothing(t *testing.T) {
	args, _ := keyDemo(t, func(w *sandbox.World) {
		w.Subscriptions[0].ResourceGroups[0].Permissions = &sandbox.Permissions{Actions: []string{"*"}, NotActions: []string{"Microsoft.Compute/virtualMachines/extensions/*"}}
	})
	dir := t.TempDir()
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", filepath.Join(dir, "d.log"))...)...)
	f := fixOutcome(t, fixReport(t, r), flows.FixSSHInstallKey)
	if r.code != 1 || f.Status != flows.FixRefused || !strings.Contains(f.Error, azure.ActionVMExtensionWrite) {
		t.Fatalf("without the permission: want exit 1, ssh.install-key refused naming the action\n%s", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "d.log"))
	must(t, err)
	if strings.Contains(string(b), "/extensions/enablevmaccess?") {
		t.Fatal("a fix the caller's roles do not grant was sent")
	}
	if _, err := os.Stat(demoKeyFile(t, "dsvm-ubuntu")); err == nil {
		t.Fatal("a key was made for a fix that was not sent")
	}
}
