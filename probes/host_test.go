package probes

import (
	"context"
	"strings"
	"testing"
)

// fakeRunner answers commands from a table: a narrow fake of the SSH runner.
type fakeRunner map[string]CmdResult

func (f fakeRunner) Run(_ context.Context, cmd string) (CmdResult, error) {
	if r, ok := f[cmd]; ok {
		return r, nil
	}
	return CmdResult{Stderr: "sh: 1: " + strings.Fields(cmd)[0] + ": not found", Code: 127}, nil
}

func TestHostDockerTellsCasesApart(t *testing.T) {
	dv := dockerVersionCmd
	cases := []struct {
		name   string
		r      fakeRunner
		want   Status
		detail string
	}{
		{"not installed", fakeRunner{}, Fail, "not installed"},
		{"no daemon", fakeRunner{"command -v docker": {Stdout: "/usr/bin/docker\n"},
			dv:              {Stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", Code: 1},
			"sudo -n " + dv: {Stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", Code: 1}}, Fail, "daemon is not running"},
		{"sudo only", fakeRunner{"command -v docker": {Stdout: "/usr/bin/docker\n"},
			dv:              {Stderr: "permission denied while trying to connect to the Docker daemon socket", Code: 1},
			"sudo -n " + dv: {Stdout: "24.0.7\n"}}, Pass, "only through sudo -n"},
		{"usable both ways", fakeRunner{"command -v docker": {Stdout: "/usr/bin/docker\n"}, dv: {Stdout: "24.0.7\n"}, "sudo -n " + dv: {Stdout: "24.0.7\n"}}, Pass, "directly and through sudo -n"},
		{"usable, sudo needs password", fakeRunner{"command -v docker": {Stdout: "/usr/bin/docker\n"}, dv: {Stdout: "24.0.7\n"}, "sudo -n " + dv: {Stderr: "sudo: a password is required", Code: 1}}, Warn, "Unable to run docker with sudo"},
		{"permission denied, no sudo", fakeRunner{"command -v docker": {Stdout: "/usr/bin/docker\n"},
			dv:              {Stderr: "permission denied while trying to connect to the Docker daemon socket", Code: 1},
			"sudo -n " + dv: {Stderr: "sudo: a password is required", Code: 1}}, Fail, "refuses"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := HostDocker(context.Background(), c.r, "azureuser")
			if r.Status != c.want || !strings.Contains(r.Detail, c.detail) {
				t.Fatalf("got %s %q, want %s containing %q", r.Status, r.Detail, c.want, c.detail)
			}
			if r.Status != Pass && r.Remedy == "" {
				t.Fatalf("no remedy for %s", r.Status)
			}
		})
	}
}

func TestHostOS(t *testing.T) {
	ubuntu := "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n"
	if r := HostOS(context.Background(), fakeRunner{"cat /etc/os-release": {Stdout: ubuntu}}); r.Status != Pass || r.Detail != "Ubuntu 22.04.4 LTS" {
		t.Fatalf("ubuntu: %+v", r)
	}
	debian := "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"
	if r := HostOS(context.Background(), fakeRunner{"cat /etc/os-release": {Stdout: debian}}); r.Status != Fail || !strings.Contains(r.Detail, "Debian") {
		t.Fatalf("debian: %+v", r)
	}
	if r := HostOS(context.Background(), fakeRunner{}); r.Status != Fail {
		t.Fatalf("no os-release: %+v", r)
	}
}

func TestHostGPUAndDisk(t *testing.T) {
	if r := HostGPU(context.Background(), fakeRunner{gpuQueryCmd: {Stdout: "Tesla T4, 535.104.05, 15360 MiB\n"}}); r.Status != Pass || !strings.Contains(r.Detail, "Tesla T4 (driver 535.104.05, 15360 MiB)") {
		t.Fatalf("gpu: %+v", r)
	}
	if r := HostGPU(context.Background(), fakeRunner{}); r.Status != Skip {
		t.Fatalf("no gpu: %+v", r)
	}
	if r := HostGPU(context.Background(), fakeRunner{gpuQueryCmd: {Stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver", Code: 9}}); r.Status != Warn {
		t.Fatalf("broken driver: %+v", r)
	}
	df := func(kb string) fakeRunner {
		return fakeRunner{"df -Pk .": {Stdout: "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/root 100000000 1000 " + kb + " 2% /\n"}}
	}
	for kb, want := range map[string]Status{"83886080": Pass, "10485760": Warn, "1048576": Fail} {
		if r := HostDisk(context.Background(), df(kb)); r.Status != want {
			t.Errorf("disk %s KB: %s (%s), want %s", kb, r.Status, r.Detail, want)
		}
	}
}
