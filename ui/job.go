package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

type (
	// jobOpenMsg: the user asked for a test job on a compute (j on an
	// attach's result or on the doctor). plan is the compute's plan when
	// one is known (the attach's, the doctor's): the fixes a failure
	// points at are built from it.
	jobOpenMsg struct {
		compute string
		plan    *flows.Plan
		doctor  bool
	}
	// jobLeaveMsg: the user leaves the wizard from the job screen.
	jobLeaveMsg struct{}
	// jobUpdateMsg is a change of test job run gen.
	jobUpdateMsg struct {
		gen int
		u   flows.JobUpdate
	}
	// jobDoneMsg: test job run gen ended (or was left); fixes are those
	// its failure points at, built for the compute's plan.
	jobDoneMsg struct {
		gen   int
		rep   *flows.JobReport
		err   error
		fixes []flows.Fix
	}
	jobTickMsg struct{ gen int }
)

// startJobCmd runs the test job in the background. The job follows jctx
// (its end cancels the job, or leaves it running when leave is set); what
// it reports comes back through r, whose own context outlives jctx so that
// a cancellation's last changes still arrive.
func startJobCmd(rctx, jctx context.Context, r *run, be Backend, ws flows.Workspace, in flows.JobInput, plan *flows.Plan) tea.Cmd {
	gen := r.gen
	wait := r.waitCmd()
	return func() tea.Msg {
		go func() {
			defer close(r.msgs)
			rep, err := be.RunJob(jctx, ws, in, func(u flows.JobUpdate) { r.put(rctx, jobUpdateMsg{gen: gen, u: u}) })
			var fixes []flows.Fix
			if rep != nil && rep.Error != nil && plan != nil && jctx.Err() == nil {
				for _, f := range be.Fixes(rctx, ws, plan, flows.JobFixResults(rep)) {
					if slices.Contains(rep.Fixes, f.ID) {
						fixes = append(fixes, f)
					}
				}
			}
			r.put(rctx, jobDoneMsg{gen: gen, rep: rep, err: err, fixes: fixes})
		}()
		return wait()
	}
}

func jobTickCmd(gen int) tea.Cmd {
	return tea.Tick(200*time.Millisecond, func(time.Time) tea.Msg { return jobTickMsg{gen: gen} })
}

type jobPhase int

const (
	jobIdle      jobPhase = iota
	jobRunning            // submitted (or being submitted) and followed
	jobCanceling          // the user canceled it: waiting for Azure to say Canceled
	jobEnded              // it ended, or could not be submitted
)

// jobScreen runs a test job on an attached compute and follows it: each
// change of status with the time it came, the elapsed time, the studio
// link; when it ends the output (scrollable) and, on failure, the
// service's error, its likely cause and the remedy, with the fix it points
// at when amlattach has it (f). Ctrl-C while it runs asks: keep waiting,
// cancel the job, or leave it running and quit.
type jobScreen struct {
	c    *Common
	ctx  context.Context
	be   Backend
	poll time.Duration

	ws      flows.Workspace
	compute string
	plan    *flows.Plan
	doctor  bool

	phase  jobPhase
	gen    int
	run    *run
	stop   context.CancelFunc // ends the job's context: cancel, or leave
	leave  *atomic.Bool       // read by the job when its context ends
	dialog bool

	name, studio, status string
	log                  []attachLine
	started, now         time.Time
	rep                  *flows.JobReport
	err                  error
	fixes                []flows.Fix
	outcomes             []flows.FixOutcome
	// ended holds a line or three for each job that ended here, for the
	// wizard's last words.
	ended []string
	spin  spin
	scrollView
}

func newJobScreen(c *Common, ctx context.Context, be Backend, o Options) *jobScreen {
	s := &jobScreen{c: c, ctx: ctx, be: be, spin: newSpin(c)}
	if o.Sandbox {
		s.poll = 250 * time.Millisecond // the sandbox's steps are short
	}
	return s
}

// Open runs a test job on the compute msg names.
func (s *jobScreen) Open(ws flows.Workspace, msg jobOpenMsg) tea.Cmd {
	s.ws, s.compute, s.plan, s.doctor = ws, msg.compute, msg.plan, msg.doctor
	s.outcomes = nil
	return s.start()
}

// start submits a new test job (the first, or one more after a fix).
func (s *jobScreen) start() tea.Cmd {
	s.Cancel()
	s.gen++
	r, rctx := newRun(s.ctx, s.gen)
	jctx, stop := context.WithCancel(rctx)
	leave := &atomic.Bool{}
	s.run, s.stop, s.leave = r, stop, leave
	s.phase, s.dialog = jobRunning, false
	s.name, s.studio, s.status = "", "", ""
	s.log, s.rep, s.err, s.fixes = nil, nil, nil, nil
	s.started = s.c.now()
	s.now = s.started
	s.scroll.Bottom()
	in := flows.JobInput{Compute: s.compute, Poll: s.poll, KeepRunning: leave.Load}
	return tea.Batch(startJobCmd(rctx, jctx, r, s.be, s.ws, in, s.plan), s.spin.start(), jobTickCmd(s.gen))
}

// Cancel stops following whatever runs (the wizard is leaving): the job is
// canceled unless the user chose to leave it running.
func (s *jobScreen) Cancel() {
	if s.stop != nil {
		s.stop()
	}
	if s.run != nil {
		s.run.cancel()
	}
	s.spin.stop()
}

// Running says a job is being followed: the screen then answers Ctrl-C
// and q itself.
func (s *jobScreen) Running() bool { return s.phase == jobRunning || s.phase == jobCanceling }

// Doctor says the job was asked for from the doctor.
func (s *jobScreen) Doctor() bool { return s.doctor }

// Compute is the compute the job runs on.
func (s *jobScreen) Compute() string { return s.compute }

// OutcomeLines say what became of the jobs run here, for after the wizard.
func (s *jobScreen) OutcomeLines() []string { return s.ended }

// FixesApplied shows how the fixes the failure offered went and, when one
// of them changed something (or found it in place), runs the job again to
// prove it.
func (s *jobScreen) FixesApplied(outs []flows.FixOutcome) tea.Cmd {
	s.outcomes = append(s.outcomes, outs...)
	for _, o := range outs {
		if o.Status == flows.FixApplied || o.Status == flows.FixUnchanged {
			return s.start()
		}
	}
	s.fixes = nil
	return nil
}

func (s *jobScreen) Init() tea.Cmd { return nil }
func (s *jobScreen) Typing() bool  { return false }

func (s *jobScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case jobTickMsg:
		if msg.gen != s.gen || !s.Running() {
			return s, nil
		}
		s.now = s.c.now()
		return s, jobTickCmd(s.gen)
	case jobUpdateMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.update(msg.u)
		return s, s.run.waitCmd()
	case jobDoneMsg:
		if msg.gen != s.gen {
			return s, nil
		}
		s.finish(msg)
		return s, nil
	case tea.KeyMsg:
		return s, s.handleKey(msg)
	}
	return s, s.spin.update(msg)
}

func (s *jobScreen) update(u flows.JobUpdate) {
	at := u.At
	if at.IsZero() {
		at = s.c.now()
	}
	s.now = at
	if u.Job != "" {
		s.name = u.Job
	}
	if u.StudioURL != "" {
		s.studio = u.StudioURL
	}
	switch u.Phase {
	case "submitted":
		s.add(at, "submitted: Azure ML accepted job "+u.Job+" ("+u.Status+")")
	case "status":
		if u.Status != s.status {
			s.add(at, u.Status)
		}
	case "canceling":
		s.add(at, "canceling the job (it is amlattach's own)…")
	case "canceled":
		s.add(at, "cancel done: "+u.Status)
	}
	s.status = u.Status
}

func (s *jobScreen) add(at time.Time, text string) {
	s.log = append(s.log, attachLine{at: at, text: text})
}

func (s *jobScreen) finish(msg jobDoneMsg) {
	s.rep, s.err, s.fixes = msg.rep, msg.err, msg.fixes
	s.phase, s.dialog = jobEnded, false
	s.now = s.c.now()
	if s.rep != nil {
		s.now = s.started.Add(s.rep.Elapsed)
		if s.rep.Job.StudioURL != "" {
			s.studio = s.rep.Job.StudioURL
		}
		s.status = s.rep.Job.Status
	}
	s.spin.stop()
	s.scroll.Top()
	s.ended = append(s.ended, s.summary()...)
}

// summary is what the wizard prints about this job once the screen is gone.
func (s *jobScreen) summary() []string {
	rep := s.rep
	switch {
	case rep == nil:
		return []string{fmt.Sprintf("Test job on %q: not submitted: %s", s.compute, errorText(s.err))}
	case rep.OK:
		return []string{fmt.Sprintf("Test job %s on %q: Completed in %s (%s).", rep.Job.Name, s.compute, secs(rep.Elapsed), orDash(rep.Job.StudioURL))}
	}
	out := []string{fmt.Sprintf("Test job %s on %q: %s (%s).", rep.Job.Name, s.compute, rep.Job.Status, orDash(rep.Job.StudioURL))}
	if e := rep.Error; e != nil {
		if e.Message != "" {
			out = append(out, "  error:  "+e.Message)
		}
		if e.Cause != "" {
			out = append(out, "  cause:  "+e.Cause)
		}
		if e.Remedy != "" {
			out = append(out, "  remedy: "+e.Remedy)
		}
	}
	return out
}

// leftLines say the job goes on after the user left it running.
func (s *jobScreen) leftLines() []string {
	name := s.name
	if name == "" {
		name = "(not yet named)"
	}
	return []string{fmt.Sprintf("Test job %s on %q goes on in Azure (%s when left); follow it in the studio: %s", name, s.compute, orDash(s.status), orDash(s.studio))}
}

func (s *jobScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if s.dialog {
		switch {
		case key.Matches(msg, k.KeepWaiting):
			s.dialog = false
		case key.Matches(msg, k.CancelJob) && s.phase == jobRunning:
			s.dialog = false
			s.phase = jobCanceling
			s.stop() // RunJob cancels the job and says so
		case key.Matches(msg, k.StopWatching):
			s.leave.Store(true)
			s.stop()
			s.ended = append(s.ended, s.leftLines()...)
			return s.c.post(jobLeaveMsg{})
		}
		return nil
	}
	switch {
	case s.Running() && (key.Matches(msg, k.QuitTyping) || key.Matches(msg, k.Quit) || key.Matches(msg, k.Back)):
		s.dialog = true
		s.scroll.Bottom() // the question is the last lines
	case s.phase == jobEnded && key.Matches(msg, k.Back):
		return s.c.post(backMsg{})
	case s.phase == jobEnded && (key.Matches(msg, k.Done) || key.Matches(msg, k.QuitTyping)):
		return s.c.post(jobLeaveMsg{})
	case s.phase == jobEnded && key.Matches(msg, k.TestJob):
		s.outcomes = nil
		return s.start()
	case s.phase == jobEnded && key.Matches(msg, k.Fix) && len(s.offered()) > 0:
		return s.c.post(fixOpenMsg{fixes: s.offered()[:1], job: true})
	default:
		s.scrollKey(k, msg, s.page())
	}
	return nil
}

// offered are the fixes of the failure that may be applied.
func (s *jobScreen) offered() []flows.Fix {
	var out []flows.Fix
	for _, f := range s.fixes {
		if f.Offered() {
			out = append(out, f)
		}
	}
	return out
}

func (s *jobScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch {
	case s.dialog && s.phase == jobRunning:
		return []key.Binding{k.KeepWaiting, k.CancelJob, k.StopWatching}
	case s.dialog:
		return []key.Binding{k.KeepWaiting, k.StopWatching}
	case s.Running():
		q := k.QuitTyping
		q.SetHelp("ctrl+c", "cancel or leave…")
		return []key.Binding{q}
	}
	var b []key.Binding
	if o := s.offered(); len(o) > 0 {
		f := k.Fix
		f.SetHelp("f", "fix: "+o[0].ID)
		b = append(b, f)
	}
	again := k.TestJob
	again.SetHelp("j", "run it again")
	back := k.Back
	back.SetHelp("esc", "back")
	b = append(b, again, back, k.Done)
	if _, below := s.scroll.More(s.page(), s.height); below {
		b = append(b, k.PageDown)
	}
	return b
}

func (s *jobScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{{k.TestJob, k.Fix, k.KeepWaiting, k.CancelJob, k.StopWatching, k.Back, k.Done}, scrollKeysJobs(k, true)}
}

// scrollKeysJobs are the scroll keys as a screen's help lists them when j
// may run a test job there (jobs): ↓ alone scrolls down then.
func scrollKeysJobs(k *KeyMap, jobs bool) []key.Binding {
	b := scrollKeys(k)
	if jobs {
		b[1].SetHelp("↓", b[1].Help().Desc)
	}
	return b
}

func (s *jobScreen) title() string {
	return fmt.Sprintf("Test job on %q in %s", s.compute, s.ws.Name)
}

func (s *jobScreen) lines() []string {
	st := s.c.Styles
	w := s.width
	var lines []string
	if len(s.outcomes) > 0 {
		lines = append(lines, st.Bold.Render("Fixes")+" (the test job runs again below, to prove them):")
		for _, o := range s.outcomes {
			lines = append(lines, hang(outcomeGlyph(s.c, o.Status)+"  "+o.ID+": "+o.Summary, w, 8)...)
			lines = append(lines, outcomeLines(s.c, o, w, 8)...)
		}
		lines = append(lines, "")
	}
	if s.name != "" {
		lines = append(lines, labelled("job", s.name, 8, w, st.Subtle)...)
	}
	if s.studio != "" {
		lines = append(lines, labelled("studio", s.studio, 8, w, st.Subtle)...)
	}
	if len(lines) > 0 {
		lines = append(lines, "")
	}
	if s.phase == jobRunning && len(s.log) == 0 {
		lines = append(lines, s.spin.view()+" submitting the test job…")
	}
	for _, l := range s.log {
		lines = append(lines, labelled(fmt.Sprintf("%6s", secs(l.at.Sub(s.started))), l.text, 8, w, st.Subtle)...)
	}
	switch s.phase {
	case jobRunning, jobCanceling:
		lines = append(lines, "")
		state := orDash(s.status)
		if s.phase == jobCanceling {
			state = "canceling (was " + state + ")"
		}
		lines = append(lines, fmt.Sprintf("  %s %s · elapsed %s", s.spin.view(), state, secs(s.now.Sub(s.started))))
		lines = append(lines, "")
		what := "Azure ML queues the job, logs in to the compute, starts the job's container and runs a short command that prints the host name, Python, Docker and the GPUs it sees. This takes from seconds to a few minutes (longer the first time: the image is pulled)."
		lines = append(lines, wrap(st.Subtle.Render(what), w)...)
		if s.dialog {
			lines = append(append(lines, ""), strings.Split(s.dialogView(), "\n")...)
		}
	case jobEnded:
		lines = append(lines, "")
		lines = append(lines, s.resultLines()...)
	}
	return lines
}

// resultLines are the verdict, the service's error with its cause and
// remedy (and the fix), and the output.
func (s *jobScreen) resultLines() []string {
	st := s.c.Styles
	w := s.width
	rep := s.rep
	if rep == nil {
		var lines []string
		lines = append(lines, errorLines(s.c, s.err, w)...)
		return append(lines, "", st.Subtle.Render("No job was submitted. esc goes back."))
	}
	var lines []string
	var fe *flows.Error
	switch {
	case rep.OK:
		lines = append(lines, wrap(st.Good(fmt.Sprintf("Completed in %s: %q runs jobs.", secs(rep.Elapsed), s.compute)), w)...)
	case errors.As(s.err, &fe) && fe.Kind == flows.KindInterrupted:
		lines = append(lines, wrap(st.Bad(errorText(s.err)), w)...)
	default:
		lines = append(lines, wrap(st.Bad(fmt.Sprintf("The job ended %s after %s.", rep.Job.Status, secs(rep.Elapsed))), w)...)
	}
	if e := rep.Error; e != nil {
		msg := e.Message
		if e.Code != "" {
			msg = e.Code + ": " + msg
		}
		if msg != "" {
			lines = append(lines, labelled("error", msg, 8, w, st.Bold)...)
		}
		if e.Cause != "" {
			lines = append(lines, labelled("cause", e.Cause, 8, w, st.Bold)...)
		}
		if e.Remedy != "" {
			lines = append(lines, labelled("remedy", e.Remedy, 8, w, st.Bold)...)
		}
		lines = append(lines, s.fixLines()...)
	}
	if rep.LogName != "" {
		label := rep.LogName
		if rep.Truncated {
			label += ", its end"
		}
		lines = append(lines, "", st.Bold.Render("Output")+" ("+label+"):")
		out := strings.TrimRight(rep.Output, "\n")
		if out == "" {
			lines = append(lines, "  (empty)")
		}
		for _, l := range strings.Split(out, "\n") {
			if out != "" {
				lines = append(lines, hang("  "+st.Code.Render(l), w, 4)...)
			}
		}
	}
	return lines
}

// fixLines say what can be done about the fixes the cause points at: f
// when amlattach has the fix for this compute, else the fix by name.
func (s *jobScreen) fixLines() []string {
	st := s.c.Styles
	w := s.width
	if len(s.rep.Fixes) == 0 {
		return nil
	}
	if o := s.offered(); len(o) > 0 {
		return wrap(st.Note(fmt.Sprintf("f shows the fix %s (%s) and applies it once you confirm; the test job then runs again.", o[0].ID, o[0].Summary)), w)
	}
	for _, f := range s.fixes {
		if f.Needs != "" {
			return wrap(st.Note(fmt.Sprintf("The fix %s is not offered: %s", f.ID, f.Needs)), w)
		}
	}
	return wrap(st.Subtle.Render(fmt.Sprintf("The fix for this is %s; amlattach does not offer it from here yet: apply the remedy above, then j runs the job again.", strings.Join(s.rep.Fixes, " or "))), w)
}

func (s *jobScreen) dialogView() string {
	st := s.c.Styles
	inner := max(16, s.width-4)
	b := wrap(st.Bold.Render("The test job runs in Azure whatever happens here. What now?"), inner)
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
	if s.phase == jobRunning {
		item("c", "cancel the job (it is amlattach's own) and see it end")
	}
	item("s", "leave it running and quit; follow it in the studio")
	return st.Dialog.Width(max(20, s.width-2)).Render(strings.Join(b, "\n"))
}

func (s *jobScreen) page() scrollPage {
	return scrollPage{head: []string{trunc(s.c.Styles.Title.Render(s.title()), s.width), ""}, body: s.lines()}
}

func (s *jobScreen) View() string { return s.render(s.page()) }
