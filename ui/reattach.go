package ui

import (
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

// startReattach opens the compute's type form
// prefilled with its resource and name, the name fixed: the preflight, a
// confirmation and flows.Replace follow.
func (m *Model) startReattach(comp flows.Compute) tea.Cmd {
	typ := flows.ComputeTypeArg(comp.Type)
	if typ == "" {
		return nil
	}
	m.replacing = &comp
	m.typ = typ
	m.plan, m.recheck, m.retry = nil, nil, ""
	m.hostkey.SetType(typ)
	id := flows.CheckResourceID(comp.ResourceID, browseKinds(typ)...)
	m.goTo(stepDetails)
	m.form.ResetType(typ)
	m.form.SetResource(comp.ResourceID, id.Name, nil, m.ws, m.computes)
	m.form.SetReplace(&comp)
	return m.form.Focus()
}

// endReplace leaves reattaching: the forms are for new attaches again.
func (m *Model) endReplace() {
	if m.replacing == nil {
		return
	}
	m.replacing, m.retry = nil, ""
	m.form.SetReplace(nil)
	m.form.ResetType("")
	m.plan, m.recheck = nil, nil
}

// retryCommand is the command that attaches the compute again with the
// same settings, secrets left as files to give: what finishes a reattach
// that failed after its detach.
func (m *Model) retryCommand(p *flows.Plan) string {
	return retryCommand(m.opts, m.ws, p, formRetryArgs(p.Type, m.form.values()))
}

// retryCommand is the attach command of plan in ws, args its settings.
func retryCommand(o Options, ws flows.Workspace, p *flows.Plan, args []string) string {
	cmd := []string{o.command(), "--subscription", flows.ShellQuote(ws.SubscriptionID), "-g", flows.ShellQuote(ws.ResourceGroup), "-w", flows.ShellQuote(ws.Name),
		"attach", p.Type, "--name", flows.ShellQuote(p.Name), "--resource-id", flows.ShellQuote(p.ID.String())}
	return strings.Join(append(cmd, args...), " ")
}

// formRetryArgs are a form's answers as flags, secrets as files to give:
// fields without a flag (a VM's login switch) and choices left at their
// default are left out; paths are given in full.
func formRetryArgs(typ string, values map[string]string) []string {
	var out []string
	for _, f := range flows.Form(typ) {
		v := strings.TrimSpace(values[f.Key])
		switch {
		case f.Key == "resource-id" || f.Key == "name" || f.Flag == "" || v == "":
		case f.Kind == flows.FieldSecret:
			out = append(out, f.Flag, strings.ToUpper(strings.TrimPrefix(f.Flag, "--")))
		case (f.Kind == flows.FieldChoice || f.Kind == flows.FieldBool) && strings.EqualFold(v, f.Default):
		case f.Kind == flows.FieldFile || f.Kind == flows.FieldKeyFile:
			out = append(out, f.Flag, flows.ShellQuote(flows.ExpandHome(v)))
		default:
			out = append(out, f.Flag, flows.ShellQuote(v))
		}
	}
	return out
}

// replaceValues are the settings Azure ML stored for comp that its form
// asks again, by field key: its name, user, SSH port, purpose, namespace.
func replaceValues(comp flows.Compute) map[string]string {
	v := map[string]string{"name": comp.Name}
	set := func(k, x string) {
		if x != "" {
			v[k] = x
		}
	}
	set("username", comp.Username)
	if comp.SSHPort > 0 {
		set("ssh-port", strconv.Itoa(comp.SSHPort))
	}
	set("cluster-purpose", comp.ClusterPurpose)
	set("namespace", comp.Namespace)
	return v
}

// SetReplace fixes the form on reattaching comp (nil: a new attach again):
// the name is the compute's and cannot change; the stored settings it
// knows (user, SSH port, purpose, namespace) are filled in.
func (s *formScreen) SetReplace(comp *flows.Compute) {
	s.replacing = comp
	if comp == nil {
		return
	}
	for k, v := range replaceValues(*comp) {
		if f := s.field(k); f != nil {
			f.setValue(v)
		}
	}
	s.nameEdited = true
	// Start on the secret: a new one is the usual reason to reattach.
	s.focus = -1
	shown := s.shown()
	for i := range s.fields {
		if shown[i] && s.fields[i].Kind == flows.FieldSecret {
			s.focus = i
			break
		}
	}
	if s.focus < 0 {
		s.focus = s.index("resource-id")
		for i := range s.fields {
			if !s.locked(i) && s.fields[i].Key != "resource-id" {
				s.focus = i
				break
			}
		}
	}
	s.focus = max(0, s.focus)
}

// locked says field i cannot be edited: the name of a compute being reattached.
func (s *formScreen) locked(i int) bool {
	return s.replacing != nil && i >= 0 && i < len(s.fields) && s.fields[i].Key == "name"
}
