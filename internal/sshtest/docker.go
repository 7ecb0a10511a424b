package sshtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// dockerdFlags are the flags given to dockerd besides the per-test paths:
// no iptables/bridge changes to the host, vfs storage (works on any
// filesystem, no overlay mounts).
var dockerdFlags = []string{
	"--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
	// only matters when dockerd picks up a system containerd
	// (/run/containerd/containerd.sock); keeps us out of its "moby" namespace
	"--containerd-namespace=amlt-sshtest", "--containerd-plugins-namespace=amlt-sshtest-plugins",
}

// startDockerd runs dockerd with its socket at /var/run/docker.sock inside
// the Ubuntu chroot, group-owned by dockerGroup, and returns its version.
func startDockerd(t testing.TB, base string) (string, error) {
	dockerd, err := lookTool("dockerd")
	if err != nil {
		return "", errors.New("dockerd not found (install docker.io)")
	}
	if _, err := lookTool("containerd"); err != nil {
		if _, serr := os.Stat("/run/containerd/containerd.sock"); serr != nil {
			return "", errors.New("containerd not found (install docker.io)")
		}
	}
	gid, err := groupID(dockerGroup)
	if err != nil {
		return "", err
	}
	sock := filepath.Join(base, "r", "amlt-ubuntu", "var", "run", "docker.sock")
	if len(sock) > 100 {
		return "", fmt.Errorf("socket path %s too long; set %s to a shorter directory", sock, baseDirEnv)
	}
	cfg := filepath.Join(base, "daemon.json")
	if err := os.WriteFile(cfg, []byte("{}\n"), 0o644); err != nil {
		return "", err
	}
	pidFile := filepath.Join(base, "docker.pid")
	args := append([]string{
		"--config-file", cfg,
		"--data-root", filepath.Join(base, "d"),
		"--exec-root", filepath.Join(base, "e"),
		"--pidfile", pidFile,
		"-H", "unix://" + sock,
		"--group", strconv.Itoa(gid),
	}, dockerdFlags...)
	logFile := filepath.Join(base, "dockerd.log")
	logf, err := os.Create(logFile)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd := exec.Command(dockerd, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	fail := func(err error) (string, error) {
		stop()
		log, _ := os.ReadFile(logFile)
		if len(log) > 8000 {
			log = log[len(log)-8000:]
		}
		return "", fmt.Errorf("%s %v: %v\ndockerd log (tail):\n%s", dockerd, args, err, log)
	}

	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if err := ping(ctx, client); err == nil {
			break
		} else {
			select {
			case <-exited:
				return fail(errors.New("dockerd exited"))
			case <-ctx.Done():
				return fail(fmt.Errorf("no answer on %s: %v", sock, err))
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	version, err := dockerVersion(ctx, client)
	if err != nil {
		return fail(err)
	}
	t.Cleanup(func() {
		ts := time.Now()
		stop()
		t.Logf("sshtest: dockerd stopped in %v", time.Since(ts).Round(time.Millisecond))
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			if len(log) > 8000 {
				log = log[len(log)-8000:]
			}
			t.Logf("sshtest: dockerd log (tail):\n%s", log)
		}
	})
	return version, nil
}

func ping(ctx context.Context, c *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://docker/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("_ping: %s", resp.Status)
	}
	return nil
}

func dockerVersion(ctx context.Context, c *http.Client) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://docker/version", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var v struct{ Version string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("/version: %v", err)
	}
	if v.Version == "" {
		return "", errors.New("/version: empty")
	}
	return v.Version, nil
}
