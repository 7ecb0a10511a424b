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

// edgesWorld has a VM attached with a password that was changed since
// (stale-vm), and a VM in another resource group than the workspace's.
const edgesWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: edge-ws
            computes:
              - name: stale-vm
                type: VirtualMachine
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm1
                provisioningState: Succeeded
                properties: {address: 20.9.0.1, sshPort: 2222, administratorAccount: {username: azureuser, password: "Old-Stored-Pw-1"}}
        virtualMachines:
          - name: vm1
            publicIP: 20.9.0.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22,2222"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "New-Pw-2"}}}}
      - name: vm-rg
        location: eastus
        virtualMachines:
          - name: vm2
            publicIP: 20.9.0.2
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "New-Pw-2"}}}}
faults: {attachSeconds: 0.2, detachSeconds: 0.1}
`

// edges writes the world, a password file and a known_hosts path.
func edges(t *testing.T) (world, pwFile, knownHosts string) {
	t.Helper()
	dir := t.TempDir()
	world = filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(world, []byte(fmt.Sprintf(edgesWorld, sub)), 0o600))
	pwFile = filepath.Join(dir, "pw")
	must(t, os.WriteFile(pwFile, []byte("New-Pw-2\n"), 0o600))
	return world, pwFile, filepath.Join(dir, "known_hosts")
}

// probeTitles are the titles of the probe lines of a text output, in order.
func probeTitles(out string) []string {
	var ts []string
	for _, l := range strings.Split(out, "\n") {
		for _, g := range glyphs {
			if rest, ok := strings.CutPrefix(l, "  "+g+"  "); ok {
				ts = append(ts, strings.TrimSpace(rest[:min(27, len(rest))]))
			}
		}
	}
	return ts
}

// The text of doctor and probe lists the probes in plan order, as the JSON
// document does, not in the order they happened to finish.
func TestTextListsProbesInPlanOrder(t *testing.T) {
	world, pw, kh := edges(t)
	for _, args := range [][]string{
		{"doctor", "stale-vm", "--known-hosts", kh, "--accept-new-host-key"},
		{"probe", "vm", "--resource-id", fmt.Sprintf(vmIDf, "vm1"), "--ssh-port", "2222", "--username", "azureuser", "--password-file", pw, "--known-hosts", kh, "--accept-new-host-key"},
	} {
		args = append(args, "--world", world)
		var want []string
		js := runCLI(t, nil, append(args, "-o", "json")...)
		var doc struct{ Probes []flows.ProbeJSON }
		if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil || len(doc.Probes) < 10 {
			t.Fatalf("%s -o json: %v\n%s", args[0], err, js)
		}
		for _, p := range doc.Probes {
			want = append(want, p.Title)
		}
		for range 5 {
			r := runCLI(t, nil, args...)
			if got := probeTitles(r.stdout); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("%s text order\n got %q\nwant %q\n%s", args[0], got, want, r)
			}
		}
	}
}

// attach aci and attach local explain that the resource is never attached,
// whatever flags a user learnt on the other types follows them.
func TestAttachNeverAttachedExplainsWhateverTheFlags(t *testing.T) {
	for _, typ := range []string{"aci", "local"} {
		for _, flags := range [][]string{
			nil,
			{"--name", "x"},
			{"--name", "x", "--resource-id", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerInstance/containerGroups/c", "--yes"},
			{"--name=x", "-y", "--force", "extra"},
			{"-f", "compute.yml", "--world", "demo"},
		} {
			args := append([]string{"attach", typ}, flags...)
			r := runCLI(t, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, "never attached") || strings.Contains(r.stderr, "unknown") {
				t.Errorf("amlattach %s: want exit 2 with the explanation\n%s", strings.Join(args, " "), r)
			}
		}
		if r := runCLI(t, nil, "attach", typ, "--help"); r.code != 0 || !strings.Contains(r.stdout, "never attached") {
			t.Errorf("attach %s --help: want the help\n%s", typ, r)
		}
	}
}

// The root help names every type amlattach attaches, not only the VM.
func TestRootHelpNamesEveryType(t *testing.T) {
	r := runCLI(t, nil, "--help")
	if r.code != 0 || strings.Contains(r.stdout, "more to come") {
		t.Fatalf("root help\n%s", r)
	}
	for _, typ := range targetTypes {
		if !strings.Contains(r.stdout, "("+typ+")") {
			t.Errorf("root help does not name %s\n%s", typ, r.stdout)
		}
	}
}

// --plain doctor and the --plain preflight list the probes in plan order.
func TestPlainListsProbesInPlanOrder(t *testing.T) {
	plainTitles := func(out, after string) []string {
		_, out, _ = strings.Cut(out, after)
		var ts []string
		for _, l := range strings.Split(out, "\n") {
			for _, w := range []string{"PASS", "WARN", "FAIL", "SKIP"} {
				// a line may follow a prompt that its answer ended (input
				// is not echoed here)
				if _, rest, ok := strings.Cut(l, "  "+w+"  "); ok {
					title, _, _ := strings.Cut(rest, ":")
					ts = append(ts, title)
				}
			}
		}
		return ts
	}
	titles := func(ids ...string) []string {
		var ts []string
		for _, id := range ids {
			ts = append(ts, probes.Title(id))
		}
		return ts
	}
	// doctor of old-dsvm (accepting its host key), then leave.
	r := runWithInput(t, strings.Join([]string{"", "11", "1", "y", "q", "q"}, "\n")+"\n", "--world", "demo", "--plain")
	got := plainTitles(r.stderr, `Doctor of "old-dsvm"`)
	want := titles(probes.IDWsPermission, probes.IDWsDuplicate, probes.IDArmResource, probes.IDVMRunning, probes.IDVMImage, probes.IDVMPublicIP, probes.IDNSGSSH,
		probes.IDNetTCP, probes.IDSSHHostKey, probes.IDSSHAuth, probes.IDHostOS, probes.IDHostDocker, probes.IDHostGPU, probes.IDHostDisk)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("plain doctor order\n got %q\nwant %q\n%s", got, want, r)
	}
	// the preflight of the demo's clean VM: accept the host key, decline the attach.
	r = runWithInput(t, "y\nn\n", "demo", "--plain", "--scenario", "clean-attach")
	got = plainTitles(r.stderr, "Preflight of")
	if len(got) < 11 || got[0] != probes.Title(probes.IDWsPermission) || got[1] != probes.Title(probes.IDWsName) || got[2] != probes.Title(probes.IDWsDuplicate) || got[3] != probes.Title(probes.IDArmResource) {
		t.Fatalf("plain preflight order %q\n%s", got, r)
	}
}

// A stale stored login: doctor recommends attach --replace (preflight
// first, nothing detached when the new login fails) with the flags the
// type needs, not detach && attach; and that command works as given.
func TestDoctorRecommendsReplaceForAStaleLogin(t *testing.T) {
	world, pw, kh := edges(t)
	r := runCLI(t, nil, "doctor", "stale-vm", "--world", world, "--known-hosts", kh, "--accept-new-host-key")
	id := fmt.Sprintf(vmIDf, "vm1")
	want := "amlattach attach vm --name stale-vm --resource-id " + id + " --ssh-port 2222 --username azureuser --password-file NEW-PASSWORD-FILE --replace"
	if r.code != 1 || !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, "amlattach detach") || !strings.Contains(r.stdout, "attach again") {
		t.Fatalf("want the remedy %q\n%s", want, r)
	}
	cmd := strings.Fields(strings.Replace(want, "NEW-PASSWORD-FILE", pw, 1))[1:]
	r = runCLI(t, nil, append(cmd, "--yes", "--world", world, "--known-hosts", kh)...)
	if r.code != 0 || !strings.Contains(r.stdout, `compute "stale-vm": Succeeded`) {
		t.Fatalf("the remedy's command did not reattach\n%s", r)
	}
}

// probe vm and attach vm take --resource-name [--resource-group-name] as
// the other types do: the VM in the workspace's subscription, in the
// workspace's group unless another is given; with the same errors.
func TestVMByResourceName(t *testing.T) {
	world, pw, kh := edges(t)
	login := []string{"--username", "azureuser", "--password-file", pw, "--known-hosts", kh, "--accept-new-host-key", "--world", world}
	r := runCLI(t, nil, append([]string{"probe", "vm", "--resource-name", "vm2", "--resource-group-name", "vm-rg", "-o", "json"}, login...)...)
	rep := report(t, r)
	if r.code != 0 || !strings.EqualFold(rep.Target.ResourceID, "/subscriptions/"+sub+"/resourceGroups/vm-rg/providers/Microsoft.Compute/virtualMachines/vm2") || rep.Target.Name != "vm2" {
		t.Fatalf("probe vm --resource-name vm2 --resource-group-name vm-rg\n%s", r)
	}
	// the workspace's group by default; vm1 (on port 2222) is attached as
	// stale-vm, which the bound ID shows
	r = runCLI(t, nil, append([]string{"probe", "vm", "--resource-name", "vm1", "--ssh-port", "2222", "--name", "vm-one"}, login...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm1") ||
		!strings.Contains(r.stdout, `already attached to edge-ws as "stale-vm"`) || !strings.Contains(r.stdout, "✓ pass  SSH login") {
		t.Fatalf("probe vm --resource-name vm1\n%s", r)
	}
	r = runCLI(t, nil, append([]string{"attach", "vm", "--resource-name", "vm2", "--resource-group-name", "vm-rg", "--name", "by-name", "--yes", "-o", "json"}, login...)...)
	rep = report(t, r)
	if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" || !strings.Contains(rep.Target.ResourceID, "/resourceGroups/vm-rg/") {
		t.Fatalf("attach vm --resource-name\n%s", r)
	}
	for _, c := range []struct {
		args       []string
		field, say string
	}{
		{[]string{"--resource-name", "vm2", "--resource-id", fmt.Sprintf(vmIDf, "vm1")}, "--resource-id", "not both"},
		{[]string{"--resource-group-name", "vm-rg"}, "--resource-name", "without --resource-name"},
		{[]string{"--resource-name", "rg/vm2"}, "--resource-name", "not a resource name"},
		{nil, "--resource-id", "--resource-name"},
	} {
		r := runCLI(t, nil, append(append([]string{"probe", "vm"}, c.args...), login...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.field) || !strings.Contains(r.stderr, c.say) {
			t.Errorf("probe vm %v: want exit 2 naming %s (%s)\n%s", c.args, c.field, c.say, r)
		}
	}
}

// The VM preflight reads the workspace beside its VM -> NIC -> subnet ->
// NSG chain, not before it: with every ARM answer 300 ms late, the VM is
// asked for before the workspace's answer is in. A workspace that is not
// there still stops everything with its own error, and no probe line.
func TestWorkspaceReadBesideThePreflight(t *testing.T) {
	world, pw, kh := edges(t)
	slow := filepath.Join(filepath.Dir(world), "slow.yaml")
	data, err := os.ReadFile(world)
	must(t, err)
	must(t, os.WriteFile(slow, []byte(strings.Replace(string(data), "faults: {", "faults: {armLatencyMs: 300, ", 1)), 0o600))
	trace := filepath.Join(filepath.Dir(world), "trace")
	r := runCLI(t, nil, "probe", "vm", "--resource-name", "vm2", "--resource-group-name", "vm-rg", "--username", "azureuser", "--password-file", pw,
		"--known-hosts", kh, "--accept-new-host-key", "--world", slow, "--debug", trace)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Preflight of VM vm2") {
		t.Fatalf("probe vm\n%s", r)
	}
	log, err := os.ReadFile(trace)
	must(t, err)
	// the SDK's log: "Request: ==> OUTGOING REQUEST" or "Response: ==> ...",
	// then the method and URL on the next line
	vmAsked, wsAnswered := -1, -1
	entry := ""
	for i, l := range strings.Split(string(log), "\n") {
		switch {
		case strings.Contains(l, " Request: ==>"):
			entry = "request"
		case strings.Contains(l, " Response: ==>"):
			entry = "response"
		case vmAsked < 0 && entry == "request" && strings.Contains(l, "GET ") && strings.Contains(l, "/virtualMachines/vm2?"):
			vmAsked = i
		case wsAnswered < 0 && entry == "response" && strings.Contains(l, "GET ") && strings.Contains(l, "/workspaces/edge-ws?"):
			wsAnswered = i
		}
		if strings.HasPrefix(l, "20") && !strings.Contains(l, "==>") {
			entry = ""
		}
	}
	if vmAsked < 0 || wsAnswered < 0 || vmAsked > wsAnswered {
		t.Fatalf("the VM was asked for (trace line %d) after the workspace answered (line %d)\n%s", vmAsked, wsAnswered, log)
	}
	// a workspace that cannot be read (here: the sign-in is refused from
	// the first request on) stops probe and attach with its own error
	refused := filepath.Join(filepath.Dir(world), "refused.yaml")
	must(t, os.WriteFile(refused, []byte(strings.Replace(string(data), "faults: {", "faults: {tokenExpiresAfter: 0, ", 1)), 0o600))
	for _, verb := range []string{"probe", "attach"} {
		args := []string{verb, "vm", "--resource-name", "vm2", "--resource-group-name", "vm-rg", "--username", "azureuser", "--password-file", pw,
			"--known-hosts", kh, "--accept-new-host-key", "--world", refused}
		if verb == "attach" {
			args = append(args, "--yes")
		}
		r = runCLI(t, nil, args...)
		if r.code != 4 || !strings.Contains(r.stderr, "read workspace edge-ws") || r.stdout != "" {
			t.Errorf("%s with the workspace unreadable: want exit 4 from its read and nothing on stdout\n%s", verb, r)
		}
	}
}

// Every line of a text run ends with a newline, so that the shell prompt
// or the error line after it starts a line of its own: the report's last
// line, and a confirmation prompt that the input's end (Ctrl-D) answered.
func TestTextOutputEndsItsLines(t *testing.T) {
	world, pw, kh := edges(t)
	r := runCLI(t, nil, "doctor", "stale-vm", "--world", world, "--known-hosts", kh, "--accept-new-host-key")
	if r.code != 1 || !strings.HasSuffix(r.stdout, "--replace\n") || !strings.HasPrefix(r.stderr, "error: ") {
		t.Errorf("doctor: the report's last line is not ended\n%q", r.stdout)
	}
	for _, args := range [][]string{
		{"attach", "vm", "--resource-name", "vm2", "--resource-group-name", "vm-rg", "--username", "azureuser", "--password-file", pw, "--known-hosts", kh, "--accept-new-host-key"},
		{"detach", "stale-vm"},
	} {
		var out, errb strings.Builder
		s := &streams{In: strings.NewReader(""), Out: &out, Err: &errb, InTTY: true}
		code := run(t.Context(), append(args, "--world", world), s, func(string) string { return "" })
		if code != 2 || !strings.Contains(errb.String(), "[y/N] \nerror: not confirmed") || out.Len() > 0 && !strings.HasSuffix(out.String(), "\n") {
			t.Errorf("%s answered by the input's end: exit %d\nstdout %q\nstderr %q", args[0], code, out.String(), errb.String())
		}
	}
}
