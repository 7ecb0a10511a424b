package flows

import (
	"strings"
	"testing"

	"amlattach/azure"
)

// The service's messages map to a cause, a remedy and the fixes of §8.
func TestJobCauseMapsTheServiceMessages(t *testing.T) {
	vm := azure.Compute{Name: "dsvm", Type: "VirtualMachine", Username: "azureuser", Address: "20.1.2.3",
		ResourceID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/dsvm"}
	for _, tc := range []struct {
		status, msg   string
		cause, remedy string
		fixes         string
	}{
		{"Failed", "Unable to run docker with sudo. Check that sudo is configured to run docker without a password.", "asks azureuser for a password", "host.docker-setup", "host.docker-setup"},
		{"Failed", "Unable to run docker with sudo. Check that sudo is configured to run docker without a password. Details: Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", "daemon is not running", "host.docker-setup", "host.docker-setup"},
		{"Failed", "Unable to establish SSH connection to the compute at 20.1.2.3:22.", "public IP may have changed", "nsg.allow-aml-ssh", "ip.static,nsg.allow-aml-ssh"},
		{"Failed", "Failed to pull Docker image x on the compute: write /var/lib/docker/x: no space left on device", "disk is too full", "free space", ""},
		{"Failed", "Failed to pull Docker image x on the compute: dial tcp: i/o timeout", "outbound HTTPS", "outbound network", ""},
		{"Failed", "E45004: Training feature is not enabled on the Azure Machine Learning extension of cluster c.", "training jobs", "enableTraining=True", "k8s.extension"},
		{"Failed", "Execution failed. User process '/bin/sh' exited with status code 3.", "command itself failed", "--command", ""},
		{"NotResponding", "", "stopped reporting", "doctor dsvm", ""},
	} {
		cause, remedy, fixes := jobCause(tc.status, tc.msg, vm)
		if !strings.Contains(cause, tc.cause) || !strings.Contains(remedy, tc.remedy) || strings.Join(fixes, ",") != tc.fixes {
			t.Errorf("%s %q:\ncause %q\nremedy %q\nfixes %v", tc.status, tc.msg, cause, remedy, fixes)
		}
	}
}

// Bad input is refused before anything is read or sent.
func TestJobInputChecks(t *testing.T) {
	for _, in := range []JobInput{
		{Compute: "c", Command: "  "},
		{Compute: "c", Environment: "sklearn-1.5"},
		{Compute: "c", TimeLimit: 10},
		{},
	} {
		if err := in.check(); ExitCode(err) != 2 {
			t.Errorf("%+v: %v", in, err)
		}
	}
	in := JobInput{Compute: "c"}
	if err := in.check(); err != nil || in.Command != DefaultJobCommand || in.Environment != DefaultJobEnvironment || in.TimeLimit != DefaultJobTimeLimit {
		t.Fatalf("defaults: %v %+v", err, in)
	}
	for _, e := range []string{"azureml:myenv:3", "azureml:myenv@latest", "azureml://registries/azureml/environments/sklearn-1.5/versions/12",
		"/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/1"} {
		in := JobInput{Compute: "c", Environment: e}
		if err := in.check(); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
}
