package flows

import (
	"context"
	"strings"
	"sync"

	"amlattach/azure"
	"amlattach/probes"
)

// Plan is a validated request to probe, and perhaps attach, one resource as
// one target type. Every type builds one (ValidateVM, ValidateHDInsight,
// ...); Probe, Attach, Summarize and Submit then work the same for all.
type Plan struct {
	Type        string // the TYPE argument: vm, hdinsight, ...
	Name        string // compute name in the workspace
	ID          azure.ResourceID
	ComputeType string // Azure ML's computeType
	// spec builds the request body from the plan as it stands when it is
	// sent: the bound resource ID and what the preflight learned.
	spec func() azure.AttachSpec
	// Fields are the request's settings as the confirmation shows them,
	// secrets masked.
	Fields   [][2]string
	Warnings []string
	// Notes are shown with the result of a successful attach.
	Notes []string

	secrets []string
	// byName is set when the resource was given by name: Bind completes the
	// ID with the workspace's subscription (and group, when none was given).
	byName bool
	steps  func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func())
	// readsKeys says the run reads the compute's stored secrets (doctor):
	// ws.permission then checks listKeys too.
	readsKeys bool
	// fixedLogin is the login a fix installed (SetFixedLogin).
	fixedLogin *FixedLogin
	// vm is the VM plan behind a vm Plan (nil for the other types): a fix
	// may change its login (ssh.install-key).
	vm *VMPlan

	// standalone plans attach nothing (aci): their steps are the whole
	// preflight, without ws.permission, and they name no resource.
	standalone bool
}

// reportID is the resource ID a report names ("" for a standalone plan).
func (p *Plan) reportID() string {
	if p.standalone {
		return ""
	}
	return p.ID.String()
}

// Secrets lists the plan's secret strings, so that outputs can be scrubbed
// of them as a last line of defence.
func (p *Plan) Secrets() []string { return p.secrets }

// Spec is the type-specific body of the attach request.
func (p *Plan) Spec() azure.AttachSpec { return p.spec() }

// Bind completes a resource given by name with the workspace's subscription
// and resource group, as the SDK v1 did.
func (p *Plan) Bind(ws azure.Workspace) {
	if !p.byName {
		return
	}
	if p.ID.SubscriptionID == "" {
		p.ID.SubscriptionID = ws.SubscriptionID
	}
	if p.ID.ResourceGroup == "" {
		p.ID.ResourceGroup = ws.ResourceGroup
	}
	p.byName = false
}

// Steps builds the plan's probes against ws, ws.permission first;
// cleanup releases what they hold.
func (p *Plan) Steps(d Deps, ws azure.Workspace) ([]Step, func()) {
	p.Bind(ws)
	return p.allSteps(d, ws)
}

// allSteps is ws.permission, then the type's own probes.
func (p *Plan) allSteps(d Deps, ws azure.Workspace) ([]Step, func()) {
	steps, cleanup := p.steps(d, ws, p)
	if p.standalone {
		return steps, cleanup
	}
	return append([]Step{permissionStep(d, ws, p.readsKeys)}, steps...), cleanup
}

// permissionStep is ws.permission: it needs nothing, so that a caller who
// may not attach learns it first. readsKeys adds listKeys to what it checks.
func permissionStep(d Deps, ws azure.Workspace, readsKeys bool) Step {
	actions := []string{probes.ActionComputeWrite}
	if readsKeys {
		actions = append(actions, probes.ActionComputeListKeys)
	}
	return Step{ID: probes.IDWsPermission, Run: func(ctx context.Context) probes.Result {
		c, cancel := d.withTimeout(ctx)
		defer cancel()
		return probes.WsPermission(c, d.Azure, ws, actions)
	}}
}

// ProbeIDs lists the plan's probe IDs in order (for screens that show the
// probes before they run).
func (p *Plan) ProbeIDs() []string {
	steps, cleanup := p.allSteps(Deps{}, azure.Workspace{})
	defer cleanup()
	ids := make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	return ids
}

// Probe runs the plan's preflight and returns the results in plan order.
func Probe(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, emit Emit) []probes.Result {
	steps, cleanup := p.Steps(d, ws)
	defer cleanup()
	return RunGraph(ctx, steps, d.Now, emit)
}

// Attach runs the preflight, then (unless a probe failed and Force is off,
// or the user declines) attaches and follows the operation to its end.
func Attach(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, o AttachOptions, emit Emit) (out *Report, err error) {
	defer func() {
		if err != nil && out != nil {
			out.OK = false // nothing attached, or not as asked
		}
	}()
	rs := Probe(ctx, d, ws, p, emit)
	rep := NewReport(p.Type, p.Name, p.ID.String(), rs)
	if o.Workspace != nil {
		read, err := o.Workspace()
		if err != nil {
			return nil, err // no workspace to attach to (its read may have cut the preflight short): no report
		}
		ws = read
	}
	if ctx.Err() != nil {
		return rep, &Error{Kind: KindInterrupted, Msg: "interrupted during the preflight; nothing was sent to Azure", Err: ctx.Err()}
	}
	if err := SignInLost(d, "preflight (nothing was sent to Azure)"); err != nil {
		return rep, err
	}
	if err := CheckAttachable(rs, o.Force); err != nil {
		return rep, err
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(Summarize(ws, p, rs))
		if err != nil {
			return rep, err
		}
		if !ok {
			return rep, &Error{Kind: KindInput, Msg: "not confirmed; nothing was sent to Azure"}
		}
	}
	return Submit(ctx, d, ws, p, rep, emit)
}

// Summarize describes the request about to be sent, secrets masked.
func Summarize(ws azure.Workspace, p *Plan, rs []probes.Result) AttachSummary {
	p.Bind(ws)
	sum := AttachSummary{Workspace: ws, Name: p.Name, ComputeType: p.ComputeType, ResourceID: p.ID.String(), Location: ws.Location,
		Fields: append([][2]string(nil), p.Fields...)}
	sum.Warnings = append(sum.Warnings, p.Warnings...)
	sum.Warnings = append(sum.Warnings, "attach each resource once: a second attachment of the same "+what(p.Type)+" breaks the earlier one")
	for _, r := range rs {
		if r.Status == probes.Warn && (r.ID == probes.IDBatchType || r.ID == probes.IDADLARetired) {
			sum.Warnings = append(sum.Warnings, r.Detail)
		}
	}
	if AnyFailed(rs) {
		var failed []string
		for _, r := range rs {
			if r.Status == probes.Fail {
				failed = append(failed, r.ID)
			}
		}
		sum.Warnings = append(sum.Warnings, "--force: attaching although these probes failed: "+strings.Join(failed, ", "))
	}
	return sum
}

// what names the kind of resource a target type attaches, for messages.
func what(typ string) string {
	switch typ {
	case "vm":
		return "VM"
	case "hdinsight", "aks", "kubernetes":
		return "cluster"
	case "batch", "adla":
		return "account"
	case "databricks":
		return "workspace"
	case "synapse":
		return "pool"
	}
	return "resource"
}

// SignInLost is the exit-4 error when Resource Manager refused the sign-in
// (HTTP 401) to d.Azure at any point so far, as in a preflight whose ARM
// probes failed because the token expired: signing in again is the fix, not
// what the failed probes say. what names the step for the message.
func SignInLost(d Deps, what string) error {
	if d.Azure == nil {
		return nil
	}
	if err := d.Azure.SignInRefused(); err != nil {
		return FromAzure(what, err)
	}
	return nil
}

// Submit sends the attach (after checking the name is still free: Azure's
// PUT would overwrite a compute of that name) and follows it to its end. rep
// is the preflight's report; the compute is added to it.
func Submit(ctx context.Context, d Deps, ws azure.Workspace, p *Plan, rep *Report, emit Emit) (out *Report, err error) {
	p.Bind(ws)
	if rep == nil {
		rep = NewReport(p.Type, p.Name, p.ID.String(), nil)
	}
	defer func() {
		if err != nil && out != nil {
			out.OK = false // nothing attached, or not as asked
		}
	}()
	known, err := checkBeforePut(ctx, d, ws, p, rep)
	if err != nil {
		return rep, err
	}
	actx, acancel := d.OperationContext(ctx)
	defer acancel()
	c, err := d.Azure.Attach(actx, ws, p.Name, p.Spec(), func(pr azure.Progress) {
		if emit != nil {
			emit(Event{Kind: AttachProgress, Phase: pr.Phase, State: pr.State, At: d.now()})
		}
	})
	if out, err = finishAttach(ctx, actx, rep, ws, p.Name, c, err, d); err != nil {
		return out, err
	}
	return out, checkAfterAttach(ctx, d, ws, p, out, known)
}

// TargetRef is how the user names the resource: by ARM ID, or by name and
// resource group in the workspace's subscription.
type TargetRef struct {
	ResourceID    string
	ResourceName  string
	ResourceGroup string // with ResourceName; empty means the workspace's group
	// Pool is a Synapse Spark pool's name (ResourceName is then its Synapse workspace).
	Pool string
}

// resolveRef turns the user's reference into a resource ID of one of kinds
// (the first is used to build an ID from a name). byName reports that the ID
// still needs the workspace's subscription (Plan.Bind).
func resolveRef(ref TargetRef, example string, kinds ...string) (azure.ResourceID, bool, error) {
	idFix := "expected " + example
	switch {
	case strings.TrimSpace(ref.ResourceID) != "" && ref.ResourceName != "":
		return azure.ResourceID{}, false, inputErr("--resource-id", "give either --resource-id or --resource-name, not both", "both a resource ID and a resource name were given")
	case strings.TrimSpace(ref.ResourceID) != "":
		id, err := azure.ParseResourceIDOf(ref.ResourceID, kinds...)
		if err != nil {
			return id, false, &Error{Kind: KindInput, Field: "--resource-id", Msg: err.Error(), Fix: idFix, Err: err}
		}
		return id, false, nil
	case ref.ResourceName != "":
		if strings.ContainsAny(ref.ResourceName, "/ ") {
			return azure.ResourceID{}, false, inputErr("--resource-name", "give the resource's name alone, or its ARM ID with --resource-id", "%q is not a resource name", ref.ResourceName)
		}
		id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/g/providers/" + kinds[0] + "/" + ref.ResourceName)
		if strings.Count(kinds[0], "/") == 2 {
			if ref.Pool == "" {
				return azure.ResourceID{}, false, inputErr("--pool-name", "give the Spark pool's name with --pool-name", "the pool name is required with --resource-name")
			}
			prov, rest, _ := strings.Cut(kinds[0], "/")
			typ, child, _ := strings.Cut(rest, "/")
			id, err = azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/g/providers/" + prov + "/" + typ + "/" + ref.ResourceName + "/" + child + "/" + ref.Pool)
		}
		if err != nil {
			return id, false, &Error{Kind: KindInput, Field: "--resource-name", Msg: err.Error(), Fix: idFix, Err: err}
		}
		id.SubscriptionID, id.ResourceGroup = "", ref.ResourceGroup
		return id, true, nil
	case ref.ResourceGroup != "":
		return azure.ResourceID{}, false, inputErr("--resource-name", "give the resource's name with --resource-name", "--resource-group-name was given without --resource-name")
	}
	return azure.ResourceID{}, false, inputErr("--resource-id", idFix+", or --resource-name NAME [--resource-group-name GROUP]", "the resource is required")
}

// newPlan starts a type's plan: the resource from the user's reference
// (checked against kinds) and the compute name (from the resource's name
// when none was given).
func newPlan(typ, computeType, name string, ref TargetRef, example string, kinds ...string) (*Plan, error) {
	id, byName, err := resolveRef(ref, example, kinds...)
	if err != nil {
		return nil, err
	}
	if name, err = nameFor(name, id); err != nil {
		return nil, err
	}
	return &Plan{Type: typ, Name: name, ID: id, ComputeType: computeType, byName: byName}, nil
}

// nameFor validates the compute name, suggesting one from the resource's
// name when none was given.
func nameFor(name string, id azure.ResourceID) (string, error) {
	base := id.Name
	if id.ChildName != "" {
		base = id.ChildName
	}
	if name == "" {
		name = probes.SuggestName(base, nil)
	}
	if pr := probes.NameProblem(name); pr != "" {
		return "", inputErr("--name", "use 2-16 letters, digits and hyphens, starting with a letter, e.g. --name "+probes.SuggestName(name, nil), "%s", pr)
	}
	return name, nil
}

// wsSteps are the two workspace probes every attachable type runs, reading
// the workspace's computes once.
func wsSteps(d Deps, ws azure.Workspace, p *Plan) []Step {
	var once sync.Once
	var cs []azure.Compute
	var lerr error
	list := func(ctx context.Context) ([]azure.Compute, error) {
		once.Do(func() {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			cs, lerr = d.Azure.ListComputes(c, ws)
		})
		return cs, lerr
	}
	return []Step{
		{ID: probes.IDWsName, Run: func(ctx context.Context) probes.Result {
			cs, err := list(ctx)
			if err != nil {
				return listFail(ws, err)
			}
			return probes.WsName(p.Name, ws.Name, cs)
		}},
		{ID: probes.IDWsDuplicate, Run: func(ctx context.Context) probes.Result {
			cs, err := list(ctx)
			if err != nil {
				return listFail(ws, err)
			}
			return probes.WsDuplicate(p.ID.String(), p.Name, ws.Name, cs)
		}},
	}
}

// resourceStep is arm.resource: read is the type's read of its resource,
// which keeps what it read for the probes that need it.
func resourceStep(d Deps, p *Plan, read func(ctx context.Context) error) Step {
	return Step{ID: probes.IDArmResource, Run: func(ctx context.Context) probes.Result {
		c, cancel := d.withTimeout(ctx)
		defer cancel()
		return probes.ArmResource(p.ID.String(), kindOf(p.ID), read(c))
	}}
}

func noCleanup() {}

// kindOf is the resource's "Provider/type[/childType]".
func kindOf(id azure.ResourceID) string {
	if id.ChildType != "" {
		return id.Kind() + "/" + id.ChildType
	}
	return id.Kind()
}
