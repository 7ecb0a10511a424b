package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const twiceWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: shared-ws
        virtualMachines:
          - name: team-vm
            publicIP: 20.8.0.1
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh:
              sim:
                os: ubuntu 22.04
                docker: 24.0.7
                dockerDaemon: true
                users: {azureuser: {password: "Twice-Passw0rd!"}}
faults:
  attachSeconds: 1
`

// Eight people attach one VM at once, on one shared sandbox: at most one
// attachment may be left standing without its user being told. The others
// are refused before the PUT (exit 1, nothing sent) or, when the PUTs
// crossed, end with exit 3 naming the other attachment and the command
// that detaches their own.
func TestEightAttachesOfOneVMAtOnce(t *testing.T) {
	dir := t.TempDir()
	world := filepath.Join(dir, "world.yaml")
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(world, []byte(twiceWorld), 0o600))
	must(t, os.WriteFile(pw, []byte("Twice-Passw0rd!\n"), 0o600))
	connFile, _ := serveSandbox(t, world)
	env := map[string]string{"AMLATTACH_SANDBOX": connFile}

	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = runCLI(t, env, "attach", "vm", "--yes", "-o", "json", "--name", fmt.Sprintf("team-%d", i),
				"--resource-id", demoVM+"team-vm", "--username", "azureuser", "--password-file", pw,
				"--known-hosts", filepath.Join(dir, fmt.Sprintf("kh%d", i)), "--accept-new-host-key")
		}()
	}
	close(start)
	wg.Wait()

	r := runCLI(t, env, "list", "-o", "json")
	if r.code != 0 {
		t.Fatalf("list\n%s", r)
	}
	unreported := 0
	for i, res := range results {
		name := fmt.Sprintf("team-%d", i)
		if strings.Contains(res.stdout+res.stderr, "Twice-Passw0rd!") {
			t.Fatalf("%s: the password reached the output\n%s", name, res)
		}
		listed := strings.Contains(r.stdout, `"name": "`+name+`"`) || strings.Contains(r.stdout, `"name":"`+name+`"`)
		rep := report(t, res)
		switch res.code {
		case 0:
			unreported++
			if !listed {
				t.Errorf("%s: exit 0 but not in the workspace\n%s", name, res)
			}
		case 1:
			if listed || rep.Compute != nil || !strings.Contains(res.stderr, "nothing was sent") {
				t.Errorf("%s: refused, but something was sent\n%s", name, res)
			}
		case 3:
			if !listed || rep.OK || !strings.Contains(res.stderr, "amlattach detach "+name) || !strings.Contains(res.stderr, "attached twice or more") {
				t.Errorf("%s: exit 3 without the duplicate named and the detach command\n%s", name, res)
			}
		default:
			t.Errorf("%s: exit %d\n%s", name, res.code, res)
		}
	}
	if unreported > 1 {
		t.Fatalf("%d attachments of one VM left standing without a word\n%s", unreported, r.stdout)
	}
}
