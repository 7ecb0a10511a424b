package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"amlattach/flows"
	"amlattach/probes"
)

// glyphs pair a symbol with a word: meaning never rests on colour or symbol alone.
var glyphs = map[probes.Status]string{
	probes.Pass: "✓ pass",
	probes.Warn: "! warn",
	probes.Fail: "✗ FAIL",
	probes.Skip: "- skip",
}

// probePrinter renders flow events: probe lines on stdout as they finish,
// in plan order (text), attach progress on stderr, and the final document.
type probePrinter struct {
	a         *app
	started   time.Time
	lastState string
	ordered   flows.Emit // show, with the probe lines in plan order
}

func newProbePrinter(a *app) *probePrinter {
	p := &probePrinter{a: a, started: time.Now()}
	p.ordered = flows.InPlanOrder(p.show)
	return p
}

// event traces each event as it comes and shows it in plan order.
func (p *probePrinter) event(e flows.Event) {
	switch e.Kind {
	case flows.ProbeFinished:
		if e.Reused {
			p.a.debugf("probe %s %s: kept from the run before (not run again)", e.Result.ID, e.Result.Status)
			break
		}
		p.a.debugf("probe %s %s: %s", e.Result.ID, e.Result.Status, e.Result.Detail)
	case flows.ProbeStarted:
		p.a.debugf("probe %s started", e.Result.ID)
	}
	p.ordered(e)
}

func (p *probePrinter) show(e flows.Event) {
	switch e.Kind {
	case flows.ProbeFinished:
		if !p.a.json() {
			if e.Reused {
				writeKeptLine(p.a.out, e.Result)
				break
			}
			writeProbeLine(p.a.out, e.Result)
		}
	case flows.FixProgress:
		p.a.debugf("fix %s %s: %s", e.Fix, e.Phase, e.State)
		if e.Phase == "polling" && e.State == p.lastState {
			return
		}
		p.lastState = e.State
		fmt.Fprintf(p.a.errw, "fix %s: %s\n", e.Fix, e.State)
	case flows.DetachProgress:
		p.a.debugf("detach %s: %s", e.Phase, e.State)
		if e.State != p.lastState {
			p.lastState = e.State
			fmt.Fprintf(p.a.errw, "detach: %s\n", e.State)
		}
	case flows.AttachProgress:
		p.a.debugf("attach %s: %s", e.Phase, e.State)
		if e.Phase == "polling" && e.State == p.lastState {
			return // headless output shows changes only
		}
		if e.Phase == "submitted" {
			p.started = time.Now()
		}
		p.lastState = e.State
		msg := map[string]string{"submitted": "attach submitted: ", "polling": "attach state: ", "done": "attach finished: "}[e.Phase]
		fmt.Fprintf(p.a.errw, "%s%s (%s)\n", msg, e.State, time.Since(p.started).Round(100*time.Millisecond))
	}
}

func writeProbeLine(w io.Writer, r probes.Result) {
	d := ""
	if r.Status != probes.Skip {
		d = fmt.Sprintf(" (%s)", shortDuration(r.Duration))
	}
	fmt.Fprintf(w, "  %s  %-27s %s%s\n", glyphs[r.Status], r.Title, r.Detail, d)
	if r.Remedy != "" && (r.Status == probes.Fail || r.Status == probes.Warn) {
		fmt.Fprintf(w, "          fix: %s\n", r.Remedy)
	}
}

// writeKeptLine is a probe a rerun after fixes did not run again: its
// result stands from the first run, shown in one line.
func writeKeptLine(w io.Writer, r probes.Result) {
	fmt.Fprintf(w, "  %s  %-27s (as before: not touched by the fixes)\n", glyphs[r.Status], r.Title)
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// finish prints the summary (text) or the one JSON document (json).
func (p *probePrinter) finish(rep *flows.Report) error {
	if rep == nil {
		return nil
	}
	if p.a.json() {
		enc := json.NewEncoder(p.a.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	counts := map[string]int{}
	for _, r := range rep.Probes {
		counts[r.Status]++
	}
	var parts []string
	for _, s := range []string{"pass", "warn", "fail", "skip"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	verdict := "Ready to attach"
	if counts["fail"] > 0 {
		verdict = "Not ready: fix the failures above"
	}
	fmt.Fprintf(p.a.out, "%d probes: %s. %s.\n", len(rep.Probes), strings.Join(parts, ", "), verdict)
	if c := rep.Compute; c != nil {
		fmt.Fprintf(p.a.out, "compute %q: %s\n", c.Name, c.ProvisioningState)
		if c.ID != "" {
			fmt.Fprintf(p.a.out, "  id: %s\n", c.ID)
		}
		for _, e := range c.ProvisioningErrors {
			fmt.Fprintf(p.a.out, "  error %s: %s\n", e.Code, e.Message)
		}
	}
	return nil
}

// gate holds events until it is opened (the workspace was found), then
// passes them on; events held by a gate never opened are dropped.
type gate struct {
	mu     sync.Mutex
	opened bool
	held   []flows.Event
	next   flows.Emit
}

func (g *gate) emit(e flows.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.opened {
		g.held = append(g.held, e)
		return
	}
	g.next(e)
}

// open runs first (a heading), then passes on what was held.
func (g *gate) open(first func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	first()
	g.opened = true
	for _, e := range g.held {
		g.next(e)
	}
	g.held = nil
}

// table aligns columns of text for the terminal. Its output is buffered
// until Flush: a tabwriter writes each cell and each run of padding on its
// own, which unbuffered is a system call each (360,000 of them for a list
// of 40,000 VMs).
type table struct {
	*tabwriter.Writer
	buf *bufio.Writer
}

func newTable(w io.Writer) *table {
	b := bufio.NewWriterSize(w, 64<<10)
	return &table{Writer: tabwriter.NewWriter(b, 0, 4, 2, ' ', 0), buf: b}
}

// Flush aligns and writes what the table holds.
func (t *table) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	return t.buf.Flush()
}
