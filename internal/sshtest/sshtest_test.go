package sshtest

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func dial(t *testing.T, srv *Server, user string, auth ssh.AuthMethod) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.FixedHostKey(srv.HostKey),
		Timeout:         5 * time.Second,
	})
}

func mustDial(t *testing.T, srv *Server, user string, auth ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := dial(t, srv, user, auth)
	if err != nil {
		t.Fatalf("ssh %s@%s: %v", user, srv.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// runCmd runs cmd in a new session; exit is the remote exit status.
func runCmd(t *testing.T, c *ssh.Client, cmd string) (stdout, stderr string, exit int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer s.Close()
	var o, e bytes.Buffer
	s.Stdout, s.Stderr = &o, &e
	err = s.Run(cmd)
	var ee *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exit = ee.ExitStatus()
	default:
		t.Fatalf("run %q: %v (stderr %q)", cmd, err, e.String())
	}
	return o.String(), e.String(), exit
}

func keyAuth(t *testing.T, file string) ssh.AuthMethod {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return ssh.PublicKeys(s)
}

func checkDF(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "Filesystem") {
		t.Fatalf("df -Pk .: %q", out)
	}
	f := strings.Fields(lines[1])
	if len(f) != 6 {
		t.Fatalf("df -Pk . data line: %q", lines[1])
	}
	for _, n := range f[1:4] {
		if _, err := strconv.ParseUint(n, 10, 64); err != nil {
			t.Fatalf("df -Pk . column %q: %v", n, err)
		}
	}
	if total, _ := strconv.ParseUint(f[1], 10, 64); total == 0 {
		t.Fatalf("df -Pk . total 0: %q", lines[1])
	}
}

func TestServer(t *testing.T) {
	srv := Start(t, Options{Docker: true})
	if srv.DockerVersion == "" {
		t.Fatal("DockerVersion empty with Options.Docker")
	}
	t.Logf("sshd on %s, dockerd %s", srv.Addr, srv.DockerVersion)
	hostOS, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("group", func(t *testing.T) {
		t.Run("plain", func(t *testing.T) {
			t.Parallel()
			u := srv.Plain
			for name, auth := range map[string]ssh.AuthMethod{
				"password": ssh.Password(u.Password),
				"ed25519":  keyAuth(t, u.KeyFile),
				"rsa":      keyAuth(t, u.RSAPEMKeyFile),
				"signer":   ssh.PublicKeys(u.Signer),
			} {
				c := mustDial(t, srv, u.Name, auth)
				out, _, code := runCmd(t, c, "cat /etc/os-release")
				if code != 0 || out != string(hostOS) {
					t.Fatalf("%s: os-release %d %q", name, code, out)
				}
			}
			c := mustDial(t, srv, u.Name, ssh.Password(u.Password))
			if out, _, _ := runCmd(t, c, "id -un; pwd"); out != u.Name+"\n/home/"+u.Name+"\n" {
				t.Errorf("id/pwd: %q", out)
			}
			out, _, _ := runCmd(t, c, "df -Pk .")
			checkDF(t, out)
		})

		for _, tc := range []struct {
			u      User
			docker string // "daemon", "cli", ""
		}{{srv.Ubuntu, "daemon"}, {srv.NoDaemon, "cli"}, {srv.NoDocker, ""}} {
			t.Run(tc.u.Name, func(t *testing.T) {
				t.Parallel()
				u := tc.u
				for name, auth := range map[string]ssh.AuthMethod{
					"password": ssh.Password(u.Password),
					"ed25519":  keyAuth(t, u.KeyFile),
					"rsa":      keyAuth(t, u.RSAPEMKeyFile),
				} {
					c := mustDial(t, srv, u.Name, auth)
					out, _, code := runCmd(t, c, "cat /etc/os-release")
					if code != 0 || !strings.Contains(out, "\nID=ubuntu\n") || !strings.Contains(out, `VERSION_ID="22.04"`) || !strings.Contains(out, `PRETTY_NAME="Ubuntu 22.04.4 LTS"`) {
						t.Fatalf("%s: os-release %d %q", name, code, out)
					}
				}
				c := mustDial(t, srv, u.Name, ssh.PublicKeys(u.Signer))
				if out, _, _ := runCmd(t, c, "id -un; pwd; uname -s; echo $HOME"); out != u.Name+"\n/home/"+u.Name+"\nLinux\n/home/"+u.Name+"\n" {
					t.Errorf("id/pwd/uname: %q", out)
				}
				out, errOut, code := runCmd(t, c, "df -Pk .")
				if code != 0 {
					t.Fatalf("df: %d %q", code, errOut)
				}
				checkDF(t, out)

				out, _, code = runCmd(t, c, "command -v docker")
				switch tc.docker {
				case "":
					if code == 0 || out != "" {
						t.Fatalf("command -v docker: %d %q, want failure", code, out)
					}
				default:
					if code != 0 || out != "/usr/bin/docker\n" {
						t.Fatalf("command -v docker: %d %q", code, out)
					}
				}
				out, errOut, code = runCmd(t, c, "docker version --format '{{.Server.Version}}'")
				switch tc.docker {
				case "daemon":
					if code != 0 || strings.TrimSpace(out) != srv.DockerVersion {
						t.Fatalf("docker version: %d %q %q, want %q", code, out, errOut, srv.DockerVersion)
					}
				case "cli":
					if code == 0 || !strings.Contains(errOut, "Cannot connect to the Docker daemon") {
						t.Fatalf("docker version: %d %q %q, want no-daemon error", code, out, errOut)
					}
				case "":
					if code != 127 {
						t.Fatalf("docker version: %d %q %q, want 127", code, out, errOut)
					}
				}
			})
		}

		t.Run("wrong-password", func(t *testing.T) {
			t.Parallel()
			for _, u := range []User{srv.Plain, srv.Ubuntu} {
				c, err := dial(t, srv, u.Name, ssh.Password(u.Password+"x"))
				if err == nil {
					c.Close()
					t.Fatalf("%s: wrong password accepted", u.Name)
				}
				if !strings.Contains(err.Error(), "unable to authenticate") {
					t.Fatalf("%s: %v", u.Name, err)
				}
			}
			// one user's key does not open another's account
			if c, err := dial(t, srv, srv.Plain.Name, ssh.PublicKeys(srv.Ubuntu.Signer)); err == nil {
				c.Close()
				t.Fatal("foreign key accepted")
			}
			if c, err := dial(t, srv, "root", ssh.Password("x")); err == nil {
				c.Close()
				t.Fatal("root accepted")
			}
		})

		t.Run("known-hosts", func(t *testing.T) {
			t.Parallel()
			kh := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(kh, []byte(srv.KnownHostsLine(srv.Addr)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cb, err := knownhosts.New(kh)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{
				User: srv.Plain.Name, Auth: []ssh.AuthMethod{ssh.PublicKeys(srv.Plain.Signer)},
				HostKeyCallback: cb, Timeout: 5 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			c.Close()

			// the OpenSSH client accepts the key files and the known_hosts line
			sshBin, err := exec.LookPath("ssh")
			if err != nil {
				t.Skip("no ssh client")
			}
			_, port, _ := net.SplitHostPort(srv.Addr)
			for _, key := range []string{srv.Ubuntu.KeyFile, srv.Ubuntu.RSAPEMKeyFile} {
				out, err := exec.Command(sshBin, "-F", "/dev/null", "-o", "BatchMode=yes",
					"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+kh,
					"-o", "IdentitiesOnly=yes", "-i", key, "-p", port,
					srv.Ubuntu.Name+"@127.0.0.1", "cat /etc/os-release").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "ID=ubuntu") {
					t.Fatalf("ssh -i %s: %v %s", key, err, out)
				}
			}
		})

		t.Run("silent", func(t *testing.T) {
			t.Parallel()
			addr := Silent(t)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
			_, _, _, err = ssh.NewClientConn(conn, addr, &ssh.ClientConfig{
				User: "x", HostKeyCallback: ssh.InsecureIgnoreHostKey(),
			})
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("handshake with silent server: %v, want timeout", err)
			}
		})

		t.Run("closed-port", func(t *testing.T) {
			t.Parallel()
			_, err := net.DialTimeout("tcp", ClosedPort(t), time.Second)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial closed port: %v, want connection refused", err)
			}
		})
	})
}

// Without Options.Docker the Ubuntu user has the CLI but no daemon.
func TestServerNoDocker(t *testing.T) {
	srv := Start(t, Options{})
	if srv.DockerVersion != "" {
		t.Fatalf("DockerVersion %q without Options.Docker", srv.DockerVersion)
	}
	c := mustDial(t, srv, srv.Ubuntu.Name, ssh.Password(srv.Ubuntu.Password))
	_, errOut, code := runCmd(t, c, "docker version --format '{{.Server.Version}}'")
	if code == 0 || !strings.Contains(errOut, "Cannot connect to the Docker daemon") {
		t.Fatalf("docker version: %d %q", code, errOut)
	}
}
