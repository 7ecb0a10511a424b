package flows

import (
	"context"
	"fmt"
	"sync"
	"time"

	"amlattach/probes"
)

// Step is one probe in a plan: its ID, the probes it needs, and its check.
type Step struct {
	ID    string
	Needs []string
	// Follows are probes whose outcome this step's result reflects without
	// being gated by them (arm.nsg.ssh asks Network Watcher only of a
	// running VM): a rerun of one of them reruns this step too.
	Follows []string
	Run     func(ctx context.Context) probes.Result
}

// EventKind names what happened.
type EventKind string

const (
	ProbeStarted   EventKind = "probe.started"
	ProbeFinished  EventKind = "probe.finished"
	AttachProgress EventKind = "attach.progress"
	// ProbesPlanned comes first in a preflight: IDs are its probes in plan
	// order, the order of its results and of every list of them.
	ProbesPlanned EventKind = "probes.planned"
)

// Event is what flows report while they run.
type Event struct {
	Kind   EventKind
	IDs    []string      // for ProbesPlanned
	Result probes.Result // for probe events (ID and Title set when started)
	State  string        // for attach progress: Creating, Succeeded, ...
	Phase  string        // submitted, polling, done
	Fix    string        // for FixProgress: the fix's ID
	// Reused marks a ProbeFinished whose result is an earlier run's, kept
	// as it was (a rerun after fixes runs only what they touched).
	Reused bool
	At     time.Time
}

// Emit receives events; it is called from several goroutines, one call at a time.
type Emit func(Event)

// RunGraph runs the plan: every step whose needs have passed (or warned) runs
// at once; a step whose need failed or was skipped is skipped with the reason.
// Results come back in plan order. Cancelling ctx skips what has not finished.
func RunGraph(ctx context.Context, steps []Step, now func() time.Time, emit Emit) []probes.Result {
	return runGraph(ctx, steps, nil, now, emit)
}

// runGraph is RunGraph where the steps in keep do not run: their results are
// keep's, reported finished (Reused) right after ProbesPlanned, and steps
// that need them see those results.
func runGraph(ctx context.Context, steps []Step, keep map[string]probes.Result, now func() time.Time, emit Emit) []probes.Result {
	if now == nil {
		now = time.Now
	}
	var mu sync.Mutex
	safeEmit := func(e Event) {
		if emit == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		emit(e)
	}
	index := map[string]int{}
	for i, s := range steps {
		if _, dup := index[s.ID]; dup {
			panic("flows: duplicate step " + s.ID)
		}
		index[s.ID] = i
	}
	for _, s := range steps {
		for _, n := range s.Needs {
			if _, ok := index[n]; !ok {
				panic(fmt.Sprintf("flows: step %s needs unknown step %s", s.ID, n))
			}
		}
	}
	ids := make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	safeEmit(Event{Kind: ProbesPlanned, IDs: ids, At: now()})
	results := make([]probes.Result, len(steps))
	done := make([]chan struct{}, len(steps))
	for i := range done {
		done[i] = make(chan struct{})
	}
	for i, s := range steps {
		if r, ok := keep[s.ID]; ok {
			r.ID, r.Title = s.ID, probes.Title(s.ID)
			results[i] = r
			close(done[i])
			safeEmit(Event{Kind: ProbeFinished, Result: r, Reused: true, At: now()})
		}
	}
	var wg sync.WaitGroup
	for i, s := range steps {
		if _, ok := keep[s.ID]; ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			var r probes.Result
			for _, n := range s.Needs {
				j := index[n]
				select {
				case <-done[j]:
				case <-ctx.Done():
				}
				select {
				case <-done[j]:
				default:
					r = probes.Skipped("interrupted")
				}
				if r.Status == "" {
					switch results[j].Status {
					case probes.Fail:
						r = probes.Skipped("skipped: " + probes.Title(n) + " failed")
					case probes.Skip:
						r = probes.Skipped("skipped: " + probes.Title(n) + " did not run")
					}
				}
				if r.Status != "" {
					break
				}
			}
			if r.Status == "" && ctx.Err() != nil {
				r = probes.Skipped("interrupted")
			}
			r.ID, r.Title = s.ID, probes.Title(s.ID)
			if r.Status == "" {
				safeEmit(Event{Kind: ProbeStarted, Result: r, At: now()})
				start := now()
				r = s.Run(ctx)
				r.Duration = now().Sub(start)
				r.ID, r.Title = s.ID, probes.Title(s.ID)
				if r.Status == "" {
					r.Status = probes.Fail
					r.Detail = "the probe returned no status (a bug: please report it)"
				}
				if ctx.Err() != nil && r.Status == probes.Fail {
					r = probes.Result{ID: s.ID, Title: r.Title, Status: probes.Skip, Detail: "interrupted", Duration: r.Duration}
				}
			}
			results[i] = r
			safeEmit(Event{Kind: ProbeFinished, Result: r, At: now()})
		}()
	}
	wg.Wait()
	return results
}

// InPlanOrder passes ProbeFinished events on to emit in plan order (that of
// the ProbesPlanned event before them): a probe that finishes early waits
// for those before it, so that a list printed as the probes finish reads as
// the report and the wizard do. Other events pass at once. Like any Emit,
// the result is called one event at a time.
func InPlanOrder(emit Emit) Emit {
	var order []string
	next := 0
	held := map[string]Event{}
	return func(e Event) {
		switch {
		case e.Kind == ProbesPlanned:
			order, next, held = e.IDs, 0, map[string]Event{}
		case e.Kind == ProbeFinished && order != nil:
			held[e.Result.ID] = e
			for next < len(order) {
				h, ok := held[order[next]]
				if !ok {
					return
				}
				delete(held, order[next])
				next++
				emit(h)
			}
			return
		}
		emit(e)
	}
}

// Interrupted reports whether a probe was cut short by the context's end
// (Ctrl-C): the results then do not say whether the target is ready.
func Interrupted(rs []probes.Result) bool {
	for _, r := range rs {
		if r.Status == probes.Skip && r.Detail == "interrupted" {
			return true
		}
	}
	return false
}

// AnyFailed reports whether a result failed.
func AnyFailed(rs []probes.Result) bool {
	for _, r := range rs {
		if r.Status == probes.Fail {
			return true
		}
	}
	return false
}
