package probes

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

const dockerVersionCmd = "docker version --format '{{.Server.Version}}'"

// HostDocker tells apart: no docker; docker without a running daemon; a
// daemon usable only through sudo -n; a daemon the user can use. Azure ML runs
// docker through sudo on attached VMs, so passwordless sudo matters too.
func HostDocker(ctx context.Context, r Runner, user string) Result {
	// The three commands only read, so they run at once (a channel each on
	// the shared connection): one command's round trips instead of three.
	// The versions' answers are ignored when docker is not installed.
	type answer struct {
		res CmdResult
		err error
	}
	start := func(cmd string) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			res, err := r.Run(ctx, cmd)
			ch <- answer{res, err}
		}()
		return ch
	}
	whichC, directC, sudoC := start("command -v docker"), start(dockerVersionCmd), start("sudo -n "+dockerVersionCmd)
	w, d, s := <-whichC, <-directC, <-sudoC
	which, direct, sudo := w.res, d.res, s.res
	if w.err != nil {
		return runFail("command -v docker", w.err)
	}
	if which.Code != 0 || strings.TrimSpace(which.Stdout) == "" {
		return failf(FieldNone, "install Docker on the VM: sudo apt-get install -y docker.io && sudo usermod -aG docker "+user+" (the Data Science VM images ship with it)",
			"docker is not installed (not on %s's PATH)", user)
	}
	if d.err != nil {
		return runFail(dockerVersionCmd, d.err)
	}
	if s.err != nil {
		return runFail("sudo -n docker version", s.err)
	}
	dv := strings.TrimSpace(direct.Stdout)
	sv := strings.TrimSpace(sudo.Stdout)
	directOK := direct.Code == 0 && dv != ""
	sudoOK := sudo.Code == 0 && sv != ""
	directMsg := firstLine(direct.Stderr + direct.Stdout)
	sudoMsg := firstLine(sudo.Stderr + sudo.Stdout)
	noDaemon := func(s string) bool {
		return strings.Contains(s, "Cannot connect to the Docker daemon") || strings.Contains(s, "Is the docker daemon running")
	}
	sudoers := fmt.Sprintf("echo '%s ALL=(ALL) NOPASSWD: ALL' | sudo tee /etc/sudoers.d/azureml-%s", user, user)
	switch {
	case directOK && sudoOK:
		return passf("Docker %s; the daemon answers %s directly and through sudo -n", dv, user)
	case sudoOK:
		return passf("Docker %s; the daemon is usable only through sudo -n (%s: %s), which is how Azure ML runs it", sv, user, directMsg)
	case directOK:
		return warnf("let "+user+" run sudo without a password, e.g. "+sudoers,
			"Docker %s works for %s, but sudo -n docker does not (%s): Azure ML runs docker through sudo and jobs fail with \"Unable to run docker with sudo\"", dv, user, sudoMsg)
	case noDaemon(directMsg) || noDaemon(sudoMsg):
		return failf(FieldNone, "start the daemon and enable it at boot: sudo systemctl enable --now docker",
			"docker is installed but its daemon is not running: %s", pick(directMsg, sudoMsg, noDaemon))
	case strings.Contains(directMsg, "permission denied"):
		return failf(FieldNone, "add "+user+" to the docker group (sudo usermod -aG docker "+user+") and allow passwordless sudo ("+sudoers+")",
			"the docker daemon refuses %s (%s) and sudo -n fails (%s)", user, directMsg, sudoMsg)
	}
	return failf(FieldNone, "check docker on the VM: sudo systemctl status docker", "docker version failed: %s; with sudo -n: %s", orDash(directMsg), orDash(sudoMsg))
}

func pick(a, b string, f func(string) bool) string {
	if f(a) {
		return a
	}
	return b
}

func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
