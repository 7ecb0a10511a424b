// Package sshtest runs a real OpenSSH sshd (and optionally a real dockerd) on
// 127.0.0.1 for tests of the SSH probes.
//
// It needs root, because it creates system accounts (prefixed "amlt-"), runs
// sshd with ChrootDirectory and runs dockerd. Tests call Require (or Start,
// which calls it) and are skipped where that is impossible, except under
// AMLATTACH_REQUIRE_REAL=1, where they fail instead.
//
// Host situations served by one Server:
//
//   - Plain: logs into the real host (whatever /etc/os-release says there).
//   - Ubuntu: chrooted into a busybox tree that says Ubuntu 22.04, with the
//     docker CLI and, with Options.Docker, a real dockerd on /var/run/docker.sock.
//   - NoDaemon: same, docker CLI present, no daemon socket.
//   - NoDocker: same, without docker at all.
//
// Start, Silent and ClosedPort must be called from the test's goroutine (they
// may call t.Skip / t.Fatal).
package sshtest

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// RequireRealEnv is the environment variable that turns skips into failures.
const RequireRealEnv = "AMLATTACH_REQUIRE_REAL"

// User is an account the Server lets in by password and by key.
type User struct {
	Name, Password string
	KeyFile        string     // path of an unencrypted OpenSSH-format ed25519 private key authorized for this user
	RSAPEMKeyFile  string     // unencrypted PEM ("BEGIN RSA PRIVATE KEY") RSA 2048 key, authorized
	Signer         ssh.Signer // same key as KeyFile
}

// Server is a running sshd.
type Server struct {
	Addr                              string                       // "127.0.0.1:PORT"
	HostKey                           ssh.PublicKey                // the sshd host key (ed25519)
	KnownHostsLine                    func(hostport string) string // a known_hosts line for the given host:port
	Plain, Ubuntu, NoDaemon, NoDocker User
	DockerVersion                     string // server version of the real dockerd, "" if dockerd was not started
	DockerSocket                      string // the dockerd's unix socket on this host, "" if not started
	sudoers                           string // the Ubuntu chroot's sudoers (Options.Sudo)
}

// Options select what Start runs besides sshd.
type Options struct {
	// Docker starts a real dockerd whose socket is /var/run/docker.sock inside
	// the Ubuntu user's chroot. If it cannot start, the test is skipped (or
	// fails under AMLATTACH_REQUIRE_REAL=1).
	Docker bool
	// Sudo installs the host's real sudo in the Ubuntu user's chroot, with
	// passwordless sudo for docker (see Server.SudoWantsPassword). Without
	// sudo on this machine the test is skipped (or fails under
	// AMLATTACH_REQUIRE_REAL=1).
	Sudo bool
}

// Available reports whether a real sshd can be run here (root, sshd, busybox,
// useradd/chpasswd and a docker CLI for the chroots) and, if not, why.
func Available() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "sshtest: needs root (creates amlt-* accounts, runs sshd with ChrootDirectory)"
	}
	for _, name := range []string{"sshd", "busybox", "useradd", "usermod", "groupadd", "chpasswd", "docker"} {
		if _, err := lookTool(name); err != nil {
			return false, fmt.Sprintf("sshtest: %s not found (install openssh-server, busybox-static, docker.io)", name)
		}
	}
	return true, ""
}

// Require skips the test (or fails it under AMLATTACH_REQUIRE_REAL=1) unless
// a real sshd can be run here.
func Require(t testing.TB) {
	t.Helper()
	if ok, why := Available(); !ok {
		skipOrFatal(t, "%s", why)
	}
}

func skipOrFatal(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireRealEnv) == "1" {
		t.Fatalf(format+" ("+RequireRealEnv+"=1)", args...)
	}
	t.Skipf(format, args...)
}

// lookTool finds an executable in PATH or in the standard sbin/bin dirs (sbin
// is often missing from a test's PATH). The result is absolute.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	for _, dir := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found", name)
}

// Start creates the accounts and chroots, starts sshd (and dockerd with
// opts.Docker) and stops them when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)

	t0 := time.Now()
	sshdPath, _ := lookTool("sshd")
	base := newBaseDir(t)

	if err := ensureUsers(); err != nil {
		t.Fatalf("sshtest: accounts: %v", err)
	}
	keys, err := userKeys()
	if err != nil {
		t.Fatalf("sshtest: keys: %v", err)
	}

	srv := &Server{}
	users := map[string]*User{
		"plain":    &srv.Plain,
		"ubuntu":   &srv.Ubuntu,
		"nodaemon": &srv.NoDaemon,
		"nodocker": &srv.NoDocker,
	}
	for _, a := range accounts {
		if err := writeUserKeys(base, a, keys[a.name], users[a.role]); err != nil {
			t.Fatalf("sshtest: %v", err)
		}
	}
	if err := buildChroots(base); err != nil {
		t.Fatalf("sshtest: chroot: %v", err)
	}
	if opts.Sudo {
		if srv.sudoers, err = installSudo(base, &installer{done: map[string]string{}}); err != nil {
			skipOrFatal(t, "sshtest: sudo: %v", err)
		}
	}

	// Host key.
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKey(hostPriv, "amlattach sshtest host")
	if err != nil {
		t.Fatal(err)
	}
	hostKeyFile := filepath.Join(base, "ssh_host_ed25519_key")
	if err := os.WriteFile(hostKeyFile, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	srv.HostKey = hostSigner.PublicKey()
	srv.KnownHostsLine = func(hostport string) string {
		return knownhosts.Line([]string{hostport}, srv.HostKey)
	}

	// dockerd first: its socket must exist before the probes look.
	var dockerTook time.Duration
	if opts.Docker {
		td := time.Now()
		v, err := startDockerd(t, base)
		if err != nil {
			skipOrFatal(t, "sshtest: dockerd: %v", err)
		}
		srv.DockerVersion = v
		srv.DockerSocket = filepath.Join(base, "r", "amlt-ubuntu", "var", "run", "docker.sock")
		dockerTook = time.Since(td)
	}

	// privilege separation directory of Debian's sshd
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("sshtest: %v", err)
	}

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		addr, err := startSSHD(t, sshdPath, base, hostKeyFile, attempt)
		if err == nil {
			srv.Addr = addr
			t.Logf("sshtest: sshd on %s ready after %v (dockerd %q: %v)", addr, time.Since(t0).Round(time.Millisecond), srv.DockerVersion, dockerTook.Round(time.Millisecond))
			return srv
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
	}
	t.Fatalf("sshtest: sshd: %v", lastErr)
	return nil
}

var errBind = errors.New("port taken")

// startSSHD runs sshd on a free port and waits for its banner.
func startSSHD(t testing.TB, sshdPath, base, hostKeyFile string, attempt int) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	cfg := sshdConfig(base, port, hostKeyFile)
	cfgFile := filepath.Join(base, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return "", err
	}
	logFile := filepath.Join(base, fmt.Sprintf("sshd.%d.log", attempt))
	logf, err := os.Create(logFile)
	if err != nil {
		return "", err
	}
	defer logf.Close()

	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfgFile)
	cmd.Stdout = logf
	cmd.Stderr = logf
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
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := waitBanner(ctx, addr, exited); err != nil {
		stop()
		log, _ := os.ReadFile(logFile)
		if strings.Contains(string(log), "Address already in use") {
			return "", fmt.Errorf("%w: %s", errBind, log)
		}
		return "", fmt.Errorf("%v\nsshd log:\n%s", err, log)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("sshtest: sshd log (%s):\n%s", cfgFile, log)
		}
	})
	return addr, nil
}

func sshdConfig(base, port, hostKeyFile string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("Port %s", port)
	w("ListenAddress 127.0.0.1")
	w("AddressFamily inet")
	w("HostKey %s", hostKeyFile)
	w("PidFile %s", filepath.Join(base, "sshd.pid"))
	// UsePAM no: sshd checks /etc/shadow itself; no PAM session modules
	// (pam_loginuid, pam_motd, ...) that misbehave in containers.
	w("UsePAM no")
	w("PasswordAuthentication yes")
	w("PermitEmptyPasswords no")
	w("KbdInteractiveAuthentication no")
	w("PubkeyAuthentication yes")
	// Also the accounts' own ~/.ssh/authorized_keys (outside the chroots),
	// where the sandbox, acting as the VM agent, installs keys.
	w("AuthorizedKeysFile %s .ssh/authorized_keys", filepath.Join(base, "keys", "%u"))
	w("StrictModes no")
	w("PermitRootLogin no")
	var names []string
	for _, a := range accounts {
		names = append(names, a.name)
	}
	w("AllowUsers %s", strings.Join(names, " "))
	w("UseDNS no")
	w("PrintMotd no")
	w("PrintLastLog no")
	w("X11Forwarding no")
	w("LoginGraceTime 30")
	w("MaxStartups 100:30:200")
	w("MaxSessions 50")
	w("LogLevel VERBOSE")
	w("Subsystem sftp internal-sftp")
	var chrooted []string
	for _, a := range accounts {
		if a.chroot {
			chrooted = append(chrooted, a.name)
		}
	}
	w("Match User %s", strings.Join(chrooted, ","))
	w("    ChrootDirectory %s", filepath.Join(base, "r", "%u"))
	return b.String()
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// waitBanner polls addr until it greets with "SSH-".
func waitBanner(ctx context.Context, addr string, exited <-chan struct{}) error {
	var lastErr error
	for {
		select {
		case <-exited:
			return errors.New("sshd exited")
		default:
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if strings.HasPrefix(line, "SSH-") {
				return nil
			}
			err = fmt.Errorf("no banner: %q %v", line, rerr)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for sshd on %s: %v", addr, lastErr)
		case <-exited:
			return errors.New("sshd exited")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Silent starts a TCP listener on 127.0.0.1 that accepts connections and
// never sends anything; it returns its address and is closed at cleanup.
func Silent(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  bool
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if done {
				mu.Unlock()
				c.Close()
				return
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		done = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// ClosedPort returns a 127.0.0.1 address where nothing listens.
func ClosedPort(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", port)
}
