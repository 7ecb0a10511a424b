package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

type (
	// fixOpenMsg: the user asked to fix what a run found (f: one fix, F:
	// every fix on one checklist); doctor says the doctor's run.
	fixOpenMsg struct {
		fixes  []flows.Fix
		all    bool
		doctor bool
		job    bool // a failed test job's fix: the job runs again after it
	}
	// fixesAppliedMsg: the consented fixes ran; the run they came from
	// runs its fixed probes again.
	fixesAppliedMsg struct {
		outcomes []flows.FixOutcome
		doctor   bool
		job      bool
	}
	fixStartedMsg struct{ gen, i int }
	fixEventMsg   struct {
		gen, i int
		ev     flows.Event
	}
	fixOneDoneMsg struct {
		gen, i int
		out    flows.FixOutcome
	}
	fixAllDoneMsg struct{ gen int }
)

// applyFixesCmd applies the chosen fixes one after the other; their
// progress and outcomes come back through r. It stops after a fix when the
// run is cancelled (the user left).
func applyFixesCmd(ctx context.Context, r *run, be Backend, fixes []flows.Fix, chosen []int) tea.Cmd {
	gen := r.gen
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			for _, i := range chosen {
				r.put(ctx, fixStartedMsg{gen: gen, i: i})
				out := be.ApplyFix(ctx, fixes[i], func(e flows.Event) { r.put(ctx, fixEventMsg{gen: gen, i: i, ev: e}) })
				r.put(ctx, fixOneDoneMsg{gen: gen, i: i, out: out})
				if ctx.Err() != nil {
					return
				}
			}
			r.put(ctx, fixAllDoneMsg{gen: gen})
		}()
		return wait()
	}
}

type fixPhase int

const (
	fixAsk      fixPhase = iota // the fix is shown: nothing is sent before enter
	fixApplying                 // sent, followed live
	fixFinished                 // every chosen fix ended
)

// fixItem is one fix on the screen: whether it is ticked and, once
// applied, how it goes.
type fixItem struct {
	fix     flows.Fix
	ticked  bool
	started bool // ApplyFix was called: the read, then perhaps the request
	sent    bool // a progress event said the request went out
	log     []string
	done    bool
	out     flows.FixOutcome
}

// fixScreen shows what a fix changes before anything is sent: the change
// lines, the requests or the whole script, the permission, the risk and
// cost, the undo. enter is the consent: the fixes are applied one at a
// time with live progress; esc goes back and nothing is sent. With F, every
// fix is on one checklist, all ticked; space unticks one.
type fixScreen struct {
	c   *Common
	ctx context.Context
	be  Backend

	items   []fixItem
	all     bool
	doctor  bool
	job     bool
	cursor  int // the checklist's fix under the cursor (offered ones only)
	phase   fixPhase
	run     *run
	gen     int
	current int // the fix being applied
	started time.Time
	now     time.Time
	spin    spin
	scrollView
}

func newFixScreen(c *Common, ctx context.Context, be Backend) *fixScreen {
	return &fixScreen{c: c, ctx: ctx, be: be, spin: newSpin(c)}
}

// Open shows fixes; all makes it the checklist of every fix.
func (s *fixScreen) Open(msg fixOpenMsg) {
	s.Cancel()
	s.items = nil
	for _, f := range msg.fixes {
		s.items = append(s.items, fixItem{fix: f, ticked: f.Offered()})
	}
	s.all, s.doctor, s.job = msg.all, msg.doctor, msg.job
	s.phase, s.current = fixAsk, -1
	s.cursor = 0
	for i, it := range s.items {
		if it.fix.Offered() {
			s.cursor = i
			break
		}
	}
	s.scroll.Top()
}

// Cancel stops following the fixes (what was sent goes on in Azure).
func (s *fixScreen) Cancel() {
	if s.run != nil {
		s.run.cancel()
	}
	s.spin.stop()
}

// Busy says fixes are being applied: leaving stops following them.
func (s *fixScreen) Busy() bool { return s.phase == fixApplying }

// Doctor says the fixes came from a doctor run.
func (s *fixScreen) Doctor() bool { return s.doctor }

// chosen are the fixes enter applies: the ticked, offered ones.
func (s *fixScreen) chosen() []int {
	var out []int
	for i, it := range s.items {
		if it.ticked && it.fix.Offered() {
			out = append(out, i)
		}
	}
	return out
}

// SentText says what leaving now leaves behind: which fixes were sent and
// go on in Azure, which were not sent at all.
func (s *fixScreen) SentText() string {
	var sent, maybe []string
	for _, it := range s.items {
		switch {
		case it.done || !it.started: // ended, or never started: nothing goes on
		case it.sent:
			sent = append(sent, it.fix.ID)
		default:
			maybe = append(maybe, it.fix.ID)
		}
	}
	var parts []string
	if len(sent) > 0 {
		parts = append(parts, fmt.Sprintf("%s was sent: Azure goes on with it; amlattach stops following it", strings.Join(sent, ", ")))
	}
	if len(maybe) > 0 {
		parts = append(parts, fmt.Sprintf("%s may have been sent: Azure goes on with what it received", strings.Join(maybe, ", ")))
	}
	if len(parts) == 0 {
		return "Nothing more is sent."
	}
	return strings.Join(parts, "; ") + "; no other fix is sent. Run amlattach again to see where things stand."
}

func (s *fixScreen) Init() tea.Cmd { return nil }
func (s *fixScreen) Typing() bool  { return false }

func (s *fixScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case fixStartedMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.current = msg.i
		s.items[msg.i].started = true
		s.now = s.c.now()
		return s, s.run.waitCmd()
	case fixEventMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		it := &s.items[msg.i]
		it.sent = true
		at := msg.ev.At
		if at.IsZero() {
			at = s.c.now()
		}
		line := fmt.Sprintf("%s: %s (%s)", msg.ev.Phase, msg.ev.State, secs(at.Sub(s.started)))
		if n := len(it.log); msg.ev.Phase != "polling" || n == 0 || !strings.HasPrefix(it.log[n-1], "polling: "+msg.ev.State+" ") {
			it.log = append(it.log, line)
		}
		s.now = s.c.now()
		s.scroll.Bottom()
		return s, s.run.waitCmd()
	case fixOneDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.items[msg.i].done, s.items[msg.i].out = true, msg.out
		return s, s.run.waitCmd()
	case fixAllDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.phase = fixFinished
		s.spin.stop()
		var outs []flows.FixOutcome
		for _, it := range s.items {
			if it.done {
				outs = append(outs, it.out)
			}
		}
		return s, s.c.post(fixesAppliedMsg{outcomes: outs, doctor: s.doctor, job: s.job})
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	cmd := s.spin.update(msg)
	if cmd != nil {
		s.now = s.c.now()
	}
	return s, cmd
}

func (s *fixScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if s.phase != fixAsk {
		s.scrollKey(k, msg, s.page())
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		return s.c.post(backMsg{}) // nothing was sent
	case key.Matches(msg, k.Apply):
		chosen := s.chosen()
		if len(chosen) == 0 {
			return nil
		}
		fixes := make([]flows.Fix, len(s.items))
		for i, it := range s.items {
			fixes[i] = it.fix
		}
		s.gen++
		r, ctx := newRun(s.ctx, s.gen)
		s.run = r
		s.phase = fixApplying
		s.started = s.c.now()
		s.now = s.started
		s.scroll.Top()
		return tea.Batch(applyFixesCmd(ctx, r, s.be, fixes, chosen), s.spin.start())
	case s.all && key.Matches(msg, k.Toggle):
		if s.cursor < len(s.items) && s.items[s.cursor].fix.Offered() {
			s.items[s.cursor].ticked = !s.items[s.cursor].ticked
		}
	case s.all && key.Matches(msg, k.Up):
		s.moveCursor(-1)
	case s.all && key.Matches(msg, k.Down):
		s.moveCursor(1)
	default:
		s.scrollKey(k, msg, s.page())
	}
	return nil
}

// moveCursor goes to the next offered fix up or down, scrolling to it.
func (s *fixScreen) moveCursor(d int) {
	for i := s.cursor + d; i >= 0 && i < len(s.items); i += d {
		if s.items[i].fix.Offered() {
			s.cursor = i
			break
		}
	}
	p := s.page()
	s.scroll.ShowLine(s.itemLine(s.cursor), p, s.height)
}

// itemLine is the body line where fix i starts.
func (s *fixScreen) itemLine(i int) int {
	n := 0
	for j := range s.items {
		if j == i {
			return n
		}
		n += len(s.itemLines(j))
	}
	return n
}

func (s *fixScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.phase {
	case fixApplying:
		stop := k.QuitTyping
		stop.SetHelp("ctrl+c", "stop following")
		return []key.Binding{stop}
	case fixFinished:
		return nil
	}
	apply := k.Apply
	back := k.Back
	back.SetHelp("esc", "back, nothing sent")
	if !s.all {
		apply.SetHelp("enter", "apply this fix")
		return []key.Binding{apply, back}
	}
	apply.SetHelp("enter", "apply the ticked fixes")
	return []key.Binding{apply, k.Toggle, back}
}

func (s *fixScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{{k.Apply, k.Toggle, k.Back}, scrollKeys(k)}
}

// itemLines draw fix i: on the checklist a box and a cursor, then what it
// changes (flows.Fix.Lines), then how its application goes.
func (s *fixScreen) itemLines(i int) []string {
	st := s.c.Styles
	w := s.width
	it := s.items[i]
	lines := it.fix.Lines()
	head := lines[0]
	switch {
	case s.phase == fixAsk && s.all && it.fix.Offered():
		box := "[ ] "
		if it.ticked {
			box = "[x] "
		}
		cur := "  "
		if i == s.cursor {
			cur = st.Cursor.Render("› ")
		}
		head = cur + box + st.Bold.Render(head)
	case s.phase == fixAsk && s.all:
		head = "      " + st.Bold.Render(head)
	case s.phase == fixAsk:
		head = st.Bold.Render(head)
	default:
		head = s.statusGlyph(it) + " " + st.Bold.Render(head)
	}
	indent := "  "
	if s.all && s.phase == fixAsk {
		indent = "      "
	}
	out := hang(head, w, len(indent))
	for _, l := range lines[1:] {
		if !it.fix.Offered() && strings.HasPrefix(l, "  not offered: ") {
			out = append(out, hang(indent+st.Bad("not offered: "+strings.TrimPrefix(l, "  not offered: ")), w, len(indent)+4)...)
			continue
		}
		if s.phase != fixAsk && !strings.HasPrefix(l, "  change: ") {
			continue // while applying: what changes, and the progress
		}
		out = append(out, hang(indent+strings.TrimLeft(l, " "), w, len(indent)+4)...)
	}
	for _, l := range it.log {
		out = append(out, hang(indent+st.Subtle.Render(l), w, len(indent)+4)...)
	}
	if it.done {
		out = append(out, outcomeLines(s.c, it.out, w, len(indent))...)
	}
	return append(out, "")
}

func (s *fixScreen) statusGlyph(it fixItem) string {
	st := s.c.Styles
	switch {
	case it.done:
		return outcomeGlyph(s.c, it.out.Status)
	case it.started:
		return s.spin.view() + st.Running.Render(" run ")
	case it.ticked && it.fix.Offered():
		return st.Waiting.Render("· wait")
	}
	return st.Skip.Render("- not chosen")
}

// outcomeGlyph is a fix's status as glyph and word.
func outcomeGlyph(c *Common, st flows.FixStatus) string {
	s := c.Styles
	switch st {
	case flows.FixApplied:
		return s.Pass.Render("✓ applied")
	case flows.FixUnchanged:
		return s.Pass.Render("= unchanged")
	case flows.FixRefused:
		return s.Fail.Render("✗ refused")
	case flows.FixPlanned:
		return s.Skip.Render("· planned")
	}
	return s.Fail.Render("✗ failed")
}

// outcomeLines say how a fix ended: what it changed, before -> after; that
// it was in place already; or why it did not go through.
// indent is where they start.
func outcomeLines(c *Common, o flows.FixOutcome, w, indent int) []string {
	st := c.Styles
	pad := strings.Repeat(" ", indent)
	var out []string
	switch o.Status {
	case flows.FixApplied:
		for _, ch := range o.Changed {
			out = append(out, hang(pad+"changed "+ch.String(), w, indent+4)...)
		}
	case flows.FixUnchanged:
		out = append(out, hang(pad+"already in place: nothing was changed", w, indent+4)...)
	}
	if o.Error != "" {
		out = append(out, hang(pad+st.Bad(o.Error), w, indent+4)...)
		// A fix that failed part way lists what it changed before that.
		for _, ch := range o.Changed {
			out = append(out, hang(pad+"changed "+ch.String(), w, indent+4)...)
		}
	}
	return out
}

// lines are every fix on the screen.
func (s *fixScreen) lines() []string {
	var out []string
	for i, it := range s.items {
		if s.phase != fixAsk && !it.ticked {
			continue
		}
		out = append(out, s.itemLines(i)...)
	}
	return out
}

func (s *fixScreen) title() string {
	if len(s.items) == 0 {
		return "Fix"
	}
	if s.all {
		return fmt.Sprintf("Fix what the %s found: %d fixes", s.runName(), len(s.items))
	}
	return "Fix: " + s.items[0].fix.Summary
}

func (s *fixScreen) runName() string {
	if s.job {
		return "test job"
	}
	if s.doctor {
		return "doctor"
	}
	return "preflight"
}

func (s *fixScreen) foot() []string {
	st := s.c.Styles
	w := s.width
	switch s.phase {
	case fixApplying:
		what := "the fixes"
		if s.current >= 0 && s.current < len(s.items) {
			what = s.items[s.current].fix.ID
		}
		return wrap(fmt.Sprintf("%s applying %s · elapsed %s · ctrl+c stops following (what was sent goes on in Azure)", s.spin.view(), what, secs(s.now.Sub(s.started))), w)
	case fixFinished:
		if s.job {
			return []string{st.Subtle.Render("the test job runs again…")}
		}
		return []string{st.Subtle.Render("the " + s.runName() + " runs the fixed probes again…")}
	}
	n := len(s.chosen())
	if n == 0 {
		return wrap(st.Note("No fix is ticked (or offered): nothing to apply. esc goes back."), w)
	}
	what := "enter applies this fix"
	if s.all {
		what = fmt.Sprintf("enter applies the %d ticked fixes, one after the other", n)
		if n == 1 {
			what = "enter applies the ticked fix"
		}
	}
	then := "; then the " + s.runName() + " runs the fixed probe and those after it again."
	if s.job {
		then = "; then the test job runs again, to prove it."
	}
	return wrap(st.Bold.Render("Nothing has been sent yet.")+" "+what+then+" esc goes back, nothing sent.", w)
}

func (s *fixScreen) page() scrollPage {
	return scrollPage{
		head:    []string{trunc(s.c.Styles.Title.Render(s.title()), s.width), ""},
		body:    s.lines(),
		foot:    append([]string{""}, s.foot()...),
		pinFoot: true,
	}
}

func (s *fixScreen) View() string { return s.render(s.page()) }

// UseLogin puts a login a fix installed (a new key for the user) in the
// form: the key file instead of the password typed. It returns the check
// the attach runs with the form as it is now.
func (s *formScreen) UseLogin(l flows.FixedLogin) func() (*flows.Plan, error) {
	if f := s.field("username"); f != nil && l.Username != "" {
		f.setValue(l.Username)
	}
	if f := s.field("login"); f != nil {
		f.setValue(flows.LoginKeyFile)
	}
	if f := s.field("ssh-key"); f != nil {
		f.setValue(l.KeyFile)
	}
	if f := s.field("password"); f != nil && s.field("login") == nil {
		f.setValue("") // a type without the switch: the key file wins when no password is given
	}
	typ, values, knownHosts, agent := s.typ, s.values(), s.knownHosts, s.agent
	return func() (*flows.Plan, error) {
		in := flows.VMInput{ConfirmHostKey: confirmHostKey}
		in.UseAgent(agent)
		return flows.PlanFromForm(typ, values, true, knownHosts, in)
	}
}
