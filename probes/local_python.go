package probes

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var pythonVersionRE = regexp.MustCompile(`Python (\d+)\.(\d+)(\.\d+)?`)

// LocalPython reports the Python and conda on this computer, for
// information: attaching needs neither, so it never fails. lookPath finds a
// program (exec.LookPath); run runs one and returns its output.
func LocalPython(ctx context.Context, lookPath func(string) (string, error), run func(ctx context.Context, name string, args ...string) (string, error)) Result {
	var found []string
	var old bool
	sawPython := false
	for _, name := range []string{"python3", "python"} {
		path, err := lookPath(name)
		if err != nil || path == "" {
			continue
		}
		out, err := run(ctx, path, "--version")
		m := pythonVersionRE.FindStringSubmatch(out)
		switch {
		case m != nil:
			found = append(found, fmt.Sprintf("%s %s (%s)", name, strings.TrimPrefix(m[0], "Python "), path))
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			if major < 3 || major == 3 && minor < 8 {
				old = true
			} else {
				sawPython = true
			}
		case err != nil:
			found = append(found, fmt.Sprintf("%s at %s (--version failed: %s)", name, path, firstLine(err.Error())))
		default:
			found = append(found, fmt.Sprintf("%s at %s (version unknown: %s)", name, path, orDash(firstLine(out))))
		}
		if m != nil && name == "python3" {
			break // python is usually the same or Python 2
		}
	}
	if path, err := lookPath("conda"); err == nil && path != "" {
		out, err := run(ctx, path, "--version")
		v := strings.TrimSpace(strings.TrimPrefix(firstLine(out), "conda "))
		if err != nil || v == "" {
			v = "version unknown"
		}
		found = append(found, fmt.Sprintf("conda %s (%s)", v, path))
	}
	if len(found) == 0 {
		return Skipped("no python3, python or conda on the PATH: none is needed to attach anything; the Azure ML Python SDK (azure-ai-ml) needs Python 3.8 or later, and the Azure CLI brings its own Python")
	}
	detail := "found " + strings.Join(found, "; ")
	if old && !sawPython {
		detail += "; the Azure ML Python SDK (azure-ai-ml) needs Python 3.8 or later, which is not needed to attach anything"
	}
	return passf("%s", detail)
}
