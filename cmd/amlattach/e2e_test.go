package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"amlattach/flows"
	"amlattach/internal/sshtest"
)

const (
	sub   = "00000000-0000-0000-0000-000000000001"
	vmIDf = "/subscriptions/" + sub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/%s"
)

// result is one in-process run of the real command tree.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs amlattach in-process with the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, s, getenv)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func report(t *testing.T, r result) flows.Report {
	t.Helper()
	var rep flows.Report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not one report document: %v\n%s", err, r)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document\n%s", r)
	}
	return rep
}

func statuses(rep flows.Report) map[string]string {
	m := map[string]string{}
	for _, p := range rep.Probes {
		m[p.ID] = p.Status
	}
	return m
}

func wantStatuses(t *testing.T, rep flows.Report, want map[string]string) {
	t.Helper()
	got := statuses(rep)
	for id, w := range want {
		if got[id] != w {
			var detail string
			for _, p := range rep.Probes {
				if p.ID == id {
					detail = p.Detail + " | " + p.Remedy
				}
			}
			t.Errorf("%s: %q, want %q (%s)", id, got[id], w, detail)
		}
	}
}

// fixture is a world whose VMs point at a real sshd.
type fixture struct {
	srv        *sshtest.Server
	dir, world string
	knownHosts string
	pwFile     string // the plain user's password
	secrets    []string
}

const worldTmpl = `subscriptions:
  - id: %[1]s
    name: Test subscription
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: test-ws
            computes:
              - name: old-attach
                type: VirtualMachine
                resourceId: /subscriptions/%[1]s/resourcegroups/ML-RG/providers/microsoft.compute/virtualmachines/ATTACHED-VM
                provisioningState: Succeeded
        virtualMachines:
          - name: debian-vm
            powerState: running
            image: {publisher: Debian, offer: debian-12, sku: 12-gen2}
            publicIP: 20.1.2.3
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, direction: Inbound, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            ssh: {address: "%[2]s"}
          - name: ubuntu-vm
            powerState: running
            image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}
            publicIP: 20.1.2.4
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, direction: Inbound, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            ssh: {address: "%[2]s"}
          - name: attached-vm
            powerState: running
            image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}
            publicIP: 20.1.2.5
            ssh: {address: "%[2]s"}
          - name: private-vm
            powerState: running
            image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}
            nsgRules:
              - {name: DenyAllIn, priority: 100, direction: Inbound, access: Deny, source: "*", protocol: "*", ports: "*"}
          - name: closed-vm
            powerState: running
            image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}
            publicIP: 20.1.2.6
            ssh: {address: "%[3]s"}
          - name: silent-vm
            powerState: running
            image: {publisher: Canonical, offer: 0001-com-ubuntu-server-jammy, sku: 22_04-lts-gen2}
            publicIP: 20.1.2.7
            ssh: {address: "%[4]s"}
faults:
  attachSeconds: 0.5
`

func newFixture(t *testing.T, docker bool) *fixture {
	t.Helper()
	sshtest.Require(t)
	srv := sshtest.Start(t, sshtest.Options{Docker: docker})
	f := &fixture{srv: srv, dir: t.TempDir()}
	f.world = filepath.Join(f.dir, "world.yaml")
	world := fmt.Sprintf(worldTmpl, sub, srv.Addr, sshtest.ClosedPort(t), sshtest.Silent(t))
	must(t, os.WriteFile(f.world, []byte(world), 0o600))
	f.knownHosts = filepath.Join(f.dir, "known_hosts")
	// The VMs' public IPs are what known_hosts records, not the loopback address.
	var kh strings.Builder
	for _, ip := range []string{"20.1.2.3", "20.1.2.4", "20.1.2.5"} {
		kh.WriteString(srv.KnownHostsLine(ip+":22") + "\n")
	}
	must(t, os.WriteFile(f.knownHosts, []byte(kh.String()), 0o600))
	f.pwFile = f.secretFile(t, "pw", srv.Plain.Password)
	for _, u := range []sshtest.User{srv.Plain, srv.Ubuntu} {
		f.secrets = append(f.secrets, u.Password)
		for _, k := range []string{u.KeyFile, u.RSAPEMKeyFile} {
			data, err := os.ReadFile(k)
			must(t, err)
			f.secrets = append(f.secrets, keyBody(string(data)))
		}
	}
	return f
}

func (f *fixture) secretFile(t *testing.T, name, content string) string {
	p := filepath.Join(f.dir, name)
	must(t, os.WriteFile(p, []byte(content+"\n"), 0o600))
	return p
}

// keyBody is a line from the middle of a key file: enough to spot a leak.
func keyBody(pemText string) string {
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	return lines[len(lines)/2]
}

func (f *fixture) args(vm, user string, extra ...string) []string {
	a := []string{"--world", f.world, "--resource-id", fmt.Sprintf(vmIDf, vm), "--username", user, "--known-hosts", f.knownHosts, "--timeout", "3s"}
	return append(a, extra...)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// noSecrets checks whole outputs for any of the fixture's secrets.
func (f *fixture) noSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, s := range f.secrets {
			if s != "" && strings.Contains(o, s) {
				t.Fatalf("a secret reached the output:\n%s", o)
			}
		}
	}
}

func TestProbeVMAgainstRealSSHD(t *testing.T) {
	f := newFixture(t, false)
	var all []string
	record := func(r result) result { all = append(all, r.stdout, r.stderr); return r }

	t.Run("healthy login on a non-Ubuntu host", func(t *testing.T) {
		r := record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("debian-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...))
		rep := report(t, r)
		wantStatuses(t, rep, map[string]string{
			"ws.permission": "pass", "ws.name": "pass", "ws.duplicate": "pass", "arm.resource": "pass", "arm.vm.running": "pass",
			"arm.vm.image": "fail", "arm.vm.public_ip": "pass", "arm.nsg.ssh": "pass", "net.tcp": "pass",
			"ssh.hostkey": "pass", "ssh.auth": "pass", "host.os": "fail",
		})
		if r.code != 1 || rep.OK {
			t.Fatalf("want exit 1 and ok=false\n%s", r)
		}
		if len(rep.Probes) != 15 {
			t.Errorf("want the 15 VM probes, got %d", len(rep.Probes))
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		bad := f.secretFile(t, "badpw", "definitely-not-it-42")
		f.secrets = append(f.secrets, "definitely-not-it-42")
		r := record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("ubuntu-vm", f.srv.Plain.Name, "--password-file", bad)...)...))
		rep := report(t, r)
		wantStatuses(t, rep, map[string]string{"ssh.hostkey": "pass", "ssh.auth": "fail", "host.os": "skip", "host.docker": "skip", "host.gpu": "skip", "host.disk": "skip"})
		if r.code != 1 {
			t.Fatalf("want exit 1\n%s", r)
		}
	})

	t.Run("password from the environment, text output", func(t *testing.T) {
		r := record(runCLI(t, map[string]string{"AMLATTACH_SSH_PASSWORD": f.srv.Plain.Password}, append([]string{"probe", "vm"}, f.args("debian-vm", f.srv.Plain.Name)...)...))
		if !strings.Contains(r.stdout, "✓ pass  SSH login") || !strings.Contains(r.stdout, "✗ FAIL  Host OS is Ubuntu") || !strings.Contains(r.stdout, "fix: ") {
			t.Fatalf("text output lacks probe lines\n%s", r)
		}
	})

	t.Run("already attached under another name", func(t *testing.T) {
		r := record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json", "--name", "second"}, f.args("attached-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...))
		rep := report(t, r)
		wantStatuses(t, rep, map[string]string{"ws.duplicate": "fail", "ws.name": "pass"})
	})

	t.Run("no public IP behind a deny-all NSG", func(t *testing.T) {
		r := record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("private-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...))
		rep := report(t, r)
		wantStatuses(t, rep, map[string]string{"arm.vm.public_ip": "fail", "arm.nsg.ssh": "fail", "net.tcp": "skip", "ssh.hostkey": "skip", "ssh.auth": "skip"})
	})

	t.Run("changed host key", func(t *testing.T) {
		other, err := ssh.NewSignerFromKey(mustEd25519(t))
		must(t, err)
		kh := filepath.Join(t.TempDir(), "known_hosts")
		line := fmt.Sprintf("20.1.2.4 %s", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey()))))
		must(t, os.WriteFile(kh, []byte(line+"\n"), 0o600))
		r := record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, append(f.args("ubuntu-vm", f.srv.Plain.Name, "--password-file", f.pwFile), "--known-hosts", kh, "--accept-new-host-key")...)...))
		rep := report(t, r)
		wantStatuses(t, rep, map[string]string{"ssh.hostkey": "fail", "ssh.auth": "skip"})
		for _, p := range rep.Probes {
			if p.ID == "ssh.hostkey" && (!strings.Contains(p.Detail, "CHANGED") || !strings.Contains(p.Remedy, "ssh-keygen -lf")) {
				t.Errorf("changed key not explained: %+v", p)
			}
		}
	})

	t.Run("new host key: refused, then accepted and recorded", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "sub", "known_hosts")
		base := append(f.args("ubuntu-vm", f.srv.Plain.Name, "--password-file", f.pwFile), "--known-hosts", kh)
		rep := report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, base...)...)))
		wantStatuses(t, rep, map[string]string{"ssh.hostkey": "fail", "ssh.auth": "skip"})
		rep = report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json", "--accept-new-host-key"}, base...)...)))
		wantStatuses(t, rep, map[string]string{"ssh.hostkey": "pass", "ssh.auth": "pass"})
		st, err := os.Stat(kh)
		must(t, err)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("known_hosts mode %v", st.Mode().Perm())
		}
		rep = report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, base...)...)))
		wantStatuses(t, rep, map[string]string{"ssh.hostkey": "pass"})
	})

	t.Run("port where nothing listens", func(t *testing.T) {
		rep := report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("closed-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...)))
		wantStatuses(t, rep, map[string]string{"net.tcp": "fail", "ssh.hostkey": "skip"})
	})

	t.Run("listener that never sends a banner", func(t *testing.T) {
		rep := report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("silent-vm", f.srv.Plain.Name, "--password-file", f.pwFile, "--accept-new-host-key")...)...)))
		wantStatuses(t, rep, map[string]string{"net.tcp": "pass", "ssh.hostkey": "fail", "ssh.auth": "skip"})
	})

	t.Run("key files", func(t *testing.T) {
		rep := report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("debian-vm", f.srv.Plain.Name, "--ssh-key", f.srv.Plain.RSAPEMKeyFile)...)...)))
		wantStatuses(t, rep, map[string]string{"ssh.auth": "pass"})
		rep = report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("debian-vm", f.srv.Plain.Name, "--ssh-key", f.srv.Plain.KeyFile)...)...)))
		wantStatuses(t, rep, map[string]string{"ssh.auth": "warn"}) // logs in; the OpenSSH format is flagged
		rep = report(t, record(runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("debian-vm", f.srv.Plain.Name, "--ssh-key", f.srv.Ubuntu.RSAPEMKeyFile)...)...)))
		wantStatuses(t, rep, map[string]string{"ssh.auth": "fail", "host.os": "skip"})
	})

	t.Run("bad input exits 2 naming the flag", func(t *testing.T) {
		cases := map[string][]string{
			"--resource-id":   {"probe", "vm", "--world", f.world, "--resource-id", "/subscriptions/xyz/resourceGroups/ml-rg", "--username", "u", "--password-file", f.pwFile},
			"--ssh-key":       {"probe", "vm", "--world", f.world, "--resource-id", fmt.Sprintf(vmIDf, "debian-vm"), "--username", "u", "--ssh-key", filepath.Join(f.dir, "missing_key")},
			"--password-file": {"probe", "vm", "--world", f.world, "--resource-id", fmt.Sprintf(vmIDf, "debian-vm"), "--username", "u"},
		}
		for flag, args := range cases {
			r := record(runCLI(t, nil, args...))
			if r.code != 2 || !strings.Contains(r.stderr, flag) || !strings.Contains(r.stderr, "fix:") || r.stdout != "" {
				t.Errorf("%s: want exit 2 naming %s with a fix and nothing on stdout\n%s", flag, flag, r)
			}
		}
	})

	f.noSecrets(t, all...)
}

func TestAttachVMForceYesReachesSucceeded(t *testing.T) {
	f := newFixture(t, false)
	debug := filepath.Join(f.dir, "debug.log")
	r := runCLI(t, nil, append([]string{"attach", "vm", "-o", "json", "--name", "dsvm-attach", "--force", "--yes", "--debug", debug}, f.args("debian-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...)
	rep := report(t, r)
	if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
		t.Fatalf("attach did not reach Succeeded\n%s", r)
	}
	if !strings.Contains(r.stderr, "attach submitted: Creating") || !strings.Contains(r.stderr, "Succeeded") {
		t.Errorf("no progress on stderr\n%s", r)
	}
	if !strings.HasSuffix(rep.Compute.ID, "/workspaces/test-ws/computes/dsvm-attach") {
		t.Errorf("compute id %q", rep.Compute.ID)
	}
	dbg, err := os.ReadFile(debug)
	must(t, err)
	st, err := os.Stat(debug)
	must(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("debug file mode %v", st.Mode().Perm())
	}
	if !strings.Contains(string(dbg), "computes/dsvm-attach") {
		t.Errorf("debug trace lacks the requests:\n%s", dbg)
	}
	f.noSecrets(t, r.stdout, r.stderr, string(dbg))
}

func TestAttachRefusesWithoutConfirmationOrOnFailure(t *testing.T) {
	f := newFixture(t, false)
	// noPUT checks the --debug trace: no PUT reached the (sandbox) Resource Manager.
	noPUT := func(t *testing.T, trace string) {
		t.Helper()
		data, err := os.ReadFile(trace)
		must(t, err)
		if !strings.Contains(string(data), "GET https://127.0.0.1") {
			t.Fatalf("the trace shows no requests at all:\n%s", data)
		}
		if strings.Contains(string(data), "PUT https://") {
			t.Fatalf("an attach was sent:\n%s", data)
		}
	}
	// A failing probe blocks the attach: exit 1, nothing sent.
	trace := filepath.Join(f.dir, "blocked.log")
	r := runCLI(t, nil, append([]string{"attach", "vm", "--name", "blocked", "--yes", "--debug", trace}, f.args("debian-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...)
	if r.code != 1 {
		t.Fatalf("want exit 1\n%s", r)
	}
	noPUT(t, trace)
	// No terminal and no --yes: exit 2, nothing sent.
	trace = filepath.Join(f.dir, "unconfirmed.log")
	r = runCLI(t, nil, append([]string{"attach", "vm", "--name", "unconfirmed", "--force", "--debug", trace}, f.args("debian-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("want exit 2 asking for --yes\n%s", r)
	}
	noPUT(t, trace)
	// An existing name is never overwritten, even with --force.
	trace = filepath.Join(f.dir, "existing.log")
	r = runCLI(t, nil, append([]string{"attach", "vm", "-o", "json", "--name", "old-attach", "--force", "--yes", "--debug", trace}, f.args("debian-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...)
	rep := report(t, r)
	if r.code != 1 || rep.Compute != nil {
		t.Fatalf("existing name overwritten?\n%s", r)
	}
	noPUT(t, trace)
}

func TestAttachFailedShowsProvisioningErrorsAndExits3(t *testing.T) {
	f := newFixture(t, false)
	// private-vm has no public IP: the sandbox, like Azure ML, cannot reach it.
	r := runCLI(t, nil, append([]string{"attach", "vm", "-o", "json", "--name", "unreachable", "--force", "--yes"}, f.args("private-vm", f.srv.Plain.Name, "--password-file", f.pwFile)...)...)
	rep := report(t, r)
	if r.code != 3 || rep.Compute == nil || rep.Compute.ProvisioningState != "Failed" {
		t.Fatalf("want exit 3 and a Failed compute\n%s", r)
	}
	if len(rep.Compute.ProvisioningErrors) == 0 || !strings.Contains(rep.Compute.ProvisioningErrors[0].Message, "Connection failed to establish within 30000 milliseconds") {
		t.Fatalf("provisioning error not kept word for word\n%s", r)
	}
	if !strings.Contains(r.stderr, "public IP") {
		t.Errorf("no likely cause given\n%s", r)
	}
	f.noSecrets(t, r.stdout, r.stderr)
}

func TestHostProbesAgainstRealDocker(t *testing.T) {
	f := newFixture(t, true)
	cases := []struct {
		user   sshtest.User
		docker string
		detail string
	}{
		// dockerd answers this user directly; the chroot has no sudo, which Azure ML needs.
		{f.srv.Ubuntu, "warn", "Docker " + f.srv.DockerVersion + " works for"},
		{f.srv.NoDaemon, "fail", "daemon is not running"},
		{f.srv.NoDocker, "fail", "not installed"},
	}
	for _, c := range cases {
		t.Run(c.user.Name, func(t *testing.T) {
			pw := f.secretFile(t, c.user.Name+".pw", c.user.Password)
			f.secrets = append(f.secrets, c.user.Password)
			r := runCLI(t, nil, append([]string{"probe", "vm", "-o", "json"}, f.args("ubuntu-vm", c.user.Name, "--password-file", pw)...)...)
			rep := report(t, r)
			wantStatuses(t, rep, map[string]string{"ssh.auth": "pass", "host.os": "pass", "host.docker": c.docker, "host.gpu": "skip", "host.disk": "pass"})
			for _, p := range rep.Probes {
				if p.ID == "host.docker" && !strings.Contains(p.Detail, c.detail) {
					t.Errorf("host.docker detail %q lacks %q", p.Detail, c.detail)
				}
				if p.ID == "host.os" && !strings.Contains(p.Detail, "Ubuntu 22.04") {
					t.Errorf("host.os detail %q", p.Detail)
				}
			}
			f.noSecrets(t, r.stdout, r.stderr)
		})
	}
}

func TestAgentAndEncryptedKeys(t *testing.T) {
	f := newFixture(t, false)
	// An in-process ssh-agent holding the plain user's key, on a unix socket.
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	must(t, err)
	t.Cleanup(func() { l.Close() })
	keyring := agent.NewKeyring()
	raw, err := os.ReadFile(f.srv.Plain.KeyFile)
	must(t, err)
	priv, err := ssh.ParseRawPrivateKey(raw)
	must(t, err)
	must(t, keyring.Add(agent.AddedKey{PrivateKey: priv}))
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go agent.ServeAgent(keyring, c)
		}
	}()
	env := map[string]string{"SSH_AUTH_SOCK": sock}
	base := []string{"--world", f.world, "--resource-id", fmt.Sprintf(vmIDf, "debian-vm"), "--username", f.srv.Plain.Name, "--known-hosts", f.knownHosts, "--timeout", "3s"}

	r := runCLI(t, env, append([]string{"probe", "vm", "-o", "json"}, base...)...)
	rep := report(t, r)
	wantStatuses(t, rep, map[string]string{"ssh.auth": "pass"})
	if !strings.Contains(r.stdout, "ssh-agent") {
		t.Errorf("ssh.auth does not say it used the agent\n%s", r)
	}
	// The agent cannot be sent to Azure ML: attach needs a password or a key file.
	r = runCLI(t, env, append([]string{"attach", "vm", "--yes"}, base...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "--ssh-key") {
		t.Fatalf("attach with only the agent: want exit 2 naming --ssh-key\n%s", r)
	}

	// An encrypted key: probe works with its passphrase file; attach refuses
	// (Azure ML stores the key and has no passphrase field).
	signerKey, err := ssh.ParseRawPrivateKey(raw)
	must(t, err)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(signerKey, "enc", []byte("Pass-Phrase-77"))
	must(t, err)
	encFile := filepath.Join(t.TempDir(), "id_enc")
	must(t, os.WriteFile(encFile, pem.EncodeToMemory(block), 0o600))
	ppFile := f.secretFile(t, "passphrase", "Pass-Phrase-77")
	f.secrets = append(f.secrets, "Pass-Phrase-77")
	r = runCLI(t, nil, append([]string{"probe", "vm", "-o", "json", "--ssh-key", encFile, "--ssh-key-passphrase-file", ppFile}, base...)...)
	wantStatuses(t, report(t, r), map[string]string{"ssh.auth": "warn"})
	r2 := runCLI(t, nil, append([]string{"probe", "vm", "--ssh-key", encFile}, base...)...)
	if r2.code != 2 || !strings.Contains(r2.stderr, "--ssh-key-passphrase-file") || !strings.Contains(r2.stderr, "encrypted") {
		t.Fatalf("encrypted key without passphrase: want exit 2 naming the passphrase flag\n%s", r2)
	}
	r3 := runCLI(t, nil, append([]string{"attach", "vm", "--yes", "--ssh-key", encFile, "--ssh-key-passphrase-file", ppFile}, base...)...)
	if r3.code != 2 || !strings.Contains(r3.stderr, "encrypted") {
		t.Fatalf("attach with an encrypted key: want exit 2\n%s", r3)
	}
	pubFile := filepath.Join(t.TempDir(), "id.pub")
	must(t, os.WriteFile(pubFile, ssh.MarshalAuthorizedKey(f.srv.Plain.Signer.PublicKey()), 0o600))
	r4 := runCLI(t, nil, append([]string{"probe", "vm", "--ssh-key", pubFile}, base...)...)
	if r4.code != 2 || !strings.Contains(r4.stderr, "public key") {
		t.Fatalf("public key given as private: want exit 2\n%s", r4)
	}
	f.noSecrets(t, r.stdout, r.stderr, r2.stdout, r2.stderr, r3.stdout, r3.stderr, r4.stderr)
}
