//go:build linux && (amd64 || arm64)

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The persistent token cache on a Linux machine without a usable keyring.
// azidentity/cache tests its storage (the kernel's user keyring through
// keyctl, and a file in the cache folder) once per process, so this runs
// the real binary in a subprocess whose keyctl calls all fail (a seccomp
// filter answering ENOSYS, as a kernel without keys or a container that
// blocks keyctl does).

const noKeyctlEnv = "AMLATTACH_TEST_EXEC_WITHOUT_KEYCTL"

// init: in the test binary started with noKeyctlEnv naming a program,
// forbid keyctl to every thread and exec that program (the filter is
// inherited) with the arguments after "--".
func init() {
	prog := os.Getenv(noKeyctlEnv)
	if prog == "" {
		return
	}
	os.Unsetenv(noKeyctlEnv)
	args := []string{prog}
	for i, a := range os.Args {
		if a == "--" {
			args = append(args, os.Args[i+1:]...)
			break
		}
	}
	if err := forbidKeyctl(); err != nil {
		os.Stderr.WriteString("seccomp: " + err.Error() + "\n")
		os.Exit(97)
	}
	err := syscall.Exec(prog, args, os.Environ())
	os.Stderr.WriteString("exec: " + err.Error() + "\n")
	os.Exit(98)
}

func forbidKeyctl() error {
	runtime.LockOSThread()
	arch := uint32(unix.AUDIT_ARCH_X86_64)
	if runtime.GOARCH == "arm64" {
		arch = unix.AUDIT_ARCH_AARCH64
	}
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	prog := []unix.SockFilter{
		{Code: ld, K: 4}, // seccomp_data.arch
		{Code: jeq, Jt: 0, Jf: 3, K: arch},
		{Code: ld, K: 0}, // seccomp_data.nr
		{Code: jeq, Jt: 0, Jf: 1, K: uint32(unix.SYS_KEYCTL)},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fp))); e != 0 {
		return e
	}
	return nil
}

func TestAuthLoginWithoutAKeyringKeepsTheRecordOnly(t *testing.T) {
	bin := buildBinary(t)
	_, world, home := authSandbox(t, "")
	sharedSandbox = nil // the subprocess starts its own sandbox from the world
	self, err := os.Executable()
	must(t, err)
	runSub := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(self, append([]string{"-test.run=^$", "--"}, args...)...)
		cmd.Env = append(os.Environ(), noKeyctlEnv+"="+bin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code == 97 || code == 98 {
			t.Fatalf("the subprocess could not start: %s", errb.String())
		}
		return out.String(), errb.String(), code
	}
	// The filter works: keyctl fails in the subprocess (a run without it
	// would say "persistent").
	out, errs, code := runSub("auth", "login", "--auth", "device-code", "--world", world)
	if code != 0 {
		t.Fatalf("login without a keyring: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "the sign-in is kept for this run only") || !strings.Contains(errs, "no usable user keyring") ||
		!strings.Contains(errs, "writes no tokens in plain text") {
		t.Fatalf("no notice about the keyring:\n%s", errs)
	}
	rec := filepath.Join(home, "config", "amlattach", "sandbox-signin.json")
	if fi, err := os.Stat(rec); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the record %s: %v %v", rec, fi, err)
	}
	// Each --world run starts a sandbox of its own (another Entra ID), so
	// status names the record and its cache kind, and says it is not this
	// sandbox's.
	out, _, _ = runSub("auth", "status", "-o", "json", "--world", world)
	var st authStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if st.Cache != "record-only" || st.Account != "grace@fabrikam.example" || st.Method != "device-code" {
		t.Fatalf("status without a keyring: %+v", st)
	}
	// No token cache file at all, and nothing token-like in any file.
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		if strings.Contains(p, filepath.Join(home, "cache")) {
			t.Errorf("a cache file was written without a keyring: %s", p)
		}
		for _, w := range []string{"access_token", "refresh_token", "AccessToken", "RefreshToken", "eyJ"} {
			if bytes.Contains(data, []byte(w)) {
				t.Errorf("%s holds %q", p, w)
			}
		}
		return nil
	})
}
