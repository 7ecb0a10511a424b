package main

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amlattach/internal/sshtest"
)

// tinyImage builds an image in the test's dockerd with docker import, from
// a root file system of busybox and a marker file: nothing can be pulled
// here. It returns the image's name.
func tinyImage(t *testing.T, srv *sshtest.Server, marker string) string {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("busybox: %v", err)
	}
	bin, err := os.ReadFile(busybox)
	must(t, err)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.ModTime = time.Unix(0, 0)
		must(t, tw.WriteHeader(h))
		if len(body) > 0 {
			_, err := tw.Write(body)
			must(t, err)
		}
	}
	for _, d := range []string{"bin/", "etc/", "tmp/", "proc/", "sys/", "dev/"} {
		add(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	}
	add(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}, bin)
	for _, applet := range []string{"sh", "echo", "cat", "hostname"} {
		add(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil)
	}
	add(&tar.Header{Name: "etc/amlattach-marker", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(marker) + 1)}, []byte(marker+"\n"))
	must(t, tw.Close())
	image := "amlattach-test/busybox:" + marker[:8]
	cmd := exec.Command("docker", "-H", "unix://"+srv.DockerSocket, "import", "-", image)
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
	return image
}

// Everything real on the VM side: a real sshd whose user sees Ubuntu, the
// real sudo and a real dockerd. The sandbox logs in with the credentials
// stored at attach and runs the job through sudo -n docker on an image made
// here; the output amlattach shows comes from inside that container. Then
// sudo asks for a password, and the job fails with the service's words and
// the fix host.docker-setup.
func TestJobRunsOnARealHostThroughSudoDocker(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Docker: true, Sudo: true})
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	marker := hex.EncodeToString(b)
	image := tinyImage(t, srv, marker)

	world := fmt.Sprintf(`subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: ws
            computes:
              - name: real-vm
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/real-vm
                properties: {address: 20.60.0.1, sshPort: 22, administratorAccount: {username: %[2]s, password: %[3]q}}
        virtualMachines:
          - name: real-vm
            publicIP: 20.60.0.1
            nsgRules: [{name: aml, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {address: %[4]q}
environments:
  - {id: "azureml:amlattach-busybox:1", image: %[5]q}
faults: {jobStepSeconds: 0.05}
`, demoSub, srv.Ubuntu.Name, srv.Ubuntu.Password, srv.Addr, image)
	file := filepath.Join(t.TempDir(), "world.yaml")
	must(t, os.WriteFile(file, []byte(world), 0o600))
	args := []string{"job", "real-vm", "--world", file, "--environment", "azureml:amlattach-busybox:1", "-o", "json",
		"--command", `echo "marker: $(cat /etc/amlattach-marker)"; echo "host: $(hostname)"`}

	r := runCLI(t, nil, args...)
	rep := jobDoc(t, r)
	if r.code != 0 || rep.Job.Status != "Completed" || !strings.Contains(rep.Output, "marker: "+marker+"\n") ||
		!strings.Contains(rep.Output, "host: ") || strings.Contains(rep.Output, "host: "+srv.Ubuntu.Name) {
		t.Fatalf("want the container's marker in the output:\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, srv.Ubuntu.Password) {
		t.Fatalf("the stored password leaked:\n%s", r)
	}

	srv.SudoWantsPassword(t, true)
	r = runCLI(t, nil, args...)
	rep = jobDoc(t, r)
	if r.code != 3 || rep.Job.Status != "Failed" || rep.Error == nil ||
		rep.Error.Message != "Unable to run docker with sudo. Check that sudo is configured to run docker without a password." ||
		!strings.Contains(rep.Error.Remedy, "host.docker-setup") {
		t.Fatalf("want the sudo failure and host.docker-setup:\n%s", r)
	}
}
