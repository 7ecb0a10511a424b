package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The workspaces' jobs (Microsoft.MachineLearningServices/workspaces/jobs,
// API 2024-04-01): PUT creates and starts a command job (a PUT on a name
// that exists only replaces its tags, as in Azure), GET reads it, the list
// pages through them, POST .../cancel cancels (202 and a Location to poll).
// Each job runs in a goroutine of its own (jobs_run.go); the run history
// and the logs are served by jobs_data.go.

const jobType = "Microsoft.MachineLearningServices/workspaces/jobs"

// jobStatus values, as armmachinelearning's JobStatus spells them.
const (
	jobNotStarted      = "NotStarted"
	jobQueued          = "Queued"
	jobPreparing       = "Preparing"
	jobRunning         = "Running"
	jobFinalizing      = "Finalizing"
	jobCancelRequested = "CancelRequested"
	jobCompleted       = "Completed"
	jobFailed          = "Failed"
	jobCanceled        = "Canceled"
	jobNotResponding   = "NotResponding"
)

func jobTerminal(s string) bool {
	switch s {
	case jobCompleted, jobFailed, jobCanceled, jobNotResponding, "Paused":
		return true
	}
	return false
}

// jobTable holds every workspace's jobs. Its mutex guards the jobs' fields
// too; it is never held together with Server.mu.
type jobTable struct {
	mu      sync.Mutex
	byKey   map[string]*jobState // lower(sub/rg/ws) + "/" + name (names are case-sensitive)
	cancels map[string]*jobState // cancel operation ID → job
	secret  []byte               // signs the log URLs
	ctx     context.Context      // ends when the server closes
	stopAll context.CancelFunc
	wg      sync.WaitGroup
}

// init prepares the table on first use. The caller holds t.mu.
func (t *jobTable) init() {
	if t.byKey != nil {
		return
	}
	t.byKey, t.cancels = map[string]*jobState{}, map[string]*jobState{}
	t.secret = make([]byte, 32)
	_, _ = rand.Read(t.secret)
	t.ctx, t.stopAll = context.WithCancel(context.Background())
}

// stop cancels every running job and waits for their goroutines.
func (t *jobTable) stop() {
	t.mu.Lock()
	if t.stopAll != nil {
		t.stopAll()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// jobState is one job. Fields after the first group change while it runs;
// jobTable.mu guards them.
type jobState struct {
	wsKey, wsID, location     string
	sub                       *Subscription
	name, display, experiment string
	command, envID, computeID string
	computeName, computeType  string
	image                     string
	timeout                   time.Duration
	tags                      map[string]any
	created                   time.Time
	status                    string
	start, end                time.Time
	errCode, errMsg           string
	log                       strings.Builder // user_logs/std_log.txt
	cancel                    context.CancelFunc
	cancelAsked               bool
	runDone                   chan struct{} // closed when the runner returns
	statusAt                  time.Time     // when status last changed
	history                   []string      // statuses in order, for tests and the trace
	historyAt                 []time.Time   // when each status of history began
}

var jobNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$`)

// commandJobBody is the part of a job PUT the sandbox reads.
type commandJobBody struct {
	Properties *commandJobProps `json:"properties"`
}

type commandJobProps struct {
	JobType        string         `json:"jobType"`
	Command        string         `json:"command"`
	EnvironmentID  string         `json:"environmentId"`
	ComputeID      string         `json:"computeId"`
	ExperimentName string         `json:"experimentName"`
	DisplayName    string         `json:"displayName"`
	Tags           map[string]any `json:"tags"`
	Limits         *struct {
		JobLimitsType string `json:"jobLimitsType"`
		Timeout       string `json:"timeout"`
	} `json:"limits"`
	Resources *struct {
		InstanceCount *int `json:"instanceCount"`
	} `json:"resources"`
}

func (s *Server) jobRoutes(mk func(string, string, map[string]handler) route) []route {
	const ws = "subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}"
	return []route{
		mk(ws+"/jobs", apiML, map[string]handler{http.MethodGet: s.listJobs}),
		mk(ws+"/jobs/{}", apiML, map[string]handler{http.MethodGet: s.getJob, http.MethodPut: s.putJob}),
		mk(ws+"/jobs/{}/cancel", apiML, map[string]handler{http.MethodPost: s.cancelJob}),
		mk("subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/{}/mfeOperationResults/{}", apiML,
			map[string]handler{http.MethodGet: s.jobCancelResult}),
	}
}

// jobWorkspace resolves the workspace of the path (m.vars[0]) or writes the 404.
func (s *Server) jobWorkspace(w http.ResponseWriter, m *match) *wsState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.workspace(w, m)
}

func (s *Server) findJob(ws *wsState, name string) *jobState {
	s.jobs.init()
	return s.jobs.byKey[key(ws.sub.ID, ws.rg.Name, ws.ws.Name)+"/"+name]
}

func (s *Server) putJob(w http.ResponseWriter, r *http.Request, m *match) {
	ws := s.jobWorkspace(w, m)
	if ws == nil {
		return
	}
	name := m.vars[1]
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content could not be read.")
		return
	}
	var body commandJobBody
	if err := json.Unmarshal(raw, &body); err != nil || body.Properties == nil {
		armError(w, http.StatusBadRequest, "UserError", "The request content was invalid and could not be deserialized as a job.")
		return
	}
	p := body.Properties
	s.jobs.mu.Lock()
	if old := s.findJob(ws, name); old != nil {
		// A PUT on a job that exists only replaces its tags.
		old.tags = p.Tags
		out := s.jobJSON(old)
		s.jobs.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.jobs.mu.Unlock()
	j, code, msg := s.checkJob(ws, name, p)
	if msg != "" {
		armError(w, http.StatusBadRequest, code, msg)
		return
	}
	s.jobs.mu.Lock()
	if old := s.findJob(ws, name); old != nil { // created meanwhile
		out := s.jobJSON(old)
		s.jobs.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.jobs.byKey[j.wsKey+"/"+j.name] = j
	ctx, cancel := context.WithCancel(s.jobs.ctx)
	j.cancel = cancel
	s.jobs.wg.Add(1)
	out := s.jobJSON(j)
	s.jobs.mu.Unlock()
	go func() {
		defer s.jobs.wg.Done()
		defer close(j.runDone)
		s.runJob(ctx, j)
	}()
	writeJSON(w, http.StatusCreated, out)
}

// checkJob checks a job PUT and builds the job, NotStarted. It returns the
// error code and message of a 400 instead when the service would refuse it.
func (s *Server) checkJob(ws *wsState, name string, p *commandJobProps) (*jobState, string, string) {
	const user = "UserError"
	switch {
	case !jobNameRE.MatchString(name):
		return nil, user, fmt.Sprintf("The job name '%s' is invalid: use letters, digits, '_' and '-', starting with a letter or digit, at most 255 characters.", name)
	case p.JobType != "Command":
		return nil, user, fmt.Sprintf("Job type '%s' is not supported here; the sandbox runs Command jobs.", p.JobType)
	case strings.TrimSpace(p.Command) == "":
		return nil, user, "properties.command is required for a Command job."
	case p.EnvironmentID == "":
		return nil, user, "properties.environmentId is required for a Command job."
	case p.ComputeID == "":
		return nil, user, "properties.computeId is required: the sandbox has no serverless compute."
	}
	env, ok := s.environment(p.EnvironmentID)
	if !ok {
		return nil, user, fmt.Sprintf("Could not find asset with ID: %s. Check the environment's name, version or label, and the registry or workspace it belongs to.", p.EnvironmentID)
	}
	var timeout time.Duration
	if p.Limits != nil && p.Limits.Timeout != "" {
		d, err := parseISODuration(p.Limits.Timeout)
		if err != nil || d < time.Second {
			return nil, user, fmt.Sprintf("limits.timeout '%s' is not an ISO 8601 duration of at least one second (e.g. PT15M).", p.Limits.Timeout)
		}
		timeout = d
	}
	if p.Resources != nil && p.Resources.InstanceCount != nil && *p.Resources.InstanceCount != 1 {
		return nil, user, fmt.Sprintf("resources.instanceCount %d is not possible on an attached compute: it has one node.", *p.Resources.InstanceCount)
	}
	computeName := computeNameOf(ws, p.ComputeID)
	s.mu.Lock()
	s.advance()
	_, c := ws.find(computeName)
	var typ string
	if c != nil {
		typ = c.typ
		computeName = c.name
	}
	s.mu.Unlock()
	switch {
	case computeName == "":
		return nil, user, fmt.Sprintf("computeId '%s' is not a compute of workspace '%s'.", p.ComputeID, ws.ws.Name)
	case c == nil:
		return nil, user, fmt.Sprintf("Compute '%s' was not found in workspace '%s'.", computeName, ws.ws.Name)
	case typ != "VirtualMachine" && typ != "Kubernetes" && typ != "AmlCompute" && typ != "ComputeInstance":
		return nil, user, fmt.Sprintf("Compute '%s' of type %s cannot run Command jobs.", computeName, typ)
	case typ == "AmlCompute" || typ == "ComputeInstance":
		return nil, user, fmt.Sprintf("Compute '%s' of type %s cannot run jobs in the sandbox: it simulates attached computes only.", computeName, typ)
	}
	experiment := p.ExperimentName
	if experiment == "" {
		experiment = "Default"
	}
	display := p.DisplayName
	if display == "" {
		display = name
	}
	now := s.now()
	return &jobState{
		wsKey: key(ws.sub.ID, ws.rg.Name, ws.ws.Name), wsID: ws.id(), sub: ws.sub,
		location: strings.ToLower(strings.ReplaceAll(ws.ws.Location, " ", "")),
		name:     name, display: display, experiment: experiment,
		command: p.Command, envID: p.EnvironmentID, computeID: p.ComputeID,
		computeName: computeName, computeType: typ, image: env.Image,
		timeout: timeout, tags: p.Tags, created: now,
		status: jobNotStarted, statusAt: now, history: []string{jobNotStarted}, historyAt: []time.Time{now},
		runDone: make(chan struct{}),
	}, "", ""
}

// computeNameOf is the compute a computeId names in ws: its full ARM ID
// (case-insensitive), or "" when it names another workspace or nothing.
func computeNameOf(ws *wsState, id string) string {
	prefix := ws.id() + "/computes/"
	if len(id) > len(prefix) && strings.EqualFold(id[:len(prefix)], prefix) && !strings.Contains(id[len(prefix):], "/") {
		return id[len(prefix):]
	}
	return ""
}

// isoDurationRE is the ISO 8601 durations limits.timeout takes (days and
// time; no years or months).
var isoDurationRE = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

func parseISODuration(s string) (time.Duration, error) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration: %q", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	if m[4] != "" {
		f, _ := strconv.ParseFloat(m[4], 64)
		d += time.Duration(f * float64(time.Second))
	}
	return d, nil
}

func isoOf(d time.Duration) string {
	sec := int64(d / time.Second)
	var b strings.Builder
	b.WriteString("PT")
	if h := sec / 3600; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m := sec % 3600 / 60; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if x := sec % 60; x > 0 || sec == 0 {
		fmt.Fprintf(&b, "%dS", x)
	}
	return b.String()
}

// studioURL is the job's page in Azure ML studio.
func (j *jobState) studioURL() string {
	return fmt.Sprintf("https://ml.azure.com/runs/%s?wsid=%s&tid=%s", url.PathEscape(j.name), j.wsID, tenantID)
}

// jobJSON is the job's ARM body. The caller holds s.jobs.mu.
func (s *Server) jobJSON(j *jobState) map[string]any {
	props := map[string]any{
		"jobType":              "Command",
		"command":              j.command,
		"environmentId":        j.envID,
		"computeId":            j.computeID,
		"experimentName":       j.experiment,
		"displayName":          j.display,
		"status":               j.status,
		"isArchived":           false,
		"environmentVariables": map[string]any{},
		"inputs":               map[string]any{},
		"outputs": map[string]any{
			"default": map[string]any{"jobOutputType": "uri_folder", "mode": "ReadWriteMount",
				"uri": fmt.Sprintf("azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.%s", j.name)},
		},
		"resources":  map[string]any{"instanceCount": 1, "shmSize": "2g"},
		"properties": map[string]any{},
		"tags":       emptyIfNil(j.tags),
		"services": map[string]any{
			"Studio":   map[string]any{"jobServiceType": "Studio", "endpoint": j.studioURL()},
			"Tracking": map[string]any{"jobServiceType": "Tracking", "endpoint": fmt.Sprintf("azureml://%s.api.azureml.ms/mlflow/v1.0%s", j.location, j.wsID)},
		},
	}
	if j.timeout > 0 {
		props["limits"] = map[string]any{"jobLimitsType": "Command", "timeout": isoOf(j.timeout)}
	}
	return map[string]any{
		"id":         j.wsID + "/jobs/" + j.name,
		"name":       j.name,
		"type":       jobType,
		"properties": props,
		"systemData": map[string]any{
			"createdAt": j.created.UTC().Format(time.RFC3339Nano), "createdBy": "sandbox user", "createdByType": "User",
		},
	}
}

func emptyIfNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (s *Server) getJob(w http.ResponseWriter, _ *http.Request, m *match) {
	ws := s.jobWorkspace(w, m)
	if ws == nil {
		return
	}
	s.jobs.mu.Lock()
	j := s.findJob(ws, m.vars[1])
	var out map[string]any
	if j != nil {
		out = s.jobJSON(j)
	}
	s.jobs.mu.Unlock()
	if j == nil {
		notFound(w, jobType, m.vars[1], m.rg.Name)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, m *match) {
	ws := s.jobWorkspace(w, m)
	if ws == nil {
		return
	}
	prefix := key(ws.sub.ID, ws.rg.Name, ws.ws.Name) + "/"
	s.jobs.mu.Lock()
	s.jobs.init()
	var js []*jobState
	for k, j := range s.jobs.byKey {
		if strings.HasPrefix(k, prefix) {
			js = append(js, j)
		}
	}
	// Newest first, as the service lists them.
	sort.Slice(js, func(a, b int) bool {
		if !js[a].created.Equal(js[b].created) {
			return js[a].created.After(js[b].created)
		}
		return js[a].name < js[b].name
	})
	items := make([]any, 0, len(js))
	for _, j := range js {
		items = append(items, s.jobJSON(j))
	}
	s.jobs.mu.Unlock()
	s.writePage(w, r, items)
}

// cancelJob asks a job to stop: 202 with a Location that answers 202 until
// the job is Canceled (or ended otherwise), then 200. A job that has ended
// already answers 200 at once and is left as it is.
func (s *Server) cancelJob(w http.ResponseWriter, _ *http.Request, m *match) {
	ws := s.jobWorkspace(w, m)
	if ws == nil {
		return
	}
	s.jobs.mu.Lock()
	j := s.findJob(ws, m.vars[1])
	if j == nil {
		s.jobs.mu.Unlock()
		notFound(w, jobType, m.vars[1], m.rg.Name)
		return
	}
	if jobTerminal(j.status) {
		s.jobs.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	if !j.cancelAsked {
		j.cancelAsked = true
		s.setJobStatus(j, jobCancelRequested)
		j.cancel()
	}
	id := randomUUID()
	s.jobs.cancels[id] = j
	s.jobs.mu.Unlock()
	w.Header().Set("Location", fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.MachineLearningServices/locations/%s/mfeOperationResults/jc:%s?api-version=%s",
		s.endpoint, m.sub.ID, j.location, id, apiML))
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) jobCancelResult(w http.ResponseWriter, _ *http.Request, m *match) {
	id := strings.TrimPrefix(m.vars[1], "jc:")
	s.jobs.mu.Lock()
	s.jobs.init()
	j := s.jobs.cancels[id]
	var done bool
	if j != nil {
		done = jobTerminal(j.status)
	}
	s.jobs.mu.Unlock()
	switch {
	case j == nil || !strings.EqualFold(j.sub.ID, m.sub.ID):
		armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The operation '%s' was not found.", m.vars[1]))
	case !done:
		w.Header().Set("Location", s.endpoint+"/subscriptions/"+m.sub.ID+"/providers/Microsoft.MachineLearningServices/locations/"+m.vars[0]+"/mfeOperationResults/"+m.vars[1]+"?api-version="+apiML)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// setJobStatus moves j to status. The caller holds s.jobs.mu.
func (s *Server) setJobStatus(j *jobState, status string) {
	if j.status == status {
		return
	}
	now := s.now()
	j.status, j.statusAt = status, now
	j.history = append(j.history, status)
	j.historyAt = append(j.historyAt, now)
	if status == jobRunning && j.start.IsZero() {
		j.start = now
	}
	if jobTerminal(status) && j.end.IsZero() {
		j.end = now
	}
}

// JobHistory returns the statuses a job went through, in order (nil for a
// job the sandbox does not have). Tests use it to see every change.
func (s *Server) JobHistory(subscription, resourceGroup, workspace, job string) []string {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	s.jobs.init()
	j := s.jobs.byKey[key(subscription, resourceGroup, workspace)+"/"+job]
	if j == nil {
		return nil
	}
	return append([]string(nil), j.history...)
}

// JobTransition is a status a job took, and when the sandbox made the change.
type JobTransition struct {
	Status string
	At     time.Time
}

// JobTransitions is JobHistory with the time of each change (by the
// sandbox's clock): benchmarks measure how soon a client sees them.
func (s *Server) JobTransitions(subscription, resourceGroup, workspace, job string) []JobTransition {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	s.jobs.init()
	j := s.jobs.byKey[key(subscription, resourceGroup, workspace)+"/"+job]
	if j == nil {
		return nil
	}
	out := make([]JobTransition, len(j.history))
	for i, st := range j.history {
		out[i] = JobTransition{Status: st, At: j.historyAt[i]}
	}
	return out
}
