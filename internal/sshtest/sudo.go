package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sudoFiles are what the host's sudo needs in a chroot besides itself: its
// policy plugin and utility library (with the libraries ldd lists).
var sudoFiles = []string{"/usr/libexec/sudo/sudoers.so", "/usr/libexec/sudo/libsudo_util.so.0"}

// installSudo puts the host's real sudo (setuid root) into the Ubuntu
// account's chroot, with a sudoers that lets the account run docker as root
// without a password, as Azure ML needs on an attached VM. PAM's account
// and session steps are off (the chroot has no PAM modules); a rule without
// NOPASSWD still asks for a password, so `sudo -n` fails then as on a VM.
func installSudo(base string, in *installer) (string, error) {
	sudo, err := lookTool("sudo")
	if err != nil {
		return "", fmt.Errorf("sudo not found (install sudo)")
	}
	root := filepath.Join(base, "r", "amlt-ubuntu")
	dst := filepath.Join(root, "usr", "bin", "sudo")
	os.Remove(dst) // a busybox applet link, if busybox had one
	// A copy, never a link: its owner and mode are set here, and a link
	// would change the host's own sudo.
	if err := copyFile(sudo, dst); err != nil {
		return "", err
	}
	if err := os.Chown(dst, 0, 0); err != nil {
		return "", err
	}
	if err := os.Chmod(dst, 0o755|os.ModeSetuid); err != nil { // chown and the copy drop setuid
		return "", err
	}
	libs, err := sharedLibs(sudo)
	if err != nil {
		return "", err
	}
	for _, l := range libs {
		if err := in.file(l, filepath.Join(root, l)); err != nil {
			return "", fmt.Errorf("sudo needs %s: %w", l, err)
		}
	}
	for _, f := range sudoFiles {
		if err := in.file(f, filepath.Join(root, f)); err != nil {
			return "", err
		}
		// A plugin has no interpreter, so sharedLibs passes it over: ldd
		// lists what it loads.
		out, err := exec.Command("ldd", f).Output()
		if err != nil {
			return "", fmt.Errorf("ldd %s: %v", f, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if fs := strings.Fields(line); len(fs) >= 3 && fs[1] == "=>" && strings.HasPrefix(fs[2], "/") {
				if err := in.file(fs[2], filepath.Join(root, fs[2])); err != nil {
					return "", fmt.Errorf("%s needs %s: %w", f, fs[2], err)
				}
			}
		}
	}
	files := map[string]string{
		"etc/sudo.conf":  "Plugin sudoers_policy sudoers.so\nPlugin sudoers_io sudoers.so\n",
		"etc/pam.d/sudo": "#%PAM-1.0\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	sudoers := filepath.Join(root, "etc", "sudoers")
	return sudoers, writeSudoers(sudoers, true)
}

func writeSudoers(path string, passwordless bool) error {
	rule := "amlt-ubuntu ALL=(root) NOPASSWD: /usr/bin/docker\n"
	if !passwordless {
		rule = "amlt-ubuntu ALL=(root) /usr/bin/docker\n"
	}
	content := "Defaults !pam_session, !pam_setcred, !pam_acct_mgmt, !fqdn, !syslog, !lecture\n" + rule
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o440); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o440); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// SudoWantsPassword makes the Ubuntu account's sudo ask for a password
// for docker (Options.Sudo): `sudo -n docker` then fails with "a password
// is required", as on a VM without passwordless sudo.
func (s *Server) SudoWantsPassword(t testing.TB, wants bool) {
	t.Helper()
	if s.sudoers == "" {
		t.Fatal("sshtest: SudoWantsPassword needs Options.Sudo")
	}
	if err := writeSudoers(s.sudoers, !wants); err != nil {
		t.Fatalf("sshtest: sudoers: %v", err)
	}
}
