package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/internal/sshtest"
)

// doctorWorld: attachments of VMs whose SSH side is a real sshd. "rotated"
// stores a password the host no longer accepts (as after a rotation);
// dupe-a and dupe-b attach the same VM, the second ID in other casing.
const doctorWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: test-ws
            computes:
              - name: good-attach
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm-a
                properties: {address: 20.1.3.1, sshPort: 22, administratorAccount: {username: %[3]s, password: "%[4]s"}}
              - name: rotated
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm-b
                properties: {address: 20.1.3.2, sshPort: 22, administratorAccount: {username: %[3]s, password: "%[5]s"}}
              - name: dupe-a
                createdOn: "2024-01-02T03:04:05Z"
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm-c
                properties: {administratorAccount: {username: %[3]s, password: "%[4]s"}}
              - name: dupe-b
                createdOn: "2025-01-02T03:04:05Z"
                resourceId: /subscriptions/%[1]s/resourcegroups/ML-RG/providers/microsoft.compute/virtualMachines/VM-C
                properties: {administratorAccount: {username: %[3]s, password: "%[4]s"}}
              - name: failed-attach
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm-d
                provisioningState: Failed
                provisioningErrors:
                  - {code: InternalServerError, message: "Connection failed to establish within 30000 milliseconds."}
                properties: {administratorAccount: {username: %[3]s, password: "%[4]s"}}
        virtualMachines:
          - {name: vm-a, publicIP: 20.1.3.1, image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}, nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}], ssh: {address: "%[2]s"}}
          - {name: vm-b, publicIP: 20.1.3.2, image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}, nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}], ssh: {address: "%[2]s"}}
          - {name: vm-c, publicIP: 20.1.3.3, image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}, nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}], ssh: {address: "%[2]s"}}
          - {name: vm-d, image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}}
faults:
  attachSeconds: 0.3
  detachSeconds: 0.2
`

func TestDoctorDetachAndReplaceAgainstARealSSHD(t *testing.T) {
	sshtest.Require(t)
	srv := sshtest.Start(t, sshtest.Options{Docker: true}) // the VM probes include Docker
	dir := t.TempDir()
	const oldPassword = "Rotated-Away-Pw-1"
	user := srv.Ubuntu
	world := filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(world, []byte(fmt.Sprintf(doctorWorld, sub, srv.Addr, user.Name, user.Password, oldPassword)), 0o600))
	kh := filepath.Join(dir, "known_hosts")
	var lines strings.Builder
	for _, ip := range []string{"20.1.3.1", "20.1.3.2", "20.1.3.3"} {
		lines.WriteString(srv.KnownHostsLine(ip+":22") + "\n")
	}
	must(t, os.WriteFile(kh, []byte(lines.String()), 0o600))

	// One simulated Azure for every command of the test, as a real
	// workspace would be.
	w, err := sandbox.LoadWorldFile(world)
	must(t, err)
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })

	secrets := []string{user.Password, oldPassword}
	var outputs []string
	cli := func(args ...string) result {
		args = append(args, "--world", world, "--timeout", "5s")
		if args[0] == "doctor" || args[0] == "attach" {
			args = append(args, "--known-hosts", kh)
		}
		r := runCLI(t, nil, args...)
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}
	doctor := func(name string, extra ...string) (result, flows.DoctorJSON) {
		r := cli(append([]string{"doctor", name, "-o", "json"}, extra...)...)
		var d flows.DoctorJSON
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("doctor %s: stdout is not a document: %v\n%s", name, err, r)
		}
		return r, d
	}
	status := func(d flows.DoctorJSON, id string) string {
		for _, p := range d.Probes {
			if p.ID == id {
				return p.Status
			}
		}
		return ""
	}

	// The stored password logs in.
	r, d := doctor("good-attach")
	if r.code != 0 || !d.OK || status(d, "ssh.auth") != "pass" || d.SecretsFrom != "listKeys" {
		t.Fatalf("good-attach: want a healthy compute logged in with the stored password\n%s", r)
	}
	// A rotated password: the login fails, and the remedy is the reattach.
	r, d = doctor("rotated")
	if r.code != 1 || d.OK || status(d, "ssh.auth") != "fail" || !strings.Contains(d.Remedy, "attach vm --name rotated") {
		t.Fatalf("rotated: want ssh.auth to fail with the reattach remedy\n%s", r)
	}
	// The same VM attached twice, the second ID in other casing.
	r, d = doctor("dupe-b")
	if status(d, "ws.duplicate") != "fail" || len(d.Conflicts) != 1 || d.Conflicts[0] != "dupe-a" {
		t.Fatalf("dupe-b: want the conflict with dupe-a\n%s", r)
	}
	lr := cli("list")
	if !strings.Contains(lr.stdout, "dupe-a, dupe-b are attachments of the same resource") {
		t.Fatalf("list does not flag the conflict\n%s", lr)
	}
	// A stored provisioning error, word for word, with its likely cause; and the report.
	report := filepath.Join(dir, "report.md")
	r = cli("doctor", "failed-attach", "--report", report)
	if !strings.Contains(r.stdout, "Connection failed to establish within 30000 milliseconds.") || !strings.Contains(r.stdout, "AzureMachineLearning") {
		t.Fatalf("failed-attach: want the stored error word for word and its cause\n%s", r)
	}
	st, err := os.Stat(report)
	must(t, err)
	data, err := os.ReadFile(report)
	must(t, err)
	if st.Mode().Perm() != 0o600 || !strings.Contains(string(data), "Connection failed to establish within 30000 milliseconds.") || !strings.Contains(string(data), "| `arm.vm.public_ip`") {
		t.Fatalf("report: mode %v\n%s", st.Mode().Perm(), data)
	}
	outputs = append(outputs, string(data))

	// Detach refuses a name that does not exist (exit 3, naming it), and works.
	r = cli("detach", "no-such-compute", "--yes")
	if r.code != 3 || !strings.Contains(r.stderr, `"no-such-compute"`) {
		t.Fatalf("detach of a missing compute: want exit 3 naming it\n%s", r)
	}
	r = cli("detach", "dupe-a", "--yes")
	if r.code != 0 {
		t.Fatalf("detach dupe-a\n%s", r)
	}
	if r, d = doctor("dupe-b"); status(d, "ws.duplicate") != "pass" {
		t.Fatalf("after the detach, dupe-b has no conflict\n%s", r)
	}

	// Reattach with a wrong password: the preflight fails and nothing is detached.
	bad := filepath.Join(dir, "bad")
	must(t, os.WriteFile(bad, []byte("still-wrong\n"), 0o600))
	vmB := "/subscriptions/" + sub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm-b"
	r = cli("attach", "vm", "--name", "rotated", "--replace", "--yes", "--resource-id", vmB, "--username", user.Name, "--password-file", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "not detached") {
		t.Fatalf("replace with a bad password: want exit 1, nothing detached\n%s", r)
	}
	// Reattach with the new password fixes it.
	good := filepath.Join(dir, "good")
	must(t, os.WriteFile(good, []byte(user.Password+"\n"), 0o600))
	r = cli("attach", "vm", "--name", "rotated", "--replace", "--yes", "--resource-id", vmB, "--username", user.Name, "--password-file", good)
	if r.code != 0 || !strings.Contains(r.stderr, "detach:") {
		t.Fatalf("replace with the new password\n%s", r)
	}
	if r, d = doctor("rotated"); r.code != 0 || status(d, "ssh.auth") != "pass" {
		t.Fatalf("after the reattach the stored password works\n%s", r)
	}

	for _, o := range outputs {
		for _, s := range secrets {
			if strings.Contains(o, s) {
				t.Fatalf("a password reached the output or the report:\n%s", o)
			}
		}
	}
}
