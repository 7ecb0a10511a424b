package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"
)

// RunHistoryScope is the token scope of the workspace's run history (the
// data plane behind discoveryUrl): the Resource Manager scope, as the
// Azure ML Python SDK asks for it.
const RunHistoryScope = "https://management.azure.com/.default"

// JobSpec is a command job to submit.
type JobSpec struct {
	Name           string // the job's ID in the workspace (case-sensitive)
	Command        string
	EnvironmentID  string
	ComputeID      string // the compute's ARM ID in the workspace
	ExperimentName string
	DisplayName    string
	Timeout        time.Duration // limits.timeout; zero leaves it to the service
}

// Job is a job as Resource Manager reports it.
type Job struct {
	Name          string
	Status        string // JobStatus: NotStarted, Queued, ..., Completed, Failed, Canceled, ...
	StudioURL     string // services["Studio"].endpoint
	ComputeID     string
	EnvironmentID string
	Command       string
}

// TerminalJobStatus says whether a job in status s will not change again
// (as the Python SDK decides: Completed, Failed, Canceled, NotResponding, Paused).
func TerminalJobStatus(s string) bool {
	switch ml.JobStatus(s) {
	case ml.JobStatusCompleted, ml.JobStatusFailed, ml.JobStatusCanceled, ml.JobStatusNotResponding, ml.JobStatusPaused:
		return true
	}
	return false
}

func (c *Client) jobs(sub string) (*ml.JobsClient, error) {
	return ml.NewJobsClient(sub, c.cred, c.opts)
}

// isoDuration writes d as an ISO 8601 duration in whole seconds (PT15M, PT90S, PT1H).
func isoDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s <= 0 {
		s = 1
	}
	var b strings.Builder
	b.WriteString("PT")
	if h := s / 3600; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m := s % 3600 / 60; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if sec := s % 60; sec > 0 {
		fmt.Fprintf(&b, "%dS", sec)
	}
	return b.String()
}

// SubmitJob creates the command job spec describes (PUT .../jobs/{name},
// not long-running) and returns it as the service accepted it. A refusal
// (an environment that does not exist, a compute that cannot take it) comes
// back as an *azcore.ResponseError, wrapped.
func (c *Client) SubmitJob(ctx context.Context, w Workspace, spec JobSpec) (Job, error) {
	jc, err := c.jobs(w.SubscriptionID)
	if err != nil {
		return Job{}, err
	}
	cmd := &ml.CommandJob{
		JobType:        to.Ptr(ml.JobTypeCommand),
		Command:        to.Ptr(spec.Command),
		EnvironmentID:  to.Ptr(spec.EnvironmentID),
		ComputeID:      to.Ptr(spec.ComputeID),
		ExperimentName: to.Ptr(spec.ExperimentName),
		DisplayName:    to.Ptr(spec.DisplayName),
		Resources:      &ml.JobResourceConfiguration{InstanceCount: to.Ptr[int32](1)},
	}
	if spec.Timeout > 0 {
		cmd.Limits = &ml.CommandJobLimits{JobLimitsType: to.Ptr(ml.JobLimitsTypeCommand), Timeout: to.Ptr(isoDuration(spec.Timeout))}
	}
	r, err := jc.CreateOrUpdate(ctx, w.ResourceGroup, w.Name, spec.Name, ml.JobBase{Properties: cmd}, nil)
	if err != nil {
		return Job{}, fmt.Errorf("submit job %s: %w", spec.Name, err)
	}
	return jobFrom(&r.JobBase), nil
}

// GetJob reads a job's status and studio link.
func (c *Client) GetJob(ctx context.Context, w Workspace, name string) (Job, error) {
	jc, err := c.jobs(w.SubscriptionID)
	if err != nil {
		return Job{}, err
	}
	r, err := jc.Get(ctx, w.ResourceGroup, w.Name, name, nil)
	if err != nil {
		return Job{}, fmt.Errorf("get job %s: %w", name, err)
	}
	return jobFrom(&r.JobBase), nil
}

// ListJobs returns the workspace's jobs, every page.
func (c *Client) ListJobs(ctx context.Context, w Workspace) ([]Job, error) {
	jc, err := c.jobs(w.SubscriptionID)
	if err != nil {
		return nil, err
	}
	var out []Job
	pg := jc.NewListPager(w.ResourceGroup, w.Name, nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list jobs of %s: %w", w.Name, err)
		}
		for _, j := range page.Value {
			if j != nil {
				out = append(out, jobFrom(j))
			}
		}
	}
	return out, nil
}

// CancelJob asks the service to cancel a job (POST .../jobs/{name}/cancel,
// long-running: its Location is polled until the cancel is done).
func (c *Client) CancelJob(ctx context.Context, w Workspace, name string) error {
	jc, err := c.jobs(w.SubscriptionID)
	if err != nil {
		return err
	}
	poller, err := jc.BeginCancel(ctx, w.ResourceGroup, w.Name, name, nil)
	if err != nil {
		return fmt.Errorf("cancel job %s: %w", name, err)
	}
	if _, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: c.poll}); err != nil {
		return fmt.Errorf("cancel job %s: %w", name, err)
	}
	return nil
}

func jobFrom(j *ml.JobBase) Job {
	out := Job{Name: str(j.Name)}
	switch p := j.Properties.(type) {
	case *ml.CommandJob:
		out.Command, out.EnvironmentID = str(p.Command), str(p.EnvironmentID)
	}
	if j.Properties == nil {
		return out
	}
	b := j.Properties.GetJobBaseProperties()
	out.ComputeID = str(b.ComputeID)
	if b.Status != nil {
		out.Status = string(*b.Status)
	}
	for k, s := range b.Services {
		if strings.EqualFold(k, "Studio") && s != nil {
			out.StudioURL = str(s.Endpoint)
		}
	}
	return out
}

// RunDetails is what the workspace's run history says about a job's run.
type RunDetails struct {
	Status string
	Start  time.Time // zero until it started
	End    time.Time // zero until it ended
	// ErrorCode and ErrorMessage are the run's error, word for word.
	ErrorCode, ErrorMessage string
	Warnings                []string
	// LogFiles maps a log's name (user_logs/std_log.txt, ...) to a URL that
	// reads it without other credentials (a SAS URL): it is a secret of sorts
	// and is never shown.
	LogFiles map[string]string
}

// runDetailsBody is the run history's RunDetails document (the parts read here).
type runDetailsBody struct {
	Status       string `json:"status"`
	StartTimeUTC string `json:"startTimeUtc"`
	EndTimeUTC   string `json:"endTimeUtc"`
	Error        *struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"error"`
	Warnings []struct {
		Message string `json:"message"`
	} `json:"warnings"`
	LogFiles map[string]string `json:"logFiles"`
}

// RunHistoryEndpoint reads the workspace's discoveryUrl and, from the JSON
// there, the data-plane host of its run history (the "api" entry).
func (c *Client) RunHistoryEndpoint(ctx context.Context, w Workspace) (string, error) {
	wc, err := ml.NewWorkspacesClient(w.SubscriptionID, c.cred, c.opts)
	if err != nil {
		return "", err
	}
	r, err := wc.Get(ctx, w.ResourceGroup, w.Name, nil)
	if err != nil {
		return "", fmt.Errorf("get workspace %s: %w", w.Name, err)
	}
	if r.Properties == nil || str(r.Properties.DiscoveryURL) == "" {
		return "", fmt.Errorf("workspace %s reports no discoveryUrl", w.Name)
	}
	var disc struct {
		API string `json:"api"`
	}
	if err := c.dataGet(ctx, str(r.Properties.DiscoveryURL), true, &disc, nil); err != nil {
		return "", fmt.Errorf("read the workspace's discovery document: %w", err)
	}
	if disc.API == "" {
		return "", errors.New("the workspace's discovery document names no api host")
	}
	return strings.TrimSuffix(disc.API, "/"), nil
}

// GetRunDetails reads a job's run from the run history at api (see
// RunHistoryEndpoint): GET {api}/history/v1.0/{workspace ID}/runs/{job}/details.
func (c *Client) GetRunDetails(ctx context.Context, api string, w Workspace, job string) (RunDetails, error) {
	u := api + "/history/v1.0" + w.Scope() + "/runs/" + url.PathEscape(job) + "/details"
	var body runDetailsBody
	if err := c.dataGet(ctx, u, true, &body, nil); err != nil {
		return RunDetails{}, fmt.Errorf("read the run history of job %s: %w", job, err)
	}
	out := RunDetails{Status: body.Status, LogFiles: body.LogFiles}
	out.Start, _ = time.Parse(time.RFC3339Nano, body.StartTimeUTC)
	out.End, _ = time.Parse(time.RFC3339Nano, body.EndTimeUTC)
	if body.Error != nil && body.Error.Error != nil {
		out.ErrorCode, out.ErrorMessage = body.Error.Error.Code, body.Error.Error.Message
	}
	for _, w := range body.Warnings {
		out.Warnings = append(out.Warnings, w.Message)
	}
	return out, nil
}

// MaxLogBytes is the most of a log ReadLog returns: its end.
const MaxLogBytes = 64 << 10

// ReadLog reads a log file from the URL the run history gave for it (a SAS
// URL: no token is sent with it). A log longer than MaxLogBytes is cut to
// its last MaxLogBytes, and truncated says so.
func (c *Client) ReadLog(ctx context.Context, logURL string) (text string, truncated bool, err error) {
	var raw []byte
	if err := c.dataGet(ctx, logURL, false, nil, &raw); err != nil {
		return "", false, errors.New("read the job's log: " + scrubURL(err.Error(), logURL))
	}
	if len(raw) > MaxLogBytes {
		return string(raw[len(raw)-MaxLogBytes:]), true, nil
	}
	return string(raw), false, nil
}

// scrubURL removes the query (the SAS signature) of u from s.
func scrubURL(s, u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		s = strings.ReplaceAll(s, u[i:], "?…")
		s = strings.ReplaceAll(s, u[i+1:], "…")
	}
	return s
}

// dataGet sends a GET outside Resource Manager's paths through an azcore
// pipeline with the client's transport, retries and logging; withToken adds
// the bearer token of RunHistoryScope. The 200 answer is decoded into out
// (JSON) or read into raw (up to 4 MiB).
func (c *Client) dataGet(ctx context.Context, u string, withToken bool, out any, raw *[]byte) error {
	var po runtime.PipelineOptions
	if withToken {
		po.PerRetry = []policy.Policy{runtime.NewBearerTokenPolicy(c.cred, []string{RunHistoryScope}, nil)}
	}
	co := c.opts.ClientOptions
	pl := runtime.NewPipeline("amlattach", "v1.0.0", po, &co)
	req, err := runtime.NewRequest(ctx, http.MethodGet, u)
	if err != nil {
		return err
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := pl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return runtime.NewResponseError(resp)
	}
	if raw != nil {
		b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		*raw = b
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
