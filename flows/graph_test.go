package flows

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"amlattach/probes"
)

func TestRunGraphRunsReadyStepsAtOnceAndSkipsDependents(t *testing.T) {
	var running, peak atomic.Int32
	slow := func(status probes.Status) func(context.Context) probes.Result {
		return func(context.Context) probes.Result {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(30 * time.Millisecond)
			running.Add(-1)
			return probes.Result{Status: status, Detail: "d"}
		}
	}
	steps := []Step{
		{ID: "a", Run: slow(probes.Pass)},
		{ID: "b", Run: slow(probes.Fail)},
		{ID: "c", Run: slow(probes.Warn)},
		{ID: "d", Needs: []string{"a", "c"}, Run: slow(probes.Pass)},
		{ID: "e", Needs: []string{"b"}, Run: slow(probes.Pass)},
		{ID: "f", Needs: []string{"e"}, Run: slow(probes.Pass)},
	}
	var finished []string
	rs := RunGraph(context.Background(), steps, nil, func(e Event) {
		if e.Kind == ProbeFinished {
			finished = append(finished, e.Result.ID)
		}
	})
	if peak.Load() < 3 {
		t.Errorf("independent steps did not run at once: peak concurrency %d", peak.Load())
	}
	want := map[string]probes.Status{"a": probes.Pass, "b": probes.Fail, "c": probes.Warn, "d": probes.Pass, "e": probes.Skip, "f": probes.Skip}
	for i, r := range rs {
		if r.ID != steps[i].ID {
			t.Fatalf("results out of plan order: %d is %s", i, r.ID)
		}
		if r.Status != want[r.ID] {
			t.Errorf("%s: %s, want %s", r.ID, r.Status, want[r.ID])
		}
	}
	if rs[4].Detail != "skipped: b failed" || rs[5].Detail != "skipped: e did not run" {
		t.Errorf("skip reasons: %q, %q", rs[4].Detail, rs[5].Detail)
	}
	if len(finished) != len(steps) {
		t.Errorf("finished events: %v", finished)
	}
}

func TestRunGraphCancelSkipsTheRest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	steps := []Step{
		{ID: "a", Run: func(ctx context.Context) probes.Result {
			cancel()
			<-ctx.Done()
			return probes.Result{Status: probes.Fail}
		}},
		{ID: "b", Needs: []string{"a"}, Run: func(context.Context) probes.Result { t.Error("b ran after cancel"); return probes.Result{} }},
	}
	rs := RunGraph(ctx, steps, nil, nil)
	for _, r := range rs {
		if r.Status != probes.Skip {
			t.Errorf("%s: %s %q, want skip", r.ID, r.Status, r.Detail)
		}
	}
}

// RunGraph announces its plan first; InPlanOrder hands the results on in
// that order whatever order they finish in (here the reverse).
func TestInPlanOrderHoldsEarlyFinishers(t *testing.T) {
	wait := func(d time.Duration) func(context.Context) probes.Result {
		return func(context.Context) probes.Result { time.Sleep(d); return probes.Result{Status: probes.Pass} }
	}
	steps := []Step{{ID: "a", Run: wait(60 * time.Millisecond)}, {ID: "b", Run: wait(30 * time.Millisecond)}, {ID: "c", Run: wait(0)},
		{ID: "d", Needs: []string{"a"}, Run: wait(0)}}
	var raw, ordered []string
	var planned []string
	show := InPlanOrder(func(e Event) {
		switch e.Kind {
		case ProbesPlanned:
			planned = e.IDs
		case ProbeFinished:
			ordered = append(ordered, e.Result.ID)
		}
	})
	RunGraph(context.Background(), steps, nil, func(e Event) {
		if e.Kind == ProbeFinished {
			raw = append(raw, e.Result.ID)
		}
		show(e)
	})
	if strings.Join(planned, ",") != "a,b,c,d" {
		t.Errorf("planned %v", planned)
	}
	if strings.Join(raw, ",") == "a,b,c,d" {
		t.Errorf("the probes finished in plan order (%v): the test proves nothing", raw)
	}
	if strings.Join(ordered, ",") != "a,b,c,d" {
		t.Errorf("in plan order: %v (finished %v)", ordered, raw)
	}
}
