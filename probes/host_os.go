package probes

import (
	"bufio"
	"context"
	"strings"
)

// ParseOSRelease reads the KEY=value lines of /etc/os-release.
func ParseOSRelease(s string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || k == "" || strings.HasPrefix(k, "#") {
			continue
		}
		m[k] = strings.Trim(v, `"'`)
	}
	return m
}

// HostOS reads /etc/os-release over SSH: Azure ML supports only Ubuntu.
func HostOS(ctx context.Context, r Runner) Result {
	res, err := r.Run(ctx, "cat /etc/os-release")
	if err != nil {
		return runFail("cat /etc/os-release", err)
	}
	if res.Code != 0 {
		return failf(FieldResourceID, "Azure ML supports only Ubuntu VMs: use one built from an Ubuntu image",
			"/etc/os-release could not be read (exit %d: %s): not a current Linux distribution", res.Code, firstLine(res.Stderr+res.Stdout))
	}
	m := ParseOSRelease(res.Stdout)
	name := m["PRETTY_NAME"]
	if name == "" {
		name = strings.TrimSpace(m["NAME"] + " " + m["VERSION_ID"])
	}
	if strings.EqualFold(m["ID"], "ubuntu") {
		return passf("%s", name)
	}
	return failf(FieldResourceID, "Azure ML supports only Ubuntu VMs: attach one built from an Ubuntu image (e.g. the Ubuntu Data Science Virtual Machine)", "the host runs %s, not Ubuntu", orDash(name))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return clip(s, 200)
}

func runFail(cmd string, err error) Result {
	if isCanceled(err) {
		return Skipped("interrupted")
	}
	return failf(FieldNone, "check the SSH connection and run the probe again", "could not run %q over SSH: %v", cmd, err)
}
