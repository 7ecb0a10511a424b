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
)

// Doctor and replace for the other stored-secret types, on simulated hosts.
const doctorSimWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: sim-ws
            computes:
              - name: dbx-old
                type: Databricks
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx
                properties: {databricksAccessToken: "dapi-old-expired-token"}
              - name: hdi
                type: HDInsight
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.HDInsight/clusters/spark
                properties: {address: spark-ssh.azurehdinsight.net, sshPort: 22, administratorAccount: {username: sshuser, password: "Hdi-Stored-Pw-1"}}
              - name: doomed
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm1
                properties: {administratorAccount: {username: azureuser, password: "Vm-Stored-Pw-1"}}
        databricksWorkspaces:
          - {name: dbx, tokens: ["dapi-new-good-token"], expiredTokens: ["dapi-old-expired-token"]}
        hdinsightClusters:
          - name: spark
            ssh: {sim: {os: ubuntu 20.04, users: {sshuser: {password: "Hdi-Stored-Pw-1"}}}}
        virtualMachines:
          - name: vm1
            publicIP: 20.9.0.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Vm-Stored-Pw-1"}}}}
faults:
  attachSeconds: 0.2
  detachSeconds: 0.1
  forbidListKeys: %[2]t
  attachError: {compute: doomed, code: InternalServerError, message: "Connection failed to establish within 30000 milliseconds."}
`

func simWorld(t *testing.T, forbid bool) (world, dir string) {
	t.Helper()
	dir = t.TempDir()
	world = filepath.Join(dir, "world.yaml")
	must(t, os.WriteFile(world, []byte(fmt.Sprintf(doctorSimWorld, sub, forbid)), 0o600))
	return world, dir
}

func TestDoctorStoredTokenAndHDInsightLogin(t *testing.T) {
	world, dir := simWorld(t, false)
	base := []string{"--world", world, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key", "--timeout", "5s"}
	secrets := []string{"dapi-old-expired-token", "dapi-new-good-token", "Hdi-Stored-Pw-1"}

	r := runCLI(t, nil, append([]string{"doctor", "dbx-old"}, base...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "databricks.token") && !strings.Contains(r.stdout, "Access token works") ||
		!strings.Contains(r.stdout, "attach databricks --name dbx-old") {
		t.Fatalf("stored expired token: want the token probe to fail with the reattach remedy\n%s", r)
	}
	tok := filepath.Join(dir, "tok")
	must(t, os.WriteFile(tok, []byte("dapi-new-good-token\n"), 0o600))
	r = runCLI(t, nil, append([]string{"doctor", "dbx-old", "--token-file", tok, "-o", "json"}, base...)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"secretsFrom": "--token-file"`) {
		t.Fatalf("a new token given as a flag: want a healthy compute\n%s", r)
	}
	r = runCLI(t, nil, append([]string{"doctor", "hdi", "-o", "json"}, base...)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"secretsFrom": "listKeys"`) || !strings.Contains(r.stdout, "logged in as sshuser@spark-ssh.azurehdinsight.net") {
		t.Fatalf("HDInsight: want the stored login to work\n%s", r)
	}
	for _, o := range []string{r.stdout, r.stderr} {
		for _, s := range secrets {
			if strings.Contains(o, s) {
				t.Fatalf("a secret reached the output: %s", o)
			}
		}
	}
}

func TestDoctorWhenListKeysIsForbidden(t *testing.T) {
	world, dir := simWorld(t, true)
	r := runCLI(t, nil, "doctor", "doomed", "--world", world, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key")
	if r.code != 2 || !strings.Contains(r.stderr, "listKeys/action") || !strings.Contains(r.stderr, "--password-file") {
		t.Fatalf("want exit 2 naming the missing permission and the flags to give\n%s", r)
	}
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Vm-Stored-Pw-1\n"), 0o600))
	r = runCLI(t, nil, "doctor", "doomed", "--world", world, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key",
		"--username", "azureuser", "--password-file", pw)
	if r.code != 0 || !strings.Contains(r.stdout, "credentials: --password-file") {
		t.Fatalf("with the credentials as flags: want the probes to run and pass\n%s", r)
	}
}

func TestReplaceThatFailsAfterTheDetachSaysHowToFinish(t *testing.T) {
	world, dir := simWorld(t, false)
	w, err := sandbox.LoadWorldFile(world)
	must(t, err)
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Vm-Stored-Pw-1\n"), 0o600))
	r := runCLI(t, nil, "attach", "vm", "--name", "doomed", "--replace", "--yes", "--world", world,
		"--resource-id", "/subscriptions/"+sub+"/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm1",
		"--username", "azureuser", "--password-file", pw, "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key")
	if r.code != 3 || !strings.Contains(r.stderr, `"doomed" was detached`) ||
		!strings.Contains(r.stderr, "finish the job with: amlattach attach vm --name doomed --world") || strings.Contains(r.stderr, "--replace --") {
		t.Fatalf("want exit 3, the detach said, and the command that finishes the job\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "Vm-Stored-Pw-1") {
		t.Fatal("the password reached the output")
	}
}

// The built-in world has a broken attachment of each kind for doctor.
func TestDoctorOnTheDemoWorld(t *testing.T) {
	cases := map[string]struct{ failing, remedy string }{
		"dbx-legacy": {"databricks.token", "attach databricks --name dbx-legacy"},
		"hdi-legacy": {"ssh.auth", "attach hdinsight --name hdi-legacy"},
		"aks-tiny":   {"aks.capacity", ""},
		"team-b":     {"ws.duplicate", "amlattach detach team-a"},
		"broken-vm":  {"arm.vm.public_ip", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := runCLI(t, nil, "doctor", name, "-o", "json", "--world", "demo", "--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key")
			var d flows.DoctorJSON
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 1 || d.OK {
				t.Fatalf("want exit 1 and a diagnosis with problems: %v\n%s", err, r)
			}
			found := false
			for _, p := range d.Probes {
				found = found || p.ID == c.failing && p.Status == "fail"
			}
			if !found || !strings.Contains(d.Remedy, c.remedy) {
				t.Fatalf("want %s to fail and a remedy with %q\n%s", c.failing, c.remedy, r)
			}
			if len(d.Compute.ProvisioningErrors) > 0 && len(d.Causes) == 0 {
				t.Fatalf("a stored error without a likely cause\n%s", r)
			}
			for _, s := range []string{"dapi-demo-expired-0000", "Old-Passw0rd!", "Demo-Passw0rd!"} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Fatalf("a stored secret reached the output")
				}
			}
		})
	}
}
