package azure

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v4"
)

// ProviderRegisterAction is the RBAC action that registers the resource
// provider ns in a subscription.
func ProviderRegisterAction(ns string) string { return ns + "/register/action" }

// RegisterProvider registers the resource provider ns in the subscription
// (POST /subscriptions/{s}/providers/{ns}/register), then reads the
// provider until its registrationState is Registered, reporting each state
// it sees. Registration is not a long-running operation in ARM's sense:
// the POST answers the provider at once (usually Registering) and the
// state changes later, within minutes. ctx bounds the whole wait; each
// request is bounded by the step timeout (WithStepTimeout). It returns the
// state the provider had before the POST.
func (c *Client) RegisterProvider(ctx context.Context, subscriptionID, ns string, progress func(Progress)) (string, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	pc, err := armresources.NewProvidersClient(subscriptionID, c.cred, c.opts)
	if err != nil {
		return "", err
	}
	gctx, gcancel := stepContext(ctx)
	got, err := pc.Get(gctx, ns, nil)
	gcancel()
	if err != nil {
		return "", fmt.Errorf("get provider %s: %w", ns, err)
	}
	before := str(got.RegistrationState)
	if strings.EqualFold(before, "Registered") {
		return before, nil
	}
	// Registering twice is the same registration: the SDK may retry the POST.
	rctx, rcancel := stepContext(ctx)
	r, err := pc.Register(rctx, ns, nil)
	rcancel()
	if err != nil {
		return before, fmt.Errorf("register provider %s: %w", ns, err)
	}
	last := str(r.RegistrationState)
	progress(Progress{Phase: "submitted", State: orState(last, "unknown")})
	failures := 0
	for !strings.EqualFold(last, "Registered") {
		t := time.NewTimer(c.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return before, &FollowError{Op: "registration", Name: ns, State: orState(last, "unknown"), Err: ctx.Err()}
		case <-t.C:
		}
		pctx, pcancel := stepContext(ctx)
		got, err := pc.Get(pctx, ns, nil)
		pcancel()
		if err != nil {
			if ctx.Err() != nil {
				return before, &FollowError{Op: "registration", Name: ns, State: orState(last, "unknown"), Err: ctx.Err()}
			}
			failures++
			if !passing(err) || failures >= maxPollFailures {
				return before, &FollowError{Op: "registration", Name: ns, State: orState(last, "unknown"), Err: err}
			}
			continue
		}
		failures = 0
		if st := str(got.RegistrationState); st != last {
			last = st
			progress(Progress{Phase: "polling", State: orState(st, "unknown")})
		}
	}
	progress(Progress{Phase: "done", State: "Registered"})
	return before, nil
}
