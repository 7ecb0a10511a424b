package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/flows"
)

// Every attachable type against the built-in world, through the real SDK and
// the sandbox: a healthy resource passes and attaches, a broken one fails the
// probe that names its fix.

const demoRG = "/subscriptions/" + sub + "/resourceGroups/ml-rg/providers/"

const (
	demoToken   = "dapi-demo-0123456789abcdef"
	expiredTok  = "dapi-demo-expired-0000"
	demoHDIPass = "Demo-Passw0rd!"
)

// typeArgs are the arguments of one type's probe or attach in the demo world.
func typeArgs(t *testing.T, typ string, extra ...string) []string {
	t.Helper()
	a := []string{typ, "--world", "demo", "--timeout", "5s"}
	if typ == "hdinsight" {
		dir := t.TempDir()
		pw := filepath.Join(dir, "pw")
		must(t, os.WriteFile(pw, []byte(demoHDIPass+"\n"), 0o600))
		a = append(a, "--username", "sshuser", "--password-file", pw, "--known-hosts", filepath.Join(dir, "known_hosts"), "--accept-new-host-key")
	}
	return append(a, extra...)
}

type typeCase struct {
	typ     string
	args    []string
	env     map[string]string
	want    map[string]string // probe statuses
	failing string            // the probe that must fail, with a remedy
}

func typeCases() (healthy, broken []typeCase) {
	tok := map[string]string{"AMLATTACH_DATABRICKS_TOKEN": demoToken}
	healthy = []typeCase{
		{typ: "hdinsight", args: []string{"--resource-name", "spark-hdi"}, want: map[string]string{"arm.hdinsight.state": "pass", "arm.hdinsight.kind": "pass", "arm.hdinsight.ssh_endpoint": "pass", "net.tcp": "pass", "ssh.auth": "pass", "host.os": "pass"}},
		{typ: "batch", args: []string{"--resource-name", "batchdemo"}, want: map[string]string{"arm.batch.state": "pass", "batch.compute_type": "warn"}},
		{typ: "databricks", args: []string{"--resource-name", "dbx-ws"}, env: tok, want: map[string]string{"arm.databricks.state": "pass", "arm.databricks.subscription": "pass", "databricks.token": "pass"}},
		{typ: "adla", args: []string{"--resource-name", "adlademo"}, want: map[string]string{"arm.adla.state": "pass", "adla.retired": "warn"}},
		{typ: "aks", args: []string{"--resource-name", "aks-prod"}, want: map[string]string{"arm.aks.running": "pass", "aks.version": "pass", "aks.capacity": "pass", "aks.tls": "pass"}},
		{typ: "kubernetes", args: []string{"--resource-id", demoRG + "Microsoft.ContainerService/managedClusters/aks-ml"}, want: map[string]string{"arm.aks.running": "pass", "k8s.extension": "pass", "k8s.namespace": "pass"}},
		{typ: "kubernetes", args: []string{"--resource-id", demoRG + "Microsoft.Kubernetes/connectedClusters/arc-onprem", "--namespace", "azureml", "--identity-type", "SystemAssigned"}, want: map[string]string{"arm.k8s.connected": "pass", "k8s.extension": "pass"}},
		{typ: "synapse", args: []string{"--resource-name", "synapse-ws", "--pool-name", "sparkpool"}, want: map[string]string{"arm.synapse.pool": "pass"}},
	}
	broken = []typeCase{
		{typ: "hdinsight", args: []string{"--resource-name", "hdi-nossh"}, failing: "arm.hdinsight.ssh_endpoint"},
		{typ: "batch", args: []string{"--resource-name", "batchfailed"}, failing: "arm.batch.state"},
		{typ: "databricks", args: []string{"--resource-name", "dbx-ws"}, env: map[string]string{"AMLATTACH_DATABRICKS_TOKEN": expiredTok}, failing: "databricks.token"},
		{typ: "databricks", args: []string{"--resource-name", "dbx-offline"}, env: tok, failing: "databricks.token"},
		{typ: "adla", args: []string{"--resource-name", "adlasuspended"}, failing: "arm.adla.state"},
		{typ: "aks", args: []string{"--resource-name", "aks-small"}, failing: "aks.capacity"},
		{typ: "aks", args: []string{"--resource-name", "aks-old"}, failing: "aks.version"},
		{typ: "kubernetes", args: []string{"--resource-id", demoRG + "Microsoft.ContainerService/managedClusters/aks-noext"}, failing: "k8s.extension"},
		{typ: "kubernetes", args: []string{"--resource-id", demoRG + "Microsoft.Kubernetes/connectedClusters/arc-offline"}, failing: "arm.k8s.connected"},
		{typ: "synapse", args: []string{"--resource-name", "synapse-ws", "--pool-name", "brokenpool"}, failing: "arm.synapse.pool"},
	}
	return healthy, broken
}

func TestEveryTypeProbesTheDemoWorld(t *testing.T) {
	healthy, broken := typeCases()
	for _, c := range healthy {
		t.Run("healthy "+c.typ+" "+c.args[1], func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, c.env, append([]string{"probe", "-o", "json"}, typeArgs(t, c.typ, c.args...)...)...)
			rep := report(t, r)
			if r.code != 0 || !rep.OK {
				t.Fatalf("want exit 0 and ok\n%s", r)
			}
			wantStatuses(t, rep, c.want)
			wantStatuses(t, rep, map[string]string{"ws.name": "pass", "ws.duplicate": "pass", "arm.resource": "pass"})
			if rep.Target.Type != c.typ || !strings.Contains(rep.Target.ResourceID, c.args[1]) {
				t.Errorf("target %+v", rep.Target)
			}
		})
	}
	for _, c := range broken {
		t.Run("broken "+c.typ+" "+c.args[1], func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, c.env, append([]string{"probe", "-o", "json"}, typeArgs(t, c.typ, c.args...)...)...)
			rep := report(t, r)
			if r.code != 1 || rep.OK {
				t.Fatalf("want exit 1\n%s", r)
			}
			var found bool
			for _, p := range rep.Probes {
				if p.ID == c.failing {
					found = p.Status == "fail" && p.Remedy != "" && p.Detail != ""
				}
				if p.Status == "fail" && p.ID != c.failing {
					t.Errorf("%s failed too: %s", p.ID, p.Detail)
				}
			}
			if !found {
				t.Fatalf("want %s to fail with a remedy\n%s", c.failing, r)
			}
			for _, s := range []string{demoToken, expiredTok} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Fatal("a token reached the output")
				}
			}
		})
	}
}

func TestEveryHealthyTypeAttaches(t *testing.T) {
	healthy, _ := typeCases()
	for _, c := range healthy {
		t.Run(c.typ+" "+c.args[1], func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, c.env, append([]string{"attach", "-o", "json"}, typeArgs(t, c.typ, append(c.args, "--yes")...)...)...)
			rep := report(t, r)
			if r.code != 0 || rep.Compute == nil || rep.Compute.ProvisioningState != "Succeeded" {
				t.Fatalf("want exit 0 and a Succeeded compute\n%s", r)
			}
			if strings.Contains(r.stdout+r.stderr, demoToken) || strings.Contains(r.stdout+r.stderr, demoHDIPass) {
				t.Fatal("a secret reached the output")
			}
		})
	}
}

// A forced attach of a broken resource ends Failed in Azure: exit 3 with
// Azure's provisioning error word for word.
func TestForcedAttachOfBrokenClusterShowsAzuresAnswer(t *testing.T) {
	r := runCLI(t, nil, append([]string{"attach", "-o", "json"}, typeArgs(t, "aks", "--resource-name", "aks-small", "--yes", "--force")...)...)
	rep := report(t, r)
	if r.code != 3 || rep.Compute == nil || rep.Compute.ProvisioningState != "Failed" || len(rep.Compute.ProvisioningErrors) == 0 {
		t.Fatalf("want exit 3 and a Failed compute with errors\n%s", r)
	}
	msg := rep.Compute.ProvisioningErrors[0].Message
	if !strings.Contains(r.stderr, msg) {
		t.Fatalf("the error does not quote Azure's message %q\n%s", msg, r)
	}
}

func TestWrongKindOfIDIsRefusedForEveryType(t *testing.T) {
	vmID := demoRG + "Microsoft.Compute/virtualMachines/dsvm-ubuntu"
	want := map[string]string{
		"hdinsight": flows.HDInsightKind, "batch": flows.BatchKind, "databricks": flows.DatabricksKind, "adla": flows.ADLAKind,
		"aks": flows.AKSKind, "kubernetes": flows.ConnectedKind, "synapse": flows.SynapseKind,
	}
	for typ, kind := range want {
		r := runCLI(t, map[string]string{"AMLATTACH_DATABRICKS_TOKEN": demoToken}, append([]string{"probe"}, typeArgs(t, typ, "--resource-id", vmID)...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "--resource-id") || !strings.Contains(r.stderr, kind) || r.stdout != "" {
			t.Errorf("%s: want exit 2 naming --resource-id and %s\n%s", typ, kind, r)
		}
	}
}

func TestBrowseEveryType(t *testing.T) {
	want := map[string][]string{
		"hdinsight": {"spark-hdi", "hdi-nossh"}, "batch": {"batchdemo"}, "databricks": {"dbx-ws", "dbx-offline"},
		"adla": {"adlademo"}, "aks": {"aks-prod", "aks-small"}, "kubernetes": {"aks-ml", "arc-onprem"}, "synapse": {"synapse-ws/sparkpool"},
	}
	for typ, names := range want {
		r := runCLI(t, nil, "browse", typ, "--world", "demo")
		if r.code != 0 {
			t.Fatalf("browse %s\n%s", typ, r)
		}
		for _, n := range names {
			if !strings.Contains(r.stdout, n) {
				t.Errorf("browse %s does not list %s\n%s", typ, n, r.stdout)
			}
		}
	}
}
