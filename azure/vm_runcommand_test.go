package azure_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// One group where the caller may do anything, with a simulated Ubuntu
// host, one whose agent is not ready, and one backed by a real SSH server
// (which the sandbox will not run scripts on); another group where Run
// Commands are not granted.
const runWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: open
        location: eastus
        virtualMachines:
          - name: sim1
            publicIP: 20.8.0.1
            ssh: {sim: {os: ubuntu 22.04, users: {azureuser: {password: pw}}}}
          - name: noagent
            publicIP: 20.8.0.2
            vmAgent: notReady
            ssh: {sim: {os: ubuntu 22.04, users: {azureuser: {password: pw}}}}
          - name: real
            publicIP: 20.8.0.3
            ssh: {address: "127.0.0.1:1"}
      - name: locked
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Compute/virtualMachines/runCommands/*"]}
        virtualMachines:
          - name: sim2
            publicIP: 20.8.0.4
            ssh: {sim: {os: ubuntu 22.04, users: {azureuser: {password: pw}}}}
faults: {runCommandSeconds: 0.2}
`

// RunScript through the SDK: the script runs as root on the simulated
// host, its exit code, output and error come back from the instance view
// (a failing script is a result, not an error), and the Run Command is
// gone afterwards, so a second run finds nothing to read over.
func TestRunScriptThroughTheSDK(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(runWorld, sub)), "run.yaml")
	c := sandboxtest.Client(srv, azure.Options{})
	ctx := context.Background()
	id := vmID("open", "sim1")

	var phases []string
	res, err := c.RunScript(ctx, id, "eastus", "amlattach-test", "whoami\necho to-stderr >&2\nexit 3\n", time.Minute, "test",
		func(p azure.Progress) { phases = append(phases, p.Phase) })
	if err != nil {
		t.Fatal(err)
	}
	if res.ExecutionState != "Failed" || res.ExitCode != 3 || res.Output != "root\n" || res.Error != "to-stderr\n" || res.Leftover != "" {
		t.Fatalf("a failing script: %+v", res)
	}
	if len(phases) < 2 || phases[0] != "submitted" {
		t.Fatalf("progress: %v", phases)
	}
	if code := rawRunCommand(t, srv.Endpoint(), srv.HTTPClient(), http.MethodGet, id, "amlattach-test", ""); code != http.StatusNotFound {
		t.Fatalf("the Run Command is still there after the run (GET: %d)", code)
	}
	res, err = c.RunScript(ctx, id, "eastus", "amlattach-test", "echo fine", time.Minute, "test", nil)
	if err != nil || res.ExecutionState != "Succeeded" || res.ExitCode != 0 || res.Output != "fine\n" {
		t.Fatalf("a second run: %+v, %v", res, err)
	}
}

// What RunScript refuses or Azure refuses: a Run Command of the same name
// that amlattach did not create is left alone; a caller without the
// permission gets 403 naming the action; a VM agent that is not ready
// fails the operation; a VM on a real SSH server is not run on by the
// sandbox, with a message that says so.
func TestRunScriptRefusals(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(runWorld, sub)), "run.yaml")
	c := sandboxtest.Client(srv, azure.Options{})
	ctx := context.Background()

	// Someone else's Run Command: PUT without our tag.
	id := vmID("open", "sim1")
	if code := rawRunCommand(t, srv.Endpoint(), srv.HTTPClient(), http.MethodPut, id, "theirs", `{"location":"eastus","properties":{"source":{"script":"echo theirs"}}}`); code != http.StatusCreated {
		t.Fatalf("PUT of a foreign Run Command: %d", code)
	}
	_, err := c.RunScript(ctx, id, "eastus", "theirs", "echo ours", time.Minute, "test", nil)
	var fe *azure.ForeignRunCommandError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "did not create") {
		t.Fatalf("over a foreign Run Command: want ForeignRunCommandError, got %v", err)
	}
	if code := rawRunCommand(t, srv.Endpoint(), srv.HTTPClient(), http.MethodGet, id, "theirs", ""); code != http.StatusOK {
		t.Fatalf("the foreign Run Command was touched (GET: %d)", code)
	}

	_, err = c.RunScript(ctx, vmID("locked", "sim2"), "eastus", "amlattach-test", "echo x", time.Minute, "test", nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusForbidden || ae.Code != "AuthorizationFailed" || !strings.Contains(ae.Message, "runCommands/read") {
		t.Fatalf("without the permission: want 403 AuthorizationFailed naming the action, got %v", err)
	}

	_, err = c.RunScript(ctx, vmID("open", "noagent"), "eastus", "amlattach-test", "echo x", time.Minute, "test", nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Code != "VMAgentStatusCommunicationError" {
		t.Fatalf("agent not ready: want VMAgentStatusCommunicationError, got %v", err)
	}

	_, err = c.RunScript(ctx, vmID("open", "real"), "eastus", "amlattach-test", "echo x", time.Minute, "test", nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusConflict || !strings.Contains(ae.Message, "real machine") {
		t.Fatalf("a VM on a real SSH server: want 409 saying the sandbox does not run scripts there, got %v", err)
	}
}

// rawRunCommand sends one request for a Run Command straight to the
// sandbox and returns the status.
func rawRunCommand(t *testing.T, endpoint string, hc *http.Client, method string, id azure.ResourceID, name, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, endpoint+id.String()+"/runCommands/"+name+"?api-version=2026-04-01", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
