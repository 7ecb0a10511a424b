package flows

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// A deallocated VM on a simulated host where everything else passes.
const rerunWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-0000000000ee
    resourceGroups:
      - name: rg
        location: eastus
        workspaces:
          - name: ws
        virtualMachines:
          - name: vm1
            powerState: deallocated
            publicIP: 20.5.0.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Rerun-Passw0rd!"}}}}
`

const rerunVM = "/subscriptions/00000000-0000-0000-0000-0000000000ee/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"

// countingTransport counts the requests that go out, by method and path.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count(method, suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reqs {
		m, p, _ := strings.Cut(r, " ")
		if m == method && strings.HasSuffix(strings.ToLower(p), strings.ToLower(suffix)) {
			n++
		}
	}
	return n
}

// vm.start applied to a deallocated VM, through the real SDK against the
// sandbox: the rerun runs arm.vm.running and what needs it (and the reads
// they take their data from, afresh), not ws.permission, ws.name,
// ws.duplicate, the image or the NSG, whose results stand from before and
// are reported so; the workspace's permissions and computes are read once
// in the whole run, the VM again after the start, and SSH is dialled anew.
func TestRerunAfterVMStartRunsOnlyWhatTheFixTouched(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(rerunWorld), "rerun.yaml")
	ct := &countingTransport{next: srv.HTTPClient().Transport}
	dials := 0
	var dmu sync.Mutex
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond, HTTPClient: &http.Client{Transport: ct},
		Retry: &policy.RetryOptions{MaxRetries: -1}}),
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dmu.Lock()
			dials++
			dmu.Unlock()
			return srv.Dial(ctx, network, addr)
		}, HTTP: srv.HTTPClient(), Timeout: 10 * time.Second}
	ws := azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-0000000000ee", ResourceGroup: "rg", Name: "ws", Location: "eastus"}
	vp, err := ValidateVM(VMInput{ResourceID: rerunVM, Name: "vm1", Username: "azureuser", Password: "Rerun-Passw0rd!",
		KnownHosts: filepath.Join(t.TempDir(), "kh"), AcceptNew: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	p := vp.Target()

	var mu sync.Mutex
	var evs []Event
	emit := func(e Event) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	}
	rep, err := ApplyFixes(context.Background(), d, ws, p, FixOptions{}, emit)
	if err != nil {
		t.Fatalf("fix: %v\n%+v", err, rep)
	}
	applied := 0
	for _, f := range rep.Fixes {
		switch {
		case f.ID == FixVMStart && f.Status == FixApplied:
			applied++
		case f.ID != FixVMStart && f.Status == FixUnchanged:
		default:
			t.Fatalf("want vm.start applied, every other fix unchanged: %+v", f)
		}
	}
	if applied != 1 || !rep.OK {
		t.Fatalf("want vm.start applied and a passing preflight: %+v", rep.Fixes)
	}

	// The events of the rerun: from the second ProbesPlanned on.
	second := -1
	planned := 0
	for i, e := range evs {
		if e.Kind == ProbesPlanned {
			if planned++; planned == 2 {
				second = i
			}
		}
	}
	if second < 0 {
		t.Fatalf("no second preflight in the events")
	}
	if ids := evs[second].IDs; !slices.Equal(ids, p.ProbeIDs()) {
		t.Fatalf("the rerun's plan is not the full plan: %v", ids)
	}
	var started, reused, fresh []string
	for _, e := range evs[second:] {
		switch {
		case e.Kind == ProbeStarted:
			started = append(started, e.Result.ID)
		case e.Kind == ProbeFinished && e.Reused:
			reused = append(reused, e.Result.ID)
		case e.Kind == ProbeFinished:
			fresh = append(fresh, e.Result.ID)
		}
	}
	slices.Sort(started)
	slices.Sort(reused)
	slices.Sort(fresh)
	wantRun := []string{probes.IDArmResource, probes.IDVMRunning, probes.IDVMPublicIP, probes.IDNetTCP, probes.IDSSHHostKey, probes.IDSSHAuth,
		probes.IDHostOS, probes.IDHostDocker, probes.IDHostGPU, probes.IDHostDisk,
		// arm.nsg.ssh follows arm.vm.running: Network Watcher checks only a running VM.
		probes.IDNSGSSH}
	wantKept := []string{probes.IDWsPermission, probes.IDWsName, probes.IDWsDuplicate, probes.IDVMImage}
	slices.Sort(wantRun)
	slices.Sort(wantKept)
	if !slices.Equal(fresh, wantRun) || !slices.Equal(reused, wantKept) {
		t.Fatalf("rerun ran %v and kept %v;\nwant ran %v, kept %v", fresh, reused, wantRun, wantKept)
	}
	for _, id := range started {
		if slices.Contains(wantKept, id) {
			t.Fatalf("%s started again in the rerun", id)
		}
	}
	after := map[string]ProbeJSON{}
	for _, r := range rep.After.Probes {
		after[r.ID] = r
	}
	if after[probes.IDVMRunning].Status != "pass" || after[probes.IDSSHAuth].Status != "pass" || len(rep.After.Probes) != len(p.ProbeIDs()) {
		t.Fatalf("after: %+v", rep.After.Probes)
	}
	for i, id := range p.ProbeIDs() {
		if rep.After.Probes[i].ID != id {
			t.Fatalf("after is not in plan order: %d is %s, want %s", i, rep.After.Probes[i].ID, id)
		}
	}

	wsScope := "/workspaces/ws/providers/Microsoft.Authorization/permissions"
	if n := ct.count(http.MethodGet, wsScope); n != 1 {
		t.Fatalf("the workspace's permissions were read %d times, want once (ws.permission must not rerun)", n)
	}
	if n := ct.count(http.MethodGet, "/workspaces/ws/computes"); n != 1 {
		t.Fatalf("the computes were listed %d times, want once (ws.name and ws.duplicate must not rerun)", n)
	}
	// GETs of the VM: the first preflight, the fix's offer and its read
	// before the start, and the rerun's own read.
	if n := ct.count(http.MethodGet, "/virtualMachines/vm1"); n != 4 {
		t.Fatalf("the VM was read %d times, want 4 (the rerun reads it afresh)\n%v", n, ct.reqs)
	}
	if n := ct.count(http.MethodPost, "/virtualMachines/vm1/start"); n != 1 {
		t.Fatalf("%d starts sent", n)
	}
	if dials != 1 {
		t.Fatalf("%d SSH dials, want 1 (none while deallocated, one in the rerun)", dials)
	}
}

// When no fix was applied (refused, failed, planned, or in place already),
// nothing reruns: the results are before's, and no event is sent.
func TestRerunAfterFixesRunsNothingWhenNothingWasApplied(t *testing.T) {
	before := []probes.Result{{ID: probes.IDWsPermission, Status: probes.Pass}, {ID: probes.IDVMRunning, Status: probes.Fail}}
	calls := 0
	p := &Plan{Type: "vm", steps: func(Deps, azure.Workspace, *Plan) ([]Step, func()) {
		calls++
		return nil, func() {}
	}}
	for _, st := range []FixStatus{FixRefused, FixFailed, FixPlanned} {
		got := RerunAfterFixes(context.Background(), Deps{}, azure.Workspace{}, p, before,
			[]FixOutcome{{ID: FixVMStart, Probe: probes.IDVMRunning, Status: st}, {ID: FixVMStart, Probe: probes.IDWsPermission, Status: FixUnchanged}},
			func(e Event) { t.Fatalf("%s: an event: %+v", st, e) })
		if calls != 0 || !slices.EqualFunc(got, before, func(a, b probes.Result) bool { return a.ID == b.ID && a.Status == b.Status }) {
			t.Fatalf("%s: the plan was built %d times, results %+v", st, calls, got)
		}
	}
}

// A fix that failed or was refused after changing something (an NSG made,
// its NIC not updated) reruns its probe as an applied one does.
func TestRerunFromAPartialChange(t *testing.T) {
	before := []probes.Result{{ID: probes.IDNSGSSH, Status: probes.Fail}, {ID: probes.IDVMPublicIP, Status: probes.Fail}}
	for _, st := range []FixStatus{FixFailed, FixRefused} {
		got := rerunFrom(before, []FixOutcome{
			{ID: FixNSGCreate, Probe: probes.IDNSGSSH, Status: st, Changed: []Change{{Resource: "NSG x", Before: "none", After: "created"}}},
			{ID: FixIPCreate, Probe: probes.IDVMPublicIP, Status: st},
		})
		if !got[probes.IDNSGSSH] || got[probes.IDVMPublicIP] || len(got) != 1 {
			t.Fatalf("%s: rerun from %v, want arm.nsg.ssh only", st, got)
		}
	}
}

// The steps to rerun: the fixed probe, what needs it (transitively, also
// when a need comes later in the plan), and what those need; nothing else.
func TestRerunSetFollowsNeedsBothWays(t *testing.T) {
	steps := []Step{
		{ID: "d", Needs: []string{"c"}}, // needs a later step
		{ID: "a"},
		{ID: "b", Needs: []string{"a"}},
		{ID: "c", Needs: []string{"b", "x"}},
		{ID: "x"},
		{ID: "y", Needs: []string{"a"}},
		{ID: "z"},
	}
	got := rerunSet(steps, map[string]bool{"b": true})
	var ids []string
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if want := []string{"a", "b", "c", "d", "x"}; !slices.Equal(ids, want) {
		t.Fatalf("rerun set %v, want %v", ids, want)
	}
}

// A kept result is what the steps that need it see: a kept failure skips
// them, as in the first run; the kept step itself does not run.
func TestRunGraphKeepsResultsItDoesNotRun(t *testing.T) {
	ran := map[string]bool{}
	var mu sync.Mutex
	mark := func(id string) func(context.Context) probes.Result {
		return func(context.Context) probes.Result {
			mu.Lock()
			ran[id] = true
			mu.Unlock()
			return probes.Result{Status: probes.Pass}
		}
	}
	steps := []Step{
		{ID: probes.IDArmResource, Run: mark(probes.IDArmResource)},
		{ID: probes.IDVMRunning, Needs: []string{probes.IDArmResource}, Run: mark(probes.IDVMRunning)},
		{ID: probes.IDVMImage, Run: mark(probes.IDVMImage)},
	}
	var evs []Event
	rs := runGraph(context.Background(), steps, map[string]probes.Result{probes.IDArmResource: {Status: probes.Fail, Detail: "gone"}}, nil,
		func(e Event) { evs = append(evs, e) })
	if ran[probes.IDArmResource] || ran[probes.IDVMRunning] || !ran[probes.IDVMImage] {
		t.Fatalf("ran %v", ran)
	}
	if rs[0].Status != probes.Fail || rs[0].Detail != "gone" || rs[0].Title == "" || rs[1].Status != probes.Skip || rs[2].Status != probes.Pass {
		t.Fatalf("results %+v", rs)
	}
	if evs[0].Kind != ProbesPlanned || len(evs[0].IDs) != 3 || evs[1].Kind != ProbeFinished || !evs[1].Reused || evs[1].Result.ID != probes.IDArmResource {
		t.Fatalf("events %+v", evs)
	}
}

// A fix whose probe passes is reported unchanged, once per fix ID of the
// plan's type (those in --only, when given); a builder for another type
// reports nothing; a failing probe reports nothing.
func TestFixesInPlaceAreUnchanged(t *testing.T) {
	vm := &Plan{Type: "vm", ID: mustID(t, rerunVM)}
	aks := &Plan{Type: "aks", ID: mustID(t, "/subscriptions/00000000-0000-0000-0000-0000000000ee/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/k1")}
	pass := []probes.Result{{ID: probes.IDVMRunning, Status: probes.Pass}}
	got := FixesInPlace(vm, pass, nil)
	if len(got) != 1 || got[0].ID != FixVMStart || got[0].Status != FixUnchanged || got[0].Probe != probes.IDVMRunning ||
		got[0].Summary != "already in place: arm.vm.running passes" {
		t.Fatalf("vm: %+v", got)
	}
	if got := FixesInPlace(vm, pass, []string{"nsg.create"}); len(got) != 0 {
		t.Fatalf("--only another fix: %+v", got)
	}
	if got := FixesInPlace(aks, pass, nil); len(got) != 0 {
		t.Fatalf("aks: %+v", got)
	}
	if got := FixesInPlace(vm, []probes.Result{{ID: probes.IDVMRunning, Status: probes.Warn}}, nil); len(got) != 0 {
		t.Fatalf("a warning is not in place: %+v", got)
	}
}

func mustID(t *testing.T, s string) azure.ResourceID {
	t.Helper()
	id, err := azure.ParseResourceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// What a fix changed is recorded (JSON, trace lines, doctor's report)
// without the plan's secrets or any private key, whatever the fix put in
// its changes or its error.
func TestFixRecordHoldsNoSecret(t *testing.T) {
	const pw = "Record-Passw0rd!"
	const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretkeymaterial\n-----END RSA PRIVATE KEY-----"
	f := Fix{ID: "ssh.install-key", Probe: probes.IDSSHAuth, Summary: "install a key", Permission: "p",
		apply: func(context.Context, Deps, Emit) (FixStatus, []Change, error) {
			return FixApplied, []Change{{Resource: "VM vm1", Before: "password " + pw, After: "key " + key}}, nil
		}}
	oc := ApplyFix(context.Background(), Deps{}, f, nil)
	oc.scrub([]string{pw})
	g := &Diagnosis{At: time.Now()}
	g.RecordFixes(oc, FixOutcome{ID: FixVMStart, Probe: probes.IDVMRunning, Status: FixUnchanged, Summary: "already in place"},
		FixOutcome{ID: "host.docker-setup", Probe: probes.IDHostDocker, Status: FixFailed, Summary: "docker", Error: "exit 1: " + key})
	if len(g.Fixes) != 2 {
		t.Fatalf("want the applied and the failed fix recorded, not the one in place: %+v", g.Fixes)
	}
	js, err := json.Marshal(NewDoctorJSON(g, "v", "c"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(DoctorMarkdown(NewDoctorJSON(g, "v", "c")))
	rec := strings.Join(oc.Record(), "\n")
	for name, s := range map[string]string{"json": string(js), "markdown": md, "record": rec} {
		if strings.Contains(s, pw) || strings.Contains(s, "secretkeymaterial") || strings.Contains(s, "PRIVATE KEY") {
			t.Fatalf("%s holds a secret:\n%s", name, s)
		}
	}
	if !strings.Contains(md, "## Fixes applied") || !strings.Contains(md, "`ssh.install-key` (for `ssh.auth`): applied") ||
		!strings.Contains(md, "VM vm1: password [REDACTED] -> key [private key removed]") || !strings.Contains(md, "`host.docker-setup` (for `host.docker`): failed") {
		t.Fatalf("the report does not record the fixes:\n%s", md)
	}
	if !strings.Contains(rec, "changed: VM vm1") {
		t.Fatalf("record: %s", rec)
	}
}

// A write Azure refused for a resource it links to (a NIC's NSG) names the
// join action and the linked resource, not the write the caller may make.
func TestFixErrorNamesTheLinkedPermission(t *testing.T) {
	nsg := "/subscriptions/s/resourceGroups/netops/providers/Microsoft.Network/networkSecurityGroups/nsg1"
	body := `{"error": {"code": "LinkedAuthorizationFailed", "message": "The client 'c' with object id 'c' has permission to perform action 'Microsoft.Network/networkInterfaces/write' on scope '/subscriptions/s/resourceGroups/apps/providers/Microsoft.Network/networkInterfaces/nic1'; however, it does not have permission to perform action 'Microsoft.Network/networkSecurityGroups/join/action' on the linked scope(s) '` + nsg + `' or the linked scope(s) are invalid."}}`
	resp := &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)),
		Request: &http.Request{Method: http.MethodPut, URL: &url.URL{Scheme: "https", Host: "management.azure.com", Path: "/x"}}}
	err := runtime.NewResponseError(resp)
	f := Fix{ID: "nsg.create", Permission: "Microsoft.Network/networkSecurityGroups/write", Scope: "/subscriptions/s/resourceGroups/apps"}
	msg := fixError(f, err)
	if !strings.Contains(msg, "you need Microsoft.Network/networkSecurityGroups/join/action at "+nsg+" (e.g. the role Network Contributor there)") ||
		strings.Contains(msg, "you need Microsoft.Network/networkSecurityGroups/write") {
		t.Fatalf("the error does not name the linked permission: %s", msg)
	}
	oc := ApplyFix(context.Background(), Deps{}, Fix{ID: "nsg.create", Permission: f.Permission, apply: func(context.Context, Deps, Emit) (FixStatus, []Change, error) {
		return FixFailed, nil, runtime.NewResponseError(&http.Response{StatusCode: http.StatusForbidden, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: resp.Request})
	}}, nil)
	if oc.Status != FixRefused {
		t.Fatalf("a linked refusal is a refusal: %+v", oc)
	}
}
