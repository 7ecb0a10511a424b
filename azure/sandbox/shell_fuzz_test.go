package sandbox

import "testing"

// FuzzSimShell feeds odd command lines to a simulated host's shell: it
// must answer each with a status a process can have, never panic, and
// never hang.
func FuzzSimShell(f *testing.F) {
	for _, s := range []string{
		"exit 3; echo x", "echo $HOMEDIR", `echo "a > b"`, "echo x >> f; cat f", "echo a\necho b", "FOO=1 env",
		`FOO=1 sh -c 'echo $FOO'`, `echo "$(whoami)"`, "sudo -n docker version --format '{{.Server.Version}}'",
		"cat <<EOF\n$USER\nEOF", "set -eu; echo ${X:-d} ${#HOME} $((1+2)) ${Y:=z} $Y", "[ -d / ] && cd / && pwd",
		"echo $'\\x41' ~nobody <(true)", "printf '%d %q\\n' 3 'a b'", "if false; then :; elif true; then echo e; fi",
		`sh -c 'sh -c "$0" "$0"' 'sh -c "$0" "$0"'`, "exec 3>&1", "echo ${x?}", "{ echo a; } 2>&1 >/dev/null",
	} {
		f.Add(s)
	}
	h := &simHost{e: &vmEntry{vm: &VM{Name: "fz", AdminUsername: "azureuser", SSH: SSH{Sim: &Sim{
		OS: "ubuntu 22.04", Docker: "24.0.7", DockerDaemon: true, GPU: "Tesla T4, 535.104.05, 15360 MiB", FreeDiskGB: 50,
		Users: map[string]SimUser{"azureuser": {Password: "pw"}},
	}}}}}
	f.Fuzz(func(t *testing.T, line string) {
		if _, _, code := h.run("azureuser", line); code < 0 || code > 255 {
			t.Fatalf("%q: exit status %d", line, code)
		}
	})
}
