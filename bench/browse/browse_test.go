// Package browse times the VM browser at scale: 10,000 VMs over 20
// subscriptions, pages of 100, every ARM request 100 ms late. It measures,
// in one run, flows.BrowseAll (every subscription, streamed) and two
// baselines: flows.BrowseVMs (the workspace's subscription only, the whole
// list at the end) and every subscription listed one after another.
//
//	go test ./bench/browse -run '^$' -bench Browse -benchtime 3x
package browse

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/bench/internal/bigworld"
	"amlattach/flows"
	"amlattach/internal/sandboxtest"
)

const (
	subs     = 20
	vms      = 10000
	pageSize = 100
	latency  = 100 * time.Millisecond
	command  = "bench/browse.sh"
)

func start(b *testing.B, ms int) (flows.Deps, azure.Workspace) {
	b.Helper()
	spec := bigworld.Spec{Subscriptions: subs, VMs: vms, PageSize: pageSize, ARMLatencyMs: ms}
	srv := sandboxtest.Start(b, spec.YAML(), "big world")
	c := sandboxtest.Client(srv, azure.Options{Retry: &policy.RetryOptions{MaxRetries: -1}})
	sub, rg, name := spec.Workspace()
	return flows.Deps{Azure: c, Timeout: 2 * time.Minute}, azure.Workspace{SubscriptionID: sub, ResourceGroup: rg, Name: name}
}

type timing struct{ first, done time.Duration }

// maxPages is the most pages one subscription took: with the subscriptions
// list before them, the longest chain of requests that wait on each other.
var maxPages int

func browseAll(b *testing.B, d flows.Deps, ws azure.Workspace) timing {
	var n atomic.Int64
	var first time.Duration
	pages := map[string]int{} // per subscription; page is called one at a time
	start := time.Now()
	err := flows.BrowseAll(context.Background(), d, ws, "vm", func(p []flows.Candidate) {
		if n.Add(int64(len(p))) == int64(len(p)) {
			first = time.Since(start)
		}
		if id, err := azure.ParseResourceID(p[0].ID); err == nil {
			pages[id.SubscriptionID]++
		}
	})
	for _, c := range pages {
		maxPages = max(maxPages, c)
	}
	done := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if n.Load() != vms {
		b.Fatalf("BrowseAll listed %d VMs, want %d", n.Load(), vms)
	}
	return timing{first, done}
}

// oneByOne lists every subscription's VMs in turn, each whole.
func oneByOne(b *testing.B, d flows.Deps, ws azure.Workspace) timing {
	start := time.Now()
	ss, err := d.Azure.ListSubscriptions(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var first time.Duration
	total := 0
	for _, s := range ss {
		rs, err := d.Azure.ListVMs(context.Background(), s.ID)
		if err != nil {
			b.Fatal(err)
		}
		if first == 0 {
			first = time.Since(start)
		}
		total += len(rs)
	}
	if total != vms {
		b.Fatalf("listed %d VMs, want %d", total, vms)
	}
	return timing{first, time.Since(start)}
}

func workspaceOnly(b *testing.B, d flows.Deps, ws azure.Workspace) timing {
	start := time.Now()
	cs, err := flows.BrowseVMs(context.Background(), d, ws)
	if err != nil {
		b.Fatal(err)
	}
	if len(cs) != vms/subs {
		b.Fatalf("BrowseVMs listed %d VMs, want %d", len(cs), vms/subs)
	}
	t := time.Since(start)
	return timing{t, t}
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func row(what, figure, goal string) {
	fmt.Printf("ROW| %s | %s | %s | `%s` |\n", what, figure, goal, command)
}

func BenchmarkBrowse(b *testing.B) {
	d0, ws0 := start(b, 0)
	dL, wsL := start(b, int(latency/time.Millisecond))
	browseAll(b, d0, ws0) // warm up: connections, first-time costs
	type series struct{ first, done []time.Duration }
	var all0, allL, seqL, wsOnlyL series
	add := func(s *series, t timing) {
		s.first = append(s.first, t.first)
		s.done = append(s.done, t.done)
	}
	b.ResetTimer()
	for range b.N {
		add(&all0, browseAll(b, d0, ws0))
		add(&allL, browseAll(b, dL, wsL))
		add(&wsOnlyL, workspaceOnly(b, dL, wsL))
		add(&seqL, oneByOne(b, dL, wsL))
	}
	b.StopTimer()
	lat := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(latency)) }
	transfer := median(all0.done)
	b.ReportMetric(float64(median(allL.first))/1e6, "first-page-ms")
	b.ReportMetric(float64(median(allL.done))/1e6, "complete-ms")
	fmt.Printf("%d VMs over %d subscriptions, pages of %d, ARM latency %s, median of %d runs\n", vms, subs, pageSize, latency, b.N)
	fmt.Printf("BrowseAll without latency (transfer and decoding): %s\n", ms(transfer))
	row(fmt.Sprintf("Browse %d VMs / %d subscriptions at %s ARM latency: first page (BrowseAll)", vms, subs, latency),
		ms(median(allL.first))+" ("+lat(median(allL.first))+" latencies)", "-")
	row("… complete (BrowseAll: subscriptions in parallel, pages streamed)",
		fmt.Sprintf("%s = %s latencies + %s without latency", ms(median(allL.done)), lat(median(allL.done)-transfer), ms(transfer)),
		"≤ 3 latencies + transfer")
	fmt.Printf("longest request chain: the subscriptions list, then %d pages of one subscription (each page's nextLink names the next) = %d latencies at least\n", maxPages, 1+maxPages)
	row("… its chain of requests that wait on each other: subscriptions list + pages of the largest subscription", fmt.Sprintf("1 + %d = %d", maxPages, 1+maxPages), "≤ 3")
	row("… baseline: subscriptions one after another", ms(median(seqL.done))+" (first subscription "+ms(median(seqL.first))+")", "-")
	row(fmt.Sprintf("… baseline: BrowseVMs, the workspace's subscription only (%d VMs)", vms/subs), ms(median(wsOnlyL.done)), "-")
}
