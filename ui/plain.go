package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"amlattach/flows"
	"amlattach/probes"
)

// PlainIO is where the plain face reads answers and writes prompts.
type PlainIO struct {
	In  io.Reader
	Out io.Writer // prompts and progress (stderr: stdout stays for results)
	// NoEcho turns off the terminal's echo while a secret is typed and
	// returns what restores it; nil when In is not a terminal.
	NoEcho func() (restore func())
}

// leftError is the user leaving the plain wizard (q, Ctrl-C, or the end of input).
type leftError struct{}

func (leftError) Error() string { return "left the wizard" }

// RunPlain walks the same steps as the full-screen wizard with line
// prompts: no cursor movement, no colour, one question per line, so that
// screen readers and logs follow it. Secrets are read without echo.
func RunPlain(ctx context.Context, o Options, pio PlainIO) (Outcome, error) {
	p := &plainRun{ctx: ctx, o: o, be: o.Backend, out: pio.Out, noEcho: pio.NoEcho, ws: o.Workspace, lines: make(chan string)}
	go p.readLines(bufio.NewReader(pio.In))
	out, err := p.run()
	if errors.As(err, new(leftError)) {
		if out.Kind == OutcomeTroubleshot {
			return out, nil
		}
		return Outcome{Kind: OutcomeQuit}, nil
	}
	return out, err
}

type plainRun struct {
	ctx   context.Context
	o     Options
	be    Backend
	lines chan string // closed at the end of input
	// ahead are answers typed while a test job ran, for the questions after it.
	ahead  []string
	out    io.Writer
	noEcho func() func()
	mu     sync.Mutex // prompts from the host key probe and event lines

	ws       flows.Workspace
	computes []flows.Compute
	typ      string
	resID    string
	vmName   string // the chosen resource's name (a VM's, or another type's)
	attached []string
	agent    *flows.Agent // opened when a login chose ssh-agent
	trouble  bool         // the user chose to troubleshoot instead of attaching
}

func (p *plainRun) say(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", a...)
}

// readLines feeds the answers to readLine, so that a prompt can give up
// when the context ends (Ctrl-C) instead of blocking on the terminal.
func (p *plainRun) readLines(r *bufio.Reader) {
	defer close(p.lines)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			select {
			case p.lines <- strings.TrimRight(line, "\r\n"):
			case <-p.ctx.Done():
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *plainRun) readLine() (string, error) {
	if len(p.ahead) > 0 {
		l := p.ahead[0]
		p.ahead = p.ahead[1:]
		return l, nil
	}
	select {
	case line, ok := <-p.lines:
		if !ok {
			return "", leftError{}
		}
		return line, nil
	case <-p.ctx.Done():
		return "", leftError{}
	}
}

// ask prints a question (with its default) and reads the answer; "q" leaves.
func (p *plainRun) ask(q, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", q, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", q)
	}
	a, err := p.readLine()
	if err != nil {
		fmt.Fprintln(p.out)
		return "", err
	}
	a = strings.TrimSpace(a)
	if a == "q" || a == "quit" {
		return "", leftError{}
	}
	if a == "" {
		return def, nil
	}
	return a, nil
}

func (p *plainRun) askSecret(q string) (string, error) {
	fmt.Fprintf(p.out, "%s (not shown): ", q)
	if p.noEcho != nil {
		restore := p.noEcho()
		defer func() { restore(); fmt.Fprintln(p.out) }()
	}
	return p.readLine()
}

func (p *plainRun) yes(q string, def bool) (bool, error) {
	d := "y/N"
	if def {
		d = "Y/n"
	}
	a, err := p.ask(q+" ("+d+")", "")
	if err != nil {
		return false, err
	}
	switch strings.ToLower(a) {
	case "":
		return def, nil
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// choose reads a number from 1 to n.
func (p *plainRun) choose(q string, n, def int) (int, error) {
	for {
		a, err := p.ask(q, strconv.Itoa(def))
		if err != nil {
			return 0, err
		}
		i, err := strconv.Atoi(a)
		if err == nil && i >= 1 && i <= n {
			return i - 1, nil
		}
		p.say("  Give a number from 1 to %d (q leaves).", n)
	}
}

func (p *plainRun) fail(err error) {
	p.say("  ✗ %s", errorText(err))
	var fe *flows.Error
	if errors.As(err, &fe) && fe.Fix != "" {
		p.say("    fix: %s", fe.Fix)
	}
}

func (p *plainRun) run() (Outcome, error) {
	defer p.agent.Close()
	p.say("amlattach: attach compute to Azure Machine Learning (plain mode: one question per line; q leaves)")
	if p.o.Sandbox {
		p.say("SANDBOX — simulated Azure, nothing leaves this machine.")
	}
	if err := p.signIn(); err != nil {
		return Outcome{}, err
	}
	if err := p.workspace(); err != nil {
		return Outcome{}, err
	}
	p.typ = "vm"
	var form *plainForm
	if s := p.o.Start; s != nil {
		p.say("Demo scenario %s: %s", s.Scenario, s.Summary)
		p.typ = s.typ()
		p.vmName, p.resID = flows.CheckResourceID(s.ResourceID, browseKinds(p.typ)...).Name, s.ResourceID
		form = newPlainForm(p.typ, p.resID)
		for k, v := range startValues(*s) {
			form.values[k] = v
		}
	} else {
		if err := p.target(); err != nil {
			return Outcome{}, err
		}
		if p.trouble {
			return p.troubleshoot()
		}
		if err := p.resource(); err != nil {
			return Outcome{}, err
		}
		form = newPlainForm(p.typ, p.resID)
		if err := p.askAll(form); err != nil {
			return Outcome{}, err
		}
	}
	plan, rs, out, err := p.settle(form, nil)
	if out != nil || err != nil {
		return deref(out), err
	}
	return p.attach(plan, rs)
}

// deref is the outcome, or none.
func deref(o *Outcome) Outcome {
	if o == nil {
		return Outcome{}
	}
	return *o
}

func (p *plainRun) workspace() error {
	if p.ws.Name != "" {
		p.say("Workspace: %s (resource group %s, subscription %s, location %s)", p.ws.Name, p.ws.ResourceGroup, p.ws.SubscriptionID, orDash(p.ws.Location))
		if p.o.WorkspaceSource != "" {
			p.say("  found from %s", p.o.WorkspaceSource)
		}
		if !p.o.Sandbox {
			if who, err := p.be.SignedIn(p.ctx); err == nil && who != "" {
				p.say("Signed in as: %s", who)
			}
		}
		if p.o.Start == nil {
			ok, err := p.yes("Attach to this workspace?", true)
			if err != nil {
				return err
			}
			if !ok {
				p.ws = flows.Workspace{}
			}
		}
	} else if p.o.WorkspaceProblem != "" {
		p.say("! %s", p.o.WorkspaceProblem)
	}
	for p.ws.Name == "" {
		subs, err := p.be.Subscriptions(p.ctx)
		if err != nil {
			p.fail(err)
			return err
		}
		if len(subs) == 0 {
			return &flows.Error{Kind: flows.KindInput, Msg: "the credential sees no subscription", Fix: "sign in with an account that has access: az login"}
		}
		p.say("Subscriptions:")
		for i, s := range subs {
			p.say("  %d. %s (%s)", i+1, orDash(s.Name), s.ID)
		}
		i, err := p.choose("Subscription number", len(subs), 1)
		if err != nil {
			return err
		}
		wss, err := p.be.Workspaces(p.ctx, subs[i].ID)
		if err != nil {
			p.fail(err)
			continue
		}
		if len(wss) == 0 {
			p.say("  This subscription has no Azure ML workspace.")
			continue
		}
		p.say("Workspaces:")
		for i, w := range wss {
			p.say("  %d. %s (resource group %s, %s)", i+1, w.Name, w.ResourceGroup, w.Location)
		}
		j, err := p.choose("Workspace number", len(wss), 1)
		if err != nil {
			return err
		}
		ws, err := p.be.ReadWorkspace(p.ctx, wss[j])
		if err != nil {
			p.fail(err)
			continue
		}
		p.ws = ws
	}
	cs, err := p.be.Computes(p.ctx, p.ws)
	if err != nil {
		p.fail(err)
		return err
	}
	p.computes = cs
	if len(cs) > 0 {
		var names []string
		for _, c := range cs {
			names = append(names, fmt.Sprintf("%s (%s, %s)", c.Name, c.Type, orDash(c.ProvisioningState)))
		}
		p.say("Computes already in %s: %s", p.ws.Name, strings.Join(names, ", "))
	}
	return nil
}

func (p *plainRun) target() error {
	ts := flows.Targets()
	p.say("What do you want to attach?")
	for i, t := range ts {
		note := ""
		if t.NeverAttached {
			note = " (never attached)"
		}
		p.say("  %d. %s (%s)%s: %s; needs %s", i+1, t.Title, t.Type, note, t.What, t.Needs)
	}
	p.say("  %d. Troubleshoot an attachment: the workspace's computes; doctor, reattach, detach", len(ts)+1)
	for {
		i, err := p.choose("Compute type number", len(ts)+1, 1)
		if err != nil {
			return err
		}
		if i == len(ts) {
			p.trouble = true
			return nil
		}
		t := ts[i]
		switch {
		case t.Available:
			p.typ = t.Type
			return nil
		case t.NeverAttached:
			for _, w := range t.Why {
				p.say("  %s", w)
			}
		}
	}
}

func (p *plainRun) resource() error {
	cands, err := p.be.Browse(p.ctx, p.ws, p.typ)
	if err != nil {
		p.fail(err)
	}
	noun := resourceNoun(p.typ)
	if len(cands) > 0 {
		p.say("%s in subscription %s:", resourceNouns(p.typ), p.ws.SubscriptionID)
		for i, c := range cands {
			note := ""
			if len(c.AttachedAs) > 0 {
				note = "  ! already attached as " + strings.Join(c.AttachedAs, ", ")
			}
			p.say("  %d. %s (resource group %s, %s)%s", i+1, c.Name, c.ResourceGroup, c.Location, note)
		}
	}
	for {
		a, err := p.ask(noun+" number, or its full resource ID", "")
		if err != nil {
			return err
		}
		if i, err := strconv.Atoi(a); err == nil {
			if i < 1 || i > len(cands) {
				p.say("  Give a number from 1 to %d, or a resource ID.", len(cands))
				continue
			}
			c := cands[i-1]
			p.resID, p.vmName, p.attached = c.ID, c.Name, c.AttachedAs
			break
		}
		chk := flows.CheckResourceID(a, browseKinds(p.typ)...)
		if !chk.OK {
			p.say("  ✗ %s: %s", chk.Part, chk.Msg)
			continue
		}
		p.resID, p.vmName = chk.Canonical, chk.Name
		for _, c := range cands {
			if strings.EqualFold(c.ID, chk.Canonical) {
				p.attached = c.AttachedAs
			}
		}
		break
	}
	if len(p.attached) > 0 {
		p.say("! %s is already attached as %s: a second attachment breaks the first.", p.vmName, strings.Join(p.attached, ", "))
	}
	return nil
}

func (p *plainRun) getenv(k string) string {
	if p.o.Getenv == nil {
		return ""
	}
	return p.o.Getenv(k)
}

// hostKeyCtx asks about new host keys on the lines.
func (p *plainRun) hostKeyCtx() context.Context {
	return withHostKeyAsker(p.ctx, func(ctx context.Context, q flows.HostKeyQuestion) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		kind := keyFileKind(q.KeyType)
		fmt.Fprintf(p.out, "New host key for %s: %s %s\n", q.Host, strings.ToUpper(kind), q.Fingerprint)
		fmt.Fprintf(p.out, "  Check it on the VM: ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub must print the same fingerprint.\n", kind)
		fmt.Fprintf(p.out, "  Accept it and save it to %s? (y/N): ", p.o.KnownHosts)
		a, err := p.readLine()
		return err == nil && strings.EqualFold(strings.TrimSpace(a), "y")
	})
}

// preflightRun runs a plan's probes (a reattach's without ws.name) and
// prints each as it finishes.
func (p *plainRun) preflightRun(plan *flows.Plan, replace bool) []probes.Result {
	ctx := p.hostKeyCtx()
	probe := p.be.Probe
	if replace {
		probe = p.be.ProbeReplace
		p.say("Preflight of the new settings of %q (%s); nothing is changed:", plan.Name, resourceName(plan))
	} else {
		p.say("Preflight of %s as %q (nothing is sent to Azure):", resourceName(plan), plan.Name)
	}
	rs := probe(ctx, p.ws, plan, flows.InPlanOrder(func(e flows.Event) {
		if e.Kind == flows.ProbeFinished {
			p.probeLine(e.Result)
		}
	}))
	p.countsLine(rs)
	return rs
}

func (p *plainRun) probeLine(r probes.Result) {
	word := map[probes.Status]string{probes.Pass: "PASS", probes.Warn: "WARN", probes.Fail: "FAIL", probes.Skip: "SKIP"}[r.Status]
	d := ""
	if r.Status != probes.Skip {
		d = " (" + shortDuration(r.Duration) + ")"
	}
	p.say("  %s  %s: %s%s", word, r.Title, r.Detail, d)
	if r.Remedy != "" && (r.Status == probes.Fail || r.Status == probes.Warn) {
		p.say("        fix: %s", r.Remedy)
	}
}

func (p *plainRun) attach(plan *flows.Plan, rs []probes.Result) (Outcome, error) {
	p.say("The request (nothing has been sent yet):")
	for _, l := range flows.Summarize(p.ws, plan, rs).Lines() {
		if strings.HasPrefix(l, "  note: attach each resource once") {
			continue // said below
		}
		p.say("  %s", l)
	}
	p.say("! Attach each resource once: do not attach the same %s twice; each new attachment breaks the earlier ones.", resourceNoun(plan.Type))
	if err := flows.CheckAttachable(rs, false); err != nil {
		ok, why := flows.ForceAllowed(rs)
		if !ok {
			p.say("✗ Cannot attach: %s", why)
			return Outcome{Kind: OutcomeQuit, Err: err}, nil
		}
		a, err := p.ask("A probe failed: the attach would most likely end Failed. Type 'attach anyway' to attach all the same", "")
		if err != nil {
			return Outcome{}, err
		}
		if a != "attach anyway" {
			p.say("Nothing was sent to Azure.")
			return Outcome{Kind: OutcomeQuit}, nil
		}
	} else {
		ok, err := p.yes("Attach now?", false)
		if err != nil {
			return Outcome{}, err
		}
		if !ok {
			p.say("Nothing was sent to Azure.")
			return Outcome{Kind: OutcomeQuit}, nil
		}
	}
	start := time.Now()
	last := ""
	rep := flows.NewReport(plan.Type, plan.Name, plan.ID.String(), rs)
	rep, err := p.be.Submit(p.ctx, p.ws, plan, rep, func(e flows.Event) {
		if e.Phase == "polling" && e.State == last {
			return
		}
		last = e.State
		p.say("  attach %s: %s (%s)", e.Phase, e.State, secs(time.Since(start)))
	})
	name := plan.Name
	if err == nil {
		p.say("✓ Attached: compute %q is %s.", name, rep.Compute.ProvisioningState)
		p.say("Use it in a job (Azure ML SDK v2, Python):")
		for _, l := range flows.JobSnippet(p.ws, name) {
			p.say("  %s", l)
		}
		for _, n := range plan.Notes {
			p.say("! %s", n)
		}
		if flows.TargetRunsJobs(plan.Type) {
			_ = p.offerTestJob(name, plan) // the attach stands however the job went; the lines said how
		}
		return Outcome{Kind: OutcomeAttached, Compute: name}, nil
	}
	var fe *flows.Error
	if errors.As(err, &fe) && fe.Kind == flows.KindInterrupted {
		p.say("Stopped watching: the attach of %q goes on in Azure; check it with: amlattach list. To undo it: amlattach detach %s --yes", name, name)
		return Outcome{Kind: OutcomeStoppedWatching, Compute: name, Err: err}, nil
	}
	for _, l := range attachFailureLines(rep, err, func(t string) string { return "✗ " + t }) {
		p.say("%s", l)
	}
	var dup *flows.DuplicateAttachError
	if errors.As(err, &dup) {
		return p.detachOurs(name, plan.Type, dup, err)
	}
	return Outcome{Kind: OutcomeAttachFailed, Compute: name, Err: err}, nil
}

// detachOurs offers to detach the compute just attached when the resource
// was attached under another name as well meanwhile (each attachment
// breaks the other); attachErr is how the attach ended.
func (p *plainRun) detachOurs(name, typ string, dup *flows.DuplicateAttachError, attachErr error) (Outcome, error) {
	other := dup.Others[0].Name
	ok, err := p.yes(fmt.Sprintf("Detach ours (%q) now? The %s stays attached as %s", name, resourceNoun(typ), other), false)
	if err != nil || !ok { // the input's end too: the attach happened, and ends as it did
		return Outcome{Kind: OutcomeAttachFailed, Compute: name, Err: attachErr}, nil
	}
	start := time.Now()
	err = p.be.DetachAfterAttach(p.ctx, p.ws, name, func(e flows.Event) {
		p.say("  detach %s: %s (%s)", e.Phase, e.State, secs(time.Since(start)))
	})
	if err != nil {
		p.say("✗ The detach failed: %s", errorText(err))
		return Outcome{Kind: OutcomeDetached, Compute: name, Err: err}, nil
	}
	p.say("✓ Detached %q: the %s is attached once again, as %s. The %s itself was not touched.", name, resourceNoun(typ), other, resourceNoun(typ))
	return Outcome{Kind: OutcomeDetached, Compute: name, Err: undoneError(name, typ, other)}, nil
}
