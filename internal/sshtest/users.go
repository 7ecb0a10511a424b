package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// dockerGroup is the host group owning the test dockerd's socket; inside the
// chroots it is called "docker", as on a real Ubuntu host.
const dockerGroup = "amlt-docker"

type account struct {
	role, name, password string
	chroot               bool // ChrootDirectory into an Ubuntu tree
	dockerCLI            bool // docker CLI in the chroot
	dockerGroup          bool // member of dockerGroup
}

// Fixed passwords: every test process sets the same ones, so concurrently
// running test packages do not race. Only the test sshd (127.0.0.1,
// AllowUsers) is meant to let these accounts in.
var accounts = []account{
	{role: "plain", name: "amlt-plain", password: "amlt-plain-Pw-7f3e"},
	{role: "ubuntu", name: "amlt-ubuntu", password: "amlt-ubuntu-Pw-91c2", chroot: true, dockerCLI: true, dockerGroup: true},
	{role: "nodaemon", name: "amlt-nodaemon", password: "amlt-nodaemon-Pw-5b8d", chroot: true, dockerCLI: true, dockerGroup: true},
	{role: "nodocker", name: "amlt-nodocker", password: "amlt-nodocker-Pw-2a6f", chroot: true},
}

var usersMu sync.Mutex

// ensureUsers creates the accounts if missing and (re)sets their passwords,
// serialized across processes with a lock file.
func ensureUsers() error {
	usersMu.Lock()
	defer usersMu.Unlock()
	lf, err := os.OpenFile(filepath.Join(os.TempDir(), "amlattach-sshtest.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)

	if _, err := user.LookupGroup(dockerGroup); err != nil {
		if err := run("groupadd", "-f", dockerGroup); err != nil {
			return err
		}
	}
	dg, err := user.LookupGroup(dockerGroup)
	if err != nil {
		return err
	}
	var pw strings.Builder
	for _, a := range accounts {
		home := "/home/" + a.name
		u, err := user.Lookup(a.name)
		if err != nil {
			args := []string{"-m", "-d", home, "-s", "/bin/sh", "-U", "-c", "amlattach sshtest"}
			if a.dockerGroup {
				args = append(args, "-G", dockerGroup)
			}
			if err := run("useradd", append(args, a.name)...); err != nil {
				return err
			}
			if u, err = user.Lookup(a.name); err != nil {
				return err
			}
		}
		if u.HomeDir != home {
			return fmt.Errorf("account %s exists with home %s, want %s", a.name, u.HomeDir, home)
		}
		if err := os.MkdirAll(home, 0o755); err != nil {
			return err
		}
		if a.dockerGroup {
			gids, err := u.GroupIds()
			if err != nil {
				return err
			}
			if !slices.Contains(gids, dg.Gid) {
				if err := run("usermod", "-a", "-G", dockerGroup, a.name); err != nil {
					return err
				}
			}
		}
		fmt.Fprintf(&pw, "%s:%s\n", a.name, a.password)
	}
	// chpasswd also unlocks the "!" that useradd leaves in /etc/shadow.
	cmd, err := tool("chpasswd")
	if err != nil {
		return err
	}
	cmd.Stdin = strings.NewReader(pw.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chpasswd: %v: %s", err, out)
	}
	return nil
}

func tool(name string, args ...string) (*exec.Cmd, error) {
	p, err := lookTool(name)
	if err != nil {
		return nil, err
	}
	return exec.Command(p, args...), nil
}

func run(name string, args ...string) error {
	cmd, err := tool(name, args...)
	if err != nil {
		return err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// ids returns uid and primary gid of an account.
func ids(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscan(u.Uid, &uid); err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscan(u.Gid, &gid); err != nil {
		return 0, 0, err
	}
	return uid, gid, nil
}

func groupID(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	var gid int
	_, err = fmt.Sscan(g.Gid, &gid)
	return gid, err
}
