package flows

import (
	"context"
	"os/exec"
	"strings"

	"amlattach/probes"
)

// LocalSteps is the plan of `probe local`: nothing is attached for the local
// computer; local inference needs a usable Docker daemon and a free port.
func LocalSteps(d Deps, dockerHost string, port int) []Step {
	return []Step{
		{ID: probes.IDLocalDocker, Run: func(ctx context.Context) probes.Result {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			return probes.LocalDocker(c, dockerHost, d.timeout())
		}},
		{ID: probes.IDLocalPort, Run: func(context.Context) probes.Result { return probes.LocalPort(port) }},
		{ID: probes.IDLocalPython, Run: func(ctx context.Context) probes.Result {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			return probes.LocalPython(c, exec.LookPath, runCommand)
		}},
	}
}

// LocalExplanation says why the local computer is never attached.
const LocalExplanation = "the local computer is never attached to a workspace: training runs locally need no compute target, and local inference deployments need only Docker on this computer"

// runCommand runs a program on this computer and returns what it printed
// (stdout and stderr: Python 2 prints its version on stderr).
func runCommand(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
