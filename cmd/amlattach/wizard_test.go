package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWithInput runs amlattach in-process with stdin holding input, and an
// isolated config folder (the sandbox's known_hosts lives there).
func runWithInput(t *testing.T, input string, args ...string) result {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	var out, errb bytes.Buffer
	s := &streams{In: strings.NewReader(input), Out: &out, Err: &errb}
	env := map[string]string{"HOME": home}
	code := run(context.Background(), args, s, func(k string) string { return env[k] })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestBareCommandWithoutTerminalPrintsHelpAndExits2(t *testing.T) {
	r := runCLI(t, nil)
	if r.code != 2 || !strings.Contains(r.stderr, "Usage:") || !strings.Contains(r.stderr, "--plain") || !strings.Contains(r.stderr, "needs a terminal") {
		t.Fatalf("want the help and exit 2\n%s", r)
	}
	if r.stdout != "" {
		t.Fatalf("stdout not empty:\n%s", r)
	}
	if r := runCLI(t, nil, "no-such-command"); r.code != 2 {
		t.Fatalf("unknown command: want exit 2\n%s", r)
	}
}

func TestDemoListNamesEveryScenario(t *testing.T) {
	r := runCLI(t, nil, "demo", "--list")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	for _, name := range []string{"clean-attach", "not-ubuntu", "no-daemon", "closed-nsg", "no-public-ip", "already-attached"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("--list lacks %s:\n%s", name, r.stdout)
		}
	}
	r = runCLI(t, nil, "demo", "--scenario", "nope", "--plain")
	if r.code != 2 || !strings.Contains(r.stderr, "clean-attach") {
		t.Fatalf("an unknown scenario should name the real ones and exit 2\n%s", r)
	}
	r = runCLI(t, nil, "demo", "--world", "testdata/typo-world.yaml", "--scenario", "clean-attach", "--plain")
	if r.code != 2 {
		t.Fatalf("a scenario with another world should be refused\n%s", r)
	}
}

// The demo world's scenarios fail where they should, told in plain lines.
func TestDemoScenariosPlain(t *testing.T) {
	cases := map[string][]string{
		"clean-attach":            {"PASS  GPU", "15 probes: 15 pass."},
		"not-ubuntu":              {"FAIL  VM image is Ubuntu", "FAIL  Host OS is Ubuntu"},
		"no-daemon":               {"FAIL  Docker", "sudo systemctl enable --now docker"},
		"closed-nsg":              {"FAIL  NSG allows Azure ML on SSH", "AzureMachineLearning", "PASS  SSH port reachable"},
		"no-public-ip":            {"FAIL  Public IP address", "SKIP  SSH login"},
		"already-attached":        {"FAIL  Not attached already", "old-dsvm"},
		"databricks-offline":      {"FAIL  Access token works", "the token was NOT checked", "6 pass, 1 fail"},
		"aks-small":               {"FAIL  Capacity for the purpose", "found 1 node with 2 vCPUs"},
		"kubernetes-no-extension": {"FAIL  Azure ML extension", "az k8s-extension create"},
		"synapse-failed-pool":     {"FAIL  Spark pool is ready", "provisioning state Failed"},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			r := runWithInput(t, "y\nq\nq\n", "demo", "--plain", "--scenario", name)
			for _, w := range want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("lacks %q\n%s", w, r)
				}
			}
			if !strings.Contains(r.stderr, "SANDBOX — simulated Azure, nothing leaves this machine") {
				t.Errorf("does not say it is a sandbox\n%s", r)
			}
			if strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") || strings.Contains(r.stdout+r.stderr, "dapi-demo-") {
				t.Fatal("a secret reached the output")
			}
		})
	}
}

// The other types' scenarios attach from --plain, secrets masked.
func TestDemoScenariosOtherTypesAttach(t *testing.T) {
	cases := map[string][]string{
		"hdinsight":  {"New host key for spark-hdi-ssh.azurehdinsight.net:22", "11 probes: 11 pass.", "administratorAccount.password: ********", `Attached: compute "spark-hdi"`},
		"databricks": {"7 probes: 7 pass.", "databricksAccessToken: ********", `Attached: compute "dbx-ws"`},
		"aks":        {"8 probes: 8 pass.", `Attached: compute "aks-prod"`},
		"synapse":    {"5 probes: 5 pass.", `Attached: compute "sparkpool"`},
		"adla":       {"WARN  Service retirement", `Attached: compute "adlademo"`},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			r := runWithInput(t, "y\ny\n", "demo", "--plain", "--scenario", name)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			for _, w := range want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("lacks %q\n%s", w, r)
				}
			}
			if strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") || strings.Contains(r.stdout+r.stderr, "dapi-demo-") {
				t.Fatal("a secret reached the output")
			}
		})
	}
}

// A plain walk from the first question to a clean attach.
func TestPlainWizardAttaches(t *testing.T) {
	// workspace yes, type 1 (vm), VM 6 (gpu-dsvm), name, port, user, login
	// 1 (password), the password, accept the host key, attach.
	in := "y\n1\n6\n\n\n\n1\nDemo-Passw0rd!\ny\ny\n"
	r := runWithInput(t, in, "demo", "--plain")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	for _, w := range []string{"Virtual machine (Data Science VM) (vm): ", "New host key for 20.1.2.5:22: ED25519 SHA256:", "15 probes: 15 pass.",
		"administratorAccount.password: ********", "each new attachment breaks the earlier ones", "attach submitted: Creating",
		`Attached: compute "gpu-dsvm" is Succeeded`, `compute="gpu-dsvm"`} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("lacks %q\n%s", w, r)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "Demo-Passw0rd!") {
		t.Fatal("the password reached the output")
	}
	kh, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "amlattach", "sandbox_known_hosts"))
	if err != nil || !strings.Contains(string(kh), "20.1.2.5") {
		t.Fatalf("the accepted key was not saved to the sandbox's own known_hosts: %v %q", err, kh)
	}
}

// A failing preflight, the field edited, the probes run again.
func TestPlainWizardEditsTheFieldAtFault(t *testing.T) {
	// accept the host key; the login fails: e edits the password; the rerun
	// passes; decline the attach.
	in := "y\ne\nDemo-Passw0rd!\nn\n"
	r := runWithInput(t, in, "demo", "--plain", "--scenario", "wrong-password")
	if !strings.Contains(r.stderr, "FAIL  SSH login") || !strings.Contains(r.stderr, "e edits the password") ||
		!strings.Contains(r.stderr, "15 probes: 14 pass, 1 skip.") || !strings.Contains(r.stderr, "Nothing was sent to Azure.") {
		t.Fatalf("no fail, edit and pass\n%s", r)
	}
	if r.code != 130 {
		t.Fatalf("declining the attach: exit %d, want 130\n%s", r.code, r)
	}
}

// Without a workspace the wizard starts by choosing one.
func TestPlainWizardChoosesAWorkspace(t *testing.T) {
	r := runWithInput(t, "n\n1\n1\nq\n", "demo", "--plain")
	if !strings.Contains(r.stderr, "Subscriptions:") || !strings.Contains(r.stderr, "1. Contoso ML") || !strings.Contains(r.stderr, "1. contoso-ws") {
		t.Fatalf("no browsing\n%s", r)
	}
	if r.code != 130 || !strings.Contains(r.stderr, "left the wizard before attaching: nothing was sent to Azure") {
		t.Fatalf("q did not leave\n%s", r)
	}
}

// --plain on the built-in world: troubleshoot, doctor of dbx-legacy (its
// stored token expired), detach refused, leave: exit 0, nothing changed.
func TestWizardPlainTroubleshootDemo(t *testing.T) {
	r := runWithInput(t, strings.Join([]string{"", "11", "3", "d", "n", "q"}, "\n")+"\n", "--world", "demo", "--plain")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	for _, want := range []string{"Troubleshoot an attachment", "CONFLICT: team-a and team-b attach the same resource",
		"error InternalServerError: Connection failed to establish within", `Doctor of "dbx-legacy"`, "FAIL  Access token works",
		"remedy: the stored access token no longer works", "Nothing was detached."} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "dapi-demo-expired-0000") || strings.Contains(r.stdout, "dapi-demo-expired-0000") {
		t.Fatal("the stored token was printed")
	}
}
