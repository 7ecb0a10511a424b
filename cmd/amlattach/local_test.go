package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/internal/sshtest"
)

func TestProbeLocalAgainstRealDockerd(t *testing.T) {
	sshtest.Require(t)
	srv := sshtest.Start(t, sshtest.Options{Docker: true})
	r := runCLI(t, map[string]string{"DOCKER_HOST": "unix://" + srv.DockerSocket}, "probe", "local", "-o", "json", "--port", "0")
	if r.code != 2 {
		t.Fatalf("--port 0: want exit 2\n%s", r)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	free := sshtest.ClosedPort(t)
	_, freePort, _ := net.SplitHostPort(free)

	r = runCLI(t, map[string]string{"DOCKER_HOST": "unix://" + srv.DockerSocket}, "probe", "local", "-o", "json", "--port", freePort)
	rep := report(t, r)
	wantStatuses(t, rep, map[string]string{"local.docker": "pass", "local.port": "pass"})
	if r.code != 0 || !strings.Contains(r.stdout, "Docker "+srv.DockerVersion) {
		t.Fatalf("running daemon not recognised\n%s", r)
	}

	missing := filepath.Join(t.TempDir(), "docker.sock")
	r = runCLI(t, map[string]string{"DOCKER_HOST": "unix://" + missing}, "probe", "local", "-o", "json", "--port", fmt.Sprint(busy))
	rep = report(t, r)
	wantStatuses(t, rep, map[string]string{"local.docker": "fail", "local.port": "fail"})
	if r.code != 1 || !strings.Contains(r.stdout, "not installed or not started") {
		t.Fatalf("missing daemon not told apart\n%s", r)
	}
	r = runCLI(t, nil, "attach", "local")
	if r.code != 2 || !strings.Contains(r.stderr, "never attached") {
		t.Fatalf("attach local: want exit 2 explaining\n%s", r)
	}
}
