package azure_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// vm1 has no extension; vm2 has a VMAccessForLinux of its own name; vm3's
// agent does not report; vm4 is stopped; in "locked" extensions may not be
// written.
const extWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: open
        location: eastus
        virtualMachines:
          - name: vm1
            publicIP: 20.8.0.1
            ssh: {sim: {users: {azureuser: {password: "Pw-1"}}}}
          - name: vm2
            publicIP: 20.8.0.2
            extensions: [{name: myaccess, publisher: Microsoft.OSTCExtensions, type: VMAccessForLinux, typeHandlerVersion: "1.5"}]
            ssh: {sim: {users: {azureuser: {password: "Pw-1"}}}}
          - name: vm3
            publicIP: 20.8.0.3
            vmAgent: notReady
            ssh: {sim: {users: {azureuser: {password: "Pw-1"}}}}
          - {name: vm4, powerState: stopped, publicIP: 20.8.0.4, ssh: {sim: {users: {azureuser: {password: "Pw-1"}}}}}
      - name: locked
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Compute/virtualMachines/extensions/*"]}
        virtualMachines:
          - {name: vm5, publicIP: 20.8.0.5, ssh: {sim: {users: {azureuser: {password: "Pw-1"}}}}}
faults: {vmExtensionSeconds: 0.2}
`

// recorder keeps every request and response body that went through it.
type recorder struct {
	next      http.RoundTripper
	mu        sync.Mutex
	log       bytes.Buffer
	responses []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.log, "> %s %s\n%s\n", req.Method, req.URL, body)
	if err == nil {
		data, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(data))
		fmt.Fprintf(&r.log, "< %d\n%s\n", resp.StatusCode, data)
		r.responses = append(r.responses, string(data))
	}
	return resp, err
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

func newRSAKey(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))) + " amlattach-test"
}

// sshLogin logs in to the simulated host at addr with the key.
func sshLogin(srv *sandbox.Server, addr, user string, s ssh.Signer) error {
	conn, err := srv.Dial(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(s)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	ssh.NewClient(c, chans, reqs).Close()
	return nil
}

// InstallSSHKey through the SDK's poller against the sandbox: the key logs
// in afterwards (for a user the VM lacked too), the protected settings never
// come back, a second VMAccessForLinux under another name is refused as
// Azure refuses it, an agent that does not report fails the operation with
// Azure's code, a stopped VM and a caller without the permission are
// refused before anything changes.
func TestInstallSSHKeyThroughTheSDK(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(extWorld, sub)), "ext.yaml")
	rec := &recorder{next: srv.HTTPClient().Transport}
	c := sandboxtest.Client(srv, azure.Options{HTTPClient: &http.Client{Transport: rec}})
	ctx := context.Background()
	signer, pub := newRSAKey(t)
	body := strings.Fields(pub)[1]

	if err := sshLogin(srv, "20.8.0.1:22", "azureuser", signer); err == nil {
		t.Fatal("the key logs in before it was installed")
	}
	xs, err := c.ListVMExtensions(ctx, vmID("open", "vm1"))
	if err != nil || len(xs) != 0 {
		t.Fatalf("vm1's extensions: %+v, %v", xs, err)
	}
	var phases []string
	x, err := c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("open", "vm1"), Location: "eastus", Extension: azure.VMAccessDefaultName,
		Username: "azureuser", PublicKey: pub}, func(p azure.Progress) { phases = append(phases, p.Phase+":"+p.State) })
	if err != nil || x.ProvisioningState != "Succeeded" || !x.IsVMAccessForLinux() {
		t.Fatalf("install: %+v, %v", x, err)
	}
	if len(phases) < 3 || phases[0] != "submitted:Creating" || phases[len(phases)-1] != "done:Succeeded" {
		t.Fatalf("progress: %v (the operation should be polled)", phases)
	}
	if err := sshLogin(srv, "20.8.0.1:22", "azureuser", signer); err != nil {
		t.Fatalf("the installed key does not log in: %v", err)
	}
	// A user the VM did not have is created with the key.
	if _, err := c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("open", "vm1"), Location: "eastus", Extension: azure.VMAccessDefaultName,
		Username: "newuser", PublicKey: pub}, nil); err != nil {
		t.Fatal(err)
	}
	if err := sshLogin(srv, "20.8.0.1:22", "newuser", signer); err != nil {
		t.Fatalf("the created user does not log in with the key: %v", err)
	}
	xs, err = c.ListVMExtensions(ctx, vmID("open", "vm1"))
	if err != nil || len(xs) != 1 || xs[0].Name != azure.VMAccessDefaultName || xs[0].ProvisioningState != "Succeeded" {
		t.Fatalf("after the install: %+v, %v", xs, err)
	}
	vm, err := c.GetVM(ctx, vmID("open", "vm1"))
	if err != nil || vm.PowerState != "running" {
		t.Fatalf("the VM: %+v, %v", vm, err)
	}

	// What came back from Azure never holds the protected settings.
	log := rec.String()
	if !strings.Contains(log, `"protectedSettings"`) {
		t.Fatalf("the recorder saw no PUT body:\n%s", log)
	}
	rec.mu.Lock()
	responses := append([]string(nil), rec.responses...)
	rec.mu.Unlock()
	for _, resp := range responses {
		if strings.Contains(resp, body) || strings.Contains(resp, "protectedSettings") {
			t.Fatalf("a response echoes the protected settings:\n%s", resp)
		}
	}

	// vm2 has its own VMAccessForLinux: a second one is refused.
	xs, err = c.ListVMExtensions(ctx, vmID("open", "vm2"))
	if err != nil || len(xs) != 1 || xs[0].Name != "myaccess" || !xs[0].IsVMAccessForLinux() {
		t.Fatalf("vm2's extensions: %+v, %v", xs, err)
	}
	_, err = c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("open", "vm2"), Location: "eastus", Extension: azure.VMAccessDefaultName,
		Username: "azureuser", PublicKey: pub}, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "Multiple VMExtensions per handler") {
		t.Fatalf("a second VMAccessForLinux: want 400 naming the handler, got %v", err)
	}
	if _, err := c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("open", "vm2"), Location: "eastus", Extension: "myaccess",
		Username: "azureuser", PublicKey: pub}, nil); err != nil {
		t.Fatalf("reusing the VM's own extension: %v", err)
	}

	// An agent that does not report: the operation ends Failed.
	_, err = c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("open", "vm3"), Location: "eastus", Extension: azure.VMAccessDefaultName,
		Username: "azureuser", PublicKey: pub}, nil)
	var xe *azure.ExtensionError
	if !errors.As(err, &xe) || xe.Code != "VMAgentStatusCommunicationError" || !strings.Contains(xe.Message, "VM 'vm3' has not reported status for VM agent") {
		t.Fatalf("agent not ready: want VMAgentStatusCommunicationError, got %v", err)
	}
	if xs, _ := c.ListVMExtensions(ctx, vmID("open", "vm3")); len(xs) != 1 || xs[0].ProvisioningState != "Failed" {
		t.Fatalf("the failed extension: %+v", xs)
	}
	if err := sshLogin(srv, "20.8.0.3:22", "azureuser", signer); err == nil {
		t.Fatal("the key logs in although the agent never ran")
	}
	// The instance views say so: the agent Not Ready, the extension failed;
	// on vm1 the extension succeeded.
	if iv := instanceView(t, srv, "open", "vm3"); iv.VMAgent.Statuses[0].DisplayStatus != "Not Ready" || iv.VMAgent.VMAgentVersion != "Unknown" ||
		len(iv.Extensions) != 1 || iv.Extensions[0].Statuses[0].Code != "ProvisioningState/failed" {
		t.Fatalf("vm3's instance view: %+v", iv)
	}
	if iv := instanceView(t, srv, "open", "vm1"); iv.VMAgent.Statuses[0].DisplayStatus != "Ready" ||
		len(iv.Extensions) != 1 || iv.Extensions[0].Name != azure.VMAccessDefaultName || iv.Extensions[0].Statuses[0].Code != "ProvisioningState/succeeded" {
		t.Fatalf("vm1's instance view: %+v", iv)
	}

	// Refused: a stopped VM, a caller without the permission.
	_, err = c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("open", "vm4"), Location: "eastus", Extension: azure.VMAccessDefaultName,
		Username: "azureuser", PublicKey: pub}, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusConflict || ae.Code != "OperationNotAllowed" {
		t.Fatalf("stopped VM: want 409 OperationNotAllowed, got %v", err)
	}
	_, err = c.InstallSSHKey(ctx, azure.SSHKeyRequest{VM: vmID("locked", "vm5"), Location: "eastus", Extension: azure.VMAccessDefaultName,
		Username: "azureuser", PublicKey: pub}, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusForbidden || !strings.Contains(ae.Message, azure.ActionVMExtensionWrite) {
		t.Fatalf("locked group: want 403 naming %s, got %v", azure.ActionVMExtensionWrite, err)
	}
	if strings.Contains(fmt.Sprint(err), body) {
		t.Fatal("the error holds the key")
	}
}

type statusJSON struct {
	Code, DisplayStatus string
}

type instanceViewJSON struct {
	VMAgent struct {
		VMAgentVersion string
		Statuses       []statusJSON
	}
	Extensions []struct {
		Name     string
		Statuses []statusJSON
	}
}

// instanceView reads a VM's instance view as Compute sends it.
func instanceView(t *testing.T, srv *sandbox.Server, group, vm string) instanceViewJSON {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.Endpoint()+vmID(group, vm).String()+"/instanceView?api-version=2026-04-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer x")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var iv instanceViewJSON
	if err := json.NewDecoder(resp.Body).Decode(&iv); err != nil || len(iv.VMAgent.Statuses) == 0 {
		t.Fatalf("instance view of %s: %v %+v", vm, err, iv)
	}
	return iv
}
