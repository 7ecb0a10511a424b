package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests use the sandbox's simulated SSH hosts, so they run anywhere:
// no root, no sshd.

const demoVM = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/"

func demoArgs(t *testing.T, vm string, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	a := []string{"--world", "demo", "--resource-id", demoVM + vm, "--username", "azureuser", "--password-file", pw,
		"--known-hosts", filepath.Join(dir, "known_hosts"), "--accept-new-host-key", "--timeout", "5s"}
	return append(a, extra...)
}

func TestDemoWorldProbes(t *testing.T) {
	cases := map[string]map[string]string{
		"dsvm-ubuntu": {"arm.vm.image": "pass", "ssh.auth": "pass", "host.os": "pass", "host.docker": "pass"},
		"centos-vm":   {"arm.vm.image": "fail", "host.os": "fail"},
		"private-vm":  {"arm.vm.public_ip": "fail", "arm.nsg.ssh": "fail", "net.tcp": "skip", "ws.duplicate": "fail"},
		"stopped-vm":  {"arm.vm.running": "fail", "net.tcp": "skip"},
		"dsvm-legacy": {"ws.duplicate": "fail"},
	}
	for vm, want := range cases {
		t.Run(vm, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, demoArgs(t, vm)...)...)
			rep := report(t, r)
			wantStatuses(t, rep, want)
			if strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") {
				t.Fatal("the password reached the output")
			}
		})
	}
}

func TestInterruptMidAttachExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &syncWriter{w: &errb, onWrite: func(p string) {
		if strings.Contains(p, "attach submitted") {
			cancel() // Ctrl-C as soon as Azure has the request
		}
	}}}
	code := run(ctx, append([]string{"attach", "vm", "--name", "interrupted", "--yes"}, demoArgs(t, "dsvm-ubuntu")...), s, func(string) string { return "" })
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "goes on in Azure") || !strings.Contains(errb.String(), "amlattach list") {
		t.Fatalf("no word on what happens to the attach:\n%s", errb.String())
	}
}

type syncWriter struct {
	w       *bytes.Buffer
	onWrite func(string)
}

func (s *syncWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.onWrite(string(p))
	return n, err
}

func TestUsageErrorsExit2(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown flag":          {"probe", "vm", "--no-such-flag"},
		"unknown output":        append([]string{"probe", "vm", "-o", "yaml"}, demoArgs(t, "dsvm-ubuntu")...),
		"type not available":    {"attach", "hdinsight"},
		"bad name":              append([]string{"probe", "vm", "--name", "9lives"}, demoArgs(t, "dsvm-ubuntu")...),
		"password and key":      append([]string{"probe", "vm", "--ssh-key", "/dev/null"}, demoArgs(t, "dsvm-ubuntu")...),
		"world file with typo":  {"list", "--world", "testdata/typo-world.yaml"},
		"detach without a name": {"detach", "--world", "demo"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, "error:") {
				t.Fatalf("want exit 2 with an error line\n%s", r)
			}
		})
	}
	r := runCLI(t, nil, "list", "--world", "testdata/typo-world.yaml")
	if !strings.Contains(r.stderr, "typo-world.yaml:") || !strings.Contains(r.stderr, "publicIp") {
		t.Errorf("world error does not name file, line and key:\n%s", r)
	}
}

func TestDetachAndList(t *testing.T) {
	r := runCLI(t, nil, "detach", "no-such", "--yes", "--world", "demo")
	if r.code != 3 || !strings.Contains(r.stderr, `"no-such"`) {
		t.Fatalf("detach of a missing compute: want exit 3 naming it\n%s", r)
	}
	r = runCLI(t, nil, "detach", "old-dsvm", "--yes", "--world", "demo", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"detached":true`) {
		t.Fatalf("detach\n%s", r)
	}
	r = runCLI(t, nil, "list", "--world", "demo", "-o", "json")
	if r.code != 0 || !strings.HasPrefix(strings.TrimSpace(r.stdout), "[") || !strings.Contains(r.stdout, `"provisioningErrors"`) {
		t.Fatalf("list -o json\n%s", r)
	}
	if strings.Contains(r.stdout, "Passw0rd") {
		t.Fatal("list shows a stored secret")
	}
}

// TestREADMECommandWorks runs the README's first command with the built binary.
func TestREADMECommandWorks(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) < 2 || !strings.HasPrefix(string(blocks[0][1]), "go run ./cmd/amlattach demo") {
		t.Fatal("README must start with `go run ./cmd/amlattach demo`, then a headless block")
	}
	var cmdline string
	for _, l := range strings.Split(strings.ReplaceAll(string(blocks[1][1]), "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "go run ./cmd/amlattach probe") {
			cmdline = strings.TrimSpace(l)
			break
		}
	}
	if cmdline == "" {
		t.Fatal("README's second block has no go run ./cmd/amlattach probe command")
	}
	bin := filepath.Join(t.TempDir(), "amlattach")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	args := strings.Fields(strings.TrimPrefix(cmdline, "go run ./cmd/amlattach"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	c.Dir = "../.."
	home := t.TempDir()
	c.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, out)
	}
	if !strings.Contains(string(out), "Ready to attach") {
		t.Fatalf("README command did not end ready:\n%s", out)
	}
}

func TestACIIsNeverAttachedButItsProviderIsChecked(t *testing.T) {
	r := runCLI(t, nil, "probe", "aci", "--world", "demo", "-o", "json")
	rep := report(t, r)
	wantStatuses(t, rep, map[string]string{"aci.provider": "fail"})
	if r.code != 1 || !strings.Contains(rep.Probes[0].Remedy, "az provider register --namespace Microsoft.ContainerInstance") {
		t.Fatalf("unregistered provider: want exit 1 with the register command\n%s", r)
	}
	r = runCLI(t, nil, "probe", "aci", "--world", "../../examples/world.yaml", "-o", "json")
	wantStatuses(t, report(t, r), map[string]string{"aci.provider": "pass"})
	r = runCLI(t, nil, "attach", "aci")
	if r.code != 2 || !strings.Contains(r.stderr, "never attached") {
		t.Fatalf("attach aci: want exit 2 explaining\n%s", r)
	}
}
