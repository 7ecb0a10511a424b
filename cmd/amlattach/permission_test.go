package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/flows"
	"amlattach/probes"
)

// A world with one clean VM on a simulated host and one attachment of it;
// %[2]s is the resource group's permissions line (or nothing).
const permissionWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        %[2]s
        workspaces:
          - name: perm-ws
            computes:
              - name: old-vm
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm1
                properties: {address: 20.9.0.1, sshPort: 22, administratorAccount: {username: azureuser, password: "Perm-Stored-Pw-1"}}
        virtualMachines:
          - name: vm1
            publicIP: 20.9.0.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Perm-Stored-Pw-1"}}}}
          - name: vm2
            publicIP: 20.9.0.2
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Perm-Stored-Pw-1"}}}}
faults: {attachSeconds: 0.1}
`

// permissionRun writes the world with perms and returns the flags that
// point a command at it, and the folder it is in.
func permissionRun(t *testing.T, perms string) ([]string, string) {
	t.Helper()
	dir := t.TempDir()
	world := filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(world, []byte(fmt.Sprintf(permissionWorld, sub, perms)), 0o600))
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Perm-Stored-Pw-1\n"), 0o600))
	return []string{"--world", world, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key", "--timeout", "5s"}, dir
}

func probeOf(t *testing.T, ps []flows.ProbeJSON, id string) flows.ProbeJSON {
	t.Helper()
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no %s among %+v", id, ps)
	return flows.ProbeJSON{}
}

// A caller without computes/write fails ws.permission, through the real SDK
// against the sandbox: probe and attach exit 1 and no PUT is sent; in the
// same world without the restriction the probe passes and the attach goes.
func TestPermissionProbeBlocksAttachWithoutComputeWrite(t *testing.T) {
	vmArgs := func(dir string) []string {
		return []string{"--name", "new-vm", "--resource-id", "/subscriptions/" + sub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm2",
			"--username", "azureuser", "--password-file", filepath.Join(dir, "pw")}
	}
	base, dir := permissionRun(t, `permissions: {actions: ["*"], notActions: ["Microsoft.MachineLearningServices/workspaces/computes/write"]}`)

	r := runCLI(t, nil, append(append([]string{"probe", "vm", "-o", "json"}, vmArgs(dir)...), base...)...)
	rep := report(t, r)
	if r.code != 1 || rep.OK || rep.Probes[0].ID != probes.IDWsPermission {
		t.Fatalf("want exit 1 with ws.permission first\n%s", r)
	}
	p := probeOf(t, rep.Probes, probes.IDWsPermission)
	if p.Status != "fail" || !strings.Contains(p.Detail, probes.ActionComputeWrite) || !strings.Contains(p.Remedy, "AzureML Compute Operator") {
		t.Fatalf("ws.permission: %+v", p)
	}

	trace := filepath.Join(dir, "attach.log")
	r = runCLI(t, nil, append(append([]string{"attach", "vm", "--yes", "--debug", trace}, vmArgs(dir)...), base...)...)
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, probes.ActionComputeWrite) {
		t.Fatalf("attach: want exit 1 naming the action\n%s", r)
	}
	data, err := os.ReadFile(trace)
	must(t, err)
	if !strings.Contains(string(data), "/providers/Microsoft.Authorization/permissions") {
		t.Fatalf("the trace shows no permissions request:\n%s", data)
	}
	if strings.Contains(string(data), "PUT https://") {
		t.Fatalf("an attach was sent without computes/write:\n%s", data)
	}

	base, dir = permissionRun(t, "")
	r = runCLI(t, nil, append(append([]string{"probe", "vm", "-o", "json"}, vmArgs(dir)...), base...)...)
	rep = report(t, r)
	if r.code != 0 || !rep.OK || probeOf(t, rep.Probes, probes.IDWsPermission).Status != "pass" {
		t.Fatalf("default world: want every probe to pass\n%s", r)
	}
	r = runCLI(t, nil, append(append([]string{"attach", "vm", "--yes"}, vmArgs(dir)...), base...)...)
	if r.code != 0 {
		t.Fatalf("default world: want the attach to go through\n%s", r)
	}
}

// Doctor needs listKeys only when it reads the stored secrets: without the
// permission the sandbox refuses the listKeys (403 AuthorizationFailed, as
// Azure does), doctor names the action and asks for the credentials (exit
// 2); given a password, listKeys is neither sent nor checked.
func TestPermissionProbeDoctorChecksListKeys(t *testing.T) {
	base, dir := permissionRun(t, `permissions: {actions: ["*"], notActions: ["*/listKeys/action"]}`)
	r := runCLI(t, nil, append([]string{"doctor", "old-vm", "-o", "json"}, base...)...)
	var doc flows.DoctorJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r)
	}
	if r.code != 2 || !strings.Contains(doc.KeysProblem, "AuthorizationFailed") || !strings.Contains(doc.KeysProblem, probes.ActionComputeListKeys) ||
		strings.Contains(r.stdout+r.stderr, "Perm-Stored-Pw-1") {
		t.Fatalf("doctor reading the stored secrets without listKeys: want the refusal named and exit 2\n%s", r)
	}
	r = runCLI(t, nil, append([]string{"doctor", "old-vm", "-o", "json", "--password-file", filepath.Join(dir, "pw")}, base...)...)
	doc = flows.DoctorJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r)
	}
	if p := probeOf(t, doc.Probes, probes.IDWsPermission); r.code != 0 || p.Status != "pass" || strings.Contains(p.Detail, "listKeys") {
		t.Fatalf("doctor with a password given: listKeys is not needed\n%+v\n%s", p, r)
	}
}

// The example world of a Reader: the documented command fails ws.permission.
func TestPermissionExampleWorld(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, "probe", "vm", "-o", "json", "--world", "../../examples/read-only-world.yaml", "--name", "my-dsvm",
		"--resource-name", "my-dsvm", "--username", "azureuser", "--password-file", "../../examples/my-dsvm.password",
		"--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key")
	rep := report(t, r)
	if p := probeOf(t, rep.Probes, probes.IDWsPermission); r.code != 1 || p.Status != "fail" || !strings.Contains(p.Detail, "training-ws") {
		t.Fatalf("want ws.permission to fail in the Reader's world\n%+v\n%s", p, r)
	}
	if probeOf(t, rep.Probes, probes.IDSSHAuth).Status != "pass" {
		t.Fatalf("the rest of the preflight should pass: only the permission is missing\n%s", r)
	}
}

// Forced past a failed ws.permission, the attach is sent, and the sandbox
// refuses it as Azure does (403 AuthorizationFailed naming the action, exit
// 3); the workspace holds no new compute. Detaching and reading the stored
// secrets are refused the same way where the roles deny them.
func TestForcedAttachWithoutComputeWriteIsRefusedByAzure(t *testing.T) {
	base, dir := permissionRun(t, `permissions: {actions: ["*"], notActions: ["Microsoft.MachineLearningServices/workspaces/computes/write", "Microsoft.MachineLearningServices/workspaces/computes/delete"]}`)
	trace := filepath.Join(dir, "attach.log")
	r := runCLI(t, nil, append([]string{"attach", "vm", "--yes", "--force", "--debug", trace, "--name", "new-vm", "--resource-id",
		"/subscriptions/" + sub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm2",
		"--username", "azureuser", "--password-file", filepath.Join(dir, "pw")}, base...)...)
	out := r.stdout + r.stderr
	if r.code != 3 || !strings.Contains(out, "AuthorizationFailed") || !strings.Contains(out, probes.ActionComputeWrite) {
		t.Fatalf("forced attach without computes/write: want exit 3 with Azure's refusal naming the action\n%s", r)
	}
	data, err := os.ReadFile(trace)
	must(t, err)
	if !strings.Contains(string(data), "PUT https://") {
		t.Fatalf("the forced attach was not sent, so the sandbox's refusal is untested:\n%s", data)
	}
	if strings.Contains(out, "Perm-Stored-Pw-1") || strings.Contains(string(data), "Perm-Stored-Pw-1") {
		t.Fatal("the password shows in the output or the trace")
	}
	r = runCLI(t, nil, append([]string{"list", "-o", "json"}, base[:2]...)...)
	if r.code != 0 || strings.Contains(r.stdout, "new-vm") || !strings.Contains(r.stdout, "old-vm") {
		t.Fatalf("list after the refused attach\n%s", r)
	}
	r = runCLI(t, nil, append([]string{"detach", "old-vm", "--yes"}, base[:2]...)...)
	if r.code != 3 || !strings.Contains(r.stdout+r.stderr, "Microsoft.MachineLearningServices/workspaces/computes/delete") {
		t.Fatalf("detach without computes/delete: want exit 3 naming the action\n%s", r)
	}
}
