package ui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

// runs is what Bubble Tea hands the model when several printable keys are
// read from the terminal at once (a busy machine, an SSH link that sends
// keystrokes together, a fast typist): one KeyMsg holding every rune.
func runs(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// TestKeysReadTogetherAreEachAKey: "/" and the filter, read from the
// terminal in one go, open the filter and type into it, as they do when
// read one by one; before, the whole run matched no key and was dropped.
func TestKeysReadTogetherAreEachAKey(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("enter", "enter")
	d.wantStep(stepResource)
	d.want("3 VMs", "centos-vm")

	d.send(runs("/gpu"))
	d.want("1 of 3", "gpu-dsvm")
	d.wantNot("centos-vm")
	if p := d.m.resource.pick; !p.Typing() || p.filter.Value() != "gpu" {
		t.Fatalf("filtering %v with %q, want the filter field holding \"gpu\"", p.Typing(), p.filter.Value())
	}

	// A run that starts with a step's own key does what that key does,
	// then the rest goes where the key led: b opens the build form, whose
	// focused field (the subscription, filled in from the workspace's)
	// takes the rest.
	d.keys("esc") // leaves and clears the filter
	d.want("3 VMs", "centos-vm")
	d.send(runs("bx"))
	d.want("Build the VM's resource ID")
	if got := d.m.resource.build[d.m.resource.buildFocus].Value(); got != testSub+"x" {
		t.Fatalf("the build field holds %q, want %q", got, testSub+"x")
	}
}

// TestPasteStaysOneKey: a bracketed paste is text, not keys: into the
// paste field it goes whole, and on the list it opens nothing.
func TestPasteStaysOneKey(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.keys("enter", "enter")
	d.want("3 VMs")
	paste := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(testVM), Paste: true}
	d.send(paste)
	if p := d.m.resource.pick; p.Typing() || d.m.resource.mode != resBrowse {
		t.Fatalf("a paste on the list opened the filter or a form:\n%s", d.screen())
	}
	d.keys("p")
	d.send(paste)
	if got := d.m.resource.paste.Value(); got != testVM {
		t.Fatalf("the paste field holds %q, want the pasted ID", got)
	}
	d.want("enter uses it")
}

// TestResourceFilterTypedBeforeThePagesArrive: the filter opened and typed
// while nothing has arrived yet shows at once, and stays through every
// page, the text typed between pages, and the end of the listing.
func TestResourceFilterTypedBeforeThePagesArrive(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	d := newDriver(t, testOptions(f), 99, 30)
	d.keys("enter", "enter")
	d.wantStep(stepResource)
	d.want("Listing the VMs of every subscription you can see…")

	d.keys("/")
	d.typeText("dsvm")
	d.want("/ dsvm", "0 of 0")

	fd.page(d, vmIn(testSub, "ml-rg", "centos-vm"), vmIn(testSub, "ml-rg", "dsvm-ubuntu"), vmIn(testSub, "ml-rg", "dsvm-win"))
	d.want("3 VMs so far…", "/ dsvm", "2 of 3", "dsvm-ubuntu", "dsvm-win")
	d.wantNot("centos-vm")

	d.send(runs("-ub"))
	d.want("/ dsvm-ub", "1 of 3", "dsvm-ubuntu")
	d.wantNot("dsvm-win")

	fd.page(d, vmIn(testSub2, "lab-rg", "dsvm-ubuntu-2"), vmIn(testSub2, "lab-rg", "alma-vm"))
	d.want("/ dsvm-ub", "2 of 5", "dsvm-ubuntu-2")
	fd.finish(d, nil)
	d.want("5 VMs in 2 subscriptions", "/ dsvm-ub", "2 of 5", "dsvm-ubuntu", "dsvm-ubuntu-2")
	d.wantNot("centos-vm", "alma-vm", "dsvm-win")
	if p := d.m.resource.pick; !p.Typing() || p.filter.Value() != "dsvm-ub" || !p.FilterApplied() {
		t.Fatalf("after the listing: filtering %v with %q, want the filter field still holding \"dsvm-ub\"", p.Typing(), p.filter.Value())
	}
	d.keys("enter")
	d.wantStep(stepDetails)
	d.want("dsvm-ubuntu")
}

// TestTypeChosenBeforeTheListingAnswers: the workspace confirmed and the
// type chosen before the first listing answered: the listing of the new
// type is the one shown, the first one's context ends, and a filter typed
// meanwhile applies to the new type's rows.
func TestTypeChosenBeforeTheListingAnswers(t *testing.T) {
	f := newFake()
	fd := newFeed(f)
	d := newDriver(t, testOptions(f), 99, 30)
	d.keys("enter") // the workspace: the VMs' listing starts, and waits
	d.wantStep(stepTarget)
	if n := fd.calls.Load(); n != 1 {
		t.Fatalf("%d listings after the workspace, want 1", n)
	}
	d.keys("/")
	d.typeText("databricks")
	d.keys("enter")
	d.wantStep(stepResource)
	fd.wantStopped(t) // the VMs' listing was abandoned for the new type's
	d.want("Listing the Databricks workspaces")
	d.keys("/")
	d.typeText("prod")
	fd.page(d, flows.Candidate{ID: testDBX, Name: "dbx-ws", ResourceGroup: "ml-rg", Location: "eastus"},
		flows.Candidate{ID: testDBX + "-prod", Name: "dbx-prod", ResourceGroup: "ml-rg", Location: "eastus"})
	fd.finish(d, nil)
	d.want("2 Databricks workspaces", "/ prod", "1 of 2", "dbx-prod")
	d.wantNot("dbx-ws ")
}

// TestKeysTypedAheadGoToTheStepTheyFollow: keys typed after the enter that
// leaves a step, before the wizard has moved on (read from the terminal
// together, or a busy machine), go to the step that enter leads to, in
// order: enter on the workspace, enter on the type, then "/gpu" filter the
// VMs, not the types.
func TestKeysTypedAheadGoToTheStepTheyFollow(t *testing.T) {
	d := newDriver(t, testOptions(newFake()), 99, 30)
	d.want("Attach to this workspace?")
	// d.update hands over a message without waiting for what it started.
	d.update(keyMsg("enter"))
	d.update(keyMsg("enter"))
	d.update(keyMsg("/"))
	d.update(runs("gpu"))
	d.settle()
	d.wantStep(stepResource)
	d.want("3 VMs", "/ gpu", "1 of 3", "gpu-dsvm")
	if d.m.target.pick.FilterApplied() || d.m.target.pick.Typing() {
		t.Fatalf("the keys went to the types' list (filter %q)", d.m.target.pick.filter.Value())
	}

	// esc, then b at once: back to the types with the filter cleared, and
	// back again to the workspace; nothing typed after is lost either.
	d.update(keyMsg("esc"))
	d.update(keyMsg("esc"))
	d.update(keyMsg("esc"))
	d.settle()
	d.wantStep(stepWorkspace)
}
