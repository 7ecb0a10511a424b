package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
	"amlattach/probes"
)

type (
	// attachEventMsg is progress of the attach (or of the detach that undoes it).
	attachEventMsg struct {
		gen int
		ev  flows.Event
	}
	attachDoneMsg struct {
		gen int
		rep *flows.Report
		err error
	}
	detachDoneMsg struct {
		gen int
		err error
	}
	attachTickMsg struct{ gen int }
)

func startAttachCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, plan *flows.Plan, rep *flows.Report) tea.Cmd {
	gen := r.gen
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			got, err := be.Submit(ctx, ws, plan, rep, func(e flows.Event) { r.put(ctx, attachEventMsg{gen: gen, ev: e}) })
			r.put(ctx, attachDoneMsg{gen: gen, rep: got, err: err})
		}()
		return wait()
	}
}

func startReplaceCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, plan *flows.Plan, retry string) tea.Cmd {
	gen := r.gen
	wait := r.waitCmd()
	// The preflight ran on screen and any new host key was answered then;
	// should the run ask again, the key is refused and nothing is detached.
	ctx = withHostKeyAsker(ctx, func(context.Context, flows.HostKeyQuestion) bool { return false })
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			got, err := be.Replace(ctx, ws, plan, retry, func(e flows.Event) { r.put(ctx, attachEventMsg{gen: gen, ev: e}) })
			r.put(ctx, attachDoneMsg{gen: gen, rep: got, err: err})
		}()
		return wait()
	}
}

func startDetachCmd(ctx context.Context, r *run, be Backend, ws flows.Workspace, name string) tea.Cmd {
	gen := r.gen
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			err := be.DetachAfterAttach(ctx, ws, name, func(e flows.Event) { r.put(ctx, attachEventMsg{gen: gen, ev: e}) })
			r.put(ctx, detachDoneMsg{gen: gen, err: err})
		}()
		return wait()
	}
}

func attachTickCmd(gen int) tea.Cmd {
	return tea.Tick(200*time.Millisecond, func(time.Time) tea.Msg { return attachTickMsg{gen: gen} })
}

type attPhase int

const (
	attIdle attPhase = iota
	attRunning
	attSucceeded
	attFailed
	attDetaching
	attDetached
	attDetachFailed
)

type attachLine struct {
	at   time.Time
	text string
}

// attachScreen follows the attach live (submitted, each polled state, the
// elapsed time), asks what to do on Ctrl-C, and ends on the result: how to
// use the compute, or every provisioning error with its likely fix.
type attachScreen struct {
	c   *Common
	ctx context.Context
	be  Backend

	ws      flows.Workspace
	plan    *flows.Plan
	results []probes.Result
	phase   attPhase
	gen     int
	run     *run
	log     []attachLine
	state   string
	polls   int
	started time.Time
	now     time.Time
	ended   time.Time
	rep     *flows.Report
	err     error
	dialog  bool
	// runContext is the context of the current run.
	runContext context.Context
	// replace: a reattach (detach, then attach under the same name).
	replace bool
	// undoing: ours is being detached (or was) because the resource was
	// attached under another name as well while ours was attached.
	undoing *flows.DuplicateAttachError
	spin    spin
	// The log's end is followed while Azure is watched; the result
	// shows from its top.
	scrollView
}

func newAttachScreen(c *Common, ctx context.Context, be Backend) *attachScreen {
	return &attachScreen{c: c, ctx: ctx, be: be, spin: newSpin(c)}
}

// StartReplace runs the reattach: the preflight again, the detach, the attach.
func (s *attachScreen) StartReplace(ws flows.Workspace, plan *flows.Plan, results []probes.Result, retry string) tea.Cmd {
	s.begin(ws, plan, results)
	s.replace = true
	s.log = nil
	s.add(s.started, "running the preflight again with the new settings; nothing is detached if a probe fails…")
	return tea.Batch(startReplaceCmd(s.runCtx(), s.run, s.be, ws, plan, retry), s.spin.start(), attachTickCmd(s.gen))
}

// Start sends the attach.
func (s *attachScreen) Start(ws flows.Workspace, plan *flows.Plan, results []probes.Result) tea.Cmd {
	s.begin(ws, plan, results)
	rep := flows.NewReport(plan.Type, plan.Name, plan.ID.String(), results)
	s.add(s.started, "sending the attach request to Azure…")
	return tea.Batch(startAttachCmd(s.runCtx(), s.run, s.be, ws, plan, rep), s.spin.start(), attachTickCmd(s.gen))
}

// runCtx is the context of the current run.
func (s *attachScreen) runCtx() context.Context { return s.runContext }

func (s *attachScreen) begin(ws flows.Workspace, plan *flows.Plan, results []probes.Result) {
	s.ws, s.plan, s.results, s.replace = ws, plan, results, false
	s.phase, s.log, s.state, s.polls, s.rep, s.err, s.dialog = attRunning, nil, "", 0, nil, nil, false
	s.scroll.Bottom()
	s.started = s.c.now()
	s.now = s.started
	s.gen++
	s.run, s.runContext = newRun(s.ctx, s.gen)
}

// Running says whether Azure is being watched (Ctrl-C then asks what to do).
func (s *attachScreen) Running() bool { return s.phase == attRunning || s.phase == attDetaching }

// Done says whether the result is on screen.
func (s *attachScreen) Done() bool {
	return s.phase == attSucceeded || s.phase == attFailed || s.phase == attDetached || s.phase == attDetachFailed
}

func (s *attachScreen) typ() string {
	if s.plan == nil {
		return "vm"
	}
	return s.plan.Type
}

func (s *attachScreen) add(at time.Time, text string) {
	s.log = append(s.log, attachLine{at: at, text: text})
}

func (s *attachScreen) Init() tea.Cmd { return nil }
func (s *attachScreen) Typing() bool  { return false }

func (s *attachScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case attachTickMsg:
		if msg.gen != s.gen || !s.Running() {
			return s, nil
		}
		s.now = s.c.now()
		return s, attachTickCmd(s.gen)
	case attachEventMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.event(msg.ev)
		return s, s.run.waitCmd()
	case attachDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.rep = msg.rep
		s.finish(msg.err, attSucceeded, attFailed)
		return s, nil
	case detachDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.finish(msg.err, attDetached, attDetachFailed)
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	return s, s.spin.update(msg)
}

// finish shows how the run ended (ok, or failed when err is set), from the top.
func (s *attachScreen) finish(err error, ok, failed attPhase) {
	s.err = err
	s.ended = s.c.now()
	s.now = s.ended
	s.phase = ok
	if err != nil {
		s.phase = failed
	}
	s.dialog = false
	s.spin.stop()
	s.scroll.Top()
}

func (s *attachScreen) event(e flows.Event) {
	at := e.At
	if at.IsZero() {
		at = s.c.now()
	}
	s.now = at
	switch {
	case e.Kind == flows.AttachProgress && e.Phase == "submitted":
		s.add(at, "submitted: Azure accepted the request; the compute is "+e.State)
	case e.Kind == flows.AttachProgress && e.Phase == "polling":
		s.polls++
		if e.State != s.state {
			s.add(at, "state: "+e.State)
		}
	case e.Kind == flows.AttachProgress && e.Phase == "done":
		s.add(at, "finished: "+e.State)
	case e.Kind == flows.DetachProgress && e.Phase == "waiting":
		if e.State != s.state {
			s.add(at, "waiting for the attach to end before detaching (it is "+e.State+")")
		}
	case e.Kind == flows.DetachProgress && e.Phase == "submitted":
		s.add(at, "detach submitted: the compute is "+e.State)
	case e.Kind == flows.DetachProgress && e.Phase == "polling":
		s.polls++
		if e.State != s.state {
			s.add(at, "state: "+e.State)
		}
	case e.Kind == flows.DetachProgress && e.Phase == "done":
		s.add(at, "detach finished: "+e.State)
	case e.Kind == flows.ProbeFinished && e.Result.Status == probes.Fail:
		s.add(at, "✗ "+e.Result.Title+": "+e.Result.Detail)
	}
	if e.Kind == flows.AttachProgress || e.Kind == flows.DetachProgress {
		s.state = e.State
	}
}

func (s *attachScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if s.dialog {
		switch {
		case key.Matches(msg, k.KeepWaiting):
			s.dialog = false
		case key.Matches(msg, k.StopWatching):
			if s.run != nil {
				s.run.cancel()
			}
			op := "attach"
			if s.phase == attDetaching {
				op = "detach"
			}
			return s.c.post(stopWatchingMsg{name: s.plan.Name, op: op})
		case key.Matches(msg, k.CancelDetach) && s.phase == attRunning && !s.replace:
			return s.cancelAndDetach()
		}
		return nil
	}
	switch {
	case s.Running() && (key.Matches(msg, k.QuitTyping) || key.Matches(msg, k.Quit)):
		s.dialog = true
		s.scroll.Bottom() // the question is the last lines
	case s.phase == attFailed && s.duplicate() != nil && key.Matches(msg, k.Detach):
		return s.detachOurs()
	case s.offersJob() && key.Matches(msg, k.TestJob):
		return s.c.post(jobOpenMsg{compute: s.plan.Name, plan: s.plan})
	case s.Done() && s.replace && key.Matches(msg, k.Select):
		return s.c.post(reattachDoneMsg{})
	case s.Done() && (key.Matches(msg, k.Done) || key.Matches(msg, k.QuitTyping)):
		return s.c.post(finishedMsg{outcome: s.Outcome()})
	default:
		s.scrollKey(k, msg, s.page())
	}
	return nil
}

// offersJob says the result offers a test job: the attach succeeded and
// what it attached runs command jobs.
func (s *attachScreen) offersJob() bool {
	return s.phase == attSucceeded && s.plan != nil && flows.TargetRunsJobs(s.plan.Type)
}

// cancelAndDetach stops following the attach and undoes it: Azure cannot
// stop an attach in flight, so the flow waits for it to end, then detaches.
func (s *attachScreen) cancelAndDetach() tea.Cmd {
	s.run.cancel()
	s.dialog = false
	s.phase = attDetaching
	s.gen++
	r, ctx := newRun(s.ctx, s.gen)
	s.run = r
	s.add(s.c.now(), "cancel: the attach cannot be stopped in Azure; it will be detached as soon as it ends")
	s.scroll.Bottom()
	return tea.Batch(startDetachCmd(ctx, r, s.be, s.ws, s.plan.Name), s.spin.start(), attachTickCmd(s.gen))
}

// duplicate is the other attachments of the resource that appeared while
// ours was attached, when that is how the attach ended.
func (s *attachScreen) duplicate() *flows.DuplicateAttachError {
	var de *flows.DuplicateAttachError
	if errors.As(s.err, &de) {
		return de
	}
	return nil
}

// detachOurs detaches the compute this screen attached, once the resource
// turned out to be attached under another name as well: of the two, ours
// is the one the user can undo without asking anyone.
func (s *attachScreen) detachOurs() tea.Cmd {
	s.undoing = s.duplicate()
	s.phase = attDetaching
	s.started = s.c.now()
	s.gen++
	r, ctx := newRun(s.ctx, s.gen)
	s.run = r
	s.add(s.started, fmt.Sprintf("detaching %q: %s stays attached", s.plan.Name, s.undoing.Others[0].Name))
	s.scroll.Bottom()
	return tea.Batch(startDetachCmd(ctx, r, s.be, s.ws, s.plan.Name), s.spin.start(), attachTickCmd(s.gen))
}

func (s *attachScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch {
	case s.dialog && s.phase == attRunning && !s.replace:
		return []key.Binding{k.KeepWaiting, k.StopWatching, k.CancelDetach}
	case s.dialog:
		return []key.Binding{k.KeepWaiting, k.StopWatching}
	case s.Running():
		q := k.QuitTyping
		q.SetHelp("ctrl+c", "stop or cancel…")
		return []key.Binding{q}
	case s.phase == attFailed && s.duplicate() != nil:
		d := k.Detach
		d.SetHelp("d", "detach ours")
		return s.withPageDown(d, k.Done)
	case s.Done() && s.replace:
		list, q := k.Select, k.Quit
		list.SetHelp("enter", "back to the computes")
		q.SetHelp("q", "quit")
		if s.offersJob() {
			return s.withPageDown(k.TestJob, list, q)
		}
		return s.withPageDown(list, q)
	case s.offersJob():
		return s.withPageDown(k.TestJob, k.Done)
	case s.Done():
		return s.withPageDown(k.Done)
	}
	return nil
}

// withPageDown adds pgdn to the help while more of the result lies below.
func (s *attachScreen) withPageDown(b ...key.Binding) []key.Binding {
	if _, below := s.scroll.More(s.page(), s.height); below {
		b = append(b, s.c.Keys.PageDown)
	}
	return b
}

func (s *attachScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	if s.offersJob() {
		return [][]key.Binding{{k.TestJob, k.KeepWaiting, k.StopWatching, k.CancelDetach, k.Done}, scrollKeysJobs(k, true)}
	}
	return [][]key.Binding{{k.KeepWaiting, k.StopWatching, k.CancelDetach, k.Done}, scrollKeys(k)}
}

// Outcome is how the attach ended, for the command line once the screen is gone.
func (s *attachScreen) Outcome() Outcome {
	name := ""
	if s.plan != nil {
		name = s.plan.Name
	}
	o := Outcome{Compute: name}
	switch s.phase {
	case attSucceeded:
		o.Kind = OutcomeAttached
		verb := "Attached"
		if s.replace {
			verb = "Reattached"
		}
		o.Lines = append([]string{fmt.Sprintf("%s %q to workspace %s. Use it in a job with compute=%q, for example:", verb, name, s.ws.Name, name), ""},
			flows.JobSnippet(s.ws, name)...)
		if s.plan != nil && len(s.plan.Notes) > 0 {
			o.Lines = append(o.Lines, "")
			for _, n := range s.plan.Notes {
				o.Lines = append(o.Lines, "note: "+n)
			}
		}
	case attFailed:
		o.Kind, o.Err = OutcomeAttachFailed, s.err
		o.Lines = s.failureLines(false)
	case attDetached:
		o.Kind = OutcomeDetached
		if s.undoing != nil {
			o.Err = s.undoneError()
			break
		}
		o.Err = &flows.Error{Kind: flows.KindInterrupted, Msg: fmt.Sprintf("cancelled: %q was detached again; the %s itself was not touched", name, resourceNoun(s.typ()))}
	case attDetachFailed:
		o.Kind, o.Err = OutcomeDetached, s.err
	default:
		o.Kind = OutcomeQuit
	}
	return o
}

// undoneError is how a run ends whose attach was detached again because
// the resource was attached under another name meanwhile: not attached,
// as Azure left it (exit 3), with the compute to use instead.
func (s *attachScreen) undoneError() error {
	return undoneError(s.plan.Name, s.typ(), s.undoing.Others[0].Name)
}

// undoneError: name was detached again because the resource of type typ
// was attached as other meanwhile.
func undoneError(name, typ, other string) error {
	return &flows.Error{Kind: flows.KindAzure,
		Msg: fmt.Sprintf("%q was detached again: the %s was attached as %s while ours was attached", name, resourceNoun(typ), other),
		Fix: fmt.Sprintf("use the compute %s in your jobs", other)}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// failureLines are the provisioning errors word for word and the likely
// fix; a reattach that failed after its detach adds the command that
// finishes the job.
func (s *attachScreen) failureLines(styled bool) []string {
	bad := func(t string) string { return "✗ " + t }
	if styled {
		bad = s.c.Styles.Bad
	}
	lines := attachFailureLines(s.rep, s.err, bad)
	var fe *flows.Error
	if s.replace && s.rep != nil && s.rep.Compute != nil && len(s.rep.Compute.ProvisioningErrors) > 0 && errors.As(s.err, &fe) && fe.Fix != "" {
		lines = append(lines, "fix: "+fe.Fix)
	}
	return lines
}

func attachFailureLines(rep *flows.Report, err error, bad func(string) string) []string {
	var lines []string
	if rep != nil && rep.Compute != nil && len(rep.Compute.ProvisioningErrors) > 0 {
		c := rep.Compute
		lines = append(lines, bad(fmt.Sprintf("The attach of %q ended %s.", c.Name, orDash(c.ProvisioningState))))
		lines = append(lines, "Azure ML reported, word for word:")
		for _, pe := range c.ProvisioningErrors {
			lines = append(lines, "  "+pe.Code+": "+pe.Message)
		}
		lines = append(lines, "Likely cause and fix:", "  "+flows.FixFor(c.ProvisioningErrors)+".",
			fmt.Sprintf("Then detach it (amlattach detach %s) and attach again.", c.Name))
		return lines
	}
	lines = append(lines, bad(errorText(err)))
	var fe *flows.Error
	if errors.As(err, &fe) && fe.Fix != "" {
		lines = append(lines, "fix: "+fe.Fix)
	}
	return lines
}

func (s *attachScreen) lines() []string {
	st := s.c.Styles
	name := s.plan.Name
	var lines []string
	switch s.phase {
	case attRunning, attDetaching:
		title := fmt.Sprintf("Attaching %q to %s", name, s.ws.Name)
		if s.replace {
			title = fmt.Sprintf("Reattaching %q in %s: detach, then attach", name, s.ws.Name)
		}
		if s.phase == attDetaching {
			title = fmt.Sprintf("Cancelling: detaching %q once the attach ends", name)
		}
		if s.undoing != nil {
			title = fmt.Sprintf("Detaching %q: the resource stays attached as %s", name, s.undoing.Others[0].Name)
		}
		lines = append(lines, st.Title.Render(title), "")
		for _, l := range s.log {
			lines = append(lines, s.logLine(l)...)
		}
		lines = append(lines, "")
		state := s.state
		if state == "" {
			state = "sending"
		}
		poll := "not polled yet"
		if s.polls > 0 {
			poll = fmt.Sprintf("poll %d said %s", s.polls, state)
		}
		lines = append(lines, fmt.Sprintf("  %s %s · elapsed %s · %s", s.spin.view(), state, secs(s.now.Sub(s.started)), poll))
		lines = append(lines, "")
		if s.phase == attRunning {
			what := "Azure ML is now connecting to the VM over SSH from its own network and checking it; this takes from seconds to a few minutes."
			if s.typ() != "vm" {
				what = "Azure ML is now checking the " + resourceNoun(s.typ()) + " and registering it; this takes from seconds to a few minutes."
			}
			if s.replace {
				what = "The compute is detached, then attached again with the new settings; each takes from seconds to a few minutes. The " + resourceNoun(s.typ()) + " itself is untouched."
			}
			lines = append(lines, wrap(st.Subtle.Render(what), s.width)...)
		}
		if s.dialog {
			lines = append(lines, "")
			lines = append(lines, strings.Split(s.dialogView(), "\n")...)
		}
	case attSucceeded:
		c := s.rep.Compute
		verb := "Attached"
		if s.replace {
			verb = "Reattached with the new settings"
		}
		lines = append(lines, wrap(st.Good(fmt.Sprintf("%s: compute %q is %s (%s).", verb, name, c.ProvisioningState, secs(s.ended.Sub(s.started))))+
			" amlattach list shows it with the workspace's other computes.", s.width)...)
		for _, n := range s.plan.Notes { // on screen first: they matter later
			lines = append(lines, wrap(st.Note(n), s.width)...)
		}
		if s.offersJob() {
			lines = append(lines, wrap(st.Bold.Render("j runs a test job")+" on it: proof that jobs run there, with its output on screen.", s.width)...)
		}
		lines = append(lines, st.Bold.Render("Use it in a job")+" (Azure ML SDK v2, Python):")
		for _, l := range flows.JobSnippet(s.ws, name) {
			lines = append(lines, "  "+st.Code.Render(l))
		}
		lines = append(append(lines, ""), wrapKeepIndent("id: "+c.ID, s.width)...)
	case attFailed:
		for _, l := range s.failureLines(true) {
			lines = append(lines, wrapKeepIndent(l, s.width)...)
		}
		why := "The preflight passed, so this is between Azure ML and the " + resourceNoun(s.typ()) + ": the fix above is the usual cause."
		if flows.AnyFailed(s.results) {
			why = "The preflight had failed and the attach went ahead anyway: fix what the preflight said first."
		}
		var fe *flows.Error
		switch {
		case s.duplicate() != nil:
			why = fmt.Sprintf("d detaches %q now (the %s stays attached as %s); leaving keeps both, and each breaks the other.", name, resourceNoun(s.typ()), s.duplicate().Others[0].Name)
		case s.replace && errors.As(s.err, &fe) && (fe.Kind == flows.KindProbeFailed || strings.Contains(fe.Msg, "nothing was changed")):
			why = fmt.Sprintf("Nothing was detached: %q is attached as before.", name)
		case s.replace && errors.As(s.err, &fe) && strings.Contains(fe.Msg, "(nothing was attached)"):
			why = fmt.Sprintf("The detach did not finish: check %q with amlattach list before trying again.", name)
		case s.replace:
			why = fmt.Sprintf("%q may be detached now: the fix above finishes the job.", name)
		}
		lines = append(append(lines, ""), wrap(st.Subtle.Render(why), s.width)...)
	case attDetached:
		if s.undoing != nil {
			lines = append(lines, wrap(st.Good(fmt.Sprintf("Detached %q (%s): the %s is attached once again, as %s. The %s itself was not touched.",
				name, secs(s.ended.Sub(s.started)), resourceNoun(s.typ()), s.undoing.Others[0].Name, resourceNoun(s.typ()))), s.width)...)
			break
		}
		lines = append(lines, wrap(st.Good(fmt.Sprintf("Cancelled: %q was detached again (%s). The %s itself was not touched.", name, secs(s.ended.Sub(s.started)), resourceNoun(s.typ()))), s.width)...)
		lines = append(lines, "")
		for _, l := range s.log {
			lines = append(lines, s.logLine(l)...)
		}
	case attDetachFailed:
		lines = append(lines, errorLines(s.c, s.err, s.width)...)
		lines = append(append(lines, ""), wrap("Check the compute with amlattach list, and detach it with amlattach detach "+name+" once its attach has ended.", s.width)...)
	}
	return lines
}

// logLine is one line of the attach log: its time since the start, then
// the event, wrapped under itself.
func (s *attachScreen) logLine(l attachLine) []string {
	return labelled(fmt.Sprintf("%6s", secs(l.at.Sub(s.started))), l.text, 8, s.width, s.c.Styles.Subtle)
}

func (s *attachScreen) dialogView() string {
	st := s.c.Styles
	inner := max(16, s.width-4)
	what := "attach"
	if s.phase == attDetaching {
		what = "detach"
	}
	b := wrap(st.Bold.Render("The "+what+" goes on in Azure whatever happens here. What now?"), inner)
	item := func(k, text string) {
		for i, l := range wrap(text, inner-7) {
			if i == 0 {
				b = append(b, fmt.Sprintf("%-7s", k)+l)
			} else {
				b = append(b, "       "+l)
			}
		}
	}
	item("esc/w", "keep waiting")
	item("s", "stop watching: leave now; check it later with amlattach list")
	if s.phase == attRunning && !s.replace {
		item("d", "cancel and detach: wait for the attach to end, then detach it (the "+resourceNoun(s.typ())+" is untouched)")
	}
	return st.Dialog.Width(max(20, s.width-2)).Render(strings.Join(b, "\n"))
}

func (s *attachScreen) page() scrollPage {
	if s.plan == nil {
		return scrollPage{}
	}
	return scrollPage{body: s.lines()}
}

func (s *attachScreen) View() string { return s.render(s.page()) }
