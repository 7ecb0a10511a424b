package ui

import (
	"context"
	"strings"
	"testing"

	"amlattach/flows"
	"amlattach/probes"
)

// The doctor screen lists the probes in plan order from the start, not in
// the order they happen to start or finish.
func TestDoctorRowsInPlanOrder(t *testing.T) {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap()}
	s := newDoctorScreen(c, context.Background(), nil, Options{})
	s.index = map[string]int{}
	s.run, _ = newRun(context.Background(), s.gen)
	ids := []string{probes.IDWsDuplicate, probes.IDArmResource, probes.IDVMRunning, probes.IDNSGSSH}
	send := func(kind flows.EventKind, id string, st probes.Status) {
		s.Update(doctorEventMsg{gen: s.gen, ev: flows.Event{Kind: kind, IDs: ids, Result: probes.Result{ID: id, Title: probes.Title(id), Status: st}}})
	}
	send(flows.ProbesPlanned, "", "")
	send(flows.ProbeStarted, probes.IDArmResource, "")
	send(flows.ProbeStarted, probes.IDWsDuplicate, "")
	send(flows.ProbeFinished, probes.IDArmResource, probes.Pass)
	send(flows.ProbeFinished, probes.IDNSGSSH, probes.Skip)
	var got []string
	for _, r := range s.rows {
		got = append(got, r.id)
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("rows %v, want %v", got, ids)
	}
}
