package flows

import (
	"context"
	"net"
	"net/http"
	"time"

	"amlattach/azure"
	"amlattach/probes"
)

// Deps is everything a flow needs from the outside world.
type Deps struct {
	Azure *azure.Client
	Dial  probes.DialFunc // nil means a plain net.Dialer
	// HTTP sends the REST calls that do not go through Resource Manager
	// (the Databricks workspace API); nil means a client with Timeout.
	HTTP    *http.Client
	Now     func() time.Time
	Timeout time.Duration // every network step; zero means 15 s
	// AttachTimeout bounds the wait for an attach or detach to end; zero means 30 min.
	AttachTimeout time.Duration
	// AddSecret, when set, is told each secret a flow makes after the plan
	// was built (the private key ssh.install-key generates), so that outputs
	// and traces can be scrubbed of it.
	AddSecret func(...string)
}

// secret hands secrets made during a flow to AddSecret.
func (d Deps) secret(s ...string) {
	if d.AddSecret != nil {
		d.AddSecret(s...)
	}
}

func (d Deps) dial() probes.DialFunc {
	if d.Dial != nil {
		return d.Dial
	}
	var nd net.Dialer
	return nd.DialContext
}

func (d Deps) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return 15 * time.Second
}

func (d Deps) attachTimeout() time.Duration {
	if d.AttachTimeout > 0 {
		return d.AttachTimeout
	}
	return 30 * time.Minute
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// withTimeout bounds one network step.
func (d Deps) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.timeout())
}

// StepContext bounds one network step by the step timeout (--timeout).
func (d Deps) StepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return d.withTimeout(ctx)
}

// OperationContext bounds an attach or detach: the whole wait by the attach
// timeout, each request it makes (the PUT or DELETE, every poll) by the step
// timeout.
func (d Deps) OperationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, d.attachTimeout())
	return azure.WithStepTimeout(ctx, d.timeout()), cancel
}

// AttachWait is how long an attach or detach may take as a whole.
func (d Deps) AttachWait() time.Duration { return d.attachTimeout() }

func (d Deps) httpClient() *http.Client {
	if d.HTTP != nil {
		return d.HTTP
	}
	return &http.Client{Timeout: d.timeout()}
}

// perRequest bounds each request made with the context by the step timeout
// (each page of a listing, each try), leaving the whole to ctx.
func (d Deps) perRequest(ctx context.Context) context.Context {
	return azure.WithStepTimeout(ctx, d.timeout())
}
