package sandbox

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestListingBuildsOnlyThePage pages through a list spread over resource
// groups and counts the items built: each page builds what it carries, so
// the whole list builds each item once, however many pages it takes (it was
// the whole list per page, which made a long list quadratic).
func TestListingBuildsOnlyThePage(t *testing.T) {
	sizes := []int{0, 25, 1, 0, 74}
	sub := &Subscription{ID: "s"}
	for range sizes {
		sub.ResourceGroups = append(sub.ResourceGroups, ResourceGroup{})
	}
	count := func(g *ResourceGroup) int {
		for i := range sub.ResourceGroups {
			if &sub.ResourceGroups[i] == g {
				return sizes[i]
			}
		}
		return 0
	}
	built := 0
	build := func(_ *ResourceGroup, from, to int) []any {
		built += to - from
		out := make([]any, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, i)
		}
		return out
	}
	s := &Server{world: &World{Faults: Faults{PageSize: 10}}}
	for skip := 0; skip < 100; skip += 10 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/x?$skip="+itoa(skip), nil)
		s.writeListing(rec, req, groupListing(&match{sub: sub}, count, build))
		if rec.Code != http.StatusOK {
			t.Fatalf("$skip=%d: %d %s", skip, rec.Code, rec.Body)
		}
	}
	if built != 100 {
		t.Fatalf("10 pages of 10 built %d items, want 100 (each once)", built)
	}
}
