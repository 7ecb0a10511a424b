package flows

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"amlattach/azure"
	"amlattach/probes"
)

// The facade's plain data types, named through flows so that the UI needs
// no import of azure.
type (
	Workspace         = azure.Workspace
	Compute           = azure.Compute
	Subscription      = azure.Subscription
	ProvisioningError = azure.ProvisioningError
)

// VMKind is the ARM kind a VM target's resource ID must have.
const VMKind = "Microsoft.Compute/virtualMachines"

// DetachProgress reports a detach the wizard started after the user cancelled an attach.
const DetachProgress EventKind = "detach.progress"

// Wizard is what the interactive wizard asks of Azure, bound to Deps. Every
// method takes a context, is bounded by the Deps' timeouts, and returns
// errors classified like the headless commands' (*Error).
type Wizard struct {
	D Deps
	// AddSecret, when set, learns the stored secrets Doctor reads (so that a
	// debug log can remove them).
	AddSecret func(...string)
	// Trace, when set, receives the record of each fix applied (what it
	// changed, before -> after) for the --debug trace.
	Trace func(line string)
}

// NewWizard binds the wizard's operations to d.
func NewWizard(d Deps) Wizard { return Wizard{D: d} }

// SignedIn names who the credential signs in as ("" when it cannot tell).
func (w Wizard) SignedIn(ctx context.Context) (string, error) {
	c, cancel := w.D.withTimeout(ctx)
	defer cancel()
	who, err := w.D.Azure.SignedInAs(c)
	if err != nil {
		return "", FromAzure("sign in", err)
	}
	return who, nil
}

// Subscriptions lists the subscriptions the credential can see, by name.
func (w Wizard) Subscriptions(ctx context.Context) ([]Subscription, error) {
	c, cancel := w.D.withTimeout(ctx)
	defer cancel()
	subs, err := w.D.Azure.ListSubscriptions(c)
	if err != nil {
		return nil, FromAzure("list subscriptions", err)
	}
	sort.SliceStable(subs, func(i, j int) bool { return strings.ToLower(subs[i].Name) < strings.ToLower(subs[j].Name) })
	return subs, nil
}

// Workspaces lists the Azure ML workspaces of a subscription, by group and name.
func (w Wizard) Workspaces(ctx context.Context, subscriptionID string) ([]Workspace, error) {
	c, cancel := w.D.withTimeout(ctx)
	defer cancel()
	wss, err := w.D.Azure.ListWorkspaces(c, subscriptionID)
	if err != nil {
		return nil, FromAzure("list the workspaces of subscription "+subscriptionID, err)
	}
	sort.SliceStable(wss, func(i, j int) bool {
		a, b := strings.ToLower(wss[i].ResourceGroup+"/"+wss[i].Name), strings.ToLower(wss[j].ResourceGroup+"/"+wss[j].Name)
		return a < b
	})
	return wss, nil
}

// ReadWorkspace reads a workspace (its location is where attaches go).
func (w Wizard) ReadWorkspace(ctx context.Context, ws Workspace) (Workspace, error) {
	c, cancel := w.D.withTimeout(ctx)
	defer cancel()
	got, err := w.D.Azure.GetWorkspace(c, ws)
	if err != nil {
		return ws, FromAzure("read workspace "+ws.Name, err)
	}
	return got, nil
}

// Computes lists the workspace's computes (for suggesting a free name).
func (w Wizard) Computes(ctx context.Context, ws Workspace) ([]Compute, error) {
	c, cancel := w.D.withTimeout(ctx)
	defer cancel()
	cs, err := w.D.Azure.ListComputes(c, ws)
	if err != nil {
		return nil, FromAzure("list the computes of "+ws.Name, err)
	}
	return cs, nil
}

// BrowseVMs is BrowseVMs bound to the wizard's Deps.
func (w Wizard) BrowseVMs(ctx context.Context, ws Workspace) ([]Candidate, error) {
	return BrowseVMs(ctx, w.D, ws)
}

// Browse is Browse bound to the wizard's Deps: the resources of a type.
func (w Wizard) Browse(ctx context.Context, ws Workspace, typ string) ([]Candidate, error) {
	return Browse(ctx, w.D, ws, typ)
}

// BrowseAll is BrowseAll bound to the wizard's Deps: the resources of a
// type in every subscription, streamed page by page.
func (w Wizard) BrowseAll(ctx context.Context, ws Workspace, typ string, page func([]Candidate)) error {
	return BrowseAll(ctx, w.D, ws, typ, page)
}

// Probe is Probe bound to the wizard's Deps (any type's plan).
func (w Wizard) Probe(ctx context.Context, ws Workspace, p *Plan, emit Emit) []probes.Result {
	w.secrets(p)
	return Probe(ctx, w.D, ws, p, emit)
}

// Submit is Submit bound to the wizard's Deps (any type's plan).
func (w Wizard) Submit(ctx context.Context, ws Workspace, p *Plan, rep *Report, emit Emit) (*Report, error) {
	w.secrets(p)
	return Submit(ctx, w.D, ws, p, rep, emit)
}

// ProbeVM is ProbeVM bound to the wizard's Deps.
func (w Wizard) ProbeVM(ctx context.Context, ws Workspace, p *VMPlan, emit Emit) []probes.Result {
	return ProbeVM(ctx, w.D, ws, p, emit)
}

// SubmitVMAttach is SubmitVMAttach bound to the wizard's Deps.
func (w Wizard) SubmitVMAttach(ctx context.Context, ws Workspace, p *VMPlan, rep *Report, emit Emit) (*Report, error) {
	return SubmitVMAttach(ctx, w.D, ws, p, rep, emit)
}

// DetachAfterAttach undoes an attach the user cancelled: Azure cannot stop an
// attach in flight, so it waits until the compute leaves Creating, then
// detaches it (the VM itself is untouched). Events are DetachProgress with
// the phases waiting, submitted, polling and done.
func (w Wizard) DetachAfterAttach(ctx context.Context, ws Workspace, name string, emit Emit) error {
	send := func(phase, state string) {
		if emit != nil {
			emit(Event{Kind: DetachProgress, Phase: phase, State: state, At: w.D.now()})
		}
	}
	ctx, cancel := w.D.OperationContext(ctx)
	defer cancel()
	for {
		c, cc := w.D.withTimeout(ctx)
		got, err := w.D.Azure.GetCompute(c, ws, name)
		cc()
		switch {
		case errors.Is(err, azure.ErrComputeNotFound):
			send("done", "NotFound")
			return nil
		case err != nil:
			return FromAzure("read compute "+name, err)
		}
		if s := got.ProvisioningState; s != "Creating" && s != "Updating" && s != "Deleting" {
			break
		}
		send("waiting", got.ProvisioningState)
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return FromAzure("wait for the attach of "+name+" to end", ctx.Err())
		case <-t.C:
		}
	}
	err := w.D.Azure.Detach(ctx, ws, name, func(p azure.Progress) { send(p.Phase, p.State) })
	if err != nil {
		return FromAzure("detach "+name, err)
	}
	return nil
}

// ComputeTypeArg maps Azure ML's computeType (VirtualMachine, Databricks,
// ...) to the TYPE argument (vm, databricks, ...); "" when amlattach does
// not attach that type.
func ComputeTypeArg(computeType string) string { return typeOf[computeType] }

// Doctor is Doctor bound to the wizard's Deps.
func (w Wizard) Doctor(ctx context.Context, ws Workspace, in DoctorInput, emit Emit) (*Diagnosis, error) {
	add := w.AddSecret
	if add == nil {
		add = func(...string) {}
	}
	return Doctor(ctx, w.D, ws, in, add, emit)
}

// Detach detaches a compute the user chose (the resource itself is
// untouched) and follows the operation to its end; events are
// DetachProgress.
func (w Wizard) Detach(ctx context.Context, ws Workspace, name string, emit Emit) error {
	ctx, cancel := w.D.OperationContext(ctx)
	defer cancel()
	err := w.D.Azure.Detach(ctx, ws, name, func(p azure.Progress) {
		if emit != nil {
			emit(Event{Kind: DetachProgress, Phase: p.Phase, State: p.State, At: w.D.now()})
		}
	})
	if errors.Is(err, azure.ErrComputeNotFound) {
		return &Error{Kind: KindAzure, Msg: fmt.Sprintf("workspace %s has no compute named %q (detached already?)", ws.Name, name), Fix: "see the names with: amlattach list", Err: err}
	}
	if err != nil {
		if ctx.Err() != nil {
			return &Error{Kind: KindInterrupted, Msg: fmt.Sprintf("stopped watching: the detach of %q goes on in Azure", name), Fix: "check it with: amlattach list", Err: err}
		}
		return FromAzure("detach "+name, err)
	}
	return nil
}

// ProbeReplace runs the preflight of a reattach: the plan's probes but
// ws.name, since the name is the compute's own (as Replace runs them).
func (w Wizard) ProbeReplace(ctx context.Context, ws Workspace, p *Plan, emit Emit) []probes.Result {
	w.secrets(p)
	return ProbeExisting(ctx, w.D, ws, p, emit)
}

// Replace is Replace bound to the wizard's Deps: the preflight again with
// the new settings (nothing is detached when it fails), then detach and
// attach under the same name. retry is the command that finishes the job
// when the attach fails after the detach.
func (w Wizard) Replace(ctx context.Context, ws Workspace, p *Plan, retry string, emit Emit) (*Report, error) {
	w.secrets(p)
	return Replace(ctx, w.D, ws, p, ReplaceOptions{Retry: retry}, emit)
}

// VMProbeIDs are the VM preflight's probe IDs in plan order, so that a
// checklist can show every row before the first result arrives.
func VMProbeIDs() []string {
	return (&VMPlan{}).Target().ProbeIDs()
}

// IDCheck is the verdict on a resource ID as the user types it.
type IDCheck struct {
	OK   bool
	Part string // the wrong part: subscription, resource group, provider, type, name, shape
	Msg  string // what is wrong with it
	// Parsed parts, when OK.
	SubscriptionID, ResourceGroup, Name, Canonical string
}

// CheckResourceID parses s as the ID of a resource of one of kinds (e.g.
// VMKind) and names the part that is wrong. A child resource (a Synapse
// pool) is named parent/child.
func CheckResourceID(s string, kinds ...string) IDCheck {
	id, err := azure.ParseResourceIDOf(s, kinds...)
	if err != nil {
		var ie *azure.IDError
		if errors.As(err, &ie) {
			return IDCheck{Part: ie.Part, Msg: ie.Msg}
		}
		return IDCheck{Part: "shape", Msg: err.Error()}
	}
	name := id.Name
	if id.ChildName != "" {
		name += "/" + id.ChildName
	}
	return IDCheck{OK: true, SubscriptionID: id.SubscriptionID, ResourceGroup: id.ResourceGroup, Name: name, Canonical: id.String()}
}

// BuildResourceID assembles the ID of a resource of kind from its parts,
// trimming spaces; CheckResourceID says whether the result is valid.
func BuildResourceID(subscriptionID, resourceGroup, kind, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s",
		strings.TrimSpace(subscriptionID), strings.TrimSpace(resourceGroup), kind, strings.TrimSpace(name))
}

// NameCheck says what is wrong with a compute name (its form, or that the
// workspace already uses it) and proposes a free name; problem is "" when
// the name can be used.
func NameCheck(name string, existing []Compute) (problem, suggestion string) {
	if p := probes.NameProblem(name); p != "" {
		return p, probes.SuggestName(name, existing)
	}
	for _, c := range existing {
		if strings.EqualFold(c.Name, name) {
			state := c.ProvisioningState
			if state == "" {
				state = "state unknown"
			}
			return fmt.Sprintf("%q is already used in the workspace by a %s compute (%s)", name, c.Type, state), probes.SuggestName(name, existing)
		}
	}
	return "", name
}

// SuggestComputeName proposes a valid compute name not used in the
// workspace, derived from the resource's name.
func SuggestComputeName(base string, existing []Compute) string {
	return probes.SuggestName(base, existing)
}

// ExpandHome turns a leading ~ into the home folder.
func ExpandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// PathCompletion is what Tab completes a path to.
type PathCompletion struct {
	Value      string   // the typed path, extended by what all candidates share
	Candidates []string // the matching names in the folder (folders end in /)
}

// CompletePath completes a file path as a shell does: the longest common
// extension of the names in its folder that start with what was typed.
// Hidden names are offered only when what was typed starts with a dot.
func CompletePath(typed string) PathCompletion {
	dirPart, base := filepath.Split(typed)
	dir := ExpandHome(dirPart)
	if strings.HasPrefix(typed, "~") && !strings.Contains(typed, "/") {
		return PathCompletion{Value: "~/"}
	}
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return PathCompletion{Value: typed}
	}
	var cands []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, base) || (strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.IsDir() {
				isDir = true
			}
		}
		if isDir {
			n += "/"
		}
		cands = append(cands, n)
	}
	sort.Strings(cands)
	if len(cands) == 0 {
		return PathCompletion{Value: typed}
	}
	common := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(c, common) {
			common = common[:len(common)-1]
		}
	}
	// Names may share the first bytes of different characters (é and è):
	// stop before a character the common part would cut.
	for len(common) < len(cands[0]) && !utf8.RuneStart(cands[0][len(common)]) {
		common = common[:len(common)-1]
	}
	return PathCompletion{Value: dirPart + common, Candidates: cands}
}

// KeyInfo is what the wizard learns from a private key file before the
// preflight: whether it needs a passphrase, or what is wrong with it.
type KeyInfo struct {
	Path      string
	OK        bool
	Type      string // ssh-ed25519, ssh-rsa, ...
	Format    string
	Encrypted bool
	// NeedsPassphrase: encrypted and no passphrase given yet.
	NeedsPassphrase bool
	Field           probes.Field // what the problem is about: the key or its passphrase
	Problem, Fix    string
}

// InspectKey loads the key file (with the passphrase when one is given) and
// says what the wizard must ask next. It never returns key material.
func InspectKey(path string, passphrase []byte) KeyInfo {
	path = ExpandHome(path)
	info := KeyInfo{Path: path}
	k, err := probes.LoadKey(path, passphrase)
	if err != nil {
		var ke *probes.KeyError
		if !errors.As(err, &ke) {
			info.Problem, info.Field = err.Error(), probes.FieldKey
			return info
		}
		info.Field, info.Problem, info.Fix = ke.Field, ke.Problem, ke.Fix
		if ke.Field == probes.FieldPassword {
			info.Encrypted = true
			info.NeedsPassphrase = len(passphrase) == 0
			if info.NeedsPassphrase {
				info.Problem, info.Fix = "the key is encrypted: type its passphrase", "the passphrase is used here only, to probe; Azure ML cannot store it"
			}
		}
		return info
	}
	info.OK, info.Type, info.Format, info.Encrypted = true, k.Type, k.Format, k.Encrypted
	return info
}

// HostKeyQuestion is a new host key to accept or refuse.
type HostKeyQuestion struct {
	Host        string // host:port
	KeyType     string // ssh-ed25519, ...
	Fingerprint string // SHA256:..., as ssh prints it
}

// AskHostKey adapts a question-asking function to VMInput.ConfirmHostKey,
// so that a UI can ask without handling SSH types. ask is called from a
// probe goroutine and may block until the user answers or ctx ends.
func AskHostKey(ask func(ctx context.Context, q HostKeyQuestion) bool) func(ctx context.Context, host string, key ssh.PublicKey) bool {
	return func(ctx context.Context, host string, key ssh.PublicKey) bool {
		return ask(ctx, HostKeyQuestion{Host: host, KeyType: key.Type(), Fingerprint: probes.Fingerprint(key)})
	}
}

// Agent is a connection to ssh-agent and the keys it holds.
type Agent struct {
	conn    net.Conn
	signers []ssh.Signer
}

// OpenAgent connects to the ssh-agent at sock (SSH_AUTH_SOCK).
func OpenAgent(sock string) (*Agent, error) {
	if sock == "" {
		return nil, &Error{Kind: KindInput, Field: "ssh-agent", Msg: "no ssh-agent: SSH_AUTH_SOCK is not set", Fix: "start one (eval $(ssh-agent); ssh-add KEY), or log in with a password or key file"}
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, &Error{Kind: KindInput, Field: "ssh-agent", Msg: "cannot reach ssh-agent at " + sock, Fix: "check that ssh-agent runs (ssh-add -l)", Err: err}
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, &Error{Kind: KindInput, Field: "ssh-agent", Msg: "ssh-agent did not list its keys", Fix: "check it with ssh-add -l", Err: err}
	}
	return &Agent{conn: conn, signers: signers}, nil
}

// Count is the number of keys the agent holds.
func (a *Agent) Count() int {
	if a == nil {
		return 0
	}
	return len(a.signers)
}

// Close ends the connection to the agent.
func (a *Agent) Close() {
	if a != nil && a.conn != nil {
		a.conn.Close()
	}
}

// UseAgent makes the input log in with the agent's keys (probe only: Azure
// ML needs a password or key file to attach).
func (in *VMInput) UseAgent(a *Agent) {
	if a == nil {
		in.AgentSigners = nil
		return
	}
	in.AgentSigners = a.signers
}

// ForceAllowed says whether the wizard may offer "attach anyway" after the
// preflight: never over a taken name, and never over a host key that could
// not be trusted. reason says why not.
func ForceAllowed(rs []probes.Result) (bool, string) {
	if err := CheckAttachable(rs, true); err != nil {
		return false, err.Error()
	}
	for _, r := range rs {
		if r.ID == probes.IDSSHHostKey && r.Status == probes.Fail {
			return false, "the VM's host key could not be trusted: " + r.Detail
		}
	}
	return true, ""
}

// JobSnippet is an Azure ML SDK v2 (Python) job that runs on the compute.
func JobSnippet(ws Workspace, compute string) []string {
	return []string{
		"from azure.ai.ml import MLClient, command",
		"from azure.identity import DefaultAzureCredential",
		"",
		"ml_client = MLClient(",
		"    DefaultAzureCredential(),",
		fmt.Sprintf("    subscription_id=%q,", ws.SubscriptionID),
		fmt.Sprintf("    resource_group_name=%q,", ws.ResourceGroup),
		fmt.Sprintf("    workspace_name=%q,", ws.Name),
		")",
		"job = command(",
		`    code="./src",`,
		`    command="python train.py",`,
		`    environment="AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest",`,
		fmt.Sprintf("    compute=%q,", compute),
		")",
		"ml_client.jobs.create_or_update(job)",
	}
}

// secrets hands the plan's secrets (typed passwords, keys, tokens) to
// AddSecret before anything runs with them, so that --debug logs and
// outputs are scrubbed of them too.
func (w Wizard) secrets(p *Plan) {
	if w.AddSecret != nil && p != nil {
		w.AddSecret(p.Secrets()...)
	}
}

// RunJob is RunJob bound to the wizard's Deps: a test job on an attached
// compute, followed to its end.
func (w Wizard) RunJob(ctx context.Context, ws Workspace, in JobInput, progress func(JobUpdate)) (*JobReport, error) {
	return RunJob(ctx, w.D, ws, in, progress)
}
