package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// DockerEndpoint turns DOCKER_HOST into a network and address for the
// Engine API; empty means the default unix socket.
func DockerEndpoint(dockerHost string) (network, addr string, err error) {
	switch {
	case dockerHost == "":
		return "unix", "/var/run/docker.sock", nil
	case strings.HasPrefix(dockerHost, "unix://"):
		return "unix", strings.TrimPrefix(dockerHost, "unix://"), nil
	case strings.HasPrefix(dockerHost, "tcp://"):
		return "tcp", strings.TrimPrefix(dockerHost, "tcp://"), nil
	}
	return "", "", fmt.Errorf("DOCKER_HOST=%q: only unix:// and tcp:// are supported", dockerHost)
}

// LocalDocker asks the Docker Engine API at DOCKER_HOST (or the default
// socket) for its version: local inference deployments need a running daemon.
func LocalDocker(ctx context.Context, dockerHost string, timeout time.Duration) Result {
	network, addr, err := DockerEndpoint(dockerHost)
	if err != nil {
		return failf(FieldNone, "set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port, or unset it", "%v", err)
	}
	where := addr
	if dockerHost != "" {
		where = dockerHost
	}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/version", nil)
	if err != nil {
		return failf(FieldNone, "report this", "%v", err)
	}
	resp, err := client.Do(req)
	install := "install Docker (on Debian/Ubuntu: sudo apt-get install -y docker.io; elsewhere Docker Desktop) and start it"
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		return failf(FieldNone, install+" (if it is installed: sudo systemctl enable --now docker)", "no Docker daemon at %s: Docker is not installed or not started", where)
	case errors.Is(err, syscall.ECONNREFUSED):
		return failf(FieldNone, "start the daemon: sudo systemctl enable --now docker (or start Docker Desktop)", "Docker is installed but its daemon is not running (%s refuses connections)", where)
	case errors.Is(err, fs.ErrPermission):
		return failf(FieldNone, "add yourself to the docker group (sudo usermod -aG docker $USER, then log in again)", "permission denied on %s: the daemon runs but you may not use it", where)
	default:
		return failf(FieldNone, "check DOCKER_HOST and that the daemon runs: docker version", "cannot reach Docker at %s: %v", where, err)
	}
	defer resp.Body.Close()
	var v struct {
		Version    string `json:"Version"`
		APIVersion string `json:"ApiVersion"`
		Os         string `json:"Os"`
		Arch       string `json:"Arch"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil || v.Version == "" {
		return failf(FieldNone, "check that "+where+" is a Docker daemon", "%s answered HTTP %d, not a Docker version", where, resp.StatusCode)
	}
	return passf("Docker %s (API %s, %s/%s) at %s", v.Version, v.APIVersion, v.Os, v.Arch, where)
}

// LocalPort checks that the port a local web service would listen on is free.
func LocalPort(port int) Result {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return failf(FieldPort, fmt.Sprintf("stop what listens there (ss -tlnp | grep :%d) or choose another port with --port", port), "port %d is in use on this computer: %v", port, err)
	}
	l.Close()
	return passf("port %d is free for a local web service", port)
}
