package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"amlattach/flows"
	"amlattach/probes"
)

// run is one background operation (a preflight, an attach, a detach) whose
// messages come back on one channel, read by a Cmd that re-arms itself.
// gen tells this run's messages from a cancelled earlier one's.
type run struct {
	gen    int
	msgs   chan tea.Msg
	cancel context.CancelFunc
}

// askHostKey asks the screen about a new host key from a probe goroutine
// and waits for the answer (no, when the run ends first). doctor says a
// doctor run asks, not the preflight.
func (r *run) askHostKey(doctor bool) func(context.Context, flows.HostKeyQuestion) bool {
	return func(qctx context.Context, q flows.HostKeyQuestion) bool {
		reply := make(chan bool, 1)
		select {
		case r.msgs <- hostKeyAskMsg{gen: r.gen, doctor: doctor, q: q, reply: reply}:
		case <-qctx.Done():
			return false
		}
		select {
		case ok := <-reply:
			return ok
		case <-qctx.Done():
			return false
		}
	}
}

func newRun(parent context.Context, gen int) (*run, context.Context) {
	ctx, cancel := context.WithCancel(parent)
	return &run{gen: gen, msgs: make(chan tea.Msg, 64), cancel: cancel}, ctx
}

// put hands a message to the UI unless the run was cancelled.
func (r *run) put(ctx context.Context, m tea.Msg) {
	select {
	case r.msgs <- m:
	case <-ctx.Done():
	}
}

// waitCmd reads the run's next message (nil once the run is over).
func (r *run) waitCmd() tea.Cmd {
	ch := r.msgs
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return m
	}
}

type (
	// probeEventMsg is one flows event of preflight run gen, routed to its row by probe ID.
	probeEventMsg struct {
		gen int
		ev  flows.Event
	}
	preflightDoneMsg struct {
		gen     int
		results []probes.Result
		fixes   []flows.Fix // what the results offer to fix
	}
)

// startPreflightCmd runs the probes in the background; their events, the
// host key question and the results come back through r.
func startPreflightCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, plan *flows.Plan, replace bool) tea.Cmd {
	gen := r.gen
	ctx = withHostKeyAsker(ctx, r.askHostKey(false))
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			probe := be.Probe
			if replace {
				probe = be.ProbeReplace
			}
			rs := probe(ctx, ws, plan, func(e flows.Event) { r.put(ctx, probeEventMsg{gen: gen, ev: e}) })
			r.put(ctx, preflightDoneMsg{gen: gen, results: rs, fixes: fixesFor(ctx, be, ws, plan, rs)})
		}()
		return wait()
	}
}

// rerunAfterFixesCmd runs the probes the fixes touched again (flows
// decides which), then the fixes the new results offer.
func rerunAfterFixesCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, plan *flows.Plan, before []probes.Result, outs []flows.FixOutcome) tea.Cmd {
	gen := r.gen
	ctx = withHostKeyAsker(ctx, r.askHostKey(false))
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			rs := be.RerunAfterFixes(ctx, ws, plan, before, outs, func(e flows.Event) { r.put(ctx, probeEventMsg{gen: gen, ev: e}) })
			r.put(ctx, preflightDoneMsg{gen: gen, results: rs, fixes: fixesFor(ctx, be, ws, plan, rs)})
		}()
		return wait()
	}
}

// fixesFor asks for the fixes of a finished run (none once it was
// cancelled, or when nothing failed or warned).
func fixesFor(ctx context.Context, be Backend, ws flows.Workspace, plan *flows.Plan, rs []probes.Result) []flows.Fix {
	if ctx.Err() != nil || plan == nil {
		return nil
	}
	for _, r := range rs {
		if r.Status == probes.Fail || r.Status == probes.Warn {
			return be.Fixes(ctx, ws, plan, rs)
		}
	}
	return nil
}

type probeRow struct {
	id, title string
	running   bool
	done      bool
	res       probes.Result
}

// preflightScreen is the checklist filling in live: a spinner per running
// probe, then glyph, word, duration and detail; a failure shows its fix.
type preflightScreen struct {
	c   *Common
	ctx context.Context
	be  Backend

	ws      flows.Workspace
	plan    *flows.Plan
	rows    []probeRow
	index   map[string]int
	run     *run
	gen     int
	running bool
	results []probes.Result
	// replace: the preflight of a reattach (no ws.name; a failure ends it).
	replace bool
	// fixes are what the last results offer to fix; outcomes are how the
	// fixes applied since the last full run ended.
	fixes    []flows.Fix
	outcomes []flows.FixOutcome
	spin     spin
	scrollView
}

func newPreflightScreen(c *Common, ctx context.Context, be Backend) *preflightScreen {
	return &preflightScreen{c: c, ctx: ctx, be: be, spin: newSpin(c)}
}

// Start runs the preflight of plan, cancelling one still running.
func (s *preflightScreen) Start(ws flows.Workspace, plan *flows.Plan) tea.Cmd {
	return s.start(ws, plan, false)
}

// StartReplace runs the preflight of a reattach: without ws.name (the
// name is the compute's own); nothing goes on when a probe fails.
func (s *preflightScreen) StartReplace(ws flows.Workspace, plan *flows.Plan) tea.Cmd {
	return s.start(ws, plan, true)
}

func (s *preflightScreen) start(ws flows.Workspace, plan *flows.Plan, replace bool) tea.Cmd {
	s.Cancel()
	s.ws, s.plan, s.replace = ws, plan, replace
	s.gen++
	r, ctx := newRun(s.ctx, s.gen)
	s.run = r
	s.running, s.results, s.fixes, s.outcomes = true, nil, nil, nil
	s.scroll.Top()
	s.rows, s.index = nil, map[string]int{}
	for _, id := range plan.ProbeIDs() {
		if replace && id == probes.IDWsName {
			continue
		}
		s.index[id] = len(s.rows)
		s.rows = append(s.rows, probeRow{id: id, title: probes.Title(id)})
	}
	return tea.Batch(startPreflightCmd(ctx, r, s.be, ws, plan, replace), s.spin.start())
}

// Rerun runs again what the fixes touched, after they were applied: the
// rows stay as they were until their probes start again.
func (s *preflightScreen) Rerun(outs []flows.FixOutcome) tea.Cmd {
	before := s.results
	s.Cancel()
	s.gen++
	r, ctx := newRun(s.ctx, s.gen)
	s.run = r
	s.running, s.fixes = true, nil
	s.outcomes = append(s.outcomes, outs...)
	s.scroll.Top()
	return tea.Batch(rerunAfterFixesCmd(ctx, r, s.be, s.ws, s.plan, before, outs), s.spin.start())
}

// Plan is the plan the preflight runs.
func (s *preflightScreen) Plan() *flows.Plan { return s.plan }

// offered are the fixes that may be applied (the caller's roles allow them).
func (s *preflightScreen) offered() []flows.Fix {
	if s.running {
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

// canProceed says whether enter leads on: a reattach only when no probe failed.
func (s *preflightScreen) canProceed() bool {
	return !s.running && !(s.replace && flows.AnyFailed(s.results))
}

// Cancel stops a running preflight (its probes end as skipped).
func (s *preflightScreen) Cancel() {
	if s.run != nil {
		s.run.cancel()
	}
	s.running = false
	s.spin.stop()
}

func (s *preflightScreen) typ() string {
	if s.plan == nil {
		return "vm"
	}
	return s.plan.Type
}

func (s *preflightScreen) Running() bool            { return s.running }
func (s *preflightScreen) Results() []probes.Result { return s.results }

func (s *preflightScreen) Init() tea.Cmd { return nil }
func (s *preflightScreen) Typing() bool  { return false }

func (s *preflightScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case probeEventMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		if i, ok := s.index[msg.ev.Result.ID]; ok {
			switch msg.ev.Kind {
			case flows.ProbeStarted:
				s.rows[i].running = true
			case flows.ProbeFinished:
				s.rows[i].running, s.rows[i].done, s.rows[i].res = false, true, msg.ev.Result
			}
		}
		return s, s.run.waitCmd()
	case hostKeyAskMsg:
		if msg.doctor {
			return s, nil
		}
		if msg.gen != s.gen {
			msg.reply <- false
			return s, nil
		}
		return s, s.run.waitCmd()
	case preflightDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.running, s.results, s.fixes = false, msg.results, msg.fixes
		for _, r := range msg.results {
			if i, ok := s.index[r.ID]; ok {
				s.rows[i].running, s.rows[i].done, s.rows[i].res = false, true, r
			}
		}
		s.spin.stop()
		if len(s.outcomes) > 0 {
			s.scroll.Top() // how the fixes went, above the rerun
		} else {
			s.scroll.ShowLine(s.firstFailureLine(), s.page(), s.height)
		}
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	return s, s.spin.update(msg)
}

// fault is the first failure that points at a field the user can edit.
func (s *preflightScreen) fault() (probes.Result, bool) {
	for _, r := range s.results {
		if r.Status == probes.Fail && editable(r.Field) {
			return r, true
		}
	}
	return probes.Result{}, false
}

func editable(f probes.Field) bool {
	switch f {
	case probes.FieldName, probes.FieldResourceID, probes.FieldUsername, probes.FieldPassword, probes.FieldKey, probes.FieldPort,
		probes.FieldToken, probes.FieldTLS, probes.FieldNamespace:
		return true
	}
	return false
}

// fieldName names the field a probe points at, for a VM.
func fieldName(f probes.Field) string { return fieldNameFor("vm", f) }

// fieldNameFor names the field a probe points at, for a target type.
func fieldNameFor(typ string, f probes.Field) string {
	switch f {
	case probes.FieldName:
		return "the compute name"
	case probes.FieldResourceID:
		return "the " + resourceNoun(typ)
	case probes.FieldToken:
		return "the token"
	case probes.FieldTLS:
		return "the TLS settings"
	case probes.FieldNamespace:
		return "the namespace"
	case probes.FieldUsername:
		return "the user name"
	case probes.FieldPassword:
		return "the password"
	case probes.FieldKey:
		return "the key"
	case probes.FieldPort:
		return "the SSH port"
	}
	return string(f)
}

func (s *preflightScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch {
	case key.Matches(msg, k.Back):
		s.Cancel()
		return s.c.post(backMsg{})
	case key.Matches(msg, k.Rerun):
		return s.start(s.ws, s.plan, s.replace)
	case key.Matches(msg, k.Edit) && !s.running:
		if r, ok := s.fault(); ok {
			return s.c.post(editFieldMsg{field: r.Field})
		}
	case key.Matches(msg, k.Fix) && len(s.offered()) > 0:
		return s.c.post(fixOpenMsg{fixes: s.offered()[:1]})
	case key.Matches(msg, k.FixAll) && len(s.offered()) > 0:
		return s.c.post(fixOpenMsg{fixes: s.fixes, all: true})
	case key.Matches(msg, k.Proceed) && s.canProceed():
		return s.c.post(preflightContinueMsg{results: s.results})
	default:
		s.scrollKey(k, msg, s.page())
	}
	return nil
}

// firstFailureLine is where the checklist scrolls once done: the line
// above the first failure, so that its fix is on screen (the danger box,
// when there is one, is at the top anyway).
func (s *preflightScreen) firstFailureLine() int {
	for i, l := range s.lines() {
		t := ansi.Strip(l)
		if strings.HasPrefix(t, "┌") {
			return 0
		}
		if strings.HasPrefix(t, "✗ FAIL") {
			return max(0, i-1)
		}
	}
	return 0
}

func (s *preflightScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	if s.running {
		return []key.Binding{k.Rerun, k.Back}
	}
	proceed := k.Proceed
	switch {
	case s.replace:
		proceed.SetHelp("enter", "continue to reattach")
	case flows.AnyFailed(s.results):
		proceed.SetHelp("enter", "attach options")
	default:
		proceed.SetHelp("enter", "continue to attach")
	}
	var b []key.Binding
	if s.canProceed() {
		b = append(b, proceed)
	}
	if offered := s.offered(); len(offered) > 0 {
		fix := k.Fix
		fix.SetHelp("f", "fix: "+offered[0].ID)
		b = append(b, fix)
		if len(offered) > 1 {
			b = append(b, k.FixAll)
		}
	}
	if r, ok := s.fault(); ok {
		edit := k.Edit
		edit.SetHelp("e", "edit "+fieldNameFor(s.typ(), r.Field))
		b = append(b, edit)
	}
	return append(b, k.Rerun, k.Back)
}

func (s *preflightScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{{k.Proceed, k.Fix, k.FixAll, k.Edit, k.Rerun, k.Back}, scrollKeys(k)}
}

// shortDuration prints a probe's time as ssh users read it.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// lines renders the checklist; View windows it.
func (s *preflightScreen) lines() []string {
	lines := fixOutcomeBlock(s.c, s.outcomes, s.width)
	return append(lines, checklistLines(s.c, s.rows, s.spin, s.width, s.typ(), true, s.fixesByProbe())...)
}

// fixesByProbe are the fixes of the finished run by the probe they clear.
func (s *preflightScreen) fixesByProbe() map[string]flows.Fix {
	if s.running {
		return nil
	}
	return fixMap(s.fixes)
}

// fixMap is one fix per probe, an offered one first.
func fixMap(fixes []flows.Fix) map[string]flows.Fix {
	m := map[string]flows.Fix{}
	for _, f := range fixes {
		if g, ok := m[f.Probe]; !ok || !g.Offered() && f.Offered() {
			m[f.Probe] = f
		}
	}
	return m
}

// fixOutcomeBlock says how the fixes applied since the run began ended,
// above the checklist that runs their probes again.
func fixOutcomeBlock(c *Common, outs []flows.FixOutcome, width int) []string {
	if len(outs) == 0 {
		return nil
	}
	st := c.Styles
	lines := []string{st.Bold.Render("Fixes") + " (their probes, and those after them, run again below):"}
	for _, o := range outs {
		lines = append(lines, hang(outcomeGlyph(c, o.Status)+"  "+o.ID+": "+o.Summary, width, 8)...)
		lines = append(lines, outcomeLines(c, o, width, 8)...)
	}
	return append(lines, "")
}

// checklistLines draws probe rows: a spinner per running probe, then glyph,
// word, duration and detail; a failure or warning shows its detail and fix
// under it, and an untrusted host key a danger box on top. editHints says
// which field e edits (the preflight's). A probe with a fix says so: f
// applies it; one not offered says what the caller lacks.
func checklistLines(c *Common, rows []probeRow, sp spin, width int, typ string, editHints bool, fixes map[string]flows.Fix) []string {
	st := c.Styles
	var lines []string
	for _, r := range rows {
		if r.done && r.res.ID == probes.IDSSHHostKey && r.res.Status == probes.Fail {
			box := st.DangerBox.Width(max(20, width-2)).Render(strings.Join([]string{
				st.Danger.Render("✗ DANGER: the " + resourceNoun(typ) + "'s host key cannot be trusted"),
				r.res.Detail,
				"Do not attach or log in until you know why: " + r.res.Remedy,
			}, "\n"))
			lines = append(lines, strings.Split(box, "\n")...)
		}
	}
	tw := 0
	for _, r := range rows {
		tw = max(tw, len(r.title))
	}
	for _, r := range rows {
		var status, dur string
		switch {
		case r.done:
			status = st.Status(r.res.Status)
			if r.res.Status != probes.Skip {
				dur = shortDuration(r.res.Duration)
			}
		case r.running:
			status = sp.view() + st.Running.Render(" run ")
		default:
			status = st.Waiting.Render("· wait")
		}
		head := fmt.Sprintf("%s  %-*s %6s  ", padRight(status, 6), tw, r.title, dur)
		if !r.done {
			lines = append(lines, trunc(head, width))
			continue
		}
		if r.res.Status == probes.Fail || r.res.Status == probes.Warn {
			lines = append(lines, trunc(head, width))
			lines = append(lines, wrapIndent(r.res.Detail, width, 8)...)
			if r.res.Remedy != "" {
				lines = append(lines, wrapIndent(st.Bold.Render("fix: ")+r.res.Remedy, width, 8)...)
			}
			if f, ok := fixes[r.res.ID]; ok {
				if f.Offered() {
					lines = append(lines, wrapIndent(st.Key.Render("f")+" fixes this: "+f.Summary+" ("+f.ID+"; nothing is sent before you confirm)", width, 8)...)
				} else {
					lines = append(lines, wrapIndent(st.Subtle.Render(f.ID+" is not offered: "+f.NotOffered()), width, 8)...)
				}
			}
			if editHints && r.res.Status == probes.Fail && editable(r.res.Field) {
				lines = append(lines, wrapIndent(st.Subtle.Render("e edits "+fieldNameFor(typ, r.res.Field)), width, 8)...)
			}
			continue
		}
		lines = append(lines, trunc(head+st.Subtle.Render(r.res.Detail), width))
	}
	return lines
}

func padRight(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

func (s *preflightScreen) summary() string {
	st := s.c.Styles
	if s.running {
		done := 0
		for _, r := range s.rows {
			if r.done {
				done++
			}
		}
		return fmt.Sprintf("%d of %d probes done. Nothing is sent to Azure during the preflight.", done, len(s.rows))
	}
	counts := map[probes.Status]int{}
	for _, r := range s.results {
		counts[r.Status]++
	}
	var parts []string
	for _, x := range []probes.Status{probes.Pass, probes.Warn, probes.Fail, probes.Skip} {
		if counts[x] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[x], x))
		}
	}
	head := fmt.Sprintf("%d probes: %s. ", len(s.results), strings.Join(parts, ", "))
	if s.replace {
		name := ""
		if s.plan != nil {
			name = s.plan.Name
		}
		if counts[probes.Fail] > 0 {
			return head + st.Bad(fmt.Sprintf("Not ready: %q stays attached as it is; fix what failed, then r runs the probes again.", name))
		}
		return head + st.Good("Ready to reattach: enter continues.")
	}
	if counts[probes.Fail] > 0 && len(s.offered()) > 0 {
		return head + st.Bad("Not ready: f shows the fix and applies it once you confirm; or fix what failed yourself, then r runs the probes again.")
	}
	if counts[probes.Fail] > 0 {
		return head + st.Bad("Not ready: fix what failed, then r runs the probes again.")
	}
	return head + st.Good("Ready to attach: enter continues.")
}

// page is the checklist between the title and the summary, which
// follows the checklist's last row.
func (s *preflightScreen) page() scrollPage {
	st := s.c.Styles
	title := "Preflight"
	if s.plan != nil {
		title = fmt.Sprintf("Preflight of %s as %q", resourceName(s.plan), s.plan.Name)
		if s.replace {
			title = fmt.Sprintf("Preflight of the new settings of %q (%s)", s.plan.Name, resourceName(s.plan))
		}
	}
	return scrollPage{
		head: []string{trunc(st.Title.Render(title), s.width), ""},
		body: s.lines(),
		foot: append([]string{""}, wrap(s.summary(), s.width)...),
	}
}

func (s *preflightScreen) View() string { return s.render(s.page()) }
