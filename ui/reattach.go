package ui

import (
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

// startReattach opens the compute's type form (a VM's details screen)
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
	if typ == "vm" {
		m.details.SetResource(comp.ResourceID, id.Name, nil, m.ws, m.computes)
		m.details.SetReplace(&comp)
		return m.details.Focus()
	}
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
	m.details.SetReplace(nil)
	m.form.SetReplace(nil)
	m.form.ResetType("")
	m.plan, m.recheck = nil, nil
}

// retryCommand is the command that attaches the compute again with the
// same settings, secrets left as files to give: what finishes a reattach
// that failed after its detach.
func (m *Model) retryCommand(p *flows.Plan) string {
	args := []string{m.opts.command(), "--subscription", flows.ShellQuote(m.ws.SubscriptionID), "-g", flows.ShellQuote(m.ws.ResourceGroup), "-w", flows.ShellQuote(m.ws.Name),
		"attach", p.Type, "--name", flows.ShellQuote(p.Name), "--resource-id", flows.ShellQuote(p.ID.String())}
	if p.Type == "vm" {
		args = append(args, m.details.retryArgs()...)
	} else {
		args = append(args, m.form.retryArgs()...)
	}
	return strings.Join(args, " ")
}

// SetReplace fixes the form on reattaching comp (nil: a new attach again):
// the name is the compute's and cannot change; the stored settings it
// knows (user, purpose, namespace) are filled in.
func (s *formScreen) SetReplace(comp *flows.Compute) {
	s.replacing = comp
	if comp == nil {
		return
	}
	if f := s.field("name"); f != nil {
		f.setValue(comp.Name)
		s.nameEdited = true
	}
	if f := s.field("username"); f != nil && comp.Username != "" {
		f.setValue(comp.Username)
	}
	if f := s.field("cluster-purpose"); f != nil && comp.ClusterPurpose != "" {
		f.setValue(comp.ClusterPurpose)
	}
	if f := s.field("namespace"); f != nil && comp.Namespace != "" {
		f.setValue(comp.Namespace)
	}
	// Start on the secret: a new one is the usual reason to reattach.
	s.focus = -1
	for i := range s.fields {
		if s.fields[i].Kind == flows.FieldSecret {
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

// ResetType builds the form of typ afresh, dropping what was typed.
func (s *formScreen) ResetType(typ string) {
	s.typ = "\x00"
	if typ == "" {
		s.fields = nil
		s.typ = ""
		return
	}
	s.SetType(typ)
}

// locked says field i cannot be edited: the name of a compute being reattached.
func (s *formScreen) locked(i int) bool {
	return s.replacing != nil && i >= 0 && i < len(s.fields) && s.fields[i].Key == "name"
}

// retryArgs are the form's answers as flags, secrets as files to give.
func (s *formScreen) retryArgs() []string { return formRetryArgs(s.typ, s.values()) }

// SetReplace fixes the details on reattaching comp (nil: a new attach
// again): the name is the compute's, the stored user and port are filled
// in, and the login is asked afresh.
func (d *detailsScreen) SetReplace(comp *flows.Compute) {
	d.replacing = comp
	if comp == nil {
		d.nameEdited, d.resourceID = false, ""
		return
	}
	d.inputs[fName].SetValue(comp.Name)
	d.nameEdited = true
	if comp.Username != "" {
		d.inputs[fUser].SetValue(comp.Username)
	}
	if comp.SSHPort > 0 {
		d.inputs[fPort].SetValue(strconv.Itoa(comp.SSHPort))
	}
	for _, f := range []fieldID{fPassword, fKey, fPassphrase} {
		d.inputs[f].SetValue("")
	}
	d.login, d.keyEncrypted, d.key = loginPassword, false, nil
	d.focus = fPassword
}

// retryArgs are the login as flags, the password as a file to give.
func (d *detailsScreen) retryArgs() []string { return vmRetryArgs(d.input()) }
