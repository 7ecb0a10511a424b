package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"
)

// Workspace identifies an Azure ML workspace.
type Workspace struct {
	SubscriptionID string
	ResourceGroup  string
	Name           string
	Location       string // filled by GetWorkspace
	ID             string // filled by GetWorkspace
}

func (w Workspace) String() string {
	return fmt.Sprintf("%s (resource group %s, subscription %s)", w.Name, w.ResourceGroup, w.SubscriptionID)
}

// ProvisioningError is one entry of a compute's provisioningErrors, kept word for word.
type ProvisioningError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Compute is an attached compute as the workspace reports it. It never holds secrets.
type Compute struct {
	Name               string
	ID                 string
	Type               string // computeType: VirtualMachine, HDInsight, ...
	ResourceID         string
	ProvisioningState  string
	ProvisioningErrors []ProvisioningError
	IsAttached         bool
	CreatedOn          time.Time
	Address            string // VirtualMachine and HDInsight
	SSHPort            int
	Username           string
	ClusterPurpose     string // AKS
	Namespace          string // Kubernetes
	WorkspaceURL       string // Databricks
}

// VMCredentials is what Azure ML needs to log in to a VM. Exactly one of
// Password and PrivateKey is set.
type VMCredentials struct {
	Username   string
	Password   string
	PrivateKey string // the private key file's text
}

// VMAttach is the request that attaches a VM.
type VMAttach struct {
	Name       string
	ResourceID string
	SSHPort    int
	Creds      VMCredentials
}

// Progress reports what an attach or detach is doing.
type Progress struct {
	Phase string // "submitted", "polling", "done"
	State string // the provisioning state or the operation status
}

// ErrComputeNotFound is returned (wrapped) when the workspace has no compute of that name.
var ErrComputeNotFound = errors.New("compute not found")

// AttachError is an attach that Azure accepted and that then ended Failed or Canceled.
type AttachError struct {
	Compute Compute // read after the failure, with every provisioning error
	Cause   error   // the operation's own error
}

func (e *AttachError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "attach of %q ended %s", e.Compute.Name, e.Compute.ProvisioningState)
	for _, pe := range e.Compute.ProvisioningErrors {
		fmt.Fprintf(&b, "; %s: %s", pe.Code, pe.Message)
	}
	return b.String()
}
func (e *AttachError) Unwrap() error { return e.Cause }

func (c *Client) computes(sub string) (*ml.ComputeClient, error) {
	return ml.NewComputeClient(sub, c.cred, c.opts)
}

// GetWorkspace reads the workspace (its location is the attach's location).
func (c *Client) GetWorkspace(ctx context.Context, w Workspace) (Workspace, error) {
	wc, err := ml.NewWorkspacesClient(w.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return w, err
	}
	r, err := wc.Get(ctx, w.ResourceGroup, w.Name, nil)
	if err != nil {
		return w, fmt.Errorf("get workspace %s: %w", w.Name, err)
	}
	w.Location = str(r.Location)
	w.ID = str(r.ID)
	return w, nil
}

// ListComputes returns every compute of the workspace, following nextLink.
func (c *Client) ListComputes(ctx context.Context, w Workspace) ([]Compute, error) {
	cc, err := c.computes(w.SubscriptionID)
	if err != nil {
		return nil, err
	}
	var out []Compute
	pg := cc.NewListPager(w.ResourceGroup, w.Name, nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list computes of %s: %w", w.Name, err)
		}
		for _, r := range page.Value {
			if r != nil {
				out = append(out, computeFrom(r))
			}
		}
	}
	return out, nil
}

// GetCompute reads one compute; a missing one is ErrComputeNotFound.
func (c *Client) GetCompute(ctx context.Context, w Workspace, name string) (Compute, error) {
	cc, err := c.computes(w.SubscriptionID)
	if err != nil {
		return Compute{}, err
	}
	r, err := cc.Get(ctx, w.ResourceGroup, w.Name, name, nil)
	if err != nil {
		if IsNotFound(err) {
			return Compute{}, fmt.Errorf("compute %q in workspace %s: %w", name, w.Name, ErrComputeNotFound)
		}
		return Compute{}, fmt.Errorf("get compute %s: %w", name, err)
	}
	return computeFrom(&r.ComputeResource), nil
}

// AttachVM attaches a virtual machine (see Attach).
func (c *Client) AttachVM(ctx context.Context, w Workspace, req VMAttach, progress func(Progress)) (Compute, error) {
	return c.Attach(ctx, w, req.Name, VMSpec{ResourceID: req.ResourceID, SSHPort: req.SSHPort, Creds: req.Creds}, progress)
}

// Attach sends PUT .../computes/{name} with the spec's body, located in the
// workspace's region, and follows the long-running operation until it ends
// or ctx is done, reporting each state through progress.
func (c *Client) Attach(ctx context.Context, w Workspace, name string, spec AttachSpec, progress func(Progress)) (Compute, error) {
	body := ml.ComputeResource{Location: to.Ptr(w.Location), Properties: spec.properties(), Identity: spec.identity()}
	return c.attach(ctx, w, name, body, progress)
}

func (c *Client) attach(ctx context.Context, w Workspace, name string, body ml.ComputeResource, progress func(Progress)) (Compute, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	cc, err := c.computes(w.SubscriptionID)
	if err != nil {
		return Compute{}, err
	}
	// The PUT is retried by the SDK (throttling, internal errors, lost
	// answers). Attaching is not idempotent: when the first PUT was carried
	// out and its answer lost, Azure ML refuses the retry as a conflict
	// with the compute that PUT made, which ourAttach recognises.
	var first *http.Response
	sent := time.Now()
	sctx, scancel := stepContext(ctx)
	tries := &tryLog{}
	sctx = context.WithValue(sctx, tryLogKey{}, tries)
	poller, err := cc.BeginCreateOrUpdate(policy.WithCaptureResponse(sctx, &first), w.ResourceGroup, w.Name, name, body, nil)
	state := ""
	if err == nil {
		state = stateFromBody(first)
	}
	scancel()
	if err != nil {
		if ctx.Err() != nil {
			return Compute{}, ctx.Err()
		}
		if got, ok := c.ourAttach(ctx, w, name, body, sent, tries.unsure(), err); ok {
			return c.followCompute(ctx, w, cc, got, progress)
		}
		return Compute{}, fmt.Errorf("attach %s: %w", name, err)
	}
	if state == "" {
		state = "Creating"
	}
	progress(Progress{Phase: "submitted", State: state})
	last, err := c.follow(ctx, poller, state, progress)
	if err != nil {
		if ctx.Err() != nil {
			return Compute{Name: name, ProvisioningState: last}, ctx.Err()
		}
		return Compute{Name: name, ProvisioningState: last}, &FollowError{Op: "attach", Name: name, State: last, Err: err}
	}
	rctx, rcancel := stepContext(ctx)
	res, err := poller.Result(rctx)
	rcancel()
	if err == nil {
		got := computeFrom(&res.ComputeResource)
		if got.ProvisioningState == "Failed" || got.ProvisioningState == "Canceled" {
			return got, &AttachError{Compute: got}
		}
		progress(Progress{Phase: "done", State: got.ProvisioningState})
		return got, nil
	}
	if ctx.Err() != nil {
		return Compute{Name: name, ProvisioningState: last}, ctx.Err()
	}
	// Read the compute: a failed attach has every provisioning error there,
	// not only the operation's first one; and when the operation ended well
	// but the final read of the result failed, it says how the attach ended.
	gctx, gcancel := stepContext(ctx)
	got, gerr := c.GetCompute(gctx, w, name)
	gcancel()
	ended := gerr == nil && (got.ProvisioningState == "Failed" || got.ProvisioningState == "Canceled")
	if !isFailed(last) {
		switch {
		case gerr == nil && got.ProvisioningState == "Succeeded":
			progress(Progress{Phase: "done", State: got.ProvisioningState})
			return got, nil
		case !ended:
			return Compute{Name: name, ProvisioningState: last}, &FollowError{Op: "attach", Name: name, State: last, Err: err}
		}
	}
	if gerr != nil {
		got = Compute{Name: name}
	}
	if len(got.ProvisioningErrors) == 0 {
		var re *azcore.ResponseError
		if errors.As(err, &re) {
			got.ProvisioningErrors = []ProvisioningError{{Code: re.ErrorCode, Message: responseMessage(re)}}
		}
	}
	if got.ProvisioningState != "Failed" && got.ProvisioningState != "Canceled" {
		got.ProvisioningState = "Failed"
	}
	progress(Progress{Phase: "done", State: got.ProvisioningState})
	return got, &AttachError{Compute: got, Cause: err}
}

// ourAttach decides whether an attach PUT refused as a conflict (409, or
// 400: which one Azure ML sends for a name in use is not documented) was
// refused because of our own attach: a retry of a PUT that Azure carried
// out while its answer was lost. Only a retry can be that (retried: an
// earlier try of this PUT got no answer, or one that does not say whether
// it was carried out); a refusal of the first try is someone else's
// compute, made since the name was checked. It is ours when, besides, the
// workspace now has a compute of that name, of the same type, attached to
// the same resource, and created no earlier than shortly before the PUT was
// sent (clocks differ; no creation time, not ours).
func (c *Client) ourAttach(ctx context.Context, w Workspace, name string, body ml.ComputeResource, sent time.Time, retried bool, err error) (Compute, bool) {
	var re *azcore.ResponseError
	if !retried || !errors.As(err, &re) || (re.StatusCode != http.StatusConflict && re.StatusCode != http.StatusBadRequest) || body.Properties == nil {
		return Compute{}, false
	}
	want := body.Properties.GetCompute()
	gctx, cancel := stepContext(ctx)
	got, gerr := c.GetCompute(gctx, w, name)
	cancel()
	switch {
	case gerr != nil, want.ResourceID == nil || !SameResource(got.ResourceID, *want.ResourceID),
		want.ComputeType == nil || !strings.EqualFold(got.Type, string(*want.ComputeType)),
		got.CreatedOn.IsZero() || got.CreatedOn.Before(sent.Add(-maxClockSkew)):
		return Compute{}, false
	}
	return got, true
}

// maxClockSkew is how far Azure's clock may be behind ours when ourAttach
// compares a compute's creation time with the time the PUT was sent.
const maxClockSkew = 5 * time.Minute

// followCompute follows an attach whose PUT answer was lost (see
// ourAttach) by reading the compute until its state is terminal, and ends
// like Attach: the compute, or an *AttachError when it ended Failed or
// Canceled.
func (c *Client) followCompute(ctx context.Context, w Workspace, cc *ml.ComputeClient, got Compute, progress func(Progress)) (Compute, error) {
	name := got.Name
	state := orState(got.ProvisioningState, "Creating")
	progress(Progress{Phase: "submitted", State: state})
	last, err := c.follow(ctx, &computePoll{cc: cc, w: w, name: name, state: state}, state, progress)
	if err != nil {
		if ctx.Err() != nil {
			return Compute{Name: name, ProvisioningState: last}, ctx.Err()
		}
		return Compute{Name: name, ProvisioningState: last}, &FollowError{Op: "attach", Name: name, State: last, Err: err}
	}
	gctx, cancel := stepContext(ctx)
	end, err := c.GetCompute(gctx, w, name)
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		return Compute{Name: name, ProvisioningState: last}, ctx.Err()
	case err != nil:
		return Compute{Name: name, ProvisioningState: last}, &FollowError{Op: "attach", Name: name, State: last, Err: err}
	case isFailed(end.ProvisioningState):
		progress(Progress{Phase: "done", State: end.ProvisioningState})
		return end, &AttachError{Compute: end}
	}
	progress(Progress{Phase: "done", State: end.ProvisioningState})
	return end, nil
}

func orState(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// computePoll polls a compute's GET until its provisioning state is
// terminal, for follow.
type computePoll struct {
	cc    *ml.ComputeClient
	w     Workspace
	name  string
	state string
}

func (p *computePoll) Done() bool {
	return isFailed(p.state) || strings.EqualFold(p.state, "Succeeded")
}

func (p *computePoll) Poll(ctx context.Context) (*http.Response, error) {
	var resp *http.Response
	if _, err := p.cc.Get(policy.WithCaptureResponse(ctx, &resp), p.w.ResourceGroup, p.w.Name, p.name, nil); err != nil {
		return nil, err
	}
	if st := stateFromBody(resp); st != "" {
		p.state = st
	}
	return resp, nil
}

func isFailed(state string) bool {
	return strings.EqualFold(state, "Failed") || strings.EqualFold(state, "Canceled")
}

// FollowError is an attach or detach that Azure accepted, and that goes on
// there, whose end could not be seen: its status could not be read (several
// polls in a row failed, each after the SDK's retries) or Azure stopped
// accepting the sign-in. Err is the last failure.
type FollowError struct {
	Op    string // "attach" or "detach"
	Name  string
	State string // the last state seen
	Err   error
}

func (e *FollowError) Error() string {
	return fmt.Sprintf("the %s of %q was accepted by Azure (last seen %s), but following it failed: %v", e.Op, e.Name, e.State, e.Err)
}
func (e *FollowError) Unwrap() error { return e.Err }

type pollable interface {
	Done() bool
	Poll(ctx context.Context) (*http.Response, error)
}

// maxPollFailures is how many polls in a row may fail, each after the SDK's
// own retries, before the wait is given up: a status that cannot be read
// for that long is not a passing fault.
const maxPollFailures = 10

// follow polls until the operation is terminal, reporting status changes,
// and returns the last state seen. A poll that fails for a passing reason
// (throttling, an internal error, a lost or late answer) is tried again at
// the next interval.
func (c *Client) follow(ctx context.Context, p pollable, last string, progress func(Progress)) (string, error) {
	interval := c.poll
	failures := 0
	for !p.Done() {
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
		pctx, cancel := stepContext(ctx)
		resp, err := p.Poll(pctx)
		st := ""
		if err == nil {
			st = stateFromBody(resp)
		}
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			failures++
			if !passing(err) || failures >= maxPollFailures {
				return last, err
			}
			continue
		}
		failures = 0
		if st == "" || strings.EqualFold(st, "InProgress") {
			// The operation status says only "InProgress": the compute's
			// state is still the one the PUT or DELETE started.
			st = last
		}
		last = st
		progress(Progress{Phase: "polling", State: st})
		// A Retry-After sets the next wait only; without one the next
		// poll comes after the client's interval again.
		interval = c.poll
		if ra := retryAfter(resp, time.Now()); ra > 0 && ra < time.Minute {
			interval = ra
		}
	}
	return last, nil
}

// passing reports whether a failed request may well work when tried again:
// throttling, a server error, or no answer (a closed connection, a timeout).
// Refusals (401, 403, 404, ...) are not passing.
func passing(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return true
	}
	return re.StatusCode == http.StatusRequestTimeout || re.StatusCode == http.StatusTooManyRequests || re.StatusCode >= 500
}

// Detach removes the compute from the workspace (underlyingResourceAction=Detach);
// the resource behind it is untouched. A missing compute is ErrComputeNotFound.
// Each request is bounded as in Attach (see WithStepTimeout).
func (c *Client) Detach(ctx context.Context, w Workspace, name string, progress func(Progress)) error {
	if progress == nil {
		progress = func(Progress) {}
	}
	gctx, gcancel := stepContext(ctx)
	_, err := c.GetCompute(gctx, w, name)
	gcancel()
	if err != nil {
		return err
	}
	cc, err := c.computes(w.SubscriptionID)
	if err != nil {
		return err
	}
	// A retried DELETE is the same detach for Azure ML.
	sctx, scancel := stepContext(ctx)
	poller, err := cc.BeginDelete(sctx, w.ResourceGroup, w.Name, name, ml.UnderlyingResourceActionDetach, nil)
	scancel()
	if err != nil {
		return fmt.Errorf("detach %s: %w", name, err)
	}
	progress(Progress{Phase: "submitted", State: "Deleting"})
	last, err := c.follow(ctx, poller, "Deleting", progress)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("detach %s: %w", name, err)
		}
		return &FollowError{Op: "detach", Name: name, State: last, Err: err}
	}
	rctx, rcancel := stepContext(ctx)
	_, err = poller.Result(rctx)
	rcancel()
	if err != nil {
		return fmt.Errorf("detach %s: %w", name, err)
	}
	progress(Progress{Phase: "done", State: "Detached"})
	return nil
}

// VMSecrets are the secrets Azure ML stored for a compute: the login of a
// VM or HDInsight compute, or a Databricks compute's access token.
type VMSecrets struct {
	Username   string
	Password   string
	PrivateKey string
	Token      string // Databricks
}

// ListKeys reads the secrets Azure ML stored for the compute (POST
// listKeys). The answer is decoded here rather than by the SDK, whose
// models have no HDInsight secrets type.
func (c *Client) ListKeys(ctx context.Context, w Workspace, name string) (VMSecrets, error) {
	var body struct {
		ComputeType          string `json:"computeType"`
		AdministratorAccount *struct {
			Username       string `json:"username"`
			Password       string `json:"password"`
			PrivateKeyData string `json:"privateKeyData"`
		} `json:"administratorAccount"`
		DatabricksAccessToken string `json:"databricksAccessToken"`
	}
	path := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.MachineLearningServices/workspaces/%s/computes/%s/listKeys",
		url.PathEscape(w.SubscriptionID), url.PathEscape(w.ResourceGroup), url.PathEscape(w.Name), url.PathEscape(name))
	if err := c.sendJSON(ctx, http.MethodPost, path, MLAPIVersion, &body); err != nil {
		return VMSecrets{}, fmt.Errorf("list keys of %s: %w", name, err)
	}
	switch {
	case body.AdministratorAccount != nil:
		a := body.AdministratorAccount
		return VMSecrets{Username: a.Username, Password: a.Password, PrivateKey: a.PrivateKeyData}, nil
	case body.DatabricksAccessToken != "":
		return VMSecrets{Token: body.DatabricksAccessToken}, nil
	}
	return VMSecrets{}, fmt.Errorf("list keys of %s: no stored login or token in the answer", name)
}

func computeFrom(r *ml.ComputeResource) Compute {
	c := Compute{Name: str(r.Name), ID: str(r.ID)}
	if r.Properties == nil {
		return c
	}
	base := r.Properties.GetCompute()
	if base.ComputeType != nil {
		c.Type = string(*base.ComputeType)
	}
	c.ResourceID = str(base.ResourceID)
	if base.ProvisioningState != nil {
		c.ProvisioningState = string(*base.ProvisioningState)
	}
	c.IsAttached = base.IsAttachedCompute != nil && *base.IsAttachedCompute
	if base.CreatedOn != nil {
		c.CreatedOn = *base.CreatedOn
	}
	for _, e := range base.ProvisioningErrors {
		if e != nil && e.Error != nil {
			c.ProvisioningErrors = append(c.ProvisioningErrors, ProvisioningError{Code: str(e.Error.Code), Message: str(e.Error.Message)})
		}
	}
	switch p := r.Properties.(type) {
	case *ml.VirtualMachine:
		if p.Properties != nil {
			c.Address = str(p.Properties.Address)
			if p.Properties.SSHPort != nil {
				c.SSHPort = int(*p.Properties.SSHPort)
			}
			if p.Properties.AdministratorAccount != nil {
				c.Username = str(p.Properties.AdministratorAccount.Username)
			}
		}
	case *ml.AKS:
		if p.Properties != nil && p.Properties.ClusterPurpose != nil {
			c.ClusterPurpose = string(*p.Properties.ClusterPurpose)
		}
	case *ml.Kubernetes:
		if p.Properties != nil {
			c.Namespace = str(p.Properties.Namespace)
		}
	case *ml.Databricks:
		if p.Properties != nil {
			c.WorkspaceURL = str(p.Properties.WorkspaceURL)
		}
	case *ml.HDInsight:
		if p.Properties != nil {
			c.Address = str(p.Properties.Address)
			if p.Properties.SSHPort != nil {
				c.SSHPort = int(*p.Properties.SSHPort)
			}
			if p.Properties.AdministratorAccount != nil {
				c.Username = str(p.Properties.AdministratorAccount.Username)
			}
		}
	}
	return c
}

// stateFromBody reads provisioningState (resource bodies) or status (async
// operation bodies) from a response without consuming it for the SDK.
func stateFromBody(resp *http.Response) string {
	if resp == nil || resp.Body == nil {
		return ""
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(data)))
	if err != nil {
		return ""
	}
	var v struct {
		Status     string `json:"status"`
		Properties struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	if v.Properties.ProvisioningState != "" {
		return v.Properties.ProvisioningState
	}
	return v.Status
}

// retryAfter is how long an answer asks to wait before the next request, in
// the forms azcore's retry policy and poller read, in their order:
// retry-after-ms and x-ms-retry-after-ms in milliseconds, then Retry-After in
// seconds or as an HTTP date. Zero when none of them says.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if resp == nil {
		return 0
	}
	for _, h := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if ms, err := strconv.Atoi(resp.Header.Get(h)); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	v := resp.Header.Get("Retry-After")
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

type tryLogKey struct{}

// tryLog records, for one request and all its tries, whether a try ended
// without a definite answer: a transport error (a lost answer, a try that
// timed out), 408, or a server error. Such a try may have been carried out.
type tryLog struct {
	mu   sync.Mutex
	seen bool
}

func (l *tryLog) unsure() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

// recordTries is a per-try policy: it tells the request's tryLog, when its
// context carries one, how each try ended.
type recordTries struct{}

func (recordTries) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if l, ok := req.Raw().Context().Value(tryLogKey{}).(*tryLog); ok &&
		(err != nil || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= http.StatusInternalServerError) {
		l.mu.Lock()
		l.seen = true
		l.mu.Unlock()
	}
	return resp, err
}
