package sandbox_test

import (
	"testing"
)

// TestSimShell runs command lines on simulated hosts over SSH and checks
// what a login shell on such a machine would answer, exactly.
func TestSimShell(t *testing.T) {
	srv := startWorld(t, testWorld)
	good, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	noDocker, err := dialSim(t, srv, "20.0.0.4:22", "azureuser", "pw")
	if err != nil {
		t.Fatal(err)
	}
	const env = "HOME=/home/azureuser\nLANG=C.UTF-8\nLOGNAME=azureuser\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin\nPWD=/home/azureuser\nSHELL=/bin/bash\nSHLVL=1\nUSER=azureuser\n"
	cases := []struct {
		name        string
		host        *simClient
		cmd         string
		out, errOut string
		code        int
	}{
		{"exit stops the script", good, "exit 3; echo x", "", "", 3},
		{"exit without a number keeps the status", good, "false; exit", "", "", 1},
		{"exit in a subshell", good, "(exit 4); echo $?", "4\n", "", 0},
		{"unset variable is empty", good, "echo $HOMEDIR", "\n", "", 0},
		{"variable then text", good, `echo "${HOME}DIR" $USER.x`, "/home/azureuserDIR azureuser.x\n", "", 0},
		{"single quotes keep $", good, `echo '$HOME'`, "$HOME\n", "", 0},
		{"quoted redirection is text", good, `echo "a > b"`, "a > b\n", "", 0},
		{"quoted separators are text", good, `echo 'a; b && c || d'`, "a; b && c || d\n", "", 0},
		{"append", good, "echo x >> f1; echo y >> f1; cat f1", "x\ny\n", "", 0},
		{"truncate", good, "echo a > f2; echo b > f2; cat ~/f2", "b\n", "", 0},
		{"newline separates", good, "echo a\necho b", "a\nb\n", "", 0},
		{"assignment for one command", good, `FOO=1 sh -c 'echo "[$FOO]"'; sh -c 'echo "[$FOO]"'; echo "[$FOO]"`, "[1]\n[]\n[]\n", "", 0},
		{"assignment in env", good, "FOO=1 env", "FOO=1\n" + env, "", 0},
		{"env without it", good, "FOO=1 true; env", env, "", 0},
		{"shell variable stays unexported", good, "x=1; echo $x; x=2 true; echo $x; sh -c 'echo \"[$x]\"'", "1\n1\n[]\n", "", 0},
		{"export", good, "FOO=bar; export FOO; sh -c 'echo $FOO'; export BAZ=q; printenv BAZ", "bar\nq\n", "", 0},
		{"command substitution", good, `echo "$(whoami)"`, "azureuser\n", "", 0},
		{"backquotes", good, "echo `hostname`", "good\n", "", 0},
		{"sudo changes the user", good, `sudo -n sh -c 'echo "$(whoami) $HOME $SUDO_USER"'`, "root /root azureuser\n", "", 0},
		{"expansion before sudo", good, `sudo -n echo "$USER"`, "azureuser\n", "", 0},
		{"tilde", good, "echo ~ ~/x ~root ~nobody/y", "/home/azureuser /home/azureuser/x /root ~nobody/y\n", "", 0},
		{"braces", good, "echo a{b,c}d", "abd acd\n", "", 0},
		{"no globbing of this computer", good, "echo /etc/*", "/etc/*\n", "", 0},
		{"status", good, "false; echo $?", "1\n", "", 0},
		{"stderr to stdout", good, "cat /nope 2>&1", "cat: /nope: No such file or directory\n", "", 1},
		{"order of redirections", good, "cat /nope 2>&1 >/dev/null", "cat: /nope: No such file or directory\n", "", 1},
		{"stdout to stderr", good, "echo oops >&2", "", "oops\n", 0},
		{"or after a failure", good, "cat /nope 2>/dev/null || echo missing", "missing\n", "", 0},
		{"write outside home refused", good, "echo x > /etc/motd", "", "sh: 1: cannot create /etc/motd: Permission denied\n", 2},
		{"write into a missing folder", good, "echo x > /nope/f", "", "sh: 1: cannot create /nope/f: Directory nonexistent\n", 2},
		{"root writes anywhere", good, "sudo -n sh -c 'echo hi > /etc/motd'; cat /etc/motd", "hi\n", "", 0},
		{"input redirection", good, "echo from-file > f3; cat < f3", "from-file\n", "", 0},
		{"file by substitution", good, `echo "[$(</etc/hostname)]"; x=$(</nope); echo $?`, "[good]\n1\n", "sh: 1: cannot open /nope: No such file\n", 0},
		{"here-document", good, "cat <<EOF\nhi $USER\nEOF", "hi azureuser\n", "", 0},
		{"quoted here-document", good, "cat <<'EOF'\nhi $USER\nEOF", "hi $USER\n", "", 0},
		{"cd and relative paths", good, "cd /tmp && pwd && echo x > rel && cat /tmp/rel", "/tmp\nx\n", "", 0},
		{"set -e", good, "set -e; false; echo not here", "", "", 1},
		{"set -e spares conditions", good, "set -e; false || true; if false; then :; fi; ! true; echo here", "here\n", "", 0},
		{"set -u", good, "set -u; echo $NOPE; echo after", "", "sh: 1: NOPE: parameter not set\n", 2},
		{"if", good, "if command -v docker >/dev/null; then echo yes; else echo no; fi", "yes\n", "", 0},
		{"else", noDocker, "if command -v docker >/dev/null; then echo yes; else echo no; fi", "no\n", "", 0},
		{"test", good, "[ -f /etc/os-release ] && [ ! -d /etc/os-release ] && test 2 -lt 10 && echo yes", "yes\n", "", 0},
		{"printf", good, `printf '%s-%s\n' a b c`, "a-b\nc-\n", "", 0},
		{"sh -c arguments", good, `sh -c 'echo "$0:$1:$#"' name one`, "name:one:1\n", "", 0},
		{"not found", good, "frobnicate --now", "", "sh: 1: frobnicate: not found\n", 127},
		{"not found on line 2", good, "true\nfrobnicate", "", "sh: 2: frobnicate: not found\n", 127},
		{"programs by path", good, "/usr/bin/whoami; /bin/sh -c 'echo ok'; sudo -n /usr/bin/id -un", "azureuser\nok\nroot\n", "", 0},
		{"path not installed", good, "/opt/tool; /usr/bin/nvidia-smi", "", "sh: 1: /opt/tool: not found\nsh: 1: /usr/bin/nvidia-smi: not found\n", 127},
		{"sudo not found", good, "sudo -n frobnicate", "", "sudo: frobnicate: command not found\n", 1},
		{"sudo cannot run cd", good, "sudo -n cd /", "", "sudo: cd: command not found\n", 1},
		{"pipes refused", good, "ls | wc -l", "", "sh: 1: pipes are not supported by this simulated host\n", 2},
		{"background refused", good, "echo x &", "", "sh: 1: background jobs are not supported by this simulated host\n", 2},
		{"loops refused before anything runs", good, "echo x; while true; do :; done", "", "sh: 1: loops are not supported by this simulated host\n", 2},
		{"unterminated quote", good, "echo 'x", "", "sh: 1: Syntax error: reached EOF without closing quote `'`\n", 2},
		{"endless sh -c stops", good, `sh -c 'sh -c "$0" "$0"' 'sh -c "$0" "$0"'`, "", "sh: 1: shells nest more than 16 deep: this simulated host stops here\n", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := c.host.run(t, c.cmd)
			if out != c.out || errOut != c.errOut || code != c.code {
				t.Errorf("%q:\n got  code %d, stdout %q, stderr %q\n want code %d, stdout %q, stderr %q", c.cmd, code, out, errOut, c.code, c.out, c.errOut)
			}
		})
	}
	// What a user wrote stays on the host for the next command.
	if out, _, _ := good.run(t, "cat f1"); out != "x\ny\n" {
		t.Fatalf("f1 in a new session: %q", out)
	}
	// and only on that host.
	if _, errOut, code := noDocker.run(t, "cat f1"); code != 1 || errOut != "cat: f1: No such file or directory\n" {
		t.Fatalf("f1 on another host: %d %q", code, errOut)
	}
}
