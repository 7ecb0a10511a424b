package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

type (
	// doctorEventMsg is a probe event of doctor run gen.
	doctorEventMsg struct {
		gen int
		ev  flows.Event
	}
	doctorDoneMsg struct {
		gen   int
		diag  *flows.Diagnosis
		err   error
		fixes []flows.Fix // what the diagnosis offers to fix
	}
	// doctorRerunDoneMsg: the probes the fixes touched ran again.
	doctorRerunDoneMsg struct {
		gen     int
		results []probes.Result
		fixes   []flows.Fix
	}
	// doctorDetachEventMsg is progress of the detach the user asked for.
	doctorDetachEventMsg struct {
		gen int
		ev  flows.Event
	}
	doctorDetachDoneMsg struct {
		gen int
		err error
	}
	reportWrittenMsg struct {
		path string
		err  error
	}
)

// startDoctorCmd runs flows.Doctor in the background; probe events, host
// key questions and the diagnosis come back through r.
func startDoctorCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, in flows.DoctorInput) tea.Cmd {
	gen := r.gen
	ctx = withHostKeyAsker(ctx, r.askHostKey(true))
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			g, err := be.Doctor(ctx, ws, in, func(e flows.Event) { r.put(ctx, doctorEventMsg{gen: gen, ev: e}) })
			var fixes []flows.Fix
			if g != nil {
				fixes = fixesFor(ctx, be, ws, g.Plan, g.Results)
			}
			r.put(ctx, doctorDoneMsg{gen: gen, diag: g, err: err, fixes: fixes})
		}()
		return wait()
	}
}

// doctorRerunCmd runs the probes the fixes touched again with the plan
// doctor built, then asks for the fixes the new results offer.
func doctorRerunCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, plan *flows.Plan, before []probes.Result, outs []flows.FixOutcome) tea.Cmd {
	gen := r.gen
	ctx = withHostKeyAsker(ctx, r.askHostKey(true))
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			rs := be.RerunAfterFixes(ctx, ws, plan, before, outs, func(e flows.Event) { r.put(ctx, doctorEventMsg{gen: gen, ev: e}) })
			r.put(ctx, doctorRerunDoneMsg{gen: gen, results: rs, fixes: fixesFor(ctx, be, ws, plan, rs)})
		}()
		return wait()
	}
}

func startUserDetachCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, name string) tea.Cmd {
	gen := r.gen
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			err := be.Detach(ctx, ws, name, func(e flows.Event) { r.put(ctx, doctorDetachEventMsg{gen: gen, ev: e}) })
			r.put(ctx, doctorDetachDoneMsg{gen: gen, err: err})
		}()
		return wait()
	}
}

// writeReportCmd writes the Markdown report, mode 0600.
func writeReportCmd(path string, doc []byte) tea.Cmd {
	return func() tea.Msg {
		return reportWrittenMsg{path: path, err: flows.WritePrivateFile(path, doc)}
	}
}

type docPhase int

const (
	docIdle docPhase = iota
	docRunning
	docDone
	docCreds         // asking for credentials to run again with
	docConfirmDetach // "detach?" on screen
	docDetaching
	docDetachFailed
	docReport // asking where to write the report
)

const (
	credUser = iota
	credPassword
	credKey
	credToken
	credCount
)

// doctorScreen examines one compute: flows.Doctor's probes fill in live
// (drawn like the preflight's), then the stored provisioning errors word
// for word, their likely causes, conflicting attachments, where the
// credentials came from and the remedy. From here: reattach with new
// settings, detach (after a confirmation), or write a Markdown report.
type doctorScreen struct {
	c          *Common
	ctx        context.Context
	be         Backend
	knownHosts string
	version    string
	commit     string

	ws      flows.Workspace
	comp    flows.Compute
	typ     string // the TYPE argument of the compute's type; "" when amlattach has none
	phase   docPhase
	rows    []probeRow
	index   map[string]int
	run     *run
	gen     int
	diag    *flows.Diagnosis
	err     error
	spin    spin
	creds   [credCount]textinput.Model
	focus   int
	typed   []string // the secrets typed here: never written anywhere
	report  textinput.Model
	note    string // the last action's result (a report written)
	noteBad bool
	detLog  []string
	detErr  error
	// fixes are what the diagnosis offers to fix; outcomes how the fixes
	// applied since the examination ended.
	fixes    []flows.Fix
	outcomes []flows.FixOutcome
	// loginUsed: the login a fix installed has been taken to the reattach.
	loginUsed bool
	scrollView
}

func newDoctorScreen(c *Common, ctx context.Context, be Backend, o Options) *doctorScreen {
	s := &doctorScreen{c: c, ctx: ctx, be: be, knownHosts: o.KnownHosts, version: o.Version, commit: o.Commit, spin: newSpin(c)}
	for i := range s.creds {
		ti := newInput()
		ti.Prompt = ""
		ti.CharLimit = 4096
		s.creds[i] = ti
	}
	for _, i := range []int{credPassword, credToken} {
		s.creds[i].EchoMode = textinput.EchoPassword
		s.creds[i].EchoCharacter = '•'
	}
	s.creds[credKey].Placeholder = "~/.ssh/id_rsa (or leave empty and give the password)"
	s.report = newInput()
	s.report.Prompt = ""
	s.report.CharLimit = 1000
	if s.version == "" {
		s.version = "dev"
	}
	return s
}

// Start examines comp with its stored credentials.
func (s *doctorScreen) Start(ws flows.Workspace, comp flows.Compute) tea.Cmd {
	s.ws, s.comp, s.typ = ws, comp, flows.ComputeTypeArg(comp.Type)
	s.note, s.typed = "", nil
	for i := range s.creds {
		s.creds[i].SetValue("")
	}
	s.creds[credUser].SetValue(comp.Username)
	return s.examine(s.input(false))
}

// input is what Doctor is asked, with the typed credentials when withCreds.
func (s *doctorScreen) input(withCreds bool) flows.DoctorInput {
	in := flows.DoctorInput{Name: s.comp.Name, SSH: flows.VMInput{KnownHosts: s.knownHosts, ConfirmHostKey: confirmHostKey}}
	if !withCreds {
		return in
	}
	switch s.typ {
	case "databricks":
		in.Token, in.TokenSource = s.creds[credToken].Value(), "the token typed here"
	case "vm", "hdinsight":
		in.SSH.Username = strings.TrimSpace(s.creds[credUser].Value())
		if k := strings.TrimSpace(s.creds[credKey].Value()); k != "" {
			in.SSH.KeyFile = flows.ExpandHome(k)
		} else {
			in.SSH.Password, in.SSH.PasswordSource = s.creds[credPassword].Value(), "the password typed here"
		}
	}
	return in
}

func (s *doctorScreen) examine(in flows.DoctorInput) tea.Cmd {
	s.Cancel()
	s.gen++
	r, ctx := newRun(s.ctx, s.gen)
	s.run = r
	s.phase, s.diag, s.err = docRunning, nil, nil
	s.fixes, s.outcomes, s.loginUsed = nil, nil, false
	s.scroll.Top()
	s.rows, s.index = nil, map[string]int{}
	return tea.Batch(startDoctorCmd(ctx, r, s.be, s.ws, in), s.spin.start())
}

// Rerun runs the probes the fixes touched again, after they were applied.
func (s *doctorScreen) Rerun(outs []flows.FixOutcome) tea.Cmd {
	s.outcomes = append(s.outcomes, outs...)
	if s.diag == nil || s.diag.Plan == nil {
		return nil
	}
	s.diag.RecordFixes(outs...) // for the report (w)
	s.Cancel()
	s.gen++
	r, ctx := newRun(s.ctx, s.gen)
	s.run = r
	s.phase, s.fixes = docRunning, nil
	s.scroll.Top()
	return tea.Batch(doctorRerunCmd(ctx, r, s.be, s.ws, s.diag.Plan, s.diag.Results, outs), s.spin.start())
}

// offered are the fixes that may be applied.
func (s *doctorScreen) offered() []flows.Fix {
	if s.phase != docDone {
		return nil
	}
	var out []flows.Fix
	for _, f := range s.fixes {
		if f.Offered() {
			out = append(out, f)
		}
	}
	return out
}

// fixesByProbe are the fixes of the finished run by the probe they clear.
func (s *doctorScreen) fixesByProbe() map[string]flows.Fix {
	if s.phase == docRunning {
		return nil
	}
	return fixMap(s.fixes)
}

// Cancel stops a running examination or detach (a detach goes on in Azure).
func (s *doctorScreen) Cancel() {
	if s.run != nil {
		s.run.cancel()
	}
	s.spin.stop()
}

// Running says a doctor run is on (a host key question belongs to it).
func (s *doctorScreen) Running() bool { return s.phase == docRunning }

// Busy says leaving now would stop watching something: a detach.
func (s *doctorScreen) Busy() bool { return s.phase == docDetaching }

// asksCreds says the type has credentials the user can give.
func (s *doctorScreen) asksCreds() bool {
	return s.typ == "vm" || s.typ == "hdinsight" || s.typ == "databricks"
}

func (s *doctorScreen) credFields() []int {
	if s.typ == "databricks" {
		return []int{credToken}
	}
	return []int{credUser, credPassword, credKey}
}

func credLabel(i int) string {
	switch i {
	case credUser:
		return "SSH user"
	case credPassword:
		return "Password"
	case credKey:
		return "Key file"
	}
	return "Access token"
}

func (s *doctorScreen) askCreds() tea.Cmd {
	s.phase = docCreds
	s.focus = 0
	if s.typ != "databricks" && strings.TrimSpace(s.creds[credUser].Value()) != "" {
		s.focus = 1
	}
	return s.focusCred()
}

func (s *doctorScreen) focusCred() tea.Cmd {
	for i := range s.creds {
		s.creds[i].Blur()
	}
	f := s.credFields()[s.focus]
	s.creds[f].CursorEnd()
	return s.creds[f].Focus()
}

func (s *doctorScreen) Init() tea.Cmd { return nil }

func (s *doctorScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	for i := range s.creds {
		s.creds[i].Width = max(8, w-18)
	}
	s.report.Width = max(8, w-18)
}

func (s *doctorScreen) Typing() bool { return s.phase == docCreds || s.phase == docReport }

func (s *doctorScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case doctorEventMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		if msg.ev.Kind == flows.ProbesPlanned {
			s.planRows(msg.ev.IDs)
		}
		s.event(msg.ev.Kind, msg.ev.Result)
		return s, s.run.waitCmd()
	case hostKeyAskMsg:
		if !msg.doctor {
			return s, nil
		}
		if msg.gen != s.gen || s.phase != docRunning {
			msg.reply <- false
			return s, nil
		}
		return s, s.run.waitCmd()
	case doctorDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.spin.stop()
		s.phase, s.diag, s.err, s.fixes = docDone, msg.diag, msg.err, msg.fixes
		if msg.diag != nil {
			for _, r := range msg.diag.Results {
				s.event(flows.ProbeFinished, r)
			}
			if msg.diag.NeedsCredentials() && s.asksCreds() {
				return s, s.askCreds()
			}
		}
		return s, nil
	case doctorRerunDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.spin.stop()
		s.phase, s.fixes = docDone, msg.fixes
		s.diag.SetResults(msg.results)
		for _, r := range msg.results {
			s.event(flows.ProbeFinished, r)
		}
		// A fix that installed a new login (ssh.install-key) leaves the
		// stored one stale: the reattach with --replace takes the new one.
		if l, ok := s.diag.Plan.FixedLogin(); ok && !s.loginUsed && s.typ != "" {
			s.loginUsed = true
			return s, s.c.post(reattachMsg{compute: s.comp, login: &l})
		}
		return s, nil
	case doctorDetachEventMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		switch msg.ev.Phase {
		case "submitted":
			s.detLog = append(s.detLog, "detach submitted: the compute is "+msg.ev.State)
		case "polling":
			if n := len(s.detLog); n == 0 || !strings.HasSuffix(s.detLog[n-1], " "+msg.ev.State) {
				s.detLog = append(s.detLog, "state: "+msg.ev.State)
			}
		case "done":
			s.detLog = append(s.detLog, "detach finished: "+msg.ev.State)
		}
		return s, s.run.waitCmd()
	case doctorDetachDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.spin.stop()
		if msg.err != nil {
			s.phase, s.detErr = docDetachFailed, msg.err
			return s, nil
		}
		s.phase = docDone
		return s, s.c.post(detachedMsg{name: s.comp.Name})
	case reportWrittenMsg:
		if msg.err != nil {
			s.note, s.noteBad = fmt.Sprintf("could not write %s: %v", msg.path, msg.err), true
		} else {
			s.note, s.noteBad = fmt.Sprintf("Report written to %s (mode 0600; it holds no secret).", msg.path), false
		}
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	switch s.phase {
	case docCreds:
		f := s.credFields()[s.focus]
		var cmd tea.Cmd
		s.creds[f], cmd = s.creds[f].Update(msg)
		return s, cmd
	case docReport:
		var cmd tea.Cmd
		s.report, cmd = s.report.Update(msg)
		return s, cmd
	}
	return s, s.spin.update(msg)
}

// planRows lays out the rows in plan order once Doctor has built its plan
// from the stored settings.
func (s *doctorScreen) planRows(ids []string) {
	for _, id := range ids {
		if _, ok := s.index[id]; !ok {
			s.index[id] = len(s.rows)
			s.rows = append(s.rows, probeRow{id: id, title: probes.Title(id)})
		}
	}
}

// event fills in a probe row, adding it when it is new (a run without a
// plan event).
func (s *doctorScreen) event(kind flows.EventKind, r probes.Result) {
	if kind != flows.ProbeStarted && kind != flows.ProbeFinished {
		return
	}
	i, ok := s.index[r.ID]
	if !ok {
		title := r.Title
		if title == "" {
			title = probes.Title(r.ID)
		}
		i = len(s.rows)
		s.index[r.ID] = i
		s.rows = append(s.rows, probeRow{id: r.ID, title: title})
	}
	if kind == flows.ProbeStarted {
		s.rows[i].running = true
		return
	}
	s.rows[i].running, s.rows[i].done, s.rows[i].res = false, true, r
}

func (s *doctorScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch s.phase {
	case docCreds:
		return s.credKey(msg)
	case docReport:
		switch {
		case key.Matches(msg, k.Back):
			s.phase = docDone
			s.report.Blur()
		case key.Matches(msg, k.Submit):
			path := strings.TrimSpace(s.report.Value())
			if path == "" {
				return nil
			}
			s.phase = docDone
			s.report.Blur()
			return writeReportCmd(flows.ExpandHome(path), s.reportDoc())
		default:
			var cmd tea.Cmd
			s.report, cmd = s.report.Update(msg)
			return cmd
		}
		return nil
	case docConfirmDetach:
		switch {
		case key.Matches(msg, k.Yes):
			s.phase, s.detLog, s.detErr = docDetaching, nil, nil
			s.gen++
			r, ctx := newRun(s.ctx, s.gen)
			s.run = r
			return tea.Batch(startUserDetachCmd(ctx, r, s.be, s.ws, s.comp.Name), s.spin.start())
		case key.Matches(msg, k.No):
			s.phase = docDone
		}
		return nil
	case docDetaching:
		return nil
	case docDetachFailed:
		if key.Matches(msg, k.Back) || key.Matches(msg, k.Select) {
			s.phase = docDone
		}
		return nil
	case docRunning:
		if key.Matches(msg, k.Back) {
			s.Cancel()
			return s.c.post(backMsg{})
		}
		s.scrollKey(k, msg, s.page())
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		return s.c.post(backMsg{})
	case key.Matches(msg, k.Reattach) && s.typ != "":
		return s.c.post(reattachMsg{compute: s.comp})
	case key.Matches(msg, k.Fix) && len(s.offered()) > 0:
		return s.c.post(fixOpenMsg{fixes: s.offered()[:1], doctor: true})
	case key.Matches(msg, k.FixAll) && len(s.offered()) > 0:
		return s.c.post(fixOpenMsg{fixes: s.fixes, all: true, doctor: true})
	case key.Matches(msg, k.TestJob) && s.offersJob():
		var plan *flows.Plan
		if s.diag != nil {
			plan = s.diag.Plan
		}
		return s.c.post(jobOpenMsg{compute: s.comp.Name, plan: plan, doctor: true})
	case key.Matches(msg, k.Detach):
		s.phase = docConfirmDetach
	case key.Matches(msg, k.WriteReport) && s.diag != nil:
		s.phase = docReport
		s.report.SetValue(s.comp.Name + "-doctor.md")
		s.report.CursorEnd()
		return s.report.Focus()
	case key.Matches(msg, k.Credentials) && s.asksCreds():
		return s.askCreds()
	case key.Matches(msg, k.DoctorAgain):
		return s.examine(s.input(s.usedCreds()))
	default:
		s.scrollKey(k, msg, s.page())
	}
	return nil
}

// offersJob says a test job can run on the compute: the examination is
// over and the compute is Succeeded, of a type that runs command jobs.
func (s *doctorScreen) offersJob() bool {
	return s.phase == docDone && s.comp.ProvisioningState == "Succeeded" && flows.RunsCommandJobs(s.comp.Type)
}

// usedCreds says the last run was given typed credentials.
func (s *doctorScreen) usedCreds() bool {
	return s.diag != nil && s.diag.SecretsFrom != "" && s.diag.SecretsFrom != "listKeys"
}

func (s *doctorScreen) credKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	fields := s.credFields()
	switch {
	case key.Matches(msg, k.Back):
		s.phase = docDone
		for i := range s.creds {
			s.creds[i].Blur()
		}
		return nil
	case key.Matches(msg, k.NextField):
		s.focus = (s.focus + 1) % len(fields)
		return s.focusCred()
	case key.Matches(msg, k.PrevField):
		s.focus = (s.focus + len(fields) - 1) % len(fields)
		return s.focusCred()
	case key.Matches(msg, k.Submit):
		if p := s.credProblem(); p != "" {
			return nil
		}
		for _, i := range []int{credPassword, credToken} {
			if v := s.creds[i].Value(); v != "" {
				s.typed = append(s.typed, v)
			}
		}
		for i := range s.creds {
			s.creds[i].Blur()
		}
		return s.examine(s.input(true))
	}
	f := fields[s.focus]
	var cmd tea.Cmd
	s.creds[f], cmd = s.creds[f].Update(msg)
	return cmd
}

// credProblem is what is missing from the typed credentials.
func (s *doctorScreen) credProblem() string {
	if s.typ == "databricks" {
		if s.creds[credToken].Value() == "" {
			return "type the access token"
		}
		return ""
	}
	if strings.TrimSpace(s.creds[credUser].Value()) == "" {
		return "type the SSH user"
	}
	if s.creds[credPassword].Value() == "" && strings.TrimSpace(s.creds[credKey].Value()) == "" {
		return "type the password, or give a private key file"
	}
	return ""
}

// reportDoc is the Markdown report; a secret typed here is removed from it
// as a last line of defence (the diagnosis holds none).
func (s *doctorScreen) reportDoc() []byte {
	doc := flows.DoctorMarkdown(flows.NewDoctorJSON(s.diag, s.version, s.commit))
	out := string(doc)
	for _, t := range s.typed {
		if t != "" {
			out = strings.ReplaceAll(out, t, "[REDACTED]")
		}
	}
	return []byte(out)
}

func (s *doctorScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.phase {
	case docRunning:
		return []key.Binding{k.Back}
	case docCreds:
		run := k.Submit
		run.SetHelp("enter", "run doctor with these")
		cancel := k.Back
		cancel.SetHelp("esc", "cancel")
		return []key.Binding{run, k.NextField, cancel}
	case docReport:
		wr := k.Submit
		wr.SetHelp("enter", "write")
		cancel := k.Back
		cancel.SetHelp("esc", "cancel")
		return []key.Binding{wr, cancel}
	case docConfirmDetach:
		yes := k.Yes
		yes.SetHelp("y", "detach")
		no := k.No
		no.SetHelp("n/esc", "keep it")
		return []key.Binding{yes, no}
	case docDetaching:
		return nil
	case docDetachFailed:
		return []key.Binding{k.Back}
	}
	var b []key.Binding
	if offered := s.offered(); len(offered) > 0 {
		fix := k.Fix
		fix.SetHelp("f", "fix: "+offered[0].ID)
		b = append(b, fix)
		if len(offered) > 1 {
			b = append(b, k.FixAll)
		}
	}
	if s.offersJob() {
		b = append(b, k.TestJob)
	}
	if s.typ != "" {
		b = append(b, k.Reattach)
	}
	b = append(b, k.Detach)
	if s.diag != nil {
		b = append(b, k.WriteReport)
	}
	return append(b, k.Back)
}

func (s *doctorScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	acts := []key.Binding{k.Fix, k.FixAll, k.Reattach, k.Detach, k.WriteReport, k.Credentials, k.DoctorAgain, k.Back}
	if s.offersJob() {
		acts = append([]key.Binding{k.TestJob}, acts...)
	}
	return [][]key.Binding{acts, scrollKeysJobs(k, s.offersJob())}
}

// credsText says where the credentials the probes used came from.
func (s *doctorScreen) credsText() string {
	g := s.diag
	switch {
	case g.KeysProblem != "":
		return g.KeysProblem
	case g.SecretsFrom == "listKeys":
		return "the ones Azure ML stored (read with listKeys)"
	case g.SecretsFrom != "":
		return g.SecretsFrom
	}
	return "none: this type has no login for amlattach to try"
}

// lines is the examination, which scrolls; foot stays at the bottom.
func (s *doctorScreen) lines() []string {
	st := s.c.Styles
	w := s.width
	c := s.comp
	var lines []string
	created := "-"
	if !c.CreatedOn.IsZero() {
		created = c.CreatedOn.UTC().Format("2006-01-02")
	}
	lines = append(lines, labelled("resource", orDash(c.ResourceID), 10, w, st.Subtle)...)
	lines = append(lines, labelled("created", created, 10, w, st.Subtle)...)
	lines = append(lines, "")
	if s.phase == docRunning && len(s.rows) == 0 {
		lines = append(lines, s.spin.view()+" reading the compute, its stored settings and credentials…")
	}
	lines = append(lines, fixOutcomeBlock(s.c, s.outcomes, w)...)
	if len(s.rows) > 0 {
		lines = append(lines, st.Bold.Render("Probes")+" with the stored settings (nothing is changed):")
		lines = append(lines, checklistLines(s.c, s.rows, s.spin, w, orDash(s.typ), false, s.fixesByProbe())...)
		lines = append(lines, "")
	}
	if s.err != nil && s.diag == nil {
		return append(lines, errorLines(s.c, s.err, w)...)
	}
	g := s.diag
	if g == nil {
		return lines
	}
	if len(g.Compute.ProvisioningErrors) == 0 {
		lines = append(lines, st.Bold.Render("Stored provisioning errors:")+" none")
	} else {
		lines = append(lines, st.Bold.Render("Stored provisioning errors")+", word for word:")
		for _, e := range g.Compute.ProvisioningErrors {
			lines = append(lines, wrapIndent(st.Bad(e.Code+": "+e.Message), w, 2)...)
		}
	}
	for _, cause := range g.Causes {
		lines = append(lines, wrapIndent(st.Bold.Render("Likely cause: ")+cause, w, 0)...)
	}
	if len(g.Conflicts) > 0 {
		lines = append(lines, wrap(st.Note(fmt.Sprintf("CONFLICT: the same resource is also attached as %s; each new attachment breaks the earlier ones: keep one (d detaches this one).", strings.Join(g.Conflicts, ", "))), w)...)
	}
	lines = append(lines, wrap(st.Bold.Render("Credentials: ")+s.credsText(), w)...)
	if s.err != nil {
		lines = append(lines, errorLines(s.c, s.err, w)...)
	}
	if g.Remedy != "" {
		lines = append(lines, "")
		lines = append(lines, wrap(st.Bold.Render("Remedy: ")+g.Remedy, w)...)
		if s.typ != "" && strings.Contains(g.Remedy, "attach again") {
			lines = append(lines, wrap(st.Subtle.Render("r does this here: the preflight runs with the new settings first, and nothing is detached if it fails."), w)...)
		}
	}
	return lines
}

// foot is the verdict and what can be done, always on screen.
func (s *doctorScreen) foot() []string {
	st := s.c.Styles
	w := s.width
	var lines []string
	switch s.phase {
	case docRunning:
		done := 0
		for _, r := range s.rows {
			if r.done {
				done++
			}
		}
		lines = append(lines, fmt.Sprintf("%s %d of %d probes done. Nothing is changed.", s.spin.view(), done, len(s.rows)))
	case docCreds:
		lines = append(lines, s.credLines()...)
	case docReport:
		box := []string{st.Bold.Render("Write the report") + " (Markdown, mode 0600; no secret goes in it)",
			st.FieldFocused.Render("› File   ") + " " + s.report.View()}
		lines = append(lines, strings.Split(st.Dialog.Width(max(20, w-2)).Render(strings.Join(box, "\n")), "\n")...)
	case docConfirmDetach:
		text := []string{st.Bold.Render(fmt.Sprintf("Detach %q from %s?", s.comp.Name, s.ws.Name)),
			fmt.Sprintf("Azure ML forgets the compute: jobs can no longer use it. The %s itself (%s) is untouched: nothing on it is deleted or changed.", resourceNoun(orDash(s.typ)), shortResource(s.comp.ResourceID)),
			"y detaches · n or esc keeps it"}
		var body []string
		for _, t := range text {
			body = append(body, wrap(t, max(16, w-4))...)
		}
		lines = append(lines, strings.Split(st.Dialog.Width(max(20, w-2)).Render(strings.Join(body, "\n")), "\n")...)
	case docDetaching:
		lines = append(lines, st.Bold.Render(fmt.Sprintf("Detaching %q…", s.comp.Name)))
		for _, l := range s.detLog {
			lines = append(lines, "  "+l)
		}
		lines = append(lines, s.spin.view()+" waiting for Azure")
	case docDetachFailed:
		lines = append(lines, errorLines(s.c, s.detErr, w)...)
		lines = append(lines, st.Subtle.Render("esc goes back"))
	default:
		if s.note != "" {
			if s.noteBad {
				lines = append(lines, wrap(st.Bad(s.note), w)...)
			} else {
				lines = append(lines, wrap(st.Good(s.note), w)...)
			}
		}
		lines = append(lines, wrap(s.verdict(), w)...)
	}
	return lines
}

func (s *doctorScreen) verdict() string {
	st := s.c.Styles
	acts := "d detaches · w writes a report"
	if s.typ != "" {
		acts = "r reattaches · " + acts
	}
	if s.offersJob() {
		acts = "j runs a test job · " + acts
	}
	if len(s.offered()) > 0 {
		acts = "f shows the fix and applies it once you confirm · " + acts
	}
	switch {
	case s.diag == nil:
		return st.Bad("Doctor did not finish:") + " a runs it again · " + acts
	case s.diag.OK():
		return st.Good("The compute looks healthy:") + " " + acts
	case s.diag.NeedsCredentials():
		return st.Bad("The login was not tried:") + " c gives credentials · " + acts
	}
	return st.Bad("The compute has problems:") + " " + acts
}

// credLines ask for the credentials the type needs, secrets masked.
func (s *doctorScreen) credLines() []string {
	st := s.c.Styles
	w := s.width
	var body []string
	what := "the SSH login (a password, or a private key file)"
	if s.typ == "databricks" {
		what = "a Databricks personal access token"
	}
	body = append(body, wrap(st.Bold.Render("Give "+what)+" to run the login probes with; it is used here only, never stored or written.", max(16, w-4))...)
	fields := s.credFields()
	for j, f := range fields {
		label := fmt.Sprintf("%-13s", credLabel(f))
		if j == s.focus {
			label = st.FieldFocused.Render("› " + label)
		} else {
			label = "  " + st.Subtle.Render(label)
		}
		body = append(body, trunc(label+" "+s.creds[f].View(), max(16, w-4)))
	}
	if p := s.credProblem(); p != "" {
		body = append(body, st.Subtle.Render(p))
	}
	return strings.Split(st.Dialog.Width(max(20, w-2)).Render(strings.Join(body, "\n")), "\n")
}

// page is the examination between the title and the foot, which stays on
// the last rows.
func (s *doctorScreen) page() scrollPage {
	title := fmt.Sprintf("Doctor of %q · %s · %s", s.comp.Name, orDash(s.comp.Type), orDash(s.comp.ProvisioningState))
	return scrollPage{
		head:    []string{trunc(s.c.Styles.Title.Render(title), s.width)},
		body:    s.lines(),
		foot:    append([]string{""}, s.foot()...),
		pinFoot: true,
	}
}

func (s *doctorScreen) View() string { return s.render(s.page()) }
