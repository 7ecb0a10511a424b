package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

// jobSandbox is the demo world with short job steps, the job of compute
// queued kept in the queue.
func jobSandbox(t *testing.T, queued string) (*sandbox.Server, Deps, azure.Workspace) {
	t.Helper()
	w := sandbox.DemoWorld()
	w.Faults.JobStepSeconds = 0.05
	w.Faults.JobStaysQueued = queued
	srv, err := sandbox.Start(w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
	return srv, d, azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "ml-rg", Name: "contoso-ws"}
}

// With KeepRunning saying yes, an interruption stops following and leaves
// the job in Azure: no cancel is sent, the job stays Queued there, and the
// error says it goes on (exit 130's kind). Saying no cancels it.
func TestRunJobInterruptedKeepsOrCancelsTheJob(t *testing.T) {
	for _, keep := range []bool{true, false} {
		srv, d, ws := jobSandbox(t, "team-a")
		ctx, cancel := context.WithCancel(context.Background())
		var phases []string
		in := JobInput{Compute: "team-a", Poll: 20 * time.Millisecond, KeepRunning: func() bool { return keep }}
		rep, err := RunJob(ctx, d, ws, in, func(u JobUpdate) {
			phases = append(phases, u.Phase+":"+u.Status)
			if u.Status == "Queued" {
				cancel()
			}
		})
		cancel()
		var fe *Error
		if rep == nil || !errors.As(err, &fe) || fe.Kind != KindInterrupted {
			t.Fatalf("keep=%v: want an interruption, got %v %v", keep, rep, err)
		}
		hist := strings.Join(srv.JobHistory(ws.SubscriptionID, ws.ResourceGroup, ws.Name, rep.Job.Name), ",")
		if keep {
			if hist != "NotStarted,Queued" || !strings.Contains(fe.Msg, "goes on in Azure") || !strings.Contains(fe.Fix, rep.Job.StudioURL) || phases[len(phases)-1] != "left:Queued" {
				t.Fatalf("keep: history %s, err %v (%s), phases %v", hist, fe, fe.Fix, phases)
			}
			continue
		}
		if hist != "NotStarted,Queued,CancelRequested,Canceled" || rep.Job.Status != "Canceled" {
			t.Fatalf("cancel: history %s, status %s", hist, rep.Job.Status)
		}
	}
}
