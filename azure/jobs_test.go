package azure_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// Three VMs behind three attachments: good runs jobs, sudopw's sudo wants
// a password, nodaemon's Docker daemon is stopped.
const jobsWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml
        location: eastus
        workspaces:
          - name: ws
            computes:
              - {name: good, resourceId: /subscriptions/%[1]s/resourceGroups/ml/providers/Microsoft.Compute/virtualMachines/good,
                 properties: {address: 20.9.0.1, sshPort: 22, administratorAccount: {username: azureuser, password: "Pw-123456!"}}}
              - {name: sudopw, resourceId: /subscriptions/%[1]s/resourceGroups/ml/providers/Microsoft.Compute/virtualMachines/sudopw,
                 properties: {address: 20.9.0.2, sshPort: 22, administratorAccount: {username: azureuser, password: "Pw-123456!"}}}
              - {name: nodaemon, resourceId: /subscriptions/%[1]s/resourceGroups/ml/providers/Microsoft.Compute/virtualMachines/nodaemon,
                 properties: {address: 20.9.0.3, sshPort: 22, administratorAccount: {username: azureuser, password: "Pw-123456!"}}}
        virtualMachines:
          - name: good
            publicIP: 20.9.0.1
            nsgRules: [{name: aml, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "Pw-123456!"}}}}
          - name: sudopw
            publicIP: 20.9.0.2
            nsgRules: [{name: aml, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {docker: 24.0.7, dockerDaemon: true, sudoNeedsPassword: true, users: {azureuser: {password: "Pw-123456!"}}}}
          - name: nodaemon
            publicIP: 20.9.0.3
            nsgRules: [{name: aml, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {docker: 24.0.7, dockerDaemon: false, users: {azureuser: {password: "Pw-123456!"}}}}
faults: {jobStepSeconds: 0.05}
`

const sklearn = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"

func jobSpec(ws azure.Workspace, compute, command string) azure.JobSpec {
	return azure.JobSpec{
		Name: "t-" + compute + "-" + fmt.Sprint(time.Now().UnixNano()), Command: command, EnvironmentID: sklearn,
		ComputeID: ws.Scope() + "/computes/" + compute, ExperimentName: "amlattach", DisplayName: "test", Timeout: 2 * time.Minute,
	}
}

func waitJob(t *testing.T, c *azure.Client, ws azure.Workspace, name string) azure.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := c.GetJob(context.Background(), ws, name)
		if err != nil {
			t.Fatal(err)
		}
		if azure.TerminalJobStatus(j.Status) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s", name, j.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A job through the real SDK: it runs in a container on the simulated host
// reached over SSH with the stored credentials; the run history has its
// times and its log, read through the discovery URL with the same token.
func TestJobRunsOnTheAttachedVMAndItsLogIsRead(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(jobsWorld, sub)), "jobs")
	c := sandboxtest.Client(srv, azure.Options{})
	ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "ml", Name: "ws"}
	ctx := context.Background()

	spec := jobSpec(ws, "good", `echo "host: $(hostname)"; python --version; if command -v docker >/dev/null; then echo docker; else echo "no docker inside"; fi`)
	j, err := c.SubmitJob(ctx, ws, spec)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != "NotStarted" || !strings.HasPrefix(j.StudioURL, "https://ml.azure.com/runs/"+spec.Name+"?wsid=") {
		t.Fatalf("submitted: %+v", j)
	}
	j = waitJob(t, c, ws, spec.Name)
	if j.Status != "Completed" {
		t.Fatalf("status %s", j.Status)
	}
	api, err := c.RunHistoryEndpoint(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := c.GetRunDetails(ctx, api, ws, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Status != "Completed" || rd.Start.IsZero() || rd.End.Before(rd.Start) || rd.ErrorMessage != "" {
		t.Fatalf("run details: %+v", rd)
	}
	text, _, err := c.ReadLog(ctx, rd.LogFiles["user_logs/std_log.txt"])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "host: ") || lines[0] == "host: good" || lines[1] != "Python 3.10.14" || lines[2] != "no docker inside" {
		t.Fatalf("log (want the container's answers, not the host's):\n%s", text)
	}
	hist := srv.JobHistory(sub, "ml", "ws", spec.Name)
	if strings.Join(hist, ",") != "NotStarted,Queued,Preparing,Running,Finalizing,Completed" {
		t.Fatalf("statuses: %v", hist)
	}
	// A signed URL altered is refused.
	if _, _, err := c.ReadLog(ctx, strings.Replace(rd.LogFiles["user_logs/std_log.txt"], "sig=", "sig=x", 1)); err == nil || strings.Contains(err.Error(), "sig=") {
		t.Fatalf("a forged log URL: %v", err)
	}
}

// A host whose sudo wants a password fails the job with the service's own
// words; one without a Docker daemon says why; a command that fails says
// its status; an environment that does not exist is refused at submit.
func TestJobFailuresCarryTheServiceError(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(jobsWorld, sub)), "jobs")
	c := sandboxtest.Client(srv, azure.Options{})
	ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "ml", Name: "ws"}
	ctx := context.Background()
	api, err := c.RunHistoryEndpoint(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ compute, command, want string }{
		{"sudopw", "echo hi", "Unable to run docker with sudo. Check that sudo is configured to run docker without a password."},
		{"nodaemon", "echo hi", "Cannot connect to the Docker daemon"},
		{"good", "echo oops; exit 3", "exited with status code 3"},
	} {
		spec := jobSpec(ws, tc.compute, tc.command)
		if _, err := c.SubmitJob(ctx, ws, spec); err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, c, ws, spec.Name); j.Status != "Failed" {
			t.Fatalf("%s: status %s", tc.compute, j.Status)
		}
		rd, err := c.GetRunDetails(ctx, api, ws, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rd.ErrorMessage, tc.want) || rd.ErrorCode == "" {
			t.Fatalf("%s: error %s: %s", tc.compute, rd.ErrorCode, rd.ErrorMessage)
		}
	}
	spec := jobSpec(ws, "good", "echo hi")
	spec.EnvironmentID = "azureml://registries/azureml/environments/no-such-env/labels/latest"
	_, err = c.SubmitJob(ctx, ws, spec)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != 400 || !strings.Contains(ae.Message, "no-such-env") {
		t.Fatalf("unknown environment: %v", err)
	}
}

// Cancel through the SDK's poller: the job ends Canceled.
func TestCancelJob(t *testing.T) {
	world := strings.Replace(fmt.Sprintf(jobsWorld, sub), "faults: {jobStepSeconds: 0.05}", "faults: {jobStepSeconds: 0.05, jobStaysQueued: good}", 1)
	srv := sandboxtest.Start(t, []byte(world), "jobs")
	c := sandboxtest.Client(srv, azure.Options{})
	ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "ml", Name: "ws"}
	ctx := context.Background()
	spec := jobSpec(ws, "good", "echo hi")
	if _, err := c.SubmitJob(ctx, ws, spec); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if j, _ := c.GetJob(ctx, ws, spec.Name); j.Status != "Queued" {
		t.Fatalf("want it to stay Queued, got %s", j.Status)
	}
	if err := c.CancelJob(ctx, ws, spec.Name); err != nil {
		t.Fatal(err)
	}
	if j, _ := c.GetJob(ctx, ws, spec.Name); j.Status != "Canceled" {
		t.Fatalf("after cancel: %s", j.Status)
	}
	jobs, err := c.ListJobs(ctx, ws)
	if err != nil || len(jobs) != 1 || jobs[0].Name != spec.Name {
		t.Fatalf("list: %v %+v", err, jobs)
	}
}

// Kubernetes computes follow the Azure ML extension: training enabled runs
// the job in a pod; disabled fails it with E45004.
func TestKubernetesJobFollowsTheExtension(t *testing.T) {
	world := fmt.Sprintf(`subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml
        location: eastus
        workspaces:
          - name: ws
            computes:
              - {name: k8s-on, type: Kubernetes, resourceId: /subscriptions/%[1]s/resourceGroups/ml/providers/Microsoft.ContainerService/managedClusters/on}
              - {name: k8s-off, type: Kubernetes, resourceId: /subscriptions/%[1]s/resourceGroups/ml/providers/Microsoft.ContainerService/managedClusters/off}
        aksClusters:
          - name: "on"
            extensions: [{name: azureml, extensionType: microsoft.azureml.kubernetes}]
          - name: "off"
            extensions: [{name: azureml, extensionType: microsoft.azureml.kubernetes, enableTraining: false}]
faults: {jobStepSeconds: 0.05}
`, sub)
	srv := sandboxtest.Start(t, []byte(world), "k8s")
	c := sandboxtest.Client(srv, azure.Options{})
	ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "ml", Name: "ws"}
	ctx := context.Background()
	api, err := c.RunHistoryEndpoint(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ compute, status, want string }{{"k8s-on", "Completed", ""}, {"k8s-off", "Failed", "E45004"}} {
		spec := jobSpec(ws, tc.compute, "echo in-a-pod")
		if _, err := c.SubmitJob(ctx, ws, spec); err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, c, ws, spec.Name); j.Status != tc.status {
			t.Fatalf("%s: %s", tc.compute, j.Status)
		}
		rd, err := c.GetRunDetails(ctx, api, ws, spec.Name)
		if err != nil || !strings.Contains(rd.ErrorMessage, tc.want) || (tc.want == "") != (rd.ErrorMessage == "") {
			t.Fatalf("%s: %v %+v", tc.compute, err, rd)
		}
		if tc.want == "" {
			if text, _, err := c.ReadLog(ctx, rd.LogFiles["user_logs/std_log.txt"]); err != nil || text != "in-a-pod\n" {
				t.Fatalf("pod log %q %v", text, err)
			}
		}
	}
}
