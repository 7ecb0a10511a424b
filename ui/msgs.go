package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

// Messages a screen sends up to the wizard to move between steps. Each
// names what happened; the wizard decides where that leads.
type (
	// workspaceReadyMsg: the user confirmed the workspace.
	workspaceReadyMsg struct {
		ws       flows.Workspace
		computes []flows.Compute
	}
	// targetChosenMsg: a compute type was chosen.
	targetChosenMsg struct{ target flows.TargetInfo }
	// resourceChosenMsg: a resource was chosen, browsed or typed.
	resourceChosenMsg struct {
		id, name   string
		attachedAs []string
	}
	// planReadyMsg: the details passed validation. recheck, when set,
	// validates them again for the attach (stricter than for a probe).
	planReadyMsg struct {
		plan    *flows.Plan
		recheck func() (*flows.Plan, error)
	}
	// hostKeyAnsweredMsg: the user accepted or refused a new host key.
	hostKeyAnsweredMsg struct{ accepted bool }
	// preflightContinueMsg: the user moves on from a finished preflight.
	preflightContinueMsg struct{ results []probes.Result }
	// editFieldMsg: the user wants to fix the field a failure points at.
	editFieldMsg struct{ field probes.Field }
	// attachStartMsg: the user confirmed the attach.
	attachStartMsg struct {
		plan    *flows.Plan
		results []probes.Result
	}
	// stopWatchingMsg: the user leaves while the attach goes on in Azure.
	stopWatchingMsg struct {
		name string
		op   string // what goes on: "attach" or "detach"
	}
	// finishedMsg: the wizard is over; outcome says how.
	finishedMsg struct{ outcome Outcome }
	// reattachDoneMsg: the user leaves a finished reattach for the list.
	reattachDoneMsg struct{}
	// computeChosenMsg: the user chose a compute to examine.
	computeChosenMsg struct{ compute flows.Compute }
	// detachedMsg: the doctor screen detached a compute.
	detachedMsg struct{ name string }
	// reattachMsg: the user wants to reattach the compute with new settings.
	reattachMsg struct {
		compute flows.Compute
		// login, when set, is the login a fix installed: the reattach
		// logs in with it.
		login *flows.FixedLogin
	}
	// troubleshootMsg: the user chose to troubleshoot an attachment.
	troubleshootMsg struct{}
	// backMsg: go back one step.
	backMsg struct{}
)

// post hands msg (what a step reports: a choice made, back, done) to the
// wizard, which takes it as soon as the Update that posted it returns,
// before any message that follows, the next key included. Sent through a
// Cmd instead, it would race the keys typed after it: the key after an
// enter would be handled by the step the enter left.
func (c *Common) post(msg tea.Msg) tea.Cmd {
	c.posted = append(c.posted, msg)
	return nil
}

// takePosted returns what was posted, in order, and forgets it.
func (c *Common) takePosted() []tea.Msg {
	p := c.posted
	c.posted = nil
	return p
}
