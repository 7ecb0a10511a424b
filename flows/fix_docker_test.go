package flows

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"mvdan.cc/sh/v3/syntax"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// A VM without Docker whose sudo asks for a password; another in a group
// where Run Commands are not granted.
const dockerWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: open
        location: eastus
        virtualMachines:
          - name: bare
            publicIP: 20.9.0.1
            ssh: {sim: {os: ubuntu 20.04, sudoNeedsPassword: true, users: {ml_user: {password: pw}}}}
      - name: locked
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Compute/virtualMachines/runCommands/*"]}
        virtualMachines:
          - name: vm2
            publicIP: 20.9.0.2
            ssh: {sim: {os: ubuntu 20.04, users: {azureuser: {password: pw}}}}
`

// The fix applied twice on one VM: the first run installs Docker, starts
// it and writes the sudoers file, each recorded before -> after; the
// second finds everything in place and says unchanged.
func TestDockerSetupAppliedTwiceIsUnchanged(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(dockerWorld), "docker.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/open/providers/Microsoft.Compute/virtualMachines/bare")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := dockerSetupFix(id, "ml_user")
	var states []string
	st, ch, err := f.apply(ctx, d, func(e Event) { states = append(states, e.State) })
	if err != nil || st != FixApplied {
		t.Fatalf("first apply: %s %v", st, err)
	}
	want := []Change{
		{Resource: "package docker.io", Before: "not installed", After: "installed (apt-get)"},
		{Resource: "file /etc/sudoers.d/amlattach-docker-ml_user", Before: "absent or different", After: "ml_user ALL=(root) NOPASSWD: /usr/bin/docker (mode 0440)"},
	}
	if len(ch) != len(want) || ch[0] != want[0] || ch[1] != want[1] {
		t.Fatalf("changes: %+v, want %+v", ch, want)
	}
	if len(states) == 0 || states[0] != "Running the script" {
		t.Fatalf("progress: %v", states)
	}
	st, ch, err = f.apply(ctx, d, nil)
	if err != nil || st != FixUnchanged || len(ch) != 0 {
		t.Fatalf("second apply: want unchanged, got %s %+v %v", st, ch, err)
	}
}

// Where the caller may not write Run Commands, Azure's refusal comes back:
// ApplyFix reports it refused, naming the permission.
func TestDockerSetupRefusedNamesThePermission(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(dockerWorld), "docker.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/locked/providers/Microsoft.Compute/virtualMachines/vm2")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := dockerSetupFix(id, "azureuser")
	f.Probe = "host.docker"
	if needs := missingPermission(ctx, d, f.Scope, f.Permission); !strings.Contains(needs, azure.ActionRunCommandWrite) {
		t.Fatalf("the permissions deny Run Commands, yet needs is %q", needs)
	}
	oc := ApplyFix(ctx, d, *f, nil)
	if oc.Status != FixRefused || !strings.Contains(oc.Error, "AuthorizationFailed") || !strings.Contains(oc.Error, "you need "+azure.ActionRunCommandWrite) {
		t.Fatalf("want refused naming the permission, got %+v", oc)
	}
}

// Only portable user names go into the script.
func TestCheckScriptUser(t *testing.T) {
	for user, ok := range map[string]bool{
		"azureuser": true, "ml_user": true, "_svc": true, "user-1": true, "host$": true, strings.Repeat("a", 32): true,
		"": false, "Azure": false, "1user": false, "-rf": false, "a b": false, "a;reboot": false, "$(id)": false, "a'b": false,
		"a$b": false, "a.b": false, "é": false, strings.Repeat("a", 33): false, "a\nb": false,
	} {
		err := checkScriptUser(user)
		if (err == nil) != ok {
			t.Errorf("%q: accepted %v, want %v", user, err == nil, ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "--username: ") {
			t.Errorf("%q: the error does not name --username: %v", user, err)
		}
		if f := dockerSetupFix(azure.ResourceID{Name: "vm"}, user); !ok && (f.Script != "" || f.apply != nil || f.Offered() || ExitCode(f.invalid) != 2 ||
			user != "" && (strings.Contains(f.Undo, user) || strings.Contains(f.Risk, user))) {
			t.Errorf("%q: a fix with a script, an apply or the name in a command was built: %+v", user, f)
		}
	}
}

// The script is POSIX sh (Ubuntu runs it with dash): it parses as POSIX,
// and the system's sh finds no syntax error in it.
func TestDockerSetupScriptIsPOSIX(t *testing.T) {
	script := dockerSetupScript("azureuser", newRunID())
	if _, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(script), "script.sh"); err != nil {
		t.Fatalf("not POSIX sh: %v", err)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh here")
	}
	if out, err := exec.Command(sh, "-n", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
	if !strings.Contains(script, "user='azureuser'") || !strings.Contains(script, "sudoers='/etc/sudoers.d/amlattach-docker-azureuser'") {
		t.Fatalf("the user is not in the script as expected:\n%s", script)
	}
}
