package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	compute "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"amlattach/azure/sandbox"
)

// pagingWorld has perGroup[i] VMs and batch accounts in resource group gi
// (an empty group first, so a page can start past a group with nothing in it).
func pagingWorld(perGroup []int, faults string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "subscriptions:\n  - id: %s\n    resourceGroups:\n", sub)
	for gi, n := range perGroup {
		fmt.Fprintf(&b, "      - name: g%d\n        location: eastus\n", gi)
		if n == 0 {
			continue
		}
		b.WriteString("        virtualMachines:\n")
		for i := range n {
			fmt.Fprintf(&b, "          - {name: vm-%d-%04d}\n", gi, i)
		}
		b.WriteString("        batchAccounts:\n")
		for i := range n {
			fmt.Fprintf(&b, "          - {name: ba-%d-%04d}\n", gi, i)
		}
	}
	b.WriteString(faults)
	return b.String()
}

// listNames follows a list's nextLinks from path and returns the names it
// served, in order, and the length of each page.
func listNames(t *testing.T, srv *sandbox.Server, path string) (names []string, pages []int) {
	t.Helper()
	for url := srv.Endpoint() + path; url != ""; {
		req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Value    []struct{ Name string }
			NextLink string
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
		}
		for _, v := range page.Value {
			names = append(names, v.Name)
		}
		pages = append(pages, len(page.Value))
		url = page.NextLink
		if len(pages) > 10000 {
			t.Fatalf("GET %s: the nextLinks do not end", path)
		}
	}
	return names, pages
}

// TestPagedListsServeEveryItemOnce lists VMs, NICs and Batch accounts of a
// subscription and of one group, with the default page size and with a
// small faults.pageSize: every item comes exactly once, in world order,
// in full pages but the last.
func TestPagedListsServeEveryItemOnce(t *testing.T) {
	perGroup := []int{0, 1000, 1, 1344}
	total := 0
	for _, n := range perGroup {
		total += n
	}
	lists := []struct{ what, path, prefix, suffix string }{
		{"VMs", "/providers/Microsoft.Compute/virtualMachines?api-version=2026-04-01", "vm-", ""},
		{"NICs", "/providers/Microsoft.Network/networkInterfaces?api-version=2025-09-01", "vm-", "-nic"},
		{"Batch accounts", "/providers/Microsoft.Batch/batchAccounts?api-version=2024-07-01", "ba-", ""},
	}
	for _, tc := range []struct {
		name   string
		faults string
		size   int
	}{
		{"default page size", "", 1000},
		{"faults.pageSize 7", "faults: {pageSize: 7}\n", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startWorld(t, pagingWorld(perGroup, tc.faults))
			for _, l := range lists {
				var want []string
				for gi, n := range perGroup {
					for i := range n {
						want = append(want, fmt.Sprintf("%s%d-%04d%s", l.prefix, gi, i, l.suffix))
					}
				}
				names, pages := listNames(t, srv, "/subscriptions/"+sub+l.path)
				checkPaged(t, l.what+" of the subscription", names, pages, want, tc.size)
				names, pages = listNames(t, srv, "/subscriptions/"+sub+"/resourceGroups/g3"+l.path)
				checkPaged(t, l.what+" of g3", names, pages, want[total-perGroup[3]:], tc.size)
			}

			// The SDK's pager follows the same nextLinks.
			vc, err := compute.NewVirtualMachinesClient(sub, staticCred{}, clientOptions(srv))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for pg := vc.NewListAllPager(nil); pg.More(); {
				page, err := pg.NextPage(ctx(t))
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range page.Value {
					seen[*v.Name]++
				}
			}
			if len(seen) != total {
				t.Fatalf("the SDK's pager saw %d VMs, want %d", len(seen), total)
			}
		})
	}
}

func checkPaged(t *testing.T, what string, names []string, pages []int, want []string, size int) {
	t.Helper()
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("%s: %d items served, want each of %d once, in world order", what, len(names), len(want))
	}
	wantPages := (len(want) + size - 1) / size
	if len(pages) != wantPages {
		t.Errorf("%s: %d pages, want %d of up to %d", what, len(pages), wantPages, size)
	}
	for i, n := range pages {
		if n > size || (i < len(pages)-1 && n != size) {
			t.Errorf("%s: page %d holds %d items; pages hold %d, the last one the rest", what, i+1, n, size)
		}
	}
}
