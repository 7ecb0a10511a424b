package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"amlattach/azure"
	"amlattach/probes"
)

// DefaultJobEnvironment is the environment of a test job unless
// --environment names another: the azureml registry's curated
// scikit-learn environment, at its latest label.
const DefaultJobEnvironment = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"

// JobExperiment is the experiment test jobs are filed under.
const JobExperiment = "amlattach"

// DefaultJobTimeLimit is the time limit of a test job unless --time-limit says otherwise.
const DefaultJobTimeLimit = 15 * time.Minute

// DefaultJobCommand prints what the job's container sees: its host name,
// Python, Docker and GPUs. It runs in any POSIX shell.
const DefaultJobCommand = `echo "host: $(hostname)"; ` +
	`if command -v python >/dev/null 2>&1; then python --version 2>&1; else echo "python: not in this environment"; fi; ` +
	`if command -v docker >/dev/null 2>&1; then docker --version; else echo "docker: not inside the job's container"; fi; ` +
	`if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi -L; else echo "gpus: none"; fi`

// JobInput is a test job to run on an attached compute.
type JobInput struct {
	Compute     string
	Command     string        // "" means DefaultJobCommand
	Environment string        // "" means DefaultJobEnvironment
	TimeLimit   time.Duration // 0 means DefaultJobTimeLimit
	NoWait      bool          // submit and return
	// Poll is the pause between two reads of the job's status; 0 means 1 s.
	Poll time.Duration
	// KeepRunning, when set, is asked once ctx ends while the job runs:
	// true stops following and leaves the job running in Azure (the
	// wizard's "leave it running"); otherwise the job, ours, is canceled.
	KeepRunning func() bool
}

// JobUpdate is what a test job is doing, reported as it changes.
type JobUpdate struct {
	Phase   string // "submitted", "status", "canceling", "canceled", "left" (stopped following; the job goes on)
	Job     string
	Status  string
	Elapsed time.Duration // since the job was submitted
	At      time.Time
	// StudioURL is the job's page in Azure ML studio ("submitted").
	StudioURL string
}

// JobReport is the outcome of `amlattach job` (its -o json document).
type JobReport struct {
	Compute string    `json:"compute"`
	Job     JobInfo   `json:"job"`
	Output  string    `json:"output"`
	Error   *JobError `json:"error"`
	OK      bool      `json:"ok"`
	// ComputeType and Fixes are for the text and the wizard.
	ComputeType string        `json:"-"`
	Fixes       []string      `json:"-"` // the fix IDs of §8 that address the error
	Elapsed     time.Duration `json:"-"`
	LogName     string        `json:"-"` // the log Output came from
	Truncated   bool          `json:"-"` // Output is the end of a longer log
}

// JobInfo is the job in a JobReport.
type JobInfo struct {
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	StudioURL string     `json:"studioUrl"`
	StartedAt *time.Time `json:"startedAt"`
	EndedAt   *time.Time `json:"endedAt"`
}

// JobError is the service's error about a job, with what amlattach makes of it.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Cause   string `json:"cause"`
	Remedy  string `json:"remedy"`
}

// jobRunsOn says what runs on a compute type that cannot run a command
// job; "" for the types that can.
func jobRunsOn(typ string) string {
	switch typ {
	case "VirtualMachine", "Kubernetes", "AmlCompute", "ComputeInstance":
		return ""
	case "SynapseSpark":
		return "a Synapse Spark pool runs Spark jobs (an Azure ML job of type spark), not command jobs"
	case "Databricks":
		return "a Databricks compute runs steps of Azure ML SDK v1 pipelines (DatabricksStep), not command jobs"
	case "HDInsight":
		return "an HDInsight compute runs steps of Azure ML SDK v1 pipelines (HDInsight Spark steps), not command jobs"
	case "DataLakeAnalytics":
		return "a Data Lake Analytics compute runs U-SQL steps of Azure ML SDK v1 pipelines (AdlaStep), not command jobs"
	case "Batch":
		return "an Azure Batch compute runs steps of Azure ML SDK v1 pipelines (AzureBatchStep), not command jobs"
	case "AKS":
		return "an AKS compute attached for inference serves model deployments, not jobs; attach the cluster as kubernetes (with the Azure ML extension's training enabled) to run jobs"
	}
	return fmt.Sprintf("compute type %s does not run command jobs", typ)
}

var (
	registryEnvRE = regexp.MustCompile(`^azureml://registries/[^/]+/environments/[^/]+/(versions|labels)/[^/]+$`)
	shortEnvRE    = regexp.MustCompile(`^azureml:[^:@/]+(:[^:@/]+|@latest)$`)
	armEnvRE      = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/(workspaces|registries)/[^/]+/environments/[^/]+/versions/[^/]+$`)
)

// check validates the input and fills its defaults.
func (in *JobInput) check() error {
	if in.Compute == "" {
		return inputErr("NAME", "give the compute's name: amlattach job NAME (see the names with: amlattach list)", "the compute name is empty")
	}
	if in.Command == "" {
		in.Command = DefaultJobCommand
	} else if strings.TrimSpace(in.Command) == "" {
		return inputErr("--command", "give a command to run, or leave --command out for the default one", "the command is blank")
	}
	if in.Environment == "" {
		in.Environment = DefaultJobEnvironment
	}
	if e := in.Environment; !registryEnvRE.MatchString(e) && !shortEnvRE.MatchString(e) && !armEnvRE.MatchString(e) {
		return inputErr("--environment", "use azureml://registries/REGISTRY/environments/NAME/labels/latest (or /versions/N), azureml:NAME:VERSION, or the environment version's ARM ID",
			"%q is not an environment ID", e)
	}
	if in.TimeLimit == 0 {
		in.TimeLimit = DefaultJobTimeLimit
	}
	if in.TimeLimit < time.Second {
		return inputErr("--time-limit", "e.g. --time-limit 15m", "%s is shorter than the one second a job's limit can be", in.TimeLimit)
	}
	if in.Poll <= 0 {
		in.Poll = time.Second
	}
	return nil
}

// newJobName is a fresh job name: amlattach-<compute>-<8 hex digits>.
func newJobName(compute string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "amlattach-" + strings.ToLower(compute) + "-" + hex.EncodeToString(b)
}

// RunJob submits a test job to the compute in.Compute and, unless
// in.NoWait, follows it to its end: each change of status goes to
// progress; then the run history gives its times, its error and its log.
// The report comes back whenever the job was submitted, with an error
// that says why the command did not succeed: the job ended Failed,
// Canceled, NotResponding or Paused (Kind 3), or ctx ended (Kind 130;
// the job, ours, is canceled then). Nothing is submitted for a compute
// that is missing or not Succeeded (Kind 1) or whose type does not run
// command jobs, or for bad input (Kind 2).
func RunJob(ctx context.Context, d Deps, ws azure.Workspace, in JobInput, progress func(JobUpdate)) (*JobReport, error) {
	if progress == nil {
		progress = func(JobUpdate) {}
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	sctx, cancel := d.withTimeout(ctx)
	comp, err := d.Azure.GetCompute(sctx, ws, in.Compute)
	cancel()
	if errors.Is(err, azure.ErrComputeNotFound) {
		return nil, &Error{Kind: KindProbeFailed, Field: "NAME", Msg: fmt.Sprintf("workspace %s has no compute named %q; no job was submitted", ws.Name, in.Compute), Fix: "see the names with: amlattach list", Err: err}
	}
	if err != nil {
		return nil, FromAzure("read compute "+in.Compute, err)
	}
	if what := jobRunsOn(comp.Type); what != "" {
		return nil, &Error{Kind: KindInput, Field: "NAME", Msg: fmt.Sprintf("%s is a %s compute: %s; no job was submitted", comp.Name, comp.Type, what)}
	}
	if comp.ProvisioningState != "Succeeded" {
		return nil, &Error{Kind: KindProbeFailed, Field: "NAME", Msg: fmt.Sprintf("compute %s is %s, not Succeeded: it cannot run jobs; no job was submitted", comp.Name, orUnknown(comp.ProvisioningState)),
			Fix: "find out why with: amlattach doctor " + comp.Name}
	}
	spec := azure.JobSpec{
		Name: newJobName(comp.Name), Command: in.Command, EnvironmentID: in.Environment,
		ComputeID: ws.Scope() + "/computes/" + comp.Name, ExperimentName: JobExperiment,
		DisplayName: "amlattach test job on " + comp.Name, Timeout: in.TimeLimit,
	}
	sctx, cancel = d.withTimeout(ctx)
	job, err := d.Azure.SubmitJob(sctx, ws, spec)
	cancel()
	if err != nil {
		return nil, FromAzure("submit the test job", err)
	}
	start := d.now()
	rep := &JobReport{Compute: comp.Name, ComputeType: comp.Type, Job: JobInfo{Name: spec.Name, Status: job.Status, StudioURL: job.StudioURL}}
	progress(JobUpdate{Phase: "submitted", Job: spec.Name, Status: job.Status, At: start, StudioURL: job.StudioURL})
	if in.NoWait {
		rep.OK = true
		return rep, nil
	}
	last := job.Status
	progress(JobUpdate{Phase: "status", Job: spec.Name, Status: last, At: start})
	failures := 0
	for !azure.TerminalJobStatus(last) {
		t := time.NewTimer(in.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return interrupted(d, ws, in, rep, start, progress)
		case <-t.C:
		}
		sctx, cancel := d.withTimeout(ctx)
		j, err := d.Azure.GetJob(sctx, ws, spec.Name)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(d, ws, in, rep, start, progress)
			}
			if failures++; failures < 3 {
				continue
			}
			rep.Elapsed = d.now().Sub(start)
			return rep, FromAzure(fmt.Sprintf("follow test job %s (it goes on in Azure: %s)", spec.Name, rep.Job.StudioURL), err)
		}
		failures = 0
		if j.StudioURL != "" {
			rep.Job.StudioURL = j.StudioURL
		}
		if j.Status != last {
			last = j.Status
			rep.Job.Status = last
			progress(JobUpdate{Phase: "status", Job: spec.Name, Status: last, Elapsed: d.now().Sub(start), At: d.now()})
		}
	}
	rep.Elapsed = d.now().Sub(start)
	jobOutcome(ctx, d, ws, rep, comp)
	if rep.OK {
		return rep, nil
	}
	msg := fmt.Sprintf("test job %s on %s ended %s", spec.Name, comp.Name, last)
	if rep.Error != nil && rep.Error.Message != "" {
		msg += ": " + rep.Error.Message
	}
	fix := ""
	if rep.Error != nil {
		fix = rep.Error.Remedy
	}
	return rep, &Error{Kind: KindAzure, Msg: msg, Fix: fix}
}

// interrupted ends the following of a job whose ctx ended: the job is
// left running when in.KeepRunning says so, else canceled.
func interrupted(d Deps, ws azure.Workspace, in JobInput, rep *JobReport, start time.Time, progress func(JobUpdate)) (*JobReport, error) {
	if in.KeepRunning == nil || !in.KeepRunning() {
		return cancelOurJob(d, ws, rep, start, progress)
	}
	rep.Elapsed = d.now().Sub(start)
	progress(JobUpdate{Phase: "left", Job: rep.Job.Name, Status: rep.Job.Status, Elapsed: rep.Elapsed, At: d.now()})
	return rep, &Error{Kind: KindInterrupted, Msg: fmt.Sprintf("stopped following test job %s: it goes on in Azure (%s when last read)", rep.Job.Name, rep.Job.Status),
		Fix: "follow it in the studio: " + rep.Job.StudioURL}
}

// cancelOurJob cancels the test job after an interruption: it is ours, and
// nobody would be left watching it.
func cancelOurJob(d Deps, ws azure.Workspace, rep *JobReport, start time.Time, progress func(JobUpdate)) (*JobReport, error) {
	name := rep.Job.Name
	progress(JobUpdate{Phase: "canceling", Job: name, Status: rep.Job.Status, Elapsed: d.now().Sub(start), At: d.now()})
	ctx, cancel := context.WithTimeout(context.Background(), 2*d.timeout())
	defer cancel()
	rep.Elapsed = d.now().Sub(start)
	if err := d.Azure.CancelJob(ctx, ws, name); err != nil {
		return rep, &Error{Kind: KindInterrupted, Msg: fmt.Sprintf("interrupted; canceling test job %s failed: %s", name, reason(err)),
			Fix: "cancel it in the studio: " + rep.Job.StudioURL, Err: err}
	}
	if j, err := d.Azure.GetJob(ctx, ws, name); err == nil {
		rep.Job.Status = j.Status
	}
	progress(JobUpdate{Phase: "canceled", Job: name, Status: rep.Job.Status, Elapsed: d.now().Sub(start), At: d.now()})
	return rep, &Error{Kind: KindInterrupted, Msg: fmt.Sprintf("interrupted: test job %s was canceled (it was amlattach's own)", name)}
}

// jobOutcome reads the run history of an ended job: times, error with its
// likely cause and remedy, and the user log.
func jobOutcome(ctx context.Context, d Deps, ws azure.Workspace, rep *JobReport, comp azure.Compute) {
	rep.OK = rep.Job.Status == "Completed"
	sctx, cancel := d.withTimeout(ctx)
	defer cancel()
	var rd azure.RunDetails
	api, err := d.Azure.RunHistoryEndpoint(sctx, ws)
	if err == nil {
		rd, err = d.Azure.GetRunDetails(sctx, api, ws, rep.Job.Name)
	}
	if err != nil {
		if !rep.OK {
			rep.Error = &JobError{Message: "the run history could not be read: " + reason(err), Remedy: "open the job in the studio for its error and logs: " + rep.Job.StudioURL}
		}
		return
	}
	if !rd.Start.IsZero() {
		t := rd.Start.UTC()
		rep.Job.StartedAt = &t
	}
	if !rd.End.IsZero() {
		t := rd.End.UTC()
		rep.Job.EndedAt = &t
	}
	for _, name := range []string{"user_logs/std_log.txt", "azureml-logs/70_driver_log.txt"} {
		if u := rd.LogFiles[name]; u != "" {
			text, truncated, lerr := d.Azure.ReadLog(sctx, u)
			if lerr == nil {
				rep.Output, rep.Truncated, rep.LogName = text, truncated, name
			}
			break
		}
	}
	if rep.OK {
		return
	}
	e := &JobError{Code: rd.ErrorCode, Message: rd.ErrorMessage}
	e.Cause, e.Remedy, rep.Fixes = jobCause(rep.Job.Status, e.Message, comp)
	if e.Remedy == "" {
		e.Remedy = "open the job in the studio for its logs: " + rep.Job.StudioURL
	}
	rep.Error = e
}

// jobCause maps a failed job's status and the service's message to the
// likely cause, the remedy, and the fixes (DESIGN §8) that address it.
func jobCause(status, msg string, comp azure.Compute) (cause, remedy string, fixes []string) {
	lower := strings.ToLower(msg)
	user := comp.Username
	if user == "" {
		user = "USER"
	}
	fixVM := fmt.Sprintf("amlattach fix vm --resource-id %s --username %s --password-file FILE", comp.ResourceID, user)
	switch {
	case strings.Contains(msg, "Unable to run docker with sudo"):
		cause = fmt.Sprintf("Azure ML runs the job's container with `sudo -n docker` as %s, and that fails on the VM: sudo asks %s for a password", user, user)
		switch {
		case strings.Contains(msg, "Cannot connect to the Docker daemon"):
			cause = "Docker is installed on the VM but its daemon is not running, so Azure ML cannot start the job's container"
		case strings.Contains(lower, "command not found") || strings.Contains(lower, "docker: not found"):
			cause = "Docker is not installed on the VM, so Azure ML cannot start the job's container"
		}
		remedy = fmt.Sprintf("apply the fix host.docker-setup (it installs and starts Docker and gives %s passwordless sudo for docker): %s --only host.docker-setup; by hand on the VM: echo '%s ALL=(root) NOPASSWD: /usr/bin/docker' | sudo tee /etc/sudoers.d/azureml-docker, and sudo systemctl enable --now docker", user, fixVM, user)
		return cause, remedy, []string{"host.docker-setup"}
	case strings.Contains(msg, "Unable to establish SSH connection"):
		cause = fmt.Sprintf("Azure ML could not log in to the VM over SSH at %s: its public IP may have changed since the attach (a dynamic IP changes when the VM is deallocated), the VM may be stopped, or its network security group closes SSH to the AzureMachineLearning service tag", orDash(comp.Address))
		remedy = fmt.Sprintf("see which with: amlattach doctor %s; the fixes ip.static (keep the address) and nsg.allow-aml-ssh (open SSH to Azure ML) apply: %s; if the address changed, detach and attach again", comp.Name, fixVM)
		return cause, remedy, []string{"ip.static", "nsg.allow-aml-ssh"}
	case (strings.Contains(lower, "pull") || strings.Contains(lower, "image")) && (strings.Contains(lower, "no space left") || strings.Contains(lower, "disk")):
		cause = "the VM's disk is too full to download and unpack the job's image"
		remedy = "free space on the VM (sudo docker system prune -af; check with df -h) or enlarge its OS disk, then run the job again"
	case strings.Contains(lower, "pull") || strings.Contains(lower, "image"):
		cause = "the VM could not download the job's image: it needs outbound HTTPS to the image's registry (mcr.microsoft.com for curated environments) and enough free disk"
		remedy = "check the VM's outbound network (NSG outbound rules, firewall, proxy) and its free disk, then run the job again"
	case strings.Contains(msg, "E45004") || strings.Contains(lower, "training feature is not enabled"):
		cause = "the Azure ML extension on the cluster is missing or does not run training jobs"
		remedy = "install the extension with training enabled (fix k8s.extension), or update it: az k8s-extension update --name EXTENSION --cluster-name CLUSTER --resource-group GROUP --cluster-type managedClusters --config enableTraining=True"
		return cause, remedy, []string{"k8s.extension"}
	case strings.Contains(msg, "exited with status code"):
		cause = "the job's command itself failed; the compute ran it"
		remedy = "see the output; run another command with --command"
	case strings.Contains(lower, "time limit"):
		cause = "the job ran longer than its time limit"
		remedy = "run it again with a longer --time-limit"
	case status == "NotResponding":
		cause = "the job stopped reporting from the compute: the VM may have been stopped or restarted, or lost its network"
		remedy = "check the compute with: amlattach doctor " + comp.Name
	case status == "Canceled":
		cause = "the job was canceled"
	}
	return cause, remedy, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// RunsCommandJobs says whether a compute of the Azure ML type computeType
// (VirtualMachine, Kubernetes, ...) runs command jobs, and so a test job.
func RunsCommandJobs(computeType string) bool { return jobRunsOn(computeType) == "" }

// fixProbes are the probes the fixes of DESIGN §8 clear, for the fixes a
// job's cause names; a registered builder's own probe counts too.
var fixProbes = map[string]string{
	"host.docker-setup": probes.IDHostDocker,
	"nsg.allow-aml-ssh": probes.IDNSGSSH, "nsg.create": probes.IDNSGSSH,
	"ip.static": probes.IDVMPublicIP, "ip.create": probes.IDVMPublicIP,
	"k8s.extension": probes.IDK8sExtension,
}

// JobFixResults turns the fixes a failed job's cause points at
// (rep.Fixes) into failed results of the probes those fixes clear, with
// the service's message as their detail: FixesFor (or the wizard's Fixes)
// given them and the plan of the compute builds the fixes themselves, the
// way it does for a failed preflight (a fix whose builder is not
// registered gives none).
func JobFixResults(rep *JobReport) []probes.Result {
	if rep == nil || rep.Error == nil || len(rep.Fixes) == 0 {
		return nil
	}
	var out []probes.Result
	seen := map[string]bool{}
	add := func(probe string) {
		if probe == "" || seen[probe] {
			return
		}
		seen[probe] = true
		out = append(out, probes.Result{ID: probe, Title: probes.Title(probe), Status: probes.Fail,
			Detail: "the test job failed: " + rep.Error.Message, Remedy: rep.Error.Remedy})
	}
	for _, id := range rep.Fixes {
		add(fixProbes[id])
		for _, b := range fixBuilders {
			if slices.Contains(b.ids, id) {
				add(b.probe)
			}
		}
	}
	return out
}

// TargetRunsJobs is RunsCommandJobs for a target TYPE argument (vm,
// kubernetes, ...): whether what it attaches runs a test job.
func TargetRunsJobs(typ string) bool {
	for ct, arg := range typeOf {
		if arg == typ {
			return RunsCommandJobs(ct)
		}
	}
	return false
}
