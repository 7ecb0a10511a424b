package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"amlattach/azure"
	"amlattach/probes"
)

// FixDockerSetup sets Docker up on a VM through a managed Run Command
// (DESIGN §8): installs it when missing, starts its daemon and lets the
// SSH user run docker through sudo without a password, as Azure ML does.
const FixDockerSetup = "host.docker-setup"

// dockerRunCommand is the name of the Run Command the fix creates (and
// deletes once it has read the result).
const dockerRunCommand = "amlattach-docker-setup"

// dockerScriptTimeout bounds the script on the VM (apt-get may download a
// hundred MB).
const dockerScriptTimeout = 10 * time.Minute

// sudoUserRE is the POSIX portable user name (with the trailing $ of
// machine accounts): the only names that go into the root script.
var sudoUserRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]*\$?$`)

// checkScriptUser refuses a user name that could be anything but a user
// name in a shell script run as root and in a sudoers line.
func checkScriptUser(user string) error {
	if len(user) > 32 || !sudoUserRE.MatchString(user) {
		return inputErr("--username", "host.docker-setup writes the user name into a script run as root and into a sudoers line, so it takes only portable user names: a lower-case letter or _, then lower-case letters, digits, _ or - (at most 32 characters); set Docker up by hand (sudo systemctl enable --now docker; a sudoers entry made with visudo)",
			"the user name %q is not a portable user name (a-z, 0-9, _ and -, starting with a letter or _)", user)
	}
	return nil
}

func init() {
	registerFixFor(probes.IDHostDocker, []string{FixDockerSetup}, isVM, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		user := sshUser(p)
		// A probe that could not run its commands found nothing to fix.
		if user == "" || strings.HasPrefix(r.Detail, "could not run") {
			return nil
		}
		return dockerSetupFix(p.ID, user)
	})
}

// sshUser is the user Azure ML will log in as (and run docker through sudo
// as): the administratorAccount.username of the attach request.
func sshUser(p *Plan) string {
	for _, f := range p.Fields {
		if f[0] == "administratorAccount.username" {
			return f[1]
		}
	}
	return ""
}

// sudoersFile is the drop-in file the fix writes for user.
func sudoersFile(user string) string { return "/etc/sudoers.d/amlattach-docker-" + user }

// dockerSetupScript is the script the fix runs as root on the VM (POSIX
// sh; user has passed checkScriptUser). Each change it makes is one line
// "changed: RESOURCE: BEFORE -> AFTER" on its output; it checks the result
// as Azure ML will use it (sudo -n docker as the user) before it ends.
// runID tells one run from another: Azure may not run again a Run Command
// whose body has not changed, so each one carries a new ID.
func dockerSetupScript(user, runID string) string {
	return fmt.Sprintf(`#!/bin/sh
# amlattach %[1]s: Docker for %[2]s, whom Azure ML runs docker as through sudo -n.
# run %[4]s (a new ID for each fix, so that Azure runs the script again)
set -eu
user='%[2]s'
sudoers='%[3]s'
if ! id -u "$user" >/dev/null 2>&1; then
  echo "amlattach: there is no user $user on this VM; nothing was changed" >&2
  exit 1
fi
if ! command -v docker >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "amlattach: Docker is missing and there is no apt-get here (Azure ML runs on Ubuntu); nothing was changed" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io
  echo "changed: package docker.io: not installed -> installed (apt-get)"
fi
if ! systemctl is-active --quiet docker; then
  systemctl enable --now docker
  echo "changed: service docker: not running -> running, enabled at boot"
fi
docker=$(command -v docker)
if ! sudo -u "$user" sudo -n "$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  tmp=$(mktemp)
  printf '%%s ALL=(root) NOPASSWD: %%s\n' "$user" "$docker" >"$tmp"
  if ! visudo -c -q -f "$tmp"; then
    rm -f "$tmp"
    echo "amlattach: visudo refused the sudoers line; nothing was put in /etc/sudoers.d" >&2
    exit 1
  fi
  if cmp -s "$tmp" "$sudoers"; then
    rm -f "$tmp"
  else
    install -m 0440 -o root -g root "$tmp" "$sudoers"
    rm -f "$tmp"
    echo "changed: file $sudoers: absent or different -> $user ALL=(root) NOPASSWD: $docker (mode 0440)"
  fi
fi
version=$(sudo -u "$user" sudo -n "$docker" version --format '{{.Server.Version}}')
echo "ok: $user runs $docker through sudo -n; the daemon answers (Docker $version)"
`, FixDockerSetup, user, sudoersFile(user), runID)
}

// newRunID is a random ID of 12 hex digits.
func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dockerSetupFix runs dockerSetupScript through a managed Run Command.
func dockerSetupFix(id azure.ResourceID, user string) *Fix {
	script := dockerSetupScript(user, newRunID())
	f := &Fix{
		ID:      FixDockerSetup,
		Summary: fmt.Sprintf("set Docker up on VM %s for %s: install it if missing, start its daemon, let %s run docker through sudo without a password", id.Name, user, user),
		Changes: []string{
			fmt.Sprintf("VM %s: the docker.io package, installed with apt-get when docker is missing", id.Name),
			fmt.Sprintf("VM %s: the docker service, started and enabled at boot when it is not running", id.Name),
			fmt.Sprintf("VM %s: %s (mode 0440, checked with visudo first) with the line %q, unless %s can already run sudo -n docker", id.Name, sudoersFile(user), user+" ALL=(root) NOPASSWD: <path of docker>", user),
			fmt.Sprintf("request: PUT %s/runCommands/%s (a managed Run Command: the script below, run as root by the VM agent; long-running, followed to its end), then GET it with $expand=instanceView for the exit code and output, then DELETE it", id.String(), dockerRunCommand),
		},
		Permission: azure.ActionRunCommandWrite, Scope: id.String(),
		Risk:   fmt.Sprintf("the script runs as root on the VM; it may install packages (docker.io and what it needs) from the VM's apt sources; %s can then run docker as root without a password, which is root access to the VM", user),
		Undo:   fmt.Sprintf("sudo rm %s; and, if the fix's output says it installed docker.io, sudo apt-get remove -y docker.io", sudoersFile(user)),
		Script: script,
	}
	if err := checkScriptUser(user); err != nil {
		// Nothing of the name goes into a script, nor into a command shown
		// to copy: the fix is shown, refused.
		f.Summary = fmt.Sprintf("set Docker up on VM %s (not for the user name %q)", id.Name, user)
		f.Risk, f.Undo = "none: nothing is sent", "nothing to undo"
		f.Script = ""
		f.Changes = f.Changes[:0]
		f.invalid = err
		f.Needs = err.Error()
		return f
	}
	f.apply = func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
		// Read before write: the VM must run (the agent runs the script),
		// and the Run Command goes where the VM is.
		c, cancel := d.withTimeout(ctx)
		vm, err := d.Azure.GetVM(c, id)
		cancel()
		if err != nil {
			return FixFailed, nil, err
		}
		if vm.PowerState != "" && vm.PowerState != "running" {
			return FixFailed, nil, fmt.Errorf("VM %s is %s: its agent runs the script only while it runs; start it first (fix vm.start)", id.Name, vm.PowerState)
		}
		oc, ocancel := d.OperationContext(ctx)
		defer ocancel()
		res, err := d.Azure.RunScript(oc, id, vm.Location, dockerRunCommand, script, dockerScriptTimeout, FixDockerSetup, func(pr azure.Progress) {
			if emit != nil {
				emit(Event{Kind: FixProgress, Fix: FixDockerSetup, Phase: pr.Phase, State: pr.State, At: d.now()})
			}
		})
		changed := scriptChanges(res.Output)
		if res.Leftover != "" {
			changed = append(changed, Change{Resource: fmt.Sprintf("Run Command %s on VM %s", dockerRunCommand, id.Name), Before: "absent", After: "left on the VM: " + res.Leftover})
		}
		if err != nil {
			return FixFailed, changed, err
		}
		if res.ExecutionState != "Succeeded" || res.ExitCode != 0 {
			return FixFailed, changed, fmt.Errorf("the script ended %s with exit status %d on VM %s; its output ends:\n%s", res.ExecutionState, res.ExitCode, id.Name, outputTail(res.Output, res.Error, 12))
		}
		if len(changed) == 0 {
			return FixUnchanged, nil, nil
		}
		return FixApplied, changed, nil
	}
	return f
}

// scriptChanges are the changes the script reported, one "changed:" line
// each.
func scriptChanges(output string) []Change {
	var out []Change
	for _, l := range strings.Split(output, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "changed: ")
		if !ok {
			continue
		}
		res, ba, ok1 := strings.Cut(rest, ": ")
		before, after, ok2 := strings.Cut(ba, " -> ")
		if ok1 && ok2 {
			out = append(out, Change{Resource: res, Before: before, After: after})
		}
	}
	return out
}

// outputTail is the last n lines of a script's output and error, for a
// failure message.
func outputTail(output, errOut string, n int) string {
	all := strings.TrimRight(output, "\n")
	if e := strings.TrimRight(errOut, "\n"); e != "" {
		if all != "" {
			all += "\n"
		}
		all += e
	}
	if all == "" {
		return "  (nothing)"
	}
	lines := strings.Split(all, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}
