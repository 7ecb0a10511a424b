package flows

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// slowKeyWorld is keyWorld's VM with a password login and an extension that
// takes agentSeconds to act; agent is the VM agent's state.
const slowKeyWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: rg
        location: eastus
        workspaces: [{name: ws}]
        virtualMachines:
          - name: vmk
            publicIP: 20.7.1.1
            vmAgent: %s
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Right-Passw0rd!"}}}}
faults: {vmExtensionSeconds: %g}
`

// keyFixOn starts the world and returns the deps, a VM plan logging in with
// a wrong password, and the key file ssh.install-key uses for it (in a
// config folder of the test's own).
func keyFixOn(t *testing.T, agent string, agentSeconds float64) (Deps, *Plan, string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(slowKeyWorld, agent, agentSeconds)), "key.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Dial: srv.Dial, Timeout: 5 * time.Second}
	vp, err := ValidateVM(VMInput{ResourceID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vmk",
		Username: "azureuser", Password: "Wrong-Passw0rd!", KnownHosts: filepath.Join(t.TempDir(), "kh"), AcceptNew: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	p := vp.Target()
	path, err := KeyFileFor(p.ID, "azureuser")
	if err != nil {
		t.Fatal(err)
	}
	return d, p, path
}

// Interrupted (Ctrl-C) after Azure accepted the extension PUT: the agent
// may still add the public key, so the private key is kept, and the fix
// ends failed with the key file and a pending authorized_keys entry among
// its changes; the plan's login is as it was.
func TestInstallKeyInterruptedAfterTheRequestKeepsTheKey(t *testing.T) {
	d, p, path := keyFixOn(t, "ready", 30)
	f := sshKeyFix(context.Background(), d, p)
	if f == nil || !f.Offered() {
		t.Fatalf("want ssh.install-key offered, got %+v", f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	oc := ApplyFix(ctx, d, *f, func(e Event) {
		if e.Kind == FixProgress && e.Phase == "submitted" {
			go func() { time.Sleep(100 * time.Millisecond); cancel() }()
		}
	})
	if oc.Status != FixFailed || !strings.Contains(oc.Error, "is kept") {
		t.Fatalf("want failed, saying the key is kept: %+v", oc)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the key whose install Azure accepted was deleted: %v", err)
	}
	if _, err := os.Stat(path + ".pub"); err != nil {
		t.Fatalf("its public half was deleted: %v", err)
	}
	got := fmt.Sprint(oc.Changed)
	if len(oc.Changed) != 2 || !strings.Contains(got, "key file "+path) || !strings.Contains(got, "pending, not confirmed") {
		t.Fatalf("want the key file and the pending key among the changes: %s", got)
	}
	if p.NewKeyFile() != "" {
		t.Fatal("the plan switched to a key whose install is not confirmed")
	}
}

// Azure ends the install Failed (the agent does not report): the key made
// for it goes, but a .pub that was there before, not this run's, stays.
func TestInstallKeyFailedLeavesAPubItDidNotWrite(t *testing.T) {
	d, p, path := keyFixOn(t, "notReady", 0.05)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	theirs := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl someone@else\n"
	if err := os.WriteFile(path+".pub", []byte(theirs), 0o644); err != nil {
		t.Fatal(err)
	}
	f := sshKeyFix(context.Background(), d, p)
	oc := ApplyFix(context.Background(), d, *f, nil)
	if oc.Status != FixFailed || len(oc.Changed) != 0 {
		t.Fatalf("want failed with nothing changed: %+v", oc)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the key of the failed install was left behind: %v", err)
	}
	if b, err := os.ReadFile(path + ".pub"); err != nil || string(b) != theirs {
		t.Fatalf("a .pub this run did not write was removed or changed: %q %v", b, err)
	}
}

// A key file from an earlier run that group or others may read is not
// used: the fix is shown, not offered, ApplyFixes ends as bad input (exit
// 2) with nothing sent, and the file is left as it was.
func TestInstallKeyRefusesAKeyFileOthersMayRead(t *testing.T) {
	d, p, path := keyFixOn(t, "ready", 0.05)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ensureKey(path, "amlattach-vmk"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f := sshKeyFix(context.Background(), d, p)
	if f == nil || f.Offered() || !strings.Contains(f.Needs, "mode 0644") || !strings.Contains(f.Needs, "chmod 600") {
		t.Fatalf("want the fix shown, not offered, naming the mode: %+v", f)
	}
	ws := azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "rg", Name: "ws", Location: "eastus"}
	rep, err := ApplyFixes(context.Background(), d, ws, p, FixOptions{}, nil)
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindInput {
		t.Fatalf("want bad input, got %v", err)
	}
	for _, oc := range rep.Fixes {
		if oc.ID == FixSSHInstallKey && oc.Status != FixRefused {
			t.Fatalf("want it not sent: %+v", oc)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("the key file was changed: %v %v", fi, err)
	}
	// Applied anyway (as built before the mode changed): refused on read.
	if _, _, err := ensureKey(path, "amlattach-vmk"); err == nil || !strings.Contains(err.Error(), "mode 0644") {
		t.Fatalf("ensureKey took a key others may read: %v", err)
	}
}

// dockerKeepWorld is a VM whose Docker daemon is stopped, in a group where
// Run Commands may be written but not deleted: each run leaves its Run
// Command behind.
const dockerKeepWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: keep
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Compute/virtualMachines/runCommands/delete"]}
        virtualMachines:
          - name: kept
            publicIP: 20.9.0.3
            ssh: {sim: {os: ubuntu 20.04, docker: 24.0.7, users: {azureuser: {password: pw}}}}
`

// host.docker-setup after an earlier run left its Run Command on the VM
// (the delete was refused): a PUT of the same body would not run again
// (the sandbox, as Azure, runs nothing for identical settings), so each
// fix's script carries a run ID of its own, shown in the script, and the
// second fix really starts the daemon again. The same fix applied twice
// over its own leftover says it cannot run it rather than report the
// earlier run's output.
func TestDockerSetupRunsAgainOverItsLeftover(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(dockerKeepWorld), "keep.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/keep/providers/Microsoft.Compute/virtualMachines/kept")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	daemon := func(name string) string {
		t.Helper()
		res, err := d.Azure.RunScript(ctx, id, "eastus", name, "systemctl is-active docker || true", time.Minute, "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(res.Output)
	}
	stop := func(name string) {
		t.Helper()
		if _, err := d.Azure.RunScript(ctx, id, "eastus", name, "systemctl stop docker", time.Minute, "test", nil); err != nil {
			t.Fatal(err)
		}
	}

	f1 := dockerSetupFix(id, "azureuser")
	if !strings.Contains(f1.Script, "\n# run ") {
		t.Fatalf("the script shown does not carry its run ID:\n%s", f1.Script)
	}
	st, ch, err := f1.apply(ctx, d, nil)
	if err != nil || st != FixApplied || !strings.Contains(fmt.Sprint(ch), "left on the VM") {
		t.Fatalf("first fix: want applied with the Run Command left over: %s %+v %v", st, ch, err)
	}
	if got := daemon("check-1"); got != "active" {
		t.Fatalf("after the first fix the daemon is %q", got)
	}
	stop("stop-1")
	if got := daemon("check-2"); got == "active" {
		t.Fatal("the daemon did not stop")
	}

	f2 := dockerSetupFix(id, "azureuser")
	if f2.Script == f1.Script {
		t.Fatal("two fixes carry the same script: Azure may not run the second")
	}
	st, ch, err = f2.apply(ctx, d, nil)
	if err != nil || st != FixApplied || !strings.Contains(fmt.Sprint(ch), "service docker") {
		t.Fatalf("second fix: want the daemon started again: %s %+v %v", st, ch, err)
	}
	if got := daemon("check-3"); got != "active" {
		t.Fatalf("after the second fix the daemon is %q: its script did not run", got)
	}

	stop("stop-2")
	st, _, err = f2.apply(ctx, d, nil)
	if st != FixFailed || err == nil || !strings.Contains(err.Error(), "would not run again") {
		t.Fatalf("the same fix over its own leftover: want it failed, saying why: %s %v", st, err)
	}
}
