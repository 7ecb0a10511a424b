package flows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// browseWorld has three subscriptions of 5 VMs each, pages of 2, and one
// VM attached in the workspace.
func browseWorld(t *testing.T) (*sandbox.Server, azure.Workspace) {
	t.Helper()
	var b strings.Builder
	b.WriteString("subscriptions:\n")
	for s := 1; s <= 3; s++ {
		fmt.Fprintf(&b, "  - id: 00000000-0000-0000-0000-00000000000%d\n    resourceGroups:\n      - name: rg%d\n        location: eastus\n", s, s)
		if s == 1 {
			b.WriteString("        workspaces:\n          - name: ws\n            computes:\n")
			b.WriteString("              - {name: taken, resourceId: /subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg3/providers/Microsoft.Compute/virtualMachines/vm3-2}\n")
		}
		b.WriteString("        virtualMachines:\n")
		for v := 1; v <= 5; v++ {
			fmt.Fprintf(&b, "          - {name: vm%d-%d}\n", s, v)
		}
	}
	b.WriteString("faults: {pageSize: 2}\n")
	srv := sandboxtest.Start(t, []byte(b.String()), "browse world")
	return srv, azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "rg1", Name: "ws"}
}

func TestBrowseAllStreamsEverySubscription(t *testing.T) {
	srv, ws := browseWorld(t)
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{Retry: &policy.RetryOptions{MaxRetries: -1}}), Timeout: 10 * time.Second}
	var mu sync.Mutex
	inCall := false
	var pages [][]Candidate
	err := BrowseAll(context.Background(), d, ws, "vm", func(p []Candidate) {
		mu.Lock()
		if inCall {
			t.Error("page called while another call runs")
		}
		inCall = true
		mu.Unlock()
		pages = append(pages, p)
		mu.Lock()
		inCall = false
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []Candidate
	for _, p := range pages {
		if len(p) > 2 {
			t.Errorf("a page of %d: pages should come as Azure sends them", len(p))
		}
		all = append(all, p...)
	}
	if len(pages) != 9 || len(all) != 15 {
		t.Fatalf("%d pages, %d candidates; want 9 pages (3 of each subscription), 15 VMs", len(pages), len(all))
	}
	SortAllCandidates(all)
	if all[0].Name != "vm1-1" || all[14].Name != "vm3-5" {
		t.Fatalf("not sorted by subscription, group, name: first %s, last %s", all[0].Name, all[14].Name)
	}
	for _, c := range all {
		want := c.Name == "vm3-2"
		if got := len(c.AttachedAs) == 1 && c.AttachedAs[0] == "taken"; got != want {
			t.Errorf("%s attached as %v", c.Name, c.AttachedAs)
		}
	}
}

func TestBrowseAllRejectsUnknownType(t *testing.T) {
	err := BrowseAll(context.Background(), Deps{}, azure.Workspace{}, "nope", func([]Candidate) {})
	wantField(t, err, "TYPE", "nothing to browse")
}

// TestCandidatesAttachedAs: each resource gets the names of the computes
// attached to it, in the computes' order, its ID compared as ARM compares
// IDs (case, a trailing slash); a compute without a resource matches none.
func TestCandidatesAttachedAs(t *testing.T) {
	const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/"
	computes := []azure.Compute{
		{Name: "first", ResourceID: strings.ToUpper(id) + "VM1/"},
		{Name: "other", ResourceID: id + "vm2"},
		{Name: "second", ResourceID: id + "vm1"},
		{Name: "nothing"},
	}
	cs := candidates([]azure.Resource{{ID: id + "vm1", Name: "vm1"}, {ID: id + "vm3", Name: "vm3"}}, attachedAs(computes))
	if len(cs) != 2 || strings.Join(cs[0].AttachedAs, ",") != "first,second" || cs[1].AttachedAs == nil || len(cs[1].AttachedAs) != 0 {
		t.Fatalf("candidates: %+v", cs)
	}
}
