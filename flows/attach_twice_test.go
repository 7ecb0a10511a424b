package flows

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// Never attach twice: the workspace is read again right before the PUT,
// and again once the attach ended, through the real SDK against the sandbox.

const twiceWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-0000000000dd
    resourceGroups:
      - name: rg
        location: eastus
        workspaces:
          - name: ws
        virtualMachines:
          - name: vm1
            publicIP: 20.4.0.1
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {users: {azureuser: {password: "Twice-Passw0rd!"}}}}
faults:
  attachSeconds: 0.4
`

const twiceVM = "/subscriptions/00000000-0000-0000-0000-0000000000dd/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"

func twiceSetup(t *testing.T) (Deps, azure.Workspace, *sandbox.Server) {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(twiceWorld), "twice.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond,
		Retry: &policy.RetryOptions{MaxRetries: -1}}), Dial: srv.Dial, HTTP: srv.HTTPClient(), Timeout: 10 * time.Second}
	return d, azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-0000000000dd", ResourceGroup: "rg", Name: "ws", Location: "eastus"}, srv
}

func twicePlan(t *testing.T, name string) *Plan {
	t.Helper()
	id, err := azure.ParseResourceID(twiceVM)
	if err != nil {
		t.Fatal(err)
	}
	spec := azure.VMSpec{ResourceID: twiceVM, SSHPort: 22, Creds: azure.VMCredentials{Username: "azureuser", Password: "Twice-Passw0rd!"}}
	return &Plan{Type: "vm", Name: name, ID: id, ComputeType: "VirtualMachine", spec: func() azure.AttachSpec { return spec }}
}

// The resource was attached under another name after the preflight (the
// confirmation waited): nothing is sent, exit 1, naming the other compute.
func TestSubmitChecksForADuplicateRightBeforeThePUT(t *testing.T) {
	d, ws, srv := twiceSetup(t)
	ctx := context.Background()
	if _, err := d.Azure.Attach(ctx, ws, "theirs", twicePlan(t, "theirs").Spec(), nil); err != nil {
		t.Fatal(err)
	}
	rep, err := Submit(ctx, d, ws, twicePlan(t, "mine"), nil, nil)
	var fe *Error
	if !errors.As(err, &fe) || ExitCode(err) != 1 || fe.Field != "--resource-id" || !strings.Contains(fe.Msg, `"theirs"`) ||
		!strings.Contains(fe.Msg, "nothing was sent") || !strings.Contains(fe.Fix, "amlattach detach theirs") || rep.OK {
		t.Fatalf("want a refusal naming theirs, got %v (%+v)", err, fe)
	}
	if st := srv.ComputeStates(); len(st) != 1 || st["ws/theirs"] != "Succeeded" {
		t.Fatalf("computes: %v", st)
	}
	// Forced past a failed ws.duplicate, the known attachment is no news.
	forced := NewReport("vm", "mine", twiceVM, nil)
	forced.Probes = append(forced.Probes, ProbeJSON{ID: "ws.duplicate", Status: "fail"})
	if _, err := Submit(ctx, d, ws, twicePlan(t, "mine"), forced, nil); err != nil {
		t.Fatalf("forced attach: %v", err)
	}
}

// Another attachment of the same VM appears while ours runs: ours ends
// Succeeded, and the user is told loudly (exit 3), with both creation
// times and the command that detaches ours.
func TestSubmitReportsAnAttachmentThatAppearedMeanwhile(t *testing.T) {
	d, ws, srv := twiceSetup(t)
	ctx := context.Background()
	theirs := make(chan error, 1)
	rep, err := Submit(ctx, d, ws, twicePlan(t, "mine"), nil, func(e Event) {
		if e.Kind == AttachProgress && e.Phase == "submitted" {
			go func() {
				_, err := d.Azure.Attach(ctx, ws, "theirs", twicePlan(t, "theirs").Spec(), nil)
				theirs <- err
			}()
		}
	})
	if err := <-theirs; err != nil {
		t.Fatal(err)
	}
	var fe *Error
	var dup *DuplicateAttachError
	if !errors.As(err, &fe) || !errors.As(err, &dup) || ExitCode(err) != 3 || rep.OK || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
		t.Fatalf("want exit 3 with our compute Succeeded, got %v %+v", err, rep)
	}
	if !strings.Contains(fe.Msg, `"mine" was attached (created 20`) || !strings.Contains(fe.Msg, `"theirs" (`) || strings.Count(fe.Msg, "created 20") != 2 ||
		!strings.Contains(fe.Fix, "amlattach detach mine") || dup.Others[0].Name != "theirs" {
		t.Fatalf("message: %s\nfix: %s", fe.Msg, fe.Fix)
	}
	if st := srv.ComputeStates(); len(st) != 2 {
		t.Fatalf("computes: %v", st)
	}
}

// beforePut runs hook once, just before the first PUT of compute name
// leaves: another client's attach in the window between the check before
// the PUT and the PUT itself.
type beforePut struct {
	base http.RoundTripper
	name string
	once sync.Once
	hook func()
	puts atomic.Int32
}

func (b *beforePut) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/computes/"+b.name) {
		b.puts.Add(1)
		b.once.Do(b.hook)
	}
	return b.base.RoundTrip(r)
}

// A PUT refused on its first and only try was never carried out for us:
// the compute that took the name is someone else's, even when it attaches
// the same VM, and must not be followed (or blamed) as ours.
func TestRefusedFirstTryIsNotOurAttach(t *testing.T) {
	for _, who := range []azure.VMCredentials{{Username: "azureuser", Password: "Twice-Passw0rd!"}, {Username: "bob", Password: "Bobs-Passw0rd!"}} {
		t.Run(who.Username, func(t *testing.T) {
			srv := sandboxtest.Start(t, []byte(twiceWorld), "twice.yaml")
			ws := azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-0000000000dd", ResourceGroup: "rg", Name: "ws", Location: "eastus"}
			other := sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond})
			rt := &beforePut{base: srv.HTTPClient().Transport, name: "mine"}
			rt.hook = func() {
				if _, err := other.Attach(context.Background(), ws, "mine", azure.VMSpec{ResourceID: twiceVM, SSHPort: 22, Creds: who}, nil); err != nil {
					t.Logf("the other attach: %v", err)
				}
			}
			ours := sandboxtest.Client(srv, azure.Options{HTTPClient: &http.Client{Transport: rt}, PollInterval: 20 * time.Millisecond, Retry: &policy.RetryOptions{MaxRetries: -1}})
			d := Deps{Azure: ours, Dial: srv.Dial, HTTP: srv.HTTPClient(), Timeout: 10 * time.Second}
			rep, err := Submit(context.Background(), d, ws, twicePlan(t, "mine"), nil, nil)
			if rt.puts.Load() != 1 {
				t.Fatalf("%d PUTs sent, want 1", rt.puts.Load())
			}
			if err == nil {
				t.Fatalf("a PUT refused on its only try was reported attached: %+v", rep.Compute)
			}
			if strings.Contains(err.Error(), "bob") {
				t.Fatalf("the other user's attach was reported as ours: %v", err)
			}
		})
	}
}
