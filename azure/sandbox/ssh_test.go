package sandbox_test

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

type simClient struct {
	c       *ssh.Client
	hostKey ssh.PublicKey
}

func dialSim(t *testing.T, srv *sandbox.Server, addr, user, password string) (*simClient, error) {
	t.Helper()
	conn, err := srv.Dial(ctx(t), "tcp", addr)
	if err != nil {
		return nil, err
	}
	sc := &simClient{}
	cfg := &ssh.ClientConfig{
		User: user,
		Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			sc.hostKey = key
			return nil
		},
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	sc.c = ssh.NewClient(c, chans, reqs)
	t.Cleanup(func() { sc.c.Close() })
	return sc, nil
}

func (sc *simClient) run(t *testing.T, cmd string) (string, string, int) {
	t.Helper()
	s, err := sc.c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdout, s.Stderr = &out, &errOut
	err = s.Run(cmd)
	code := 0
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitStatus()
	} else if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return out.String(), errOut.String(), code
}

func TestSimHostLogin(t *testing.T) {
	srv := startWorld(t, testWorld)
	c, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if c.hostKey.Type() != ssh.KeyAlgoED25519 {
		t.Fatalf("host key type %s", c.hostKey.Type())
	}
	if !strings.Contains(string(c.c.ServerVersion()), "OpenSSH_8.2p1 Ubuntu") {
		t.Fatalf("banner %s", c.c.ServerVersion())
	}
	if _, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "wrong"); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := dialSim(t, srv, "20.0.0.1:22", "root", "Passw0rd!"); err == nil {
		t.Fatal("unknown user logged in")
	}
	// The host key is the same in a second sandbox from the same world.
	srv2 := startWorld(t, testWorld)
	c2, err := dialSim(t, srv2, "20.0.0.1:2222", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.hostKey.Marshal(), c2.hostKey.Marshal()) {
		t.Fatal("host key changed across runs")
	}
	other, err := dialSim(t, srv, "20.0.0.2:22", "azureuser", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.hostKey.Marshal(), c.hostKey.Marshal()) {
		t.Fatal("two hosts share a key")
	}
	// Shells and terminals are refused.
	s, _ := c.c.NewSession()
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err == nil {
		t.Fatal("pty granted")
	}
}

func TestDial(t *testing.T) {
	srv := startWorld(t, testWorld)
	// Not running: times out; no SSH side: refused; both without touching the network.
	for _, addr := range []string{"20.0.0.7:22", "20.0.0.5:22"} {
		if c, err := srv.Dial(ctx(t), "tcp", addr); err == nil {
			c.Close()
			t.Fatalf("%s answered", addr)
		}
	}
	var ne net.Error
	if _, err := srv.Dial(ctx(t), "tcp", "20.0.0.7:22"); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("stopped VM: %v", err)
	}
	// Any other address is dialled as is.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := srv.Dial(ctx(t), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// ssh.address sends the VM's public IP to a real server.
	srv2 := sandboxtest.Start(t, []byte(`
subscriptions:
  - id: s
    resourceGroups:
      - name: rg
        location: eastus
        virtualMachines:
          - name: real
            publicIP: 203.0.113.9
            ssh: {address: "`+ln.Addr().String()+`"}
`), "t.yaml")
	done := make(chan net.Addr, 1)
	go func() {
		a, err := ln.Accept()
		if err == nil {
			done <- a.LocalAddr()
			a.Close()
		}
	}()
	c, err = srv2.Dial(ctx(t), "tcp", "203.0.113.9:22")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := <-done; got.String() != ln.Addr().String() {
		t.Fatalf("reached %s", got)
	}
}

func TestSimCommands(t *testing.T) {
	srv := startWorld(t, testWorld)
	good, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	sudoOnly, err := dialSim(t, srv, "20.0.0.2:22", "azureuser", "pw")
	if err != nil {
		t.Fatal(err)
	}
	noDaemon, err := dialSim(t, srv, "20.0.0.3:22", "azureuser", "pw")
	if err != nil {
		t.Fatal(err)
	}
	noDocker, err := dialSim(t, srv, "20.0.0.4:22", "azureuser", "pw")
	if err != nil {
		t.Fatal(err)
	}
	const dockerVersion = "docker version --format '{{.Server.Version}}'"
	const gpuQuery = "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader"
	cases := []struct {
		host        *simClient
		cmd         string
		out, errOut string // substrings; "" means must be empty
		code        int
	}{
		{good, "cat /etc/os-release", `PRETTY_NAME="Ubuntu 20.04.6 LTS"`, "", 0},
		{good, "cat /etc/os-release", "ID=ubuntu\n", "", 0},
		{good, "cat /etc/os-release", `VERSION_ID="20.04"`, "", 0},
		{sudoOnly, "cat /etc/os-release", `PRETTY_NAME="Ubuntu 22.04.4 LTS"`, "", 0},
		{noDaemon, "cat /etc/os-release", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`, "", 0},
		{noDocker, "cat /etc/os-release", `PRETTY_NAME="CentOS Linux 7 (Core)"`, "", 0},
		{good, "cat /nope", "", "cat: /nope: No such file or directory", 1},
		{good, "command -v docker", "/usr/bin/docker\n", "", 0},
		{noDocker, "command -v docker", "", "", 1},
		{good, "command -v nvidia-smi", "", "", 1},
		{sudoOnly, "command -v nvidia-smi", "/usr/bin/nvidia-smi\n", "", 0},
		{good, dockerVersion, "24.0.7\n", "", 0},
		{good, "sudo -n " + dockerVersion, "24.0.7\n", "", 0},
		{noDocker, dockerVersion, "", "sh: 1: docker: not found", 127},
		{noDaemon, dockerVersion, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", 1},
		{noDaemon, "sudo -n " + dockerVersion, "", "Cannot connect to the Docker daemon", 1},
		{sudoOnly, dockerVersion, "", "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock", 1},
		{sudoOnly, "sudo -n " + dockerVersion, "24.0.5\n", "", 0},
		{sudoOnly, "docker info --format '{{.ServerVersion}}' 2>/dev/null", "", "", 1},
		{noDocker, "sudo -n true", "", "sudo: a password is required", 1},
		{good, gpuQuery, "", "sh: 1: nvidia-smi: not found", 127},
		{sudoOnly, gpuQuery, "Tesla T4, 535.104.05, 15360 MiB\n", "", 0},
		{good, "df -Pk .", "/dev/root", "", 0},
		{good, "df -Pk ~", " 83886080 ", "", 0},
		{sudoOnly, "df -Pk .", " 7340032 ", "", 0},
		{good, "uname -a", "Linux good 5.15.0-1057-azure", "", 0},
		{good, "id -un", "azureuser\n", "", 0},
		{sudoOnly, "sudo -n id -un", "root\n", "", 0},
		{good, "echo hello   world", "hello world\n", "", 0},
		{good, `echo "$HOME"`, "/home/azureuser\n", "", 0},
		{good, "true", "", "", 0},
		{good, "true && echo yes || echo no", "yes\n", "", 0},
		{good, "false && echo yes || echo no", "no\n", "", 0},
		{good, "frobnicate --now", "", "sh: 1: frobnicate: not found", 127},
		{good, "ls | wc -l", "", "pipes are not supported", 2},
	}
	for _, c := range cases {
		out, errOut, code := c.host.run(t, c.cmd)
		if code != c.code || (c.out == "" && out != "") || !strings.Contains(out, c.out) ||
			(c.errOut == "" && errOut != "") || !strings.Contains(errOut, c.errOut) {
			t.Errorf("%q: got code %d, stdout %q, stderr %q; want %d, %q, %q", c.cmd, code, out, errOut, c.code, c.out, c.errOut)
		}
	}
	// df's header is POSIX.
	out, _, _ := good.run(t, "df -Pk .")
	if !strings.HasPrefix(out, "Filesystem     1024-blocks     Used Available Capacity Mounted on\n") {
		t.Fatalf("df: %q", out)
	}
	// A shell request ends with exit 1 and a message.
	s, _ := good.c.NewSession()
	defer s.Close()
	var errOut bytes.Buffer
	s.Stderr = &errOut
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	var ee *ssh.ExitError
	if err := s.Wait(); !errors.As(err, &ee) || ee.ExitStatus() != 1 || !strings.Contains(errOut.String(), "not interactive shells") {
		t.Fatalf("shell: %v %q", err, errOut.String())
	}
}
