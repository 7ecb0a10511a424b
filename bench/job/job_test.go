// Package job measures how soon amlattach sees a test job's status
// change: the sandbox records when it moves a job to each status
// (Server.JobTransitions), flows.RunJob reports each change it reads, and
// the figure is the time between the two, worst over every change of every
// job. It follows jobs as the CLI and the wizard do on the sandbox (a read
// every 250 ms) and as they do against Azure (every 1 s), with the
// sandbox's steps lasting 0.7 s and 1.3 s, off both grids.
//
//	go test ./bench/job -run '^$' -bench JobStatus -benchtime 2x
package job

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/internal/sandboxtest"
)

const command = "bench/job.sh"

var ws = azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "ml-rg", Name: "contoso-ws"}

// measure runs one test job on the demo's team-a and returns, for each
// status change RunJob reported, how long after the sandbox made it.
func measure(b *testing.B, step float64, poll time.Duration) []time.Duration {
	w := sandbox.DemoWorld()
	w.Faults.JobStepSeconds = step
	srv, err := sandbox.Start(w)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	d := flows.Deps{Azure: sandboxtest.Client(srv, azure.Options{}), Timeout: 10 * time.Second}
	var mu sync.Mutex
	seen := map[string]time.Time{}
	rep, err := flows.RunJob(context.Background(), d, ws, flows.JobInput{Compute: "team-a", Poll: poll}, func(u flows.JobUpdate) {
		if u.Phase == "status" {
			mu.Lock()
			seen[u.Status] = time.Now()
			mu.Unlock()
		}
	})
	if err != nil || !rep.OK {
		b.Fatalf("job: %v", err)
	}
	var lags []time.Duration
	for _, tr := range srv.JobTransitions(ws.SubscriptionID, ws.ResourceGroup, ws.Name, rep.Job.Name) {
		if tr.Status == "NotStarted" {
			continue // the PUT's answer carries it
		}
		at, ok := seen[tr.Status]
		if !ok {
			if tr.Status == "Completed" {
				b.Fatalf("the end was not seen")
			}
			continue // a status shorter than a poll (it is a status the user may miss)
		}
		lags = append(lags, at.Sub(tr.At))
	}
	return lags
}

func BenchmarkJobStatus(b *testing.B) {
	type cfg struct {
		label string
		poll  time.Duration
	}
	cfgs := []cfg{{"sandbox client, a read every 250 ms (amlattach --world)", 250 * time.Millisecond}, {"a read every 1 s (amlattach against Azure)", time.Second}}
	steps := []float64{0.7, 1.3}
	lags := map[string][]time.Duration{}
	b.ResetTimer()
	for range b.N {
		for _, c := range cfgs {
			for _, s := range steps {
				lags[c.label] = append(lags[c.label], measure(b, s, c.poll)...)
			}
		}
	}
	b.StopTimer()
	for _, c := range cfgs {
		l := slices.Clone(lags[c.label])
		slices.Sort(l)
		med := l[len(l)/2]
		fmt.Printf("job status change seen after the sandbox made it, %s: %v\n", c.label, l)
		fmt.Printf("ROW| Test job status change seen after the service makes it (steps of %v s), %s | %.0f ms worst of %d (median %.0f ms) | ≤ 2000 ms | `%s` |\n",
			steps, c.label, float64(l[len(l)-1])/float64(time.Millisecond), len(l), float64(med)/float64(time.Millisecond), command)
	}
}
