package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"amlattach/azure"
	"amlattach/probes"
)

// ProbeVM runs the VM preflight and returns its results in plan order.
func ProbeVM(ctx context.Context, d Deps, ws azure.Workspace, p *VMPlan, emit Emit) []probes.Result {
	return Probe(ctx, d, ws, p.Target(), emit)
}

// Target is the VM plan as a Plan of the common attach path.
func (p *VMPlan) Target() *Plan {
	t := &Plan{Type: "vm", Name: p.In.Name, ID: p.ID, ComputeType: "VirtualMachine", secrets: p.Secrets(), byName: p.byName, vm: p}
	t.steps = func(d Deps, ws azure.Workspace, _ *Plan) ([]Step, func()) {
		p.ID = t.ID // bound to the workspace when the VM was given by name
		return VMSteps(d, ws, p)
	}
	t.Fields = p.fields()
	// The login as it is when the request is sent: a fix may have changed it.
	t.spec = func() azure.AttachSpec {
		creds := azure.VMCredentials{Username: p.In.Username, Password: p.In.Password}
		if p.Key != nil {
			creds = azure.VMCredentials{Username: p.In.Username, PrivateKey: p.Key.Text}
		}
		return azure.VMSpec{ResourceID: t.ID.String(), SSHPort: p.In.SSHPort, Creds: creds}
	}
	return t
}

// fields are the attach request's settings as the confirmation shows them.
func (p *VMPlan) fields() [][2]string {
	f := [][2]string{{"sshPort", fmt.Sprint(p.In.SSHPort)}, {"administratorAccount.username", p.In.Username}}
	if p.Key != nil {
		return append(f, [2]string{"administratorAccount.privateKeyData", "(contents of " + p.Key.Path + ", hidden)"})
	}
	return append(f, [2]string{"administratorAccount.password", "********"})
}

// AttachOptions govern the attach after the preflight.
type AttachOptions struct {
	Force bool // attach even though a probe failed (never over an existing name)
	// Confirm asks the user to go ahead, showing the request; nil means yes.
	Confirm func(req AttachSummary) (bool, error)
	// Workspace, when set, is the read of the workspace going on beside the
	// preflight (which needs only its name): Attach waits for it before it
	// asks or sends anything, stops with its error, and attaches to the
	// workspace as read (its location goes into the request).
	Workspace func() (azure.Workspace, error)
}

// AttachSummary is the request about to be sent, with secrets masked.
type AttachSummary struct {
	Workspace   azure.Workspace
	Name        string
	ComputeType string
	ResourceID  string
	Location    string
	Fields      [][2]string // name, value (masked where secret)
	Warnings    []string
}

// Lines renders the summary for a terminal prompt.
func (s AttachSummary) Lines() []string {
	out := []string{
		fmt.Sprintf("PUT compute %q (%s) in workspace %s, location %s", s.Name, s.ComputeType, s.Workspace.Name, s.Location),
		"  resourceId: " + s.ResourceID,
	}
	for _, f := range s.Fields {
		out = append(out, fmt.Sprintf("  %s: %s", f[0], f[1]))
	}
	for _, w := range s.Warnings {
		out = append(out, "  note: "+w)
	}
	return out
}

// AttachVM runs the preflight, then attaches (see Attach). The wizard runs
// the same three parts one screen at a time: ProbeVM, CheckAttachable +
// SummarizeVMAttach, SubmitVMAttach.
func AttachVM(ctx context.Context, d Deps, ws azure.Workspace, p *VMPlan, o AttachOptions, emit Emit) (*Report, error) {
	return Attach(ctx, d, ws, p.Target(), o, emit)
}

// CheckAttachable says whether the preflight allows an attach: no failure, or
// failures with force. A taken compute name is never forceable.
func CheckAttachable(rs []probes.Result, force bool) error {
	for _, r := range rs {
		if r.ID == probes.IDWsName && r.Status == probes.Fail {
			field := "--name"
			if r.Field != probes.FieldName {
				field = "" // the computes could not be read: the name is not at fault
			}
			return &Error{Kind: KindProbeFailed, Field: field, Msg: "nothing was sent: " + r.Detail, Fix: r.Remedy}
		}
	}
	if AnyFailed(rs) && !force {
		return &Error{Kind: KindProbeFailed, Msg: "a probe failed; nothing was sent to Azure", Fix: "fix what the failed probes say and run again, or attach anyway with --force"}
	}
	return nil
}

// SummarizeVMAttach describes the request about to be sent, secrets masked.
func SummarizeVMAttach(ws azure.Workspace, p *VMPlan, rs []probes.Result) AttachSummary {
	return Summarize(ws, p.Target(), rs)
}

// SubmitVMAttach sends the VM attach and follows it (see Submit).
func SubmitVMAttach(ctx context.Context, d Deps, ws azure.Workspace, p *VMPlan, rep *Report, emit Emit) (*Report, error) {
	return Submit(ctx, d, ws, p.Target(), rep, emit)
}

func finishAttach(ctx, actx context.Context, rep *Report, ws azure.Workspace, name string, c azure.Compute, err error, d Deps) (*Report, error) {
	var ae *azure.AttachError
	var follow *azure.FollowError
	switch {
	case err == nil:
		rep.Compute = ComputeToJSON(c)
		return rep, nil
	case errors.As(err, &ae):
		rep.Compute = ComputeToJSON(ae.Compute)
		rep.OK = false
		var msgs []string
		for _, pe := range ae.Compute.ProvisioningErrors {
			msgs = append(msgs, pe.Code+": "+pe.Message)
		}
		return rep, &Error{Kind: KindAzure, Msg: fmt.Sprintf("the attach of %q ended %s: %s", name, ae.Compute.ProvisioningState, strings.Join(msgs, "; ")),
			Fix: FixFor(ae.Compute.ProvisioningErrors) + "; then detach it (amlattach detach " + name + ") and attach again", Err: err}
	case ctx.Err() != nil:
		rep.OK = false
		return rep, &Error{Kind: KindInterrupted, Msg: fmt.Sprintf("stopped watching: the attach of %q goes on in Azure", name), Fix: "check it with: amlattach list", Err: ctx.Err()}
	case actx.Err() != nil:
		rep.OK = false
		return rep, &Error{Kind: KindAzure, Msg: fmt.Sprintf("the attach of %q did not end within %s; it may still finish in Azure", name, d.attachTimeout()), Fix: "check it with: amlattach list", Err: err}
	case errors.As(err, &follow):
		rep.OK = false
		return rep, FromAzure("attach "+name, err)
	}
	rep.OK = false
	return rep, putFailed(ctx, d, ws, name, rep, err)
}

// putFailed explains an attach PUT that failed even after the SDK's
// retries. Unless Azure refused it outright, it may have been carried out
// with its answer lost: the workspace says whether the compute is there.
func putFailed(ctx context.Context, d Deps, ws azure.Workspace, name string, rep *Report, err error) error {
	e, _ := FromAzure("attach "+name, err).(*Error)
	if e != nil && azure.IsSignInRefused(err) {
		e.Msg += "; nothing was attached" // Resource Manager refuses before anything starts
		return e
	}
	if e == nil || e.Kind != KindAzure {
		return FromAzure("attach "+name, err)
	}
	if ae, ok := azure.AsAzureError(err); ok && ae.Status < 500 && ae.Status != 408 && ae.Status != 429 {
		e.Msg += "; nothing was attached"
		return e
	}
	c, cancel := d.withTimeout(ctx)
	got, gerr := d.Azure.GetCompute(c, ws, name)
	cancel()
	switch {
	case gerr == nil:
		rep.Compute = ComputeToJSON(got)
		return &Error{Kind: KindAzure, Err: err, Fix: "check it with: amlattach list",
			Msg: fmt.Sprintf("the attach request of %q got no usable answer (%s), but Azure has the compute (%s): the attach was received and goes on there", name, reason(err), orUnknown(got.ProvisioningState))}
	case errors.Is(gerr, azure.ErrComputeNotFound):
		e.Msg += "; nothing was attached"
	default:
		e.Fix += "; then check with amlattach list whether the attach reached Azure"
	}
	return e
}

func orUnknown(s string) string {
	if s == "" {
		return "state unknown"
	}
	return s
}

// FixFor suggests a fix for known provisioning errors.
func FixFor(errs []azure.ProvisioningError) string {
	for _, e := range errs {
		switch {
		case strings.Contains(e.Message, "Connection failed to establish within"):
			return "Azure ML could not reach the VM over SSH: give it a public IP, allow inbound TCP on the SSH port from the AzureMachineLearning service tag in its NSG, and check that sshd runs"
		case strings.Contains(strings.ToLower(e.Message), "authentication") || strings.Contains(strings.ToLower(e.Message), "password"):
			return "Azure ML could not log in: check the user name and the password or key"
		}
	}
	return "read the errors above"
}

// checkBeforePut reads the workspace right before the attach PUT, as the
// preflight may be minutes old (the wizard's confirmation waits) and
// others may attach at the same time: the name must still be free, and
// the resource must not have been attached meanwhile under another name.
// It returns the other computes already attached to the resource (those
// the user forced past in the preflight), which checkAfterAttach leaves out.
func checkBeforePut(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, rep *Report) (map[string]bool, error) {
	c, cancel := d.withTimeout(ctx)
	cs, err := d.Azure.ListComputes(c, ws)
	cancel()
	if err != nil {
		return nil, FromAzure("check the compute name", err)
	}
	known := map[string]bool{}
	var dups []azure.Compute
	for _, x := range cs {
		switch {
		case strings.EqualFold(x.Name, p.Name):
			return nil, &Error{Kind: KindProbeFailed, Field: "--name", Msg: fmt.Sprintf("compute %q appeared in %s during the preflight; it was not overwritten", p.Name, ws.Name), Fix: "choose another --name"}
		case sameAttachment(x, p):
			known[strings.ToLower(x.Name)] = true
			dups = append(dups, x)
		}
	}
	if len(dups) > 0 && !forcedPast(rep, probes.IDWsDuplicate) {
		return nil, &Error{Kind: KindProbeFailed, Field: "--resource-id",
			Msg: fmt.Sprintf("%s was attached to %s as %s since the preflight; nothing was sent", p.ID, ws.Name, computeNames(dups)),
			Fix: fmt.Sprintf("use the existing compute %s, or detach it first (amlattach detach %s): each new attachment of the same %s breaks the earlier ones", dups[0].Name, dups[0].Name, what(p.Type))}
	}
	return known, nil
}

// checkAfterAttach reads the workspace once the attach succeeded: when
// another attachment of the same resource appeared while it ran (two
// people attaching at once), both are broken, and the user is told so,
// with the command that detaches ours (exit 3). known are the attachments
// that were there before the PUT. A workspace that cannot be read leaves
// the attach as it ended.
func checkAfterAttach(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, rep *Report, known map[string]bool) error {
	c, cancel := d.withTimeout(ctx)
	cs, err := d.Azure.ListComputes(c, ws)
	cancel()
	if err != nil {
		return nil
	}
	var ours azure.Compute
	var others []azure.Compute
	for _, x := range cs {
		switch {
		case strings.EqualFold(x.Name, p.Name):
			ours = x
		case sameAttachment(x, p) && !known[strings.ToLower(x.Name)] && x.ProvisioningState != "Deleting":
			others = append(others, x)
		}
	}
	if len(others) == 0 {
		return nil
	}
	rep.OK = false
	var them []string
	for _, o := range others {
		them = append(them, fmt.Sprintf("%q (%s, created %s)", o.Name, orUnknown(o.ProvisioningState), createdAt(o)))
	}
	return &Error{Kind: KindAzure, Err: &DuplicateAttachError{Name: p.Name, Others: others},
		Msg: fmt.Sprintf("%s is now attached twice or more: while %q was attached (created %s), it was attached as %s too; each attachment of the same %s breaks the others",
			p.ID, p.Name, createdAt(ours), strings.Join(them, ", "), what(p.Type)),
		Fix: fmt.Sprintf("keep one attachment: detach ours with: amlattach detach %s (or detach %s instead, if that one should go)", p.Name, others[0].Name)}
}

// DuplicateAttachError is an attach that succeeded while another
// attachment of the same resource appeared (see checkAfterAttach): Name is
// ours, Others the computes attached meanwhile.
type DuplicateAttachError struct {
	Name   string
	Others []azure.Compute
}

func (e *DuplicateAttachError) Error() string {
	return fmt.Sprintf("%q and %d other attachment(s) of the same resource", e.Name, len(e.Others))
}

// sameAttachment says whether x is another compute attached to p's resource.
func sameAttachment(x azure.Compute, p *Plan) bool {
	return x.ResourceID != "" && azure.SameResource(x.ResourceID, p.ID.String()) && !strings.EqualFold(x.Name, p.Name)
}

// forcedPast says whether the preflight in rep failed the probe id (so the
// attach goes on only because the user forced it).
func forcedPast(rep *Report, id string) bool {
	if rep == nil {
		return false
	}
	for _, r := range rep.Probes {
		if r.ID == id && r.Status == string(probes.Fail) {
			return true
		}
	}
	return false
}

func computeNames(cs []azure.Compute) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%q (%s)", c.Name, orUnknown(c.ProvisioningState)))
	}
	return strings.Join(out, ", ")
}

func createdAt(c azure.Compute) string {
	if c.CreatedOn.IsZero() {
		return "at an unknown time"
	}
	return c.CreatedOn.UTC().Format(time.RFC3339)
}
