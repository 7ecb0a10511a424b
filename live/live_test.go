// Package live is the maintainers' suite against real Azure: it runs the
// built amlattach (browse, probe, list, doctor; with writes allowed also
// attach with a test job, then detach) on a subscription, workspace and
// VM named in the environment, and checks the shapes amlattach relies on
// in what Azure answers. It never runs in CI: every test skips unless
// AMLATTACH_LIVE=1.
//
//	AMLATTACH_LIVE=1
//	AMLATTACH_LIVE_SUBSCRIPTION=<id>  AMLATTACH_LIVE_RESOURCE_GROUP=<workspace's group>
//	AMLATTACH_LIVE_WORKSPACE=<name>   AMLATTACH_LIVE_VM=<VM name in that group, or its resource ID>
//	AMLATTACH_LIVE_VM_USER=<ssh user> AMLATTACH_LIVE_VM_PASSWORD_FILE=<file> | AMLATTACH_LIVE_VM_KEY=<private key file>
//	AMLATTACH_LIVE_COMPUTE=<an attached compute for doctor> (optional: else the first one listed)
//	AMLATTACH_LIVE_WRITE=1            (attach, test job, detach)
//	go test -count=1 -v ./live
//
// Sign-in is amlattach's default (az login, environment, managed identity).
package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"amlattach/azure"
	"amlattach/flows"
)

const skipMsg = "live suite against real Azure: skipped unless AMLATTACH_LIVE=1 (never in CI); see the README's \"Live suite\" for the variables and what it costs"

// env is the suite's configuration.
type env struct {
	sub, group, ws, vm, user, passwordFile, key, compute string
	write                                                bool
}

func config(t *testing.T) env {
	t.Helper()
	if os.Getenv("AMLATTACH_LIVE") != "1" {
		t.Skip(skipMsg)
	}
	e := env{sub: os.Getenv("AMLATTACH_LIVE_SUBSCRIPTION"), group: os.Getenv("AMLATTACH_LIVE_RESOURCE_GROUP"), ws: os.Getenv("AMLATTACH_LIVE_WORKSPACE"),
		vm: os.Getenv("AMLATTACH_LIVE_VM"), user: os.Getenv("AMLATTACH_LIVE_VM_USER"), passwordFile: os.Getenv("AMLATTACH_LIVE_VM_PASSWORD_FILE"),
		key: os.Getenv("AMLATTACH_LIVE_VM_KEY"), compute: os.Getenv("AMLATTACH_LIVE_COMPUTE"), write: os.Getenv("AMLATTACH_LIVE_WRITE") == "1"}
	for name, v := range map[string]string{"AMLATTACH_LIVE_SUBSCRIPTION": e.sub, "AMLATTACH_LIVE_RESOURCE_GROUP": e.group, "AMLATTACH_LIVE_WORKSPACE": e.ws} {
		if v == "" {
			t.Fatalf("AMLATTACH_LIVE=1 needs %s", name)
		}
	}
	return e
}

// bin is the amlattach built once for the suite.
var bin string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Getenv("AMLATTACH_LIVE") == "1" {
			dir, err := os.MkdirTemp("", "amlattach-live")
			if err != nil {
				panic(err)
			}
			defer os.RemoveAll(dir)
			bin = filepath.Join(dir, "amlattach")
			if out, err := exec.Command("go", "build", "-o", bin, "amlattach/cmd/amlattach").CombinedOutput(); err != nil {
				os.Stderr.Write(out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// run runs amlattach on the workspace with args and -o json; it returns
// stdout and the exit code.
func (e env) run(t *testing.T, args ...string) ([]byte, int) {
	t.Helper()
	args = append(args, "--subscription", e.sub, "-g", e.group, "-w", e.ws, "-o", "json")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("amlattach %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("amlattach %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	return out, code
}

func decode(t *testing.T, out []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("not the JSON amlattach writes: %v\n%s", err, out)
	}
}

// vmArgs name the VM and its login.
func (e env) vmArgs(t *testing.T) []string {
	t.Helper()
	if e.vm == "" || e.user == "" || (e.passwordFile == "" && e.key == "") {
		t.Skip("set AMLATTACH_LIVE_VM, AMLATTACH_LIVE_VM_USER and AMLATTACH_LIVE_VM_PASSWORD_FILE or AMLATTACH_LIVE_VM_KEY for the VM tests")
	}
	a := []string{"--username", e.user}
	if strings.HasPrefix(e.vm, "/subscriptions/") {
		a = append(a, "--resource-id", e.vm)
	} else {
		a = append(a, "--resource-name", e.vm, "--resource-group-name", e.group)
	}
	if e.key != "" {
		return append(a, "--ssh-key", e.key)
	}
	return append(a, "--password-file", e.passwordFile)
}

// The facade reads what the commands build on: the workspace with its
// location and discovery URL, the run history's host behind it, the
// computes with their types and states.
func TestLiveWorkspaceShapes(t *testing.T) {
	e := config(t)
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := azure.New(cred, azure.Options{UserAgent: "amlattach-live"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws, err := c.GetWorkspace(ctx, azure.Workspace{SubscriptionID: e.sub, ResourceGroup: e.group, Name: e.ws})
	if err != nil || ws.Location == "" {
		t.Fatalf("workspace: %+v %v", ws, err)
	}
	api, err := c.RunHistoryEndpoint(ctx, ws)
	if err != nil || !strings.HasPrefix(api, "https://") {
		t.Fatalf("the discovery URL's api host: %q %v", api, err)
	}
	cs, err := c.ListComputes(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		if x.Name == "" || x.Type == "" || x.ProvisioningState == "" {
			t.Errorf("a compute without name, type or state: %+v", x)
		}
	}
}

// browse vm lists the VM with the fields of DESIGN §3.
func TestLiveBrowse(t *testing.T) {
	e := config(t)
	out, code := e.run(t, "browse", "vm")
	var items []map[string]any
	decode(t, out, &items)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	found := e.vm == ""
	for _, it := range items {
		for _, k := range []string{"id", "name", "resourceGroup", "location", "attachedAs"} {
			if _, ok := it[k]; !ok {
				t.Fatalf("%q missing in %v", k, it)
			}
		}
		if id, _ := it["id"].(string); strings.EqualFold(id, e.vm) || strings.EqualFold(it["name"].(string), e.vm) {
			found = true
		}
	}
	if !found {
		t.Fatalf("browse vm does not list %s", e.vm)
	}
}

// probe vm runs every VM probe against the real VM: ARM's shapes parse
// (the resource, power state, image, IP, NSG probes say pass, warn or fail,
// never a parse error), and every result has a known ID and status.
func TestLiveProbe(t *testing.T) {
	e := config(t)
	out, code := e.run(t, append([]string{"probe", "vm", "--name", "amlattachlive", "--accept-new-host-key"}, e.vmArgs(t)...)...)
	var rep flows.Report
	decode(t, out, &rep)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d", code)
	}
	ids := map[string]bool{}
	for _, p := range rep.Probes {
		ids[p.ID] = true
		if !slices.Contains([]string{"pass", "warn", "fail", "skip"}, p.Status) || p.Detail == "" {
			t.Errorf("probe %s: status %q, detail %q", p.ID, p.Status, p.Detail)
		}
		if strings.HasPrefix(p.ID, "arm.") && p.Status == "fail" && strings.Contains(strings.ToLower(p.Detail), "unmarshal") {
			t.Errorf("ARM's answer did not parse for %s: %s", p.ID, p.Detail)
		}
	}
	for _, id := range []string{"arm.resource", "arm.vm.running", "arm.vm.public_ip", "arm.nsg.ssh", "ssh.auth", "host.docker"} {
		if !ids[id] {
			t.Errorf("no %s in %v", id, ids)
		}
	}
}

// list gives the compute objects of DESIGN §3; doctor examines one.
func TestLiveListAndDoctor(t *testing.T) {
	e := config(t)
	out, code := e.run(t, "list")
	var items []map[string]any
	decode(t, out, &items)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	name := e.compute
	for _, it := range items {
		for _, k := range []string{"name", "id", "provisioningState", "provisioningErrors", "type", "resourceId"} {
			if _, ok := it[k]; !ok {
				t.Fatalf("%q missing in %v", k, it)
			}
		}
		if name == "" {
			name, _ = it["name"].(string)
		}
	}
	if name == "" {
		t.Skip("the workspace has no compute for doctor")
	}
	out, code = e.run(t, "doctor", name)
	var g flows.DoctorJSON
	decode(t, out, &g)
	if code != 0 && code != 1 && code != 3 {
		t.Fatalf("doctor exit %d", code)
	}
	if g.Compute.Name != name || g.Compute.Type == "" || g.SecretsFrom == "" && g.KeysProblem == "" {
		t.Fatalf("doctor: %+v", g)
	}
}

// With AMLATTACH_LIVE_WRITE=1: attach the VM under a new name with a test
// job, check the job completed with output, and detach it (also when the
// test fails half way).
func TestLiveAttachTestJobDetach(t *testing.T) {
	e := config(t)
	if !e.write {
		t.Skip("writes to Azure only with AMLATTACH_LIVE_WRITE=1 (attach, a test job, detach)")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := "aal-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if _, code := e.run(t, "detach", name, "--yes"); code != 0 {
			t.Errorf("detach %s: exit %d: detach it by hand", name, code)
		}
	})
	out, code := e.run(t, append([]string{"attach", "vm", "--name", name, "--accept-new-host-key", "--yes", "--test-job"}, e.vmArgs(t)...)...)
	var doc struct {
		flows.Report
		TestJob *flows.JobReport `json:"testJob"`
	}
	decode(t, out, &doc)
	if code != 0 || doc.Compute == nil || doc.Compute.ProvisioningState != "Succeeded" || doc.TestJob == nil {
		t.Fatalf("attach: exit %d, %s", code, out)
	}
	j := doc.TestJob
	if j.Job.Status != "Completed" || !strings.Contains(j.Output, "host:") || !strings.HasPrefix(j.Job.StudioURL, "https://") || j.Job.StartedAt == nil || j.Job.EndedAt == nil {
		t.Fatalf("test job: %+v", j)
	}
}
