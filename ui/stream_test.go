package ui

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"amlattach/flows"
)

const testSub2 = "11111111-2222-3333-4444-555555555555" // "Research" in newFake

// feed is a listing the test drives: BrowseAll sends a page when the test
// hands it one, ends when the test says how, and reports when its context
// ends first.
type feed struct {
	f       *fakeBackend
	pages   chan []flows.Candidate
	end     chan error
	stopped chan struct{} // one value each time a listing's context ended
	calls   atomic.Int32
}

func newFeed(f *fakeBackend) *feed {
	fd := &feed{f: f, pages: make(chan []flows.Candidate), end: make(chan error), stopped: make(chan struct{}, 8)}
	f.browseAll = func(ctx context.Context, _ string, page func([]flows.Candidate)) error {
		fd.calls.Add(1)
		for {
			f.waiting.Add(1) // waits for the test, as a user would be waited for
			select {
			case p := <-fd.pages:
				f.waiting.Add(-1)
				page(p)
			case err := <-fd.end:
				f.waiting.Add(-1)
				return err
			case <-ctx.Done():
				f.waiting.Add(-1)
				fd.stopped <- struct{}{}
				return ctx.Err()
			}
		}
	}
	return fd
}

// page hands BrowseAll a page and lets the wizard take it in.
func (fd *feed) page(d *driver, cs ...flows.Candidate) {
	d.t.Helper()
	fd.pages <- cs
	d.settle()
}

// finish ends the listing with err.
func (fd *feed) finish(d *driver, err error) {
	d.t.Helper()
	fd.end <- err
	d.settle()
}

func (fd *feed) wantStopped(t *testing.T) {
	t.Helper()
	select {
	case <-fd.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the listing's context did not end")
	}
}

func vmIn(sub, group, name string) flows.Candidate {
	return flows.Candidate{ID: "/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/Microsoft.Compute/virtualMachines/" + name,
		Name: name, ResourceGroup: group, Location: "eastus"}
}

// selectedName is the name of the highlighted row of the resource step.
func selectedName(t *testing.T, d *driver) string {
	t.Helper()
	r := d.m.resource
	i, ok := r.pick.Selected()
	if !ok {
		t.Fatalf("no row highlighted:\n%s", d.screen())
	}
	return r.cands[i].Name
}

func TestResourceStreamFiltersPagesThatArriveLater(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	d := newDriver(t, testOptions(f), 99, 30)
	d.keys("enter", "enter")
	d.wantStep(stepResource)
	d.want("Listing the VMs of every subscription you can see…")

	fd.page(d, vmIn(testSub, "ml-rg", "alpha-gpu"), vmIn(testSub, "ml-rg", "beta-cpu"))
	d.want("2 VMs so far…", "alpha-gpu", "beta-cpu")
	d.wantNot("SUBSCRIPTION") // one subscription: today's columns

	d.keys("/")
	d.typeText("gpu")
	d.want("1 of 2", "alpha-gpu")
	d.wantNot("beta-cpu")

	// A page that arrives while the filter is typed is filtered too; its
	// subscription is a second one, so the column appears.
	fd.page(d, vmIn(testSub2, "lab-rg", "gamma-gpu"), vmIn(testSub2, "lab-rg", "delta-cpu"))
	d.want("4 VMs so far…", "2 of 4", "alpha-gpu", "gamma-gpu", "SUBSCRIPTION", "Research", "Contoso ML")
	d.wantNot("beta-cpu", "delta-cpu")
	if !d.m.resource.pick.Typing() {
		t.Fatal("the page took the focus from the filter")
	}

	// The filter keeps working over what has arrived, subscription names included.
	d.typeText(" research")
	d.want("1 of 4", "gamma-gpu")
	d.wantNot("alpha-gpu")
	d.keys("backspace")
	d.keys("ctrl+u")
	d.want("4 of 4")
	d.typeText("gpu")

	// The end sorts the rows (by subscription, group, name) once; the
	// highlighted row stays highlighted.
	d.keys("down")
	if got := selectedName(t, d); got != "gamma-gpu" {
		t.Fatalf("highlighted %s, want gamma-gpu", got)
	}
	fd.page(d, vmIn(testSub, "aa-rg", "aardvark-gpu"))
	d.want("3 of 5")
	fd.finish(d, nil)
	d.want("5 VMs in 2 subscriptions", "3 of 5")
	d.wantNot("so far")
	if got := selectedName(t, d); got != "gamma-gpu" {
		t.Fatalf("after the sort, highlighted %s, want gamma-gpu", got)
	}
	var names []string
	for _, c := range d.m.resource.cands {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "aardvark-gpu alpha-gpu beta-cpu delta-cpu gamma-gpu" {
		t.Fatalf("order after the end: %s", got)
	}
	d.keys("enter")
	d.wantStep(stepDetails)
	d.want("gamma-gpu")
}

func TestResourceStreamStopsWhenTheUserLeaves(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	d := newDriver(t, testOptions(f), 99, 30)
	d.keys("enter", "enter")
	fd.page(d, vmIn(testSub, "ml-rg", "alpha-gpu"))
	d.want("1 VMs so far…")

	d.keys("esc") // back to the types
	d.wantStep(stepTarget)
	fd.wantStopped(t)

	// Coming back lists again.
	d.keys("enter")
	d.wantStep(stepResource)
	d.want("Listing the VMs of every subscription you can see…")
	if n := fd.calls.Load(); n != 2 {
		t.Fatalf("BrowseAll called %d times, want 2", n)
	}
	fd.page(d, vmIn(testSub, "ml-rg", "alpha-gpu"), vmIn(testSub, "ml-rg", "beta-cpu"))
	d.want("2 VMs so far…")

	// Choosing a row that arrived leaves the step too.
	d.keys("enter")
	d.wantStep(stepDetails)
	fd.wantStopped(t)

	// And quitting.
	d.keys("esc")
	d.wantStep(stepResource)
	d.want("Listing the VMs")
	d.keys("q")
	d.want("Quit amlattach?")
	d.keys("y")
	fd.wantStopped(t)
}

func TestResourceStreamNamesTheSubscriptionsItCouldNotList(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	d := newDriver(t, testOptions(f), 99, 30)
	d.keys("enter", "enter")
	fd.page(d, vmIn(testSub, "ml-rg", "alpha-gpu"), vmIn(testSub, "ml-rg", "beta-cpu"))
	bae := &flows.BrowseAllError{Failed: []flows.SubscriptionError{{
		Subscription: flows.Subscription{ID: testSub2, Name: "Research", State: "Enabled"},
		Err:          errors.New("AuthorizationFailed: no read access"),
	}}}
	fd.finish(d, &flows.Error{Kind: flows.KindAzure, Msg: bae.Error(), Err: bae})
	d.want("2 VMs in the workspace's subscription",
		"! 1 subscription could not be listed; r tries again:",
		"Research ("+testSub2+")", "AuthorizationFailed",
		"alpha-gpu", "beta-cpu", "r retry")

	d.keys("r")
	d.want("Listing the VMs of every subscription you can see…")
	d.wantNot("could not be listed")
	fd.page(d, vmIn(testSub, "ml-rg", "alpha-gpu"))
	fd.page(d, vmIn(testSub2, "lab-rg", "gamma-gpu"))
	fd.finish(d, nil)
	d.want("2 VMs in 2 subscriptions", "SUBSCRIPTION", "Research", "gamma-gpu")
	d.wantNot("could not be listed", "r retry")
	if n := fd.calls.Load(); n != 2 {
		t.Fatalf("BrowseAll called %d times, want 2", n)
	}
}

func TestResourceStreamFailsBeforeAnyPage(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	d := newDriver(t, testOptions(f), 99, 30)
	d.keys("enter", "enter")
	fd.finish(d, &flows.Error{Kind: flows.KindAzure, Msg: "list your subscriptions: the token has expired", Fix: "sign in again"})
	d.want("the token has expired", "r tries again")
	d.keys("r")
	d.want("Listing the VMs")
	fd.finish(d, nil)
	d.want("No VMs in the subscriptions you can see.")
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1200: "1,200", 10000: "10,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestGoldenResourceStreaming is the resource step part way through a
// listing of two subscriptions, at 80x24: the running count, the
// SUBSCRIPTION column, and a filter typed over what has arrived. The
// spinner's frame depends on how long the test ran, so it is drawn as the
// first frame.
func TestGoldenResourceStreaming(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	s := startSession(t, testOptions(f), 80, 24)
	s.toTypes()
	s.key("enter")
	s.wait("Listing the VMs of every subscription")
	fd.pages <- []flows.Candidate{vmIn(testSub, "ml-rg", "alpha-gpu"), vmIn(testSub, "ml-rg", "beta-cpu"), vmIn(testSub, "ml-rg", "gpu-dsvm")}
	s.wait("3 VMs so far")
	fd.pages <- []flows.Candidate{vmIn(testSub2, "lab-rg", "lab-gpu-01"), vmIn(testSub2, "lab-rg", "lab-cpu-01")}
	s.wait("5 VMs so far")
	s.key("/")
	s.tm.Type("gpu")
	s.wait("3 of 5")
	fd.pages <- []flows.Candidate{vmIn(testSub2, "lab-rg", "lab-gpu-02")}
	s.wait("4 of 6")
	if err := s.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	view := s.tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View()
	for _, fr := range []string{"⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"} {
		view = strings.ReplaceAll(view, fr, "⠋")
	}
	teatest.RequireEqualOutput(t, []byte(view))
}
