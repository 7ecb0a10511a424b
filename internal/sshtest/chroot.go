package sshtest

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const baseDirEnv = "AMLATTACH_SSHTEST_DIR" // optional parent of the per-test dirs

// newBaseDir creates the per-Start directory. sshd's ChrootDirectory demands
// that every component of the chroot path be root-owned and not writable by
// group or others, which rules out /tmp (mode 1777) and therefore
// t.TempDir(); the first parent that qualifies is used. Paths stay short
// because the dockerd unix socket lives below it (108-byte limit).
func newBaseDir(t testing.TB) string {
	t.Helper()
	var parent string
	cands := []string{os.Getenv(baseDirEnv), os.TempDir(), "/var/lib", "/run"}
	for _, c := range cands {
		if c != "" && chrootSafe(c) == nil {
			parent = c
			break
		}
	}
	if parent == "" {
		t.Fatalf("sshtest: no directory suitable for sshd ChrootDirectory among %q (%v); set %s", cands, chrootSafe(os.TempDir()), baseDirEnv)
	}
	cleanStale(t, parent)
	base, err := os.MkdirTemp(parent, "amlt-sshtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unmountUnder(base)
		if err := os.RemoveAll(base); err != nil {
			t.Logf("sshtest: removing %s: %v", base, err)
		}
	})
	if err := os.WriteFile(filepath.Join(base, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, mode := range map[string]os.FileMode{"": 0o755, "id": 0o700, "keys": 0o755, "r": 0o755} {
		p := filepath.Join(base, dir)
		if err := os.MkdirAll(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// chrootSafe applies sshd's check to dir and each of its parents.
func chrootSafe(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := dir; ; p = filepath.Dir(p) {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return err
		}
		if st.Uid != 0 || st.Mode&0o022 != 0 || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			return fmt.Errorf("%s: not a root-owned directory unwritable by group/others", p)
		}
		if p == "/" {
			return nil
		}
	}
}

// cleanStale removes directories left behind by test processes that died
// without running their cleanups (killed by a test timeout, for example).
func cleanStale(t testing.TB, parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "amlt-sshtest-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Minute {
				unmountUnder(d)
				os.RemoveAll(d)
			}
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		// a dockerd that outlived its test: its command line names our dir
		if b, err := os.ReadFile(filepath.Join(d, "docker.pid")); err == nil {
			if dp, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && dp > 0 {
				if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", dp)); err == nil && strings.Contains(string(cl), d) {
					syscall.Kill(dp, syscall.SIGKILL)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
		unmountUnder(d)
		if err := os.RemoveAll(d); err == nil {
			t.Logf("sshtest: removed stale %s", d)
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// unmountUnder lazily unmounts everything mounted at or below dir, deepest first.
func unmountUnder(dir string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mps = append(mps, mp)
		}
	}
	sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	for _, mp := range mps {
		syscall.Unmount(mp, syscall.MNT_DETACH)
	}
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

const ubuntuOSRelease = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`

const ubuntuLSBRelease = `DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=22.04
DISTRIB_CODENAME=jammy
DISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"
`

// installer puts host files into the chroots, hard-linking where it can so
// that the docker CLI is not copied three times.
type installer struct {
	done map[string]string // resolved source -> first installed copy
}

func (in *installer) file(src, dst string) error {
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	if prev, ok := in.done[real]; ok {
		if err := os.Link(prev, dst); err == nil {
			return nil
		}
	}
	if err := os.Link(real, dst); err != nil {
		if err := copyFile(real, dst); err != nil {
			return err
		}
	}
	in.done[real] = dst
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// binary installs an executable at dst inside root plus the shared
// libraries ldd lists for it, at their host paths.
func (in *installer) binary(root, src, dst string) error {
	if err := in.file(src, filepath.Join(root, dst)); err != nil {
		return err
	}
	libs, err := sharedLibs(src)
	if err != nil {
		return err
	}
	for _, l := range libs {
		if err := in.file(l, filepath.Join(root, l)); err != nil {
			return fmt.Errorf("%s needs %s: %w", src, l, err)
		}
	}
	return nil
}

// sharedLibs lists the libraries (and loader) of a dynamically linked ELF;
// nil for a static one.
func sharedLibs(bin string) ([]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	dynamic := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			dynamic = true
		}
	}
	f.Close()
	if !dynamic {
		return nil, nil
	}
	ldd, err := lookTool("ldd")
	if err != nil {
		return nil, fmt.Errorf("%s is dynamically linked and ldd is missing", bin)
	}
	out, err := exec.Command(ldd, bin).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %v", bin, err)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 3 && fields[1] == "=>" && strings.HasPrefix(fields[2], "/"):
			libs = append(libs, fields[2])
		case len(fields) >= 1 && strings.HasPrefix(fields[0], "/"):
			libs = append(libs, fields[0])
		case strings.Contains(line, "not found"):
			return nil, fmt.Errorf("ldd %s: %s", bin, strings.TrimSpace(line))
		}
	}
	return libs, nil
}

// buildChroots builds <base>/r/<name> for every chrooted account: a
// usr-merged Ubuntu 22.04 layout whose programs are busybox applets, plus
// the docker CLI where the account has one.
func buildChroots(base string) error {
	busybox, err := lookTool("busybox")
	if err != nil {
		return err
	}
	appletsOut, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %v", err)
	}
	applets := strings.Fields(string(appletsOut))
	dockerCLI, dockerErr := dockerCLIPath()
	dockerGID, err := groupID(dockerGroup)
	if err != nil {
		return err
	}
	in := &installer{done: map[string]string{}}
	for _, a := range accounts {
		if !a.chroot {
			continue
		}
		uid, gid, err := ids(a.name)
		if err != nil {
			return err
		}
		root := filepath.Join(base, "r", a.name)
		for _, d := range []string{"", "usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "home", "run", "var", "proc", "dev", "tmp", "root"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				return err
			}
		}
		os.Chmod(filepath.Join(root, "tmp"), os.ModeSticky|0o777)
		os.Chmod(filepath.Join(root, "root"), 0o700)
		home := filepath.Join(root, "home", a.name)
		if err := os.MkdirAll(home, 0o755); err != nil {
			return err
		}
		if err := os.Chown(home, uid, gid); err != nil {
			return err
		}
		links := map[string]string{
			"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64",
			"var/run":        "../run",
			"etc/os-release": "../usr/lib/os-release",
			"etc/mtab":       "../proc/mounts",
		}
		for name, target := range links {
			if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
				return err
			}
		}
		passwd := fmt.Sprintf("root:x:0:0:root:/root:/bin/sh\n%s:x:%d:%d:amlattach sshtest:/home/%s:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", a.name, uid, gid, a.name)
		group := fmt.Sprintf("root:x:0:\n%s:x:%d:\nnogroup:x:65534:\n", a.name, gid)
		if a.dockerGroup {
			group += fmt.Sprintf("docker:x:%d:%s\n", dockerGID, a.name)
		}
		files := map[string]string{
			"usr/lib/os-release": ubuntuOSRelease,
			"etc/lsb-release":    ubuntuLSBRelease,
			"etc/hostname":       a.name + "\n",
			"etc/passwd":         passwd,
			"etc/group":          group,
			// busybox df finds mount points in /proc/mounts; nothing is
			// mounted in the chroot, so a plain file describes its root.
			"proc/mounts": fmt.Sprintf("/dev/root / %s rw,relatime 0 0\n", fsType(root)),
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
				return err
			}
		}
		// /dev/null, if this filesystem allows device nodes
		devNull := filepath.Join(root, "dev", "null")
		if syscall.Mknod(devNull, syscall.S_IFCHR|0o666, 1<<8|3) == nil {
			os.Chmod(devNull, 0o666)
		}
		if err := in.binary(root, busybox, "usr/bin/busybox"); err != nil {
			return err
		}
		for _, ap := range applets {
			if ap == "busybox" || strings.Contains(ap, "/") {
				continue
			}
			p := filepath.Join(root, "usr", "bin", ap)
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			if err := os.Symlink("busybox", p); err != nil {
				return err
			}
		}
		if a.dockerCLI {
			if dockerErr != nil {
				return dockerErr
			}
			if err := in.binary(root, dockerCLI, "usr/bin/docker"); err != nil {
				return err
			}
		}
	}
	return nil
}

// dockerCLIPath is the docker CLI copied into the chroots: the one in PATH
// (static or dynamically linked; either works).
func dockerCLIPath() (string, error) {
	return lookTool("docker")
}

func fsType(dir string) string {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return "ext4"
	}
	switch uint32(st.Type) {
	case 0x01021994:
		return "tmpfs"
	case 0x794c7630:
		return "overlay"
	case 0x58465342:
		return "xfs"
	case 0x9123683e:
		return "btrfs"
	}
	return "ext4"
}
