package flows

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"amlattach/azure"
)

// browseParallel bounds the subscriptions listed at once: ARM throttles
// reads per subscription, so many at once is fine for Azure, and this keeps
// a tenant with hundreds of subscriptions from opening as many requests.
const browseParallel = 32

// BrowseAll lists, in every enabled subscription the credential sees, the
// resources that could be attached as typ, each with the compute names of
// ws already attached to it. It streams: page is called with each page of
// candidates as soon as Azure sends it, one call at a time (from several
// goroutines), in no particular order. The subscriptions are listed in
// parallel; the pages of one subscription come one after another, each
// page's nextLink naming the next.
//
// A subscription that cannot be listed does not stop the others: BrowseAll
// returns, after every other page was delivered, an *Error wrapping a
// *BrowseAllError that names each one. Failing to list the subscriptions or the workspace's computes
// is an error before any page.
func BrowseAll(ctx context.Context, d Deps, ws azure.Workspace, typ string, page func([]Candidate)) error {
	kinds, ok := BrowseKinds[typ]
	if !ok {
		return inputErr("TYPE", "use one of vm, hdinsight, batch, databricks, adla, aks, kubernetes, synapse", "%q has nothing to browse", typ)
	}
	ctx, cancel := context.WithCancel(d.perRequest(ctx))
	defer cancel()

	// The computes are read while the subscriptions are listed; the pages
	// wait for them (they hold what each resource is attached as).
	var computes []azure.Compute
	var computesErr error
	computesDone := make(chan struct{})
	go func() {
		defer close(computesDone)
		computes, computesErr = d.Azure.ListComputes(ctx, ws)
	}()
	subs, err := d.Azure.ListSubscriptions(ctx)
	if err != nil {
		return FromAzure("list your subscriptions", err)
	}
	<-computesDone
	if computesErr != nil {
		return FromAzure("list the computes of "+ws.Name, computesErr)
	}
	attached := attachedAs(computes)

	var mu sync.Mutex // serializes page and guards failed
	var failed []SubscriptionError
	sem := make(chan struct{}, browseParallel)
	var wg sync.WaitGroup
	for _, s := range subs {
		if strings.EqualFold(s.State, "Disabled") || strings.EqualFold(s.State, "Deleted") {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				failed = append(failed, SubscriptionError{s, ctx.Err()})
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			deliver := func(rs []azure.Resource) error {
				if len(rs) == 0 {
					return nil
				}
				cs := candidates(rs, attached)
				mu.Lock()
				defer mu.Unlock()
				page(cs)
				return nil
			}
			for _, k := range kinds {
				var err error
				if k == "Microsoft.Compute/virtualMachines" {
					err = d.Azure.ListVMPages(ctx, s.ID, deliver)
				} else {
					err = d.Azure.ListResourcePages(ctx, s.ID, k, deliver)
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, SubscriptionError{s, err})
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// Interrupted (Ctrl-C), not refused: what arrived was delivered.
		return &Error{Kind: KindInterrupted, Msg: "browse: interrupted", Err: err}
	}
	if len(failed) > 0 {
		sort.Slice(failed, func(i, j int) bool { return failed[i].Subscription.ID < failed[j].Subscription.ID })
		bae := &BrowseAllError{Failed: failed}
		return &Error{Kind: KindAzure, Msg: bae.Error(), Fix: "check that you may read those subscriptions (Reader at least), or leave them out of your sign-in", Err: bae}
	}
	return nil
}

// SubscriptionError is a subscription BrowseAll could not list.
type SubscriptionError struct {
	Subscription azure.Subscription
	Err          error
}

// BrowseAllError lists the subscriptions that could not be listed; the
// others' pages were delivered.
type BrowseAllError struct{ Failed []SubscriptionError }

func (e *BrowseAllError) Error() string {
	var parts []string
	for _, f := range e.Failed {
		name := f.Subscription.ID
		if f.Subscription.Name != "" && f.Subscription.Name != name {
			name = fmt.Sprintf("%s (%s)", f.Subscription.Name, f.Subscription.ID)
		}
		parts = append(parts, name+": "+FromAzure("list", f.Err).Error())
	}
	return fmt.Sprintf("%d subscription(s) could not be listed: %s", len(e.Failed), strings.Join(parts, "; "))
}

func (e *BrowseAllError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

// SortAllCandidates orders candidates of several subscriptions: by
// subscription, then resource group and name, as Browse orders one.
func SortAllCandidates(cs []Candidate) {
	type keyed struct {
		sub, rg, name string
		c             Candidate
	}
	ks := make([]keyed, len(cs))
	for i, c := range cs {
		k := keyed{rg: strings.ToLower(c.ResourceGroup), name: strings.ToLower(c.Name), c: c}
		if id, err := azure.ParseResourceID(c.ID); err == nil {
			k.sub = strings.ToLower(id.SubscriptionID)
		}
		ks[i] = k
	}
	sort.SliceStable(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.sub != b.sub {
			return a.sub < b.sub
		}
		if a.rg != b.rg {
			return a.rg < b.rg
		}
		return a.name < b.name
	})
	for i := range ks {
		cs[i] = ks[i].c
	}
}
