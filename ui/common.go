// Package ui is the interactive face of amlattach: the wizard's screens as
// Bubble Tea models, and the line-prompt (--plain) face of the same steps.
//
// It talks to Azure and the VMs only through flows (Backend is the narrow
// set of flows operations it needs); it does I/O only inside tea.Cmds, its
// View functions are pure, and it holds no package-level mutable state: the
// styles, keys and clock travel in Common.
package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

// Component is the contract of every screen: a model, the keys that work
// in its current state, and a size given by its parent.
type Component interface {
	tea.Model
	help.KeyMap
	SetSize(width, height int)
}

// Common is what every component shares.
type Common struct {
	Styles *Styles
	Keys   *KeyMap
	Now    func() time.Time
	// posted are the steps' reports the wizard has yet to take (post).
	posted []tea.Msg
}

// Backend is what the wizard asks of Azure and the resources it attaches; flows.Wizard
// implements it, tests use fakes.
type Backend interface {
	SignedIn(ctx context.Context) (string, error)
	Subscriptions(ctx context.Context) ([]flows.Subscription, error)
	Workspaces(ctx context.Context, subscriptionID string) ([]flows.Workspace, error)
	ReadWorkspace(ctx context.Context, ws flows.Workspace) (flows.Workspace, error)
	Computes(ctx context.Context, ws flows.Workspace) ([]flows.Compute, error)
	// Browse lists the resources that could be attached as typ.
	Browse(ctx context.Context, ws flows.Workspace, typ string) ([]flows.Candidate, error)
	// BrowseAll lists them in every subscription the credential sees,
	// calling page (one call at a time) with each page as it arrives; an
	// error wrapping a *flows.BrowseAllError names the subscriptions that
	// could not be listed, after the others' pages.
	BrowseAll(ctx context.Context, ws flows.Workspace, typ string, page func([]flows.Candidate)) error
	// Probe runs a plan's preflight (a VM's is its Target()).
	Probe(ctx context.Context, ws flows.Workspace, p *flows.Plan, emit flows.Emit) []probes.Result
	// Submit sends the attach of a plan and follows it to its end.
	Submit(ctx context.Context, ws flows.Workspace, p *flows.Plan, rep *flows.Report, emit flows.Emit) (*flows.Report, error)
	DetachAfterAttach(ctx context.Context, ws flows.Workspace, name string, emit flows.Emit) error
	// Doctor examines an attached compute: its stored errors, and its
	// type's probes with the stored (or the given) credentials.
	Doctor(ctx context.Context, ws flows.Workspace, in flows.DoctorInput, emit flows.Emit) (*flows.Diagnosis, error)
	// Detach detaches a compute; the resource itself is untouched.
	Detach(ctx context.Context, ws flows.Workspace, name string, emit flows.Emit) error
	// ProbeReplace is a reattach's preflight: Probe without ws.name.
	ProbeReplace(ctx context.Context, ws flows.Workspace, p *flows.Plan, emit flows.Emit) []probes.Result
	// Replace runs the preflight again, then detaches the compute and
	// attaches it again under its name; nothing is detached when a probe
	// fails. retry finishes the job when the attach fails after the detach.
	Replace(ctx context.Context, ws flows.Workspace, p *flows.Plan, retry string, emit flows.Emit) (*flows.Report, error)
	// Fixes builds the fixes a run's failed and warned results offer; it
	// only reads (the resource, the caller's permissions).
	Fixes(ctx context.Context, ws flows.Workspace, p *flows.Plan, rs []probes.Result) []flows.Fix
	// ApplyFix applies one fix the user consented to, streaming
	// FixProgress events.
	ApplyFix(ctx context.Context, f flows.Fix, emit flows.Emit) flows.FixOutcome
	// RerunAfterFixes runs the fixed probes and their dependents again
	// (of those in before) and returns every result in plan order.
	RerunAfterFixes(ctx context.Context, ws flows.Workspace, p *flows.Plan, before []probes.Result, fixes []flows.FixOutcome, emit flows.Emit) []probes.Result
	// RunJob submits a test job to an attached compute and follows it to
	// its end, reporting each change of status (flows.RunJob).
	RunJob(ctx context.Context, ws flows.Workspace, in flows.JobInput, progress func(flows.JobUpdate)) (*flows.JobReport, error)
}

var _ Backend = flows.Wizard{}

// Options start the wizard.
type Options struct {
	Backend Backend
	// Workspace is the resolved workspace; a zero Name means none was found
	// and the wizard starts by browsing (WorkspaceProblem says why).
	Workspace        flows.Workspace
	WorkspaceSource  string
	WorkspaceProblem string
	Sandbox          bool   // simulated Azure: say so on every screen
	KnownHosts       string // the known_hosts file host keys are checked against and saved to
	Getenv           func(string) string
	Now              func() time.Time
	Start            *Start // jump straight to a situation (amlattach demo --scenario)
	// SandboxLogin is the login the sandbox's VMs take (the built-in
	// world's demo login, not a secret): with Sandbox, the VM form's login
	// part tells it, so that a trainee knows what to type.
	SandboxLogin Login
	// Command is how the commands the wizard suggests start (e.g.
	// "amlattach --world demo"); "" means "amlattach".
	Command string
	// Version and Commit name the tool in a doctor's report.
	Version, Commit string
	// SignIn, when set, opens the wizard with the sign-in step: it checks
	// that a credential works and, when none does, signs the user in
	// (ui/signin.go). SignInMethod is the method to preselect.
	SignIn       SignInBackend
	SignInMethod string
	// SignInChosen says the user chose the method already (--auth): the
	// sign-in starts at once, without asking.
	SignInChosen bool
	// Clipboard, when set, copies a text to the terminal's clipboard
	// (OSC 52): the device code.
	Clipboard func(string) error
	// Memory, when set, remembers the workspace each account chose last.
	Memory WorkspaceMemory
}

// Login is an SSH user and its password.
type Login struct{ User, Password string }

// command is the start of the command lines the wizard suggests.
func (o Options) command() string {
	if o.Command == "" {
		return "amlattach"
	}
	return o.Command
}

// Start is a situation to open the wizard at: the resource and every
// detail filled in, the preflight running.
type Start struct {
	Scenario string
	Summary  string
	// Type is the target type; "" means vm.
	Type        string
	ResourceID  string
	ComputeName string
	// Username and Password are a VM's (and an HDInsight cluster's) login.
	Username string
	Password string
	// Values are the other types' form answers by field key (flows.Form).
	Values map[string]string
}

// typ is the start's target type.
func (s *Start) typ() string {
	if s.Type == "" {
		return "vm"
	}
	return s.Type
}

// OutcomeKind says how the wizard ended.
type OutcomeKind int

const (
	OutcomeQuit            OutcomeKind = iota // left before attaching: nothing was sent
	OutcomeAttached                           // the attach succeeded
	OutcomeAttachFailed                       // Azure refused, or the attach ended Failed
	OutcomeStoppedWatching                    // the attach goes on in Azure
	OutcomeDetached                           // the user cancelled and the compute was detached
	OutcomeTroubleshot                        // left after troubleshooting; Lines say what was done
)

// Outcome is how the wizard ended, for the command to print and turn into an exit code.
type Outcome struct {
	Kind    OutcomeKind
	Compute string
	Err     error    // a *flows.Error for exit codes; nil on success
	Lines   []string // what to print once the screen is gone
}

func (c *Common) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
