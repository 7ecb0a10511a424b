package azure_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// The facade against a sandbox whose Resource Manager misbehaves: each test
// counts the requests, so that the fault hits the one it is about.

const faultyWorld = `subscriptions:
  - id: ` + sub + `
    resourceGroups:
      - name: rg
        location: westeurope
        workspaces:
          - name: ws
        virtualMachines:
          - name: vm1
            publicIP: 20.9.9.9
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
faults:
  attachSeconds: 0.3
  detachSeconds: 0.2
`

const vm1 = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"

var vmSpec = azure.VMSpec{ResourceID: vm1, SSHPort: 22, Creds: azure.VMCredentials{Username: "azureuser", Password: "Faulty-Passw0rd!"}}

func faultyClient(t *testing.T, faults string) (*azure.Client, azure.Workspace, *sandbox.Server) {
	t.Helper()
	return sandboxClient(t, faultyWorld+faults)
}

// sandboxClient is a facade with the sandbox's settings against the world.
func sandboxClient(t *testing.T, world string) (*azure.Client, azure.Workspace, *sandbox.Server) {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(world), "faulty.yaml")
	// The sandbox's settings in the command (cmd/amlattach/app.go).
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond,
		Retry: &policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 2 * time.Second}})
	return c, azure.Workspace{SubscriptionID: sub, ResourceGroup: "rg", Name: "ws", Location: "westeurope"}, srv
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return azure.WithStepTimeout(ctx, 5*time.Second)
}

func TestLostAnswerToThePUTAttachesOnce(t *testing.T) {
	// Request 1 reads the workspace; request 2, the PUT, is carried out and
	// its answer lost; the SDK sends it again. Azure ML refuses the retry
	// (409: the compute exists), and the facade recognises the compute as
	// its own and follows it; a lenient sandbox takes the retry as the
	// same attach.
	for _, faults := range []string{"", "  lenient: {reattach: true}\n"} {
		c, ws, srv := faultyClient(t, "  armResetEvery: 2\n"+faults)
		ctx := bounded(t)
		if _, err := c.GetWorkspace(ctx, ws); err != nil {
			t.Fatal(err)
		}
		var phases []string
		got, err := c.Attach(ctx, ws, "once", vmSpec, func(p azure.Progress) { phases = append(phases, p.Phase+" "+p.State) })
		if err != nil || got.ProvisioningState != "Succeeded" || got.Name != "once" || got.ResourceID != vm1 {
			t.Fatalf("%q: attach: %+v %v", faults, got, err)
		}
		if len(phases) < 2 || phases[0] != "submitted Creating" || phases[len(phases)-1] != "done Succeeded" {
			t.Fatalf("%q: progress %v", faults, phases)
		}
		if st := srv.FaultStats(); st.Resets < 2 {
			t.Fatalf("%q: want the PUT and later requests reset: %+v", faults, st)
		}
		if states := srv.ComputeStates(); len(states) != 1 || states["ws/once"] != "Succeeded" {
			t.Fatalf("%q: computes left: %v", faults, states)
		}
	}
}

// A conflict that is not our own attach stays a refusal: the compute of
// that name is attached to another resource, or was made long before.
func TestConflictThatIsNotOurAttach(t *testing.T) {
	other := strings.Replace(faultyWorld, "          - name: ws\n", `          - name: ws
            computes:
              - {name: taken, resourceId: /subscriptions/`+sub+`/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/elsewhere}
              - {name: old, resourceId: `+vm1+`}
`, 1)
	srv := sandboxtest.Start(t, []byte(other), "conflict.yaml")
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond})
	ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "rg", Name: "ws", Location: "westeurope"}
	for _, name := range []string{"taken", "old"} {
		_, err := c.Attach(bounded(t), ws, name, vmSpec, nil)
		if ae, ok := azure.AsAzureError(err); !ok || ae.Status != 409 {
			t.Fatalf("attach over %s: want the 409, got %v", name, err)
		}
	}
}

func TestThrottlingIsWaitedOutWithRetryAfter(t *testing.T) {
	c, ws, srv := faultyClient(t, "  armThrottleEvery: 2\n")
	ctx := bounded(t)
	start := time.Now()
	if _, err := c.GetWorkspace(ctx, ws); err != nil { // request 1
		t.Fatal(err)
	}
	if _, err := c.ListComputes(ctx, ws); err != nil { // 2 throttled, 3 answers
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("Retry-After: 1 not honoured: answered after %s", d)
	}
	got, err := c.Attach(ctx, ws, "throttled", vmSpec, nil)
	if err != nil || got.ProvisioningState != "Succeeded" {
		t.Fatalf("attach: %+v %v", got, err)
	}
	if st := srv.FaultStats(); st.Throttled < 2 {
		t.Fatalf("stats %+v", st)
	}
	// Throttled every time: the retries are bounded and the 429 comes back.
	c, ws, _ = faultyClient(t, "  armThrottleEvery: 1\n")
	start = time.Now()
	_, err = c.GetWorkspace(ctx, ws)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != 429 || ae.Code != "TooManyRequests" {
		t.Fatalf("always throttled: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %s", d)
	}
}

func TestPollFailuresAreRiddenOut(t *testing.T) {
	// Five failed polls: more than the SDK retries for one poll (3 tries).
	c, ws, srv := faultyClient(t, "  pollFailures: 5\n")
	ctx := bounded(t)
	got, err := c.Attach(ctx, ws, "polled", vmSpec, nil)
	if err != nil || got.ProvisioningState != "Succeeded" {
		t.Fatalf("attach: %+v %v", got, err)
	}
	if err := c.Detach(ctx, ws, "polled", nil); err != nil {
		t.Fatalf("detach: %v", err)
	}
	if st := srv.FaultStats(); st.PollFailures != 10 {
		t.Fatalf("stats %+v", st)
	}
	if states := srv.ComputeStates(); len(states) != 0 {
		t.Fatalf("computes left: %v", states)
	}
}

func TestPollsThatNeverWorkEndTheWaitNotTheAttach(t *testing.T) {
	c, ws, srv := faultyClient(t, "  pollFailures: 1000\n")
	ctx := bounded(t)
	start := time.Now()
	got, err := c.Attach(ctx, ws, "unseen", vmSpec, nil)
	var fe *azure.FollowError
	if !errors.As(err, &fe) || fe.Op != "attach" || fe.State != "Creating" {
		t.Fatalf("want a FollowError, got %T %v", err, err)
	}
	var ae *azure.AttachError
	if errors.As(err, &ae) || got.ProvisioningState == "Failed" {
		t.Fatalf("the attach is reported Failed: %+v", got)
	}
	if e, ok := azure.AsAzureError(err); !ok || e.Status != 500 {
		t.Fatalf("the poll's own failure is lost: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("gave up after %s", d)
	}
	// Azure went on: the attach ended well there.
	time.Sleep(400 * time.Millisecond)
	if states := srv.ComputeStates(); states["ws/unseen"] != "Succeeded" {
		t.Fatalf("computes: %v", states)
	}
}

func TestExpiredTokenWhileFollowing(t *testing.T) {
	// Request 1 is the PUT; every later one answers 401.
	c, ws, srv := faultyClient(t, "  tokenExpiresAfter: 1\n")
	ctx := bounded(t)
	_, err := c.Attach(ctx, ws, "expiring", vmSpec, nil)
	var fe *azure.FollowError
	if !errors.As(err, &fe) || !azure.IsSignInRefused(err) {
		t.Fatalf("want a FollowError for the 401, got %T %v", err, err)
	}
	if e := c.SignInRefused(); e == nil || !strings.Contains(e.Error(), "ExpiredAuthenticationToken") {
		t.Fatalf("SignInRefused: %v", e)
	}
	time.Sleep(400 * time.Millisecond)
	if states := srv.ComputeStates(); states["ws/expiring"] != "Succeeded" {
		t.Fatalf("computes: %v", states)
	}
	// A client whose requests all worked has seen no refusal.
	c2, ws2, _ := faultyClient(t, "")
	if _, err := c2.GetWorkspace(ctx, ws2); err != nil || c2.SignInRefused() != nil {
		t.Fatalf("%v %v", err, c2.SignInRefused())
	}
}

func TestEachRequestIsBoundedByTheStepTimeout(t *testing.T) {
	c, ws, srv := faultyClient(t, "  armLatencyMs: 3000\n")
	whole, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctx := azure.WithStepTimeout(whole, 200*time.Millisecond)
	start := time.Now()
	_, err := c.Attach(ctx, ws, "late", vmSpec, nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the PUT to time out, got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the PUT was given up after %s; the step timeout is 200ms", d)
	}
	if whole.Err() != nil {
		t.Fatal("the whole operation's context ended")
	}
	if err := c.Detach(ctx, ws, "late", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("detach: want its first read to time out, got %v", err)
	}
	if states := srv.ComputeStates(); len(states) != 0 {
		t.Fatalf("computes: %v", states)
	}
}

// The step timeout bounds each try of each request (azcore's TryTimeout),
// not a listing as a whole.
func TestStepTimeoutBoundsEachRequestNotTheListing(t *testing.T) {
	whole, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A read that is never answered in time: each of its three tries ends
	// at the bound, where the answer would come after 3 s.
	c, ws, _ := faultyClient(t, "  armLatencyMs: 3000\n")
	start := time.Now()
	_, err := c.GetWorkspace(azure.WithStepTimeout(whole, 200*time.Millisecond), ws)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the read to time out, got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the read was given up after %s; the step timeout is 200ms", d)
	}

	// Eight pages of one VM each, each answered within the bound, longer
	// than the bound together.
	var b strings.Builder
	b.WriteString("subscriptions:\n  - id: " + sub + "\n    resourceGroups:\n      - name: rg\n        location: westeurope\n        virtualMachines:\n")
	for i := range 8 {
		fmt.Fprintf(&b, "          - {name: vm%d, publicIP: 20.9.9.%d}\n", i, i+1)
	}
	b.WriteString("faults: {pageSize: 1, armLatencyMs: 150}\n")
	c, _, _ = sandboxClient(t, b.String())
	start = time.Now()
	vms, err := c.ListVMs(azure.WithStepTimeout(whole, time.Second), sub)
	if err != nil || len(vms) != 8 {
		t.Fatalf("listing: %d VMs, %v", len(vms), err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("the listing took %s, less than the bound: it proves nothing", d)
	}
}
