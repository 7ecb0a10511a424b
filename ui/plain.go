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
	ctx    context.Context
	o      Options
	be     Backend
	lines  chan string // closed at the end of input
	out    io.Writer
	noEcho func() func()
	mu     sync.Mutex // prompts from the host key probe and event lines

	ws       flows.Workspace
	computes []flows.Compute
	typ      string
	resID    string
	vmName   string // the chosen resource's name (a VM's, or another type's)
	attached []string
	in2      flows.VMInput
	login    loginMethod
	agent    *flows.Agent
	trouble  bool // the user chose to troubleshoot instead of attaching
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
	if err := p.workspace(); err != nil {
		return Outcome{}, err
	}
	p.typ = "vm"
	if s := p.o.Start; s != nil {
		p.say("Demo scenario %s: %s", s.Scenario, s.Summary)
		p.typ = s.typ()
		id := flows.CheckResourceID(s.ResourceID, browseKinds(p.typ)...)
		p.vmName, p.resID = id.Name, s.ResourceID
		if p.typ != "vm" {
			return p.runForm(s)
		}
		p.in2 = flows.VMInput{Name: s.ComputeName, ResourceID: s.ResourceID, Username: s.Username, SSHPort: 22,
			Password: s.Password, PasswordSource: "the scenario", KnownHosts: p.o.KnownHosts}
		p.login = loginPassword
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
		if p.typ != "vm" {
			return p.runForm(nil)
		}
		p.in2 = flows.VMInput{SSHPort: 22, Username: "azureuser", KnownHosts: p.o.KnownHosts, ResourceID: p.resID}
		for _, f := range []fieldID{fName, fPort, fUser, fLogin} {
			if err := p.field(f); err != nil {
				return Outcome{}, err
			}
		}
	}
	for {
		p.in2.ConfirmHostKey = confirmHostKey
		vp, err := flows.ValidateVM(p.in2, false)
		if err != nil {
			p.fail(err)
			if err := p.field(p.fieldOfFlag(err)); err != nil {
				return Outcome{}, err
			}
			continue
		}
		rs := p.preflight(vp.Target())
		next, err := p.afterPreflight(rs, p.fieldOfProbe, func(f probes.Field) error {
			id, _ := p.fieldOfProbe(f)
			return p.field(id)
		})
		if err != nil {
			return Outcome{}, err
		}
		if next == "attach" {
			// Stricter for the attach: Azure ML needs a password or an unencrypted key.
			ap, err := flows.ValidateVM(p.in2, true)
			if err != nil {
				p.fail(err)
				p.say("Nothing was sent to Azure.")
				return Outcome{Kind: OutcomeQuit, Err: err}, nil
			}
			return p.attach(ap.Target(), rs)
		}
	}
}

// runForm asks the details of a type other than vm, field by field as
// flows.Form lists them, then runs the preflight and the attach. A start
// (demo scenario) gives every answer.
func (p *plainRun) runForm(start *Start) (Outcome, error) {
	form := flows.Form(p.typ)
	values := map[string]string{}
	for _, f := range form {
		values[f.Key] = f.Default
	}
	values["resource-id"] = p.resID
	if start != nil {
		for k, v := range start.Values {
			values[k] = v
		}
		if start.ComputeName != "" {
			values["name"] = start.ComputeName
		}
	} else {
		for _, f := range form {
			if f.Key == "resource-id" {
				continue
			}
			if err := p.formField(f, values); err != nil {
				return Outcome{}, err
			}
		}
	}
	edit := func(k string) error {
		for _, f := range form {
			if f.Key == k {
				return p.formField(f, values)
			}
		}
		return nil
	}
	probeKey := func(f probes.Field) (string, bool) {
		k := string(f)
		if f == probes.FieldPassword && values["password"] == "" {
			k = "ssh-key"
		}
		for _, x := range form {
			if x.Key == k && k != "resource-id" {
				return k, true
			}
		}
		return "", false
	}
	for {
		plan, err := flows.PlanFromForm(p.typ, values, true, p.o.KnownHosts, flows.VMInput{ConfirmHostKey: confirmHostKey})
		if err != nil {
			p.fail(err)
			var fe *flows.Error
			k := ""
			if errors.As(err, &fe) {
				k = flows.FieldKey(p.typ, fe.Field)
			}
			if k == "" {
				p.say("Nothing was sent to Azure.")
				return Outcome{Kind: OutcomeQuit, Err: err}, nil
			}
			if err := edit(k); err != nil {
				return Outcome{}, err
			}
			continue
		}
		rs := p.preflight(plan)
		next, err := p.afterPreflight(rs, func(f probes.Field) (fieldID, bool) {
			_, ok := probeKey(f)
			return 0, ok
		}, func(f probes.Field) error {
			k, _ := probeKey(f)
			return edit(k)
		})
		if err != nil {
			return Outcome{}, err
		}
		if next == "attach" {
			return p.attach(plan, rs)
		}
	}
}

// formField asks one field of a form, again until it is acceptable here;
// the flows check the whole form afterwards.
func (p *plainRun) formField(f flows.FormField, values map[string]string) error {
	if f.Help != "" {
		p.say("  %s: %s", f.Label, f.Help)
	}
	for {
		switch f.Kind {
		case flows.FieldSecret:
			q := f.Label
			if f.Optional {
				q += " (enter: none)"
			}
			v, err := p.askSecret(q)
			if err != nil {
				return err
			}
			if v == "" && !f.Optional {
				p.say("  ✗ %s is empty", f.Label)
				continue
			}
			values[f.Key] = v
		case flows.FieldChoice, flows.FieldBool:
			cs := f.Choices
			if f.Kind == flows.FieldBool {
				cs = []string{"no", "yes"}
			}
			def := 1
			var opts []string
			for i, c := range cs {
				opts = append(opts, fmt.Sprintf("%d. %s", i+1, c))
				if strings.EqualFold(c, values[f.Key]) {
					def = i + 1
				}
			}
			p.say("%s: %s", f.Label, strings.Join(opts, "  "))
			i, err := p.choose(f.Label+" number", len(cs), def)
			if err != nil {
				return err
			}
			values[f.Key] = cs[i]
		default:
			def := values[f.Key]
			if f.Key == "name" && def == "" {
				base := p.vmName
				if i := strings.LastIndex(base, "/"); i >= 0 {
					base = base[i+1:]
				}
				def = flows.SuggestComputeName(base, p.computes)
			}
			q := f.Label
			if f.Optional && def != "" {
				q += " (- for none)"
			}
			v, err := p.ask(q, def)
			if err != nil {
				return err
			}
			if v == "-" && f.Optional {
				v = ""
			}
			if v == "" && !f.Optional {
				p.say("  ✗ %s is required", f.Label)
				continue
			}
			if f.Key == "name" {
				if prob, sugg := flows.NameCheck(v, p.computes); prob != "" {
					p.say("  ✗ %s; try %s", prob, sugg)
					continue
				}
			}
			values[f.Key] = v
		}
		return nil
	}
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

// field asks for one detail, again until it is valid.
func (p *plainRun) field(f fieldID) error {
	for {
		switch f {
		case fName:
			def := p.in2.Name
			if def == "" {
				def = flows.SuggestComputeName(p.vmName, p.computes)
			}
			v, err := p.ask("Compute name", def)
			if err != nil {
				return err
			}
			if prob, sugg := flows.NameCheck(v, p.computes); prob != "" {
				p.say("  ✗ %s; try %s", prob, sugg)
				continue
			}
			p.in2.Name = v
		case fPort:
			v, err := p.ask("SSH port", strconv.Itoa(max(p.in2.SSHPort, 22)))
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				p.say("  ✗ give sshd's TCP port, 1 to 65535")
				continue
			}
			p.in2.SSHPort = n
		case fUser:
			v, err := p.ask("SSH user name", p.in2.Username)
			if err != nil {
				return err
			}
			if v == "" || strings.ContainsAny(v, " \t@:/") {
				p.say("  ✗ give only the user name, e.g. azureuser")
				continue
			}
			p.in2.Username = v
		case fLogin:
			p.say("Log in with: 1. password  2. key file  3. ssh-agent (probe only)")
			i, err := p.choose("Login number", 3, int(p.login)+1)
			if err != nil {
				return err
			}
			p.login = loginMethod(i)
			p.in2.Password, p.in2.KeyFile, p.in2.Passphrase, p.in2.AgentSigners = "", "", nil, nil
			switch p.login {
			case loginPassword:
				return p.field(fPassword)
			case loginKey:
				return p.field(fKey)
			default:
				a, err := flows.OpenAgent(p.getenv("SSH_AUTH_SOCK"))
				if err != nil {
					p.fail(err)
					continue
				}
				p.agent.Close()
				p.agent = a
				p.in2.UseAgent(a)
				p.say("  ssh-agent holds %d keys (probe only: attaching needs a password or key file)", a.Count())
			}
		case fPassword:
			v, err := p.askSecret("SSH password")
			if err != nil {
				return err
			}
			if v == "" {
				p.say("  ✗ the password is empty")
				continue
			}
			p.in2.Password, p.in2.PasswordSource = v, "the password prompt"
		case fKey:
			v, err := p.ask("Private key file", p.in2.KeyFile)
			if err != nil {
				return err
			}
			info := flows.InspectKey(v, nil)
			if !info.OK && !info.Encrypted {
				p.say("  ✗ %s: %s", info.Problem, info.Fix)
				continue
			}
			p.in2.KeyFile, p.in2.Passphrase = info.Path, nil
			if info.Encrypted {
				return p.field(fPassphrase)
			}
		case fPassphrase:
			v, err := p.askSecret("The key is encrypted; its passphrase")
			if err != nil {
				return err
			}
			info := flows.InspectKey(p.in2.KeyFile, []byte(v))
			if !info.OK {
				p.say("  ✗ %s", info.Problem)
				continue
			}
			p.in2.Passphrase = []byte(v)
		default:
			return p.field(fLogin)
		}
		return nil
	}
}

func (p *plainRun) getenv(k string) string {
	if p.o.Getenv == nil {
		return ""
	}
	return p.o.Getenv(k)
}

func (p *plainRun) fieldOfFlag(err error) fieldID {
	var fe *flows.Error
	if !errors.As(err, &fe) {
		return fLogin
	}
	switch fe.Field {
	case "--name":
		return fName
	case "--username":
		return fUser
	case "--ssh-port":
		return fPort
	case "--ssh-key-passphrase-file":
		return fPassphrase
	case "--ssh-key":
		if p.login == loginKey {
			return fKey
		}
	case "--password-file":
		if p.login == loginPassword {
			return fPassword
		}
	}
	return fLogin
}

func (p *plainRun) fieldOfProbe(f probes.Field) (fieldID, bool) {
	switch f {
	case probes.FieldName:
		return fName, true
	case probes.FieldUsername:
		return fUser, true
	case probes.FieldPort:
		return fPort, true
	case probes.FieldPassword:
		switch p.login {
		case loginPassword:
			return fPassword, true
		case loginKey:
			return fPassphrase, true
		}
		return fLogin, true
	case probes.FieldKey:
		if p.login == loginKey {
			return fKey, true
		}
		return fLogin, true
	}
	return 0, false
}

func (p *plainRun) preflight(plan *flows.Plan) []probes.Result { return p.preflightRun(plan, false) }

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
	counts := map[probes.Status]int{}
	for _, r := range rs {
		counts[r.Status]++
	}
	var parts []string
	for _, x := range []probes.Status{probes.Pass, probes.Warn, probes.Fail, probes.Skip} {
		if counts[x] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[x], x))
		}
	}
	p.say("%d probes: %s.", len(rs), strings.Join(parts, ", "))
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

// afterPreflight asks what next: "rerun" (after an edit) or "attach".
// canEdit says which fields a failure may point at; edit asks one again.
func (p *plainRun) afterPreflight(rs []probes.Result, canEdit func(probes.Field) (fieldID, bool), edit1 func(probes.Field) error) (string, error) {
	var edit *probes.Result
	for i := range rs {
		if rs[i].Status == probes.Fail {
			if _, ok := canEdit(rs[i].Field); ok {
				edit = &rs[i]
				break
			}
		}
	}
	if !flows.AnyFailed(rs) {
		return "attach", nil
	}
	opts := "r runs the probes again, c shows the attach options, q leaves"
	if edit != nil {
		opts = "e edits " + fieldNameFor(p.typ, edit.Field) + ", " + opts
	}
	for {
		a, err := p.ask("Not ready: "+opts, "")
		if err != nil {
			return "", err
		}
		switch strings.ToLower(a) {
		case "e":
			if edit == nil {
				continue
			}
			if err := edit1(edit.Field); err != nil {
				return "", err
			}
			return "rerun", nil
		case "r":
			return "rerun", nil
		case "c":
			return "attach", nil
		}
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
	return Outcome{Kind: OutcomeAttachFailed, Compute: name, Err: err}, nil
}
