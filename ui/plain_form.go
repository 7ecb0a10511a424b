package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"amlattach/flows"
	"amlattach/probes"
)

// plainForm is a type's form asked on lines: the same fields (flows.Form)
// the screen draws, one question each, in order; a field that depends on
// another (a VM's password on its login) is asked only when shown.
type plainForm struct {
	typ       string
	fields    []flows.FormField
	values    map[string]string
	encrypted map[string]bool // key files found encrypted, by key
	locked    map[string]bool // not asked: the resource, a reattached compute's name
}

func newPlainForm(typ, resourceID string) *plainForm {
	f := &plainForm{typ: typ, fields: flows.Form(typ), values: map[string]string{}, encrypted: map[string]bool{},
		locked: map[string]bool{"resource-id": true}}
	for _, x := range f.fields {
		if x.Default != "" {
			f.values[x.Key] = x.Default
		}
	}
	f.values["resource-id"] = resourceID
	return f
}

func (f *plainForm) index(k string) int {
	return slices.IndexFunc(f.fields, func(x flows.FormField) bool { return x.Key == k })
}

func (f *plainForm) shown(i int) bool {
	return f.fields[i].Shown(f.values, func(k string) bool { return f.encrypted[k] })
}

// answers are the shown fields' values, as flows.PlanFromForm takes them.
func (f *plainForm) answers() map[string]string {
	v := map[string]string{"resource-id": f.values["resource-id"]}
	for i := range f.fields {
		if f.shown(i) {
			v[f.fields[i].Key] = f.values[f.fields[i].Key]
		}
	}
	return v
}

// faultKey is the field that can fix a failure of probe field pf, chosen
// as the screen chooses: of the shown fields that answer for it, the last
// that holds a value, else the first; "" when none does.
func (f *plainForm) faultKey(pf probes.Field) string {
	if pf == probes.FieldNone || pf == probes.FieldResourceID {
		return ""
	}
	first, best := "", ""
	for i, x := range f.fields {
		if !f.shown(i) || f.locked[x.Key] || !x.Answers(pf) {
			continue
		}
		if first == "" {
			first = x.Key
		}
		if f.values[x.Key] != "" {
			best = x.Key
		}
	}
	if best == "" {
		return first
	}
	return best
}

// errorKey is the field a validation error points at: the field itself, an
// unread key's passphrase, or the choice that hides the field; "" when it
// is not one the user can change here.
func (f *plainForm) errorKey(err error) string {
	var fe *flows.Error
	if !errors.As(err, &fe) {
		return ""
	}
	i := f.index(flows.FieldKey(f.typ, fe.Field))
	if i < 0 || f.locked[f.fields[i].Key] {
		return ""
	}
	if w := f.fields[i].When; !f.shown(i) {
		if !w.Encrypted {
			return w.Key
		}
		f.encrypted[w.Key] = true
	}
	return f.fields[i].Key
}

// askAll asks every shown field that is not locked, in order.
func (p *plainRun) askAll(f *plainForm) error {
	for i := range f.fields {
		if f.shown(i) && !f.locked[f.fields[i].Key] {
			if err := p.askOne(f, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// askField asks one field again, then the fields that depend on it and
// are shown now (the login's password or key file, a key's passphrase).
func (p *plainRun) askField(f *plainForm, k string) error {
	i := f.index(k)
	if i < 0 {
		return nil
	}
	if err := p.askOne(f, i); err != nil {
		return err
	}
	for j := range f.fields {
		if w := f.fields[j].When; w != nil && w.Key == k && f.shown(j) {
			if err := p.askField(f, f.fields[j].Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// askOne asks field i until the answer is acceptable here; the flows check
// the whole form afterwards.
func (p *plainRun) askOne(f *plainForm, i int) error {
	x := f.fields[i]
	if x.Help != "" {
		p.say("  %s: %s", x.Label, x.Help)
	}
	for {
		v, err := p.answer(f, x)
		if err != nil {
			return err
		}
		if prob := p.fieldProblem(f, x, v); prob != "" {
			p.say("  ✗ %s", prob)
			continue
		}
		f.values[x.Key] = v
		return nil
	}
}

// answer reads one answer to field x: a secret without echo, a choice by
// its number, text with its current value as the default.
func (p *plainRun) answer(f *plainForm, x flows.FormField) (string, error) {
	switch x.Kind {
	case flows.FieldSecret:
		q := x.Label
		if x.Optional {
			q += " (enter: none)"
		}
		return p.askSecret(q)
	case flows.FieldChoice, flows.FieldBool:
		cs := x.Choices
		if x.Kind == flows.FieldBool {
			cs = []string{"no", "yes"}
		}
		def := 1
		var opts []string
		for i, c := range cs {
			opts = append(opts, fmt.Sprintf("%d. %s", i+1, c))
			if strings.EqualFold(c, f.values[x.Key]) {
				def = i + 1
			}
		}
		p.say("%s: %s", x.Label, strings.Join(opts, "  "))
		i, err := p.choose(x.Label+" number", len(cs), def)
		if err != nil {
			return "", err
		}
		return cs[i], nil
	}
	def := f.values[x.Key]
	if x.Key == "name" && def == "" {
		base := p.vmName
		if i := strings.LastIndex(base, "/"); i >= 0 {
			base = base[i+1:]
		}
		def = flows.SuggestComputeName(base, p.computes)
	}
	q := x.Label
	if x.Optional && def != "" {
		q += " (- for none)"
	}
	v, err := p.ask(q, def)
	if v == "-" && x.Optional {
		v = ""
	}
	return v, err
}

// fieldProblem is what is wrong with answer v to field x ("" when nothing
// is): the checks the screen shows under the field, and reading a key file
// (with its passphrase) as the screen does when the field is left.
func (p *plainRun) fieldProblem(f *plainForm, x flows.FormField, v string) string {
	if v == "" && !x.Optional {
		return x.Label + " is required"
	}
	if x.Key == "name" && v != "" {
		if prob, sugg := flows.NameCheck(v, p.computes); prob != "" {
			return prob + "; try " + sugg
		}
	}
	if x.Check != nil {
		if prob := x.Check(v); prob != "" {
			return prob
		}
	}
	switch {
	case x.Kind == flows.FieldKeyFile && v != "":
		info := flows.InspectKey(v, nil)
		if !info.OK && !info.Encrypted {
			return info.Problem + ": " + info.Fix
		}
		f.encrypted[x.Key] = info.Encrypted
	case x.When != nil && x.When.Encrypted:
		if info := flows.InspectKey(f.values[x.When.Key], []byte(v)); !info.OK {
			return info.Problem
		}
	case v == flows.LoginAgent && x.Kind == flows.FieldChoice:
		a, err := flows.OpenAgent(p.getenv("SSH_AUTH_SOCK"))
		if err != nil {
			return errorText(err)
		}
		p.agent.Close()
		p.agent = a
		p.say("  ssh-agent holds %d keys (probe only: attaching needs a password or key file)", a.Count())
	}
	return ""
}

// plan validates the shown answers; forAttach is the stricter check the
// attach needs (a password or an unencrypted key, no ssh-agent).
func (p *plainRun) plan(f *plainForm, forAttach bool) (*flows.Plan, error) {
	in := flows.VMInput{ConfirmHostKey: confirmHostKey}
	in.UseAgent(p.agent)
	return flows.PlanFromForm(f.typ, f.answers(), forAttach, p.o.KnownHosts, in)
}

// settle is the plain face's one loop, for an attach and a reattach alike:
// validate the answers (a problem asks its field again), run the preflight,
// and after a failure let the user edit the field at fault, run the probes
// again or, for an attach, go on to the attach options. It returns the plan
// validated for the attach, or the outcome when nothing is to be sent.
func (p *plainRun) settle(f *plainForm, replacing *flows.Compute) (*flows.Plan, []probes.Result, *Outcome, error) {
	nothing := "Nothing was sent to Azure."
	if replacing != nil {
		nothing = "Nothing was detached."
	}
	// fixed are the results of the probes run again after fixes: the loop
	// goes on with them instead of running the whole preflight again.
	var fixed []probes.Result
	for {
		plan, err := p.plan(f, false)
		if err != nil {
			p.fail(err)
			k := f.errorKey(err)
			if k == "" {
				p.say("%s", nothing)
				return nil, nil, &Outcome{Kind: OutcomeQuit, Err: err}, nil
			}
			if err := p.askField(f, k); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		rs := fixed
		if rs == nil {
			rs = p.preflightRun(plan, replacing != nil)
		}
		fixed = nil
		if flows.AnyFailed(rs) {
			again, err := p.notReady(f, plan, rs, replacing, &fixed)
			if err != nil {
				return nil, nil, nil, err
			}
			if again {
				continue
			}
		}
		ap, err := p.plan(f, true)
		if err != nil {
			p.fail(err)
			p.say("%s", nothing)
			return nil, nil, &Outcome{Kind: OutcomeQuit, Err: err}, nil
		}
		return ap, rs, nil, nil
	}
}

// plainOption is one answer to "Not ready": its letter, what it says, and
// what it does (again: run the preflight again).
type plainOption struct {
	letter, text string
	do           func() (again bool, err error)
}

// notReady asks what to do after a failed preflight: edit the field at
// fault, apply the fixes offered (after a yes; the fixed probes then run
// again and *fixed holds the results), run the probes again, or, for an
// attach, see the attach options.
func (p *plainRun) notReady(f *plainForm, plan *flows.Plan, rs []probes.Result, replacing *flows.Compute, fixed *[]probes.Result) (bool, error) {
	var opts []plainOption
	fixes := p.fixesOf(plan, rs)
	if offered := offeredFixes(fixes); len(offered) > 0 {
		text := "shows the fix (" + offered[0].ID + ") and applies it after a yes"
		if len(offered) > 1 {
			text = fmt.Sprintf("shows the %d fixes and applies them after a yes", len(offered))
		}
		opts = append(opts, plainOption{"f", text, func() (bool, error) {
			after, _, err := p.applyFixes(plan, rs, fixes)
			if err != nil {
				return false, err
			}
			if l, ok := plan.FixedLogin(); ok {
				f.useFixedLogin(l)
				p.say("The fix installed a new login: the attach uses the key file %s.", l.KeyFile)
			}
			*fixed = after
			return true, nil
		}})
	}
	for _, r := range rs {
		if k := f.faultKey(r.Field); r.Status == probes.Fail && k != "" {
			opts = append(opts, plainOption{"e", "edits " + fieldNameFor(f.typ, r.Field), func() (bool, error) { return true, p.askField(f, k) }})
			break
		}
	}
	opts = append(opts, plainOption{"r", "runs the probes again", func() (bool, error) { return true, nil }})
	q := "Not ready: "
	if replacing != nil {
		q = fmt.Sprintf("Not ready: %q stays attached as it is; ", replacing.Name)
	} else {
		opts = append(opts, plainOption{"c", "shows the attach options", func() (bool, error) { return false, nil }})
	}
	var texts []string
	for _, o := range opts {
		texts = append(texts, o.letter+" "+o.text)
	}
	q += strings.Join(append(texts, "q leaves"), ", ")
	for {
		a, err := p.ask(q, "")
		if err != nil {
			return false, err
		}
		for _, o := range opts {
			if strings.EqualFold(a, o.letter) {
				return o.do()
			}
		}
	}
}
