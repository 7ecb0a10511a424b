package sandbox

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
)

// proc is one command to run: its words after expansion, the environment
// it receives, and where it reads and writes.
type proc struct {
	args []string
	env  map[string]string
	stdio
}

// answer writes what an emulation answered and gives its status.
func (p *proc) answer(out, errOut string, code int) int {
	if !p.write(out) {
		return 1
	}
	_, _ = io.WriteString(p.err, errOut)
	return code
}

// write puts s on the command's output; false (and a message) when that
// failed, as on a full disk.
func (p *proc) write(s string) bool {
	if s == "" {
		return true
	}
	if _, err := io.WriteString(p.out, s); err != nil {
		fmt.Fprintf(p.err, "%s: write error: %v\n", p.args[0], err)
		return false
	}
	return true
}

func (h *simHost) home(user string) string {
	if user == "root" {
		return "/root"
	}
	return "/home/" + user
}

// shellOnly are builtins that exist only inside a shell: sudo and env
// cannot start them.
func shellOnly(name string) bool {
	switch name {
	case "cd", "exit", "export", "unset", "set", "command", "type", ":", "readonly", "shift":
		return true
	}
	return false
}

// builtin tells whether the shell runs name itself (command -v prints just
// the name).
func builtin(name string) bool {
	switch name {
	case "echo", "true", "false", "test", "[", "pwd", "printf":
		return true
	}
	return shellOnly(name)
}

// binary is where an installed program lives, "" when it is not installed.
func (h *simHost) binary(name string) string {
	sim := h.e.vm.SSH.Sim
	switch name {
	case "docker":
		if h.dockerNow().version != "" {
			return "/usr/bin/docker"
		}
		return ""
	case "nvidia-smi":
		if sim.GPU != "" {
			return "/usr/bin/nvidia-smi"
		}
		return ""
	case "python", "python3":
		if sim.Python != "" {
			return "/usr/bin/" + name
		}
		return ""
	case "sudo", "cat", "id", "uname", "df", "whoami", "hostname", "echo", "true", "false", "test", "[",
		"printf", "pwd", "env", "printenv", "sh", "bash", "dash", "which", "rm", "touch":
		return "/usr/bin/" + name
	}
	return h.adminBinary(name)
}

// installed is the program a command word names ("" when the host has
// none): a name on the PATH, or its path (/usr/bin/docker; /bin/sh too, as
// /bin is /usr/bin on current distributions).
func (h *simHost) installed(word string) string {
	dir, base := path.Split(word)
	if h.binary(base) == "" || (dir != "" && dir != "/usr/bin/" && dir != "/bin/" && dir != path.Dir(h.binary(base))+"/") {
		return ""
	}
	return base
}

// exec runs a simple command: a shell builtin, else a program.
func (s *shell) exec(p *proc) int {
	name, args := p.args[0], p.args[1:]
	switch name {
	case ":":
		return 0
	case "exit":
		return s.exit(args, p)
	case "cd":
		return s.cd(args, p)
	case "set":
		return s.set(args, p)
	case "shift":
		return s.shift(args, p)
	case "unset":
		for _, a := range args {
			if a != "-v" {
				delete(s.vars, a)
			}
		}
		return 0
	case "export", "readonly": // reached with a name from an expansion (export $x)
		for _, a := range args {
			k, v, ok := strings.Cut(a, "=")
			switch {
			case !validName(k):
				fmt.Fprintf(p.err, "sh: %d: %s: bad variable name\n", s.line, name)
				return 2
			case ok:
				if !s.setVar(k, v, name == "export", p.stdio) {
					return 2
				}
			default:
				cur := s.vars[k]
				s.vars[k] = shellVar{cur.val, cur.exported || name == "export"}
			}
		}
		return 0
	case "command":
		if len(args) == 0 {
			return 0
		}
		if args[0] != "-v" && args[0] != "-V" {
			p.args = args
			return s.exec(p)
		}
		return p.answer(s.which(name, args))
	case "type":
		return p.answer(s.which(name, args))
	}
	return s.program(p)
}

// program runs an installed program: what sudo and env can start too.
func (s *shell) program(p *proc) int {
	h := s.h
	name, args := p.args[0], p.args[1:]
	if name = h.installed(name); name == "" {
		fmt.Fprintf(p.err, "sh: %d: %s: not found\n", s.line, p.args[0])
		return 127
	}
	switch name {
	case "true":
		return 0
	case "false":
		return 1
	case "echo":
		rest, nl := args, "\n"
		if len(rest) > 0 && rest[0] == "-n" {
			rest, nl = rest[1:], ""
		}
		return p.answer(strings.Join(rest, " ")+nl, "", 0)
	case "printf":
		return s.printf(args, p)
	case "test", "[":
		return s.test(name, args, p)
	case "pwd":
		return p.answer(s.cwd+"\n", "", 0)
	case "whoami":
		return p.answer(s.user+"\n", "", 0)
	case "hostname":
		return p.answer(h.e.vm.Name+"\n", "", 0)
	case "id":
		return p.answer(h.id(s.user, args))
	case "uname":
		return p.answer(h.uname(args))
	case "cat":
		return s.cat(args, p)
	case "rm", "touch":
		return s.files(name, args, p)
	case "which":
		return p.answer(s.which(name, args))
	case "env", "printenv":
		return s.env(name, args, p)
	case "sh", "bash", "dash":
		return s.sh(name, args, p)
	case "sudo":
		return s.sudo(args, p)
	case "df":
		return p.answer(h.df(args))
	case "docker":
		if code, ok := s.dockerContainers(args, p); ok {
			return code
		}
		return p.answer(h.docker(s.user == "root", args))
	case "apt-get", "systemctl", "visudo", "install", "mktemp", "cmp", "stat":
		return s.admin(name, args, p)
	case "python", "python3":
		return p.answer(h.python(args))
	default: // nvidia-smi
		return p.answer(h.nvidiaSMI(args))
	}
}

// exit ends the shell: with its argument, or the last command's status.
func (s *shell) exit(args []string, p *proc) int {
	s.exited = true
	if len(args) == 0 {
		return s.status
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		fmt.Fprintf(p.err, "sh: %d: exit: Illegal number: %s\n", s.line, args[0])
		return 2
	}
	return n & 0xff
}

// cd changes the working folder to one the host has.
func (s *shell) cd(args []string, p *proc) int {
	dir := s.vars["HOME"].val
	if len(args) > 0 {
		dir = args[0]
	}
	if dir == "-" {
		dir = s.vars["OLDPWD"].val
	}
	to := absPath(s.cwd, dir)
	if dir == "" || !s.h.isDir(to) {
		fmt.Fprintf(p.err, "sh: %d: cd: can't cd to %s\n", s.line, dir)
		return 2
	}
	s.vars["OLDPWD"] = shellVar{s.cwd, true}
	s.cwd = to
	s.vars["PWD"] = shellVar{to, true}
	return 0
}

// set turns -e and -u on and off and sets the positional parameters.
func (s *shell) set(args []string, p *proc) int {
	if len(args) == 0 {
		names := make([]string, 0, len(s.vars))
		for k := range s.vars {
			names = append(names, k)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, k := range names {
			b.WriteString(k + "=" + s.vars[k].val + "\n")
		}
		return p.answer(b.String(), "", 0)
	}
	illegal := func(opt string) int {
		fmt.Fprintf(p.err, "sh: %d: set: Illegal option %s\n", s.line, opt)
		return 2
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			s.params = args[i+1:]
			return 0
		case len(a) < 2 || (a[0] != '-' && a[0] != '+'):
			s.params = args[i:]
			return 0
		case a[1:] == "o":
			if i+1 == len(args) {
				return illegal(a)
			}
			i++
			switch args[i] {
			case "errexit":
				s.errexit = a[0] == '-'
			case "nounset":
				s.nounset = a[0] == '-'
			case "pipefail": // pipes are refused anyway
			default:
				return illegal(a + " " + args[i])
			}
			continue
		}
		for _, f := range a[1:] {
			switch f {
			case 'e':
				s.errexit = a[0] == '-'
			case 'u':
				s.nounset = a[0] == '-'
			default:
				return illegal(string(a[0]) + string(f))
			}
		}
	}
	return 0
}

func (s *shell) shift(args []string, p *proc) int {
	n := 1
	if len(args) > 0 {
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil {
			fmt.Fprintf(p.err, "sh: %d: shift: Illegal number: %s\n", s.line, args[0])
			return 2
		}
	}
	if n < 0 || n > len(s.params) {
		fmt.Fprintf(p.err, "sh: %d: shift: can't shift that many\n", s.line)
		return 2
	}
	s.params = s.params[n:]
	return 0
}

// which answers command -v/-V, type and which.
func (s *shell) which(name string, args []string) (string, string, int) {
	verbose := name == "type"
	if name == "command" {
		verbose = args[0] == "-V"
		args = args[1:]
	}
	code := 0
	var out, errOut strings.Builder
	for _, a := range args {
		path := s.h.binary(a)
		switch {
		case name != "which" && builtin(a) && verbose:
			out.WriteString(a + " is a shell builtin\n")
		case name != "which" && builtin(a):
			out.WriteString(a + "\n")
		case path != "" && verbose:
			out.WriteString(a + " is " + path + "\n")
		case path != "":
			out.WriteString(path + "\n")
		default:
			code = 1
			if verbose {
				fmt.Fprintf(&errOut, "sh: %d: %s: %s: not found\n", s.line, name, a)
			}
		}
	}
	return out.String(), errOut.String(), code
}

// printf formats with the shell's own rules (expand.Format), reusing the
// format while arguments remain.
func (s *shell) printf(args []string, p *proc) int {
	if len(args) == 0 {
		fmt.Fprintf(p.err, "printf: usage: printf format [arguments]\n")
		return 2
	}
	format, rest := args[0], args[1:]
	var b strings.Builder
	for {
		out, n, err := expand.Format(&expand.Config{}, format, rest)
		if err != nil {
			fmt.Fprintf(p.err, "sh: %d: printf: %v\n", s.line, err)
			return 1
		}
		b.WriteString(out)
		rest = rest[n:]
		if n == 0 || len(rest) == 0 {
			break
		}
	}
	return p.answer(b.String(), "", 0)
}

// test evaluates test and [ expressions: strings, integers, and the files
// and folders of the host.
func (s *shell) test(name string, args []string, p *proc) int {
	if name == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			fmt.Fprintf(p.err, "sh: %d: [: missing ]\n", s.line)
			return 2
		}
		args = args[:len(args)-1]
	}
	ok, err := s.testExpr(args)
	if err != nil {
		fmt.Fprintf(p.err, "sh: %d: %s: %v\n", s.line, name, err)
		return 2
	}
	return boolStatus(ok)
}

func (s *shell) testExpr(a []string) (bool, error) {
	for _, op := range []string{"-o", "-a"} {
		for i := len(a) - 2; i >= 1; i-- {
			if a[i] != op || (len(a) == 3 && i == 1) {
				continue
			}
			l, err := s.testExpr(a[:i])
			if err != nil {
				return false, err
			}
			r, err := s.testExpr(a[i+1:])
			if op == "-o" {
				return l || r, err
			}
			return l && r, err
		}
	}
	switch {
	case len(a) == 0:
		return false, nil
	case len(a) == 1:
		return a[0] != "", nil
	case len(a) == 3:
		if ok, known, err := compare(a[0], a[1], a[2]); known {
			return ok, err
		}
	case len(a) == 2 && a[0] != "!":
		return s.fileTest(a[0], a[1])
	}
	if a[0] == "!" {
		ok, err := s.testExpr(a[1:])
		return !ok, err
	}
	if len(a) == 3 {
		return false, fmt.Errorf("%s: unexpected operator", a[1])
	}
	return false, errors.New("too many arguments")
}

// fileTest answers the unary tests.
func (s *shell) fileTest(op, x string) (bool, error) {
	p := absPath(s.cwd, x)
	switch op {
	case "-n":
		return x != "", nil
	case "-z":
		return x == "", nil
	case "-e", "-r", "-w":
		return s.h.exists(p), nil
	case "-d":
		return s.h.isDir(p), nil
	case "-f":
		return s.h.exists(p) && !s.h.isDir(p), nil
	case "-s":
		body, err := s.h.readFile(p)
		return err == nil && body != "", nil
	case "-x":
		return s.h.isDir(p) || strings.HasPrefix(p, "/usr/bin/") && s.h.exists(p), nil
	case "-L", "-h", "-t", "-p", "-S", "-b", "-c":
		return false, nil
	}
	return false, fmt.Errorf("%s: unexpected operator", op)
}

// compare answers the binary tests; known is false for another operator.
func compare(l, op, r string) (ok, known bool, err error) {
	switch op {
	case "=", "==":
		return l == r, true, nil
	case "!=":
		return l != r, true, nil
	case "-eq", "-ne", "-lt", "-le", "-gt", "-ge":
	default:
		return false, false, nil
	}
	x, err := strconv.Atoi(strings.TrimSpace(l))
	if err != nil {
		return false, true, fmt.Errorf("Illegal number: %s", l)
	}
	y, err := strconv.Atoi(strings.TrimSpace(r))
	if err != nil {
		return false, true, fmt.Errorf("Illegal number: %s", r)
	}
	switch op {
	case "-eq":
		return x == y, true, nil
	case "-ne":
		return x != y, true, nil
	case "-lt":
		return x < y, true, nil
	case "-le":
		return x <= y, true, nil
	case "-gt":
		return x > y, true, nil
	}
	return x >= y, true, nil
}

// cat prints files of the host, and its input for - or no file.
func (s *shell) cat(args []string, p *proc) int {
	var files []string
	for _, a := range args {
		if a == "-" || !strings.HasPrefix(a, "-") {
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := 0
	for _, f := range files {
		if f == "-" {
			if !p.write(p.in) {
				return 1
			}
			continue
		}
		body, err := s.h.readFile(absPath(s.cwd, f))
		switch {
		case errors.Is(err, errIsDir):
			fmt.Fprintf(p.err, "cat: %s: Is a directory\n", f)
			code = 1
		case err != nil:
			fmt.Fprintf(p.err, "cat: %s: No such file or directory\n", f)
			code = 1
		case !p.write(body):
			return 1
		}
	}
	return code
}

// files runs rm and touch on the host's disk.
func (s *shell) files(name string, args []string, p *proc) int {
	force := false
	var paths []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			force = force || strings.Contains(a, "f")
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 {
		if force {
			return 0
		}
		fmt.Fprintf(p.err, "%s: missing operand\n", name)
		return 1
	}
	code := 0
	for _, f := range paths {
		at := absPath(s.cwd, f)
		if name == "touch" {
			err := s.h.openFile(s.user, at, true)
			switch {
			case err == nil || errors.Is(err, errIsDir):
			case errors.Is(err, errNoSuchDir):
				fmt.Fprintf(p.err, "touch: cannot touch '%s': No such file or directory\n", f)
				code = 1
			default:
				fmt.Fprintf(p.err, "touch: cannot touch '%s': %v\n", f, err)
				code = 1
			}
			continue
		}
		err := s.h.removeFile(s.user, at)
		switch {
		case err == nil || force && errors.Is(err, errNoSuchFile):
		case errors.Is(err, errNoSuchFile):
			fmt.Fprintf(p.err, "rm: cannot remove '%s': No such file or directory\n", f)
			code = 1
		default:
			fmt.Fprintf(p.err, "rm: cannot remove '%s': %v\n", f, err)
			code = 1
		}
	}
	return code
}

// env prints the environment or runs a program with a changed one;
// printenv prints it.
func (s *shell) env(name string, args []string, p *proc) int {
	env := map[string]string{}
	for k, v := range p.env {
		env[k] = v
	}
	if name == "printenv" {
		if len(args) == 0 {
			return p.answer(envLines(env), "", 0)
		}
		var b strings.Builder
		code := 0
		for _, a := range args {
			if v, ok := env[a]; ok {
				b.WriteString(v + "\n")
			} else {
				code = 1
			}
		}
		return p.answer(b.String(), "", code)
	}
options:
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-i" || a == "-" || a == "--ignore-environment":
			env = map[string]string{}
		case a == "-u" && len(args) > 1:
			delete(env, args[1])
			args = args[1:]
		case a == "--":
			args = args[1:]
			break options
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.err, "env: invalid option -- '%s'\nTry 'env --help' for more information.\n", strings.TrimLeft(a, "-"))
			return 125
		default:
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				break options
			}
			env[k] = v
		}
		args = args[1:]
	}
	for len(args) > 0 && strings.Contains(args[0], "=") {
		k, v, _ := strings.Cut(args[0], "=")
		env[k], args = v, args[1:]
	}
	if len(args) == 0 {
		return p.answer(envLines(env), "", 0)
	}
	if s.h.installed(args[0]) == "" {
		fmt.Fprintf(p.err, "env: '%s': No such file or directory\n", args[0])
		return 127
	}
	return s.program(&proc{args: args, env: env, stdio: p.stdio})
}

// envLines is an environment as env prints it (sorted here, so that
// answers do not change from run to run).
func envLines(env map[string]string) string {
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + "=" + env[k] + "\n")
	}
	return b.String()
}

// sh runs a script in a new shell: from -c, a file of the host, or its input.
func (s *shell) sh(name string, args []string, p *proc) int {
	child := s.h.newShell(s.login, s.user, p.env, s.budget)
	child.cwd = s.cwd
	child.vars["PWD"] = shellVar{s.cwd, true}
	child.depth = s.depth + 1
	child.arg0 = name
	fromC := false
	for len(args) > 0 && len(args[0]) > 1 && (args[0][0] == '-' || args[0][0] == '+') && args[0] != "--" {
		for _, f := range args[0][1:] {
			switch f {
			case 'c':
				fromC = true
			case 'e':
				child.errexit = args[0][0] == '-'
			case 'u':
				child.nounset = args[0][0] == '-'
			case 'l', 's':
			default:
				fmt.Fprintf(p.err, "%s: 0: Illegal option -%c\n", name, f)
				return 2
			}
		}
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	in, script := p.in, ""
	switch {
	case fromC:
		if len(args) == 0 {
			fmt.Fprintf(p.err, "%s: 0: -c requires an argument\n", name)
			return 2
		}
		script, args = args[0], args[1:]
		if len(args) > 0 {
			child.arg0, args = args[0], args[1:]
		}
	case len(args) > 0:
		body, err := s.h.readFile(absPath(s.cwd, args[0]))
		if err != nil {
			fmt.Fprintf(p.err, "%s: 0: cannot open %s: %v\n", name, args[0], err)
			return 2
		}
		script, child.arg0, args = body, args[0], args[1:]
	default:
		script, in = p.in, ""
	}
	child.params = args
	return child.script(script, stdio{in: in, out: p.out, err: p.err})
}

// sudo runs a program as root (or -u USER) with sudo's reset environment,
// after the checks the world asks for (sim.sudoNeedsPassword).
func (s *shell) sudo(args []string, p *proc) int {
	nonInteractive, keepEnv, target := false, false, "root"
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-n", "--non-interactive":
			nonInteractive = true
		case "-E", "--preserve-env":
			keepEnv = true
		case "-H", "--set-home":
		case "-u", "--user":
			if len(args) < 2 {
				return p.answer("", "sudo: option requires an argument -- 'u'\n", 1)
			}
			target, args = args[1], args[1:]
		case "--":
			args = args[1:]
			goto run
		default:
			return p.answer("", fmt.Sprintf("sudo: invalid option -- '%s'\nusage: sudo -h | -K | -k | -V\n", strings.TrimLeft(args[0], "-")), 1)
		}
		args = args[1:]
	}
run:
	env := map[string]string{
		"HOME": s.h.home(target), "LOGNAME": target, "USER": target, "SHELL": "/bin/bash",
		"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin",
	}
	if keepEnv {
		for k, v := range p.env {
			env[k] = v
		}
		env["USER"], env["LOGNAME"] = target, target
	} else if lang, ok := p.env["LANG"]; ok {
		env["LANG"] = lang
	}
	for len(args) > 0 && strings.Contains(args[0], "=") && !strings.HasPrefix(args[0], "=") {
		k, v, _ := strings.Cut(args[0], "=")
		env[k], args = v, args[1:]
	}
	if len(args) == 0 {
		return p.answer("", "usage: sudo -h | -K | -k | -V\nusage: sudo -v [-AknS] [-g group] [-h host] [-p prompt] [-u user]\n", 1)
	}
	if !s.h.knownUser(target) {
		return p.answer("", fmt.Sprintf("sudo: unknown user %s\nsudo: error initializing audit plugin sudoers_audit\n", target), 1)
	}
	if problem := s.h.sudoersProblem(); problem != "" {
		return p.answer("", problem, 1)
	}
	if s.h.e.vm.SSH.Sim.SudoNeedsPassword && s.user != "root" &&
		!s.h.sudoNoPassword(s.user, target, s.h.binary(s.h.installed(args[0])), args[1:]) {
		if nonInteractive {
			return p.answer("", "sudo: a password is required\n", 1)
		}
		return p.answer("", "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required\n", 1)
	}
	if s.h.installed(args[0]) == "" {
		return p.answer("", fmt.Sprintf("sudo: %s: command not found\n", args[0]), 1)
	}
	env["SUDO_USER"], env["SUDO_COMMAND"] = s.user, s.h.binary(s.h.installed(args[0]))+strings.TrimSuffix(" "+strings.Join(args[1:], " "), " ")
	as := s.h.newShell(s.login, target, env, s.budget)
	as.cwd, as.line, as.depth = s.cwd, s.line, s.depth+1
	return as.program(&proc{args: args, env: env, stdio: p.stdio})
}
func (h *simHost) id(me string, args []string) (string, string, int) {
	// id [OPTION]... [USER]: the user named, else the caller.
	for len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-") {
		me, args = args[len(args)-1], args[:len(args)-1]
		if !h.knownUser(me) {
			return "", fmt.Sprintf("id: '%s': no such user\n", me), 1
		}
	}
	uid, groups := "1000", fmt.Sprintf("1000(%s),4(adm),27(sudo)", me)
	if me == "root" {
		uid, groups = "0", "0(root)"
	} else if d := h.dockerNow(); d.version != "" && !d.sudoOnly {
		groups += ",998(docker)"
	}
	if len(args) == 0 {
		return fmt.Sprintf("uid=%s(%s) gid=%s(%s) groups=%s\n", uid, me, uid, me, groups), "", 0
	}
	switch strings.Join(args, " ") {
	case "-un", "-u -n", "-nu", "-gn", "-g -n", "-ng":
		return me + "\n", "", 0
	case "-u", "-g":
		return uid + "\n", "", 0
	case "-Gn", "-nG":
		return strings.NewReplacer("1000(", "", "4(", "", "27(", "", "998(", "", "0(", "", ")", "", ",", " ").Replace(groups) + "\n", "", 0
	}
	return "", fmt.Sprintf("id: invalid option -- '%s'\nTry 'id --help' for more information.\n", strings.TrimLeft(args[0], "-")), 1
}

func (h *simHost) uname(args []string) (string, string, int) {
	kernel, build := kernelOf(h.e.vm.SSH.Sim.OS)
	if len(args) == 0 {
		return "Linux\n", "", 0
	}
	var parts []string
	for _, a := range args {
		switch a {
		case "-a", "--all":
			return fmt.Sprintf("Linux %s %s %s x86_64 x86_64 x86_64 GNU/Linux\n", h.e.vm.Name, kernel, build), "", 0
		case "-s":
			parts = append(parts, "Linux")
		case "-n":
			parts = append(parts, h.e.vm.Name)
		case "-r":
			parts = append(parts, kernel)
		case "-v":
			parts = append(parts, build)
		case "-m", "-p", "-i":
			parts = append(parts, "x86_64")
		case "-o":
			parts = append(parts, "GNU/Linux")
		default:
			return "", fmt.Sprintf("uname: invalid option -- '%s'\nTry 'uname --help' for more information.\n", strings.TrimLeft(a, "-")), 1
		}
	}
	return strings.Join(parts, " ") + "\n", "", 0
}

// df answers in the POSIX format; free space comes from freeDiskGB, on a
// disk with 30 GB used.
func (h *simHost) df(args []string) (string, string, int) {
	human := false
	for _, a := range args {
		if strings.HasPrefix(a, "-") && strings.Contains(a, "h") {
			human = true
		}
	}
	const kib = 1024 * 1024 // KiB per GiB
	avail := int64(h.e.vm.SSH.Sim.FreeDiskGB) * kib
	used := int64(30) * kib
	total := avail + used
	capacity := (used*100 + total - 1) / total
	if human {
		return fmt.Sprintf("Filesystem      Size  Used Avail Use%% Mounted on\n/dev/root       %3dG   30G  %3dG  %2d%% /\n",
			total/kib, avail/kib, capacity), "", 0
	}
	return fmt.Sprintf("Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/root      %11d %8d %9d %7d%% /\n",
		total, used, avail, capacity), "", 0
}

const (
	dockerSocketDown = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
	dockerDenied     = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version\": dial unix /var/run/docker.sock: connect: permission denied\n"
)

func (h *simHost) docker(root bool, args []string) (string, string, int) {
	sim := h.dockerNow()
	v := sim.version
	sub, format := "", ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--format" || a == "-f":
			if i+1 < len(args) {
				format = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--format="):
			format = strings.TrimPrefix(a, "--format=")
		case a == "--version" || a == "-v":
			if sub == "" {
				return fmt.Sprintf("Docker version %s, build %s\n", v, shortBuild(v)), "", 0
			}
		case !strings.HasPrefix(a, "-") && sub == "":
			sub = a
		}
	}
	switch sub {
	case "":
		return "", "Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n", 0
	case "version", "info", "ps", "images":
	default:
		return "", fmt.Sprintf("docker: '%s' is not available on this simulated host.\nSee 'docker --help'\n", sub), 1
	}
	client := fmt.Sprintf("Client:\n Version:           %s\n API version:       1.43\n Go version:        go1.20.10\n OS/Arch:           linux/amd64\n", v)
	failure := ""
	switch {
	case !sim.daemon:
		failure = dockerSocketDown
	case sim.sudoOnly && !root:
		failure = dockerDenied
	}
	if failure != "" {
		if sub == "version" && format == "" {
			return client + "\n", failure, 1
		}
		return "", failure, 1
	}
	switch sub {
	case "version":
		if format != "" {
			return v + "\n", "", 0
		}
		return client + fmt.Sprintf("\nServer:\n Engine:\n  Version:          %s\n  API version:      1.43 (minimum version 1.12)\n  OS/Arch:          linux/amd64\n", v), "", 0
	case "info":
		if format != "" {
			return v + "\n", "", 0
		}
		return fmt.Sprintf("Client:\n Context:    default\n\nServer:\n Containers: 0\n Images: 0\n Server Version: %s\n Storage Driver: overlay2\n Cgroup Driver: systemd\n Docker Root Dir: /var/lib/docker\n", v), "", 0
	case "ps":
		return "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n", "", 0
	default: // images
		return "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", "", 0
	}
}

func shortBuild(v string) string { return stableUUID("docker" + v)[:7] }

func (h *simHost) nvidiaSMI(args []string) (string, string, int) {
	gpu := h.e.vm.SSH.Sim.GPU
	fields := strings.Split(gpu, ",")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	for len(fields) < 3 {
		fields = append(fields, "")
	}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--query-gpu="):
			var out []string
			for _, q := range strings.Split(strings.TrimPrefix(a, "--query-gpu="), ",") {
				switch strings.TrimSpace(q) {
				case "name", "gpu_name":
					out = append(out, fields[0])
				case "driver_version":
					out = append(out, fields[1])
				case "memory.total":
					out = append(out, fields[2])
				default:
					out = append(out, "[N/A]")
				}
			}
			return strings.Join(out, ", ") + "\n", "", 0
		case a == "-L" || a == "--list-gpus":
			return fmt.Sprintf("GPU 0: %s (UUID: GPU-%s)\n", fields[0], stableUUID(gpu+h.e.vm.Name)), "", 0
		}
	}
	return fmt.Sprintf("+-----------------------------------------------------------------------------+\n| NVIDIA-SMI %-18s Driver Version: %-12s                      |\n|   0  %-30s  Memory: %-12s                    |\n+-----------------------------------------------------------------------------+\n",
		fields[1], fields[1], fields[0], fields[2]), "", 0
}

// osRelease writes /etc/os-release for "<distro> <version>".
func osRelease(osName string) string {
	distro, version := splitOS(osName)
	var b strings.Builder
	kv := func(k, v string, quote bool) {
		if quote {
			v = `"` + v + `"`
		}
		b.WriteString(k + "=" + v + "\n")
	}
	switch distro {
	case "ubuntu":
		point, codename, name := ubuntuRelease(version)
		full := version + point
		if major, minor, ok := strings.Cut(version, "."); ok && minor == "04" {
			if n, err := strconv.Atoi(major); err == nil && n%2 == 0 {
				full += " LTS"
			}
		}
		kv("PRETTY_NAME", "Ubuntu "+full, true)
		kv("NAME", "Ubuntu", true)
		kv("VERSION_ID", version, true)
		if codename != "" {
			kv("VERSION", full+" ("+name+")", true)
			kv("VERSION_CODENAME", codename, false)
		} else {
			kv("VERSION", full, true)
		}
		kv("ID", "ubuntu", false)
		kv("ID_LIKE", "debian", false)
		if codename != "" {
			kv("UBUNTU_CODENAME", codename, false)
		}
	case "debian":
		codename := map[string]string{"9": "stretch", "10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie"}[version]
		ver := version
		if codename != "" {
			ver = version + " (" + codename + ")"
		}
		kv("PRETTY_NAME", "Debian GNU/Linux "+ver, true)
		kv("NAME", "Debian GNU/Linux", true)
		kv("VERSION_ID", version, true)
		kv("VERSION", ver, true)
		if codename != "" {
			kv("VERSION_CODENAME", codename, false)
		}
		kv("ID", "debian", false)
	case "centos":
		major := strings.Split(version, ".")[0]
		ver := major
		if major == "7" {
			ver = "7 (Core)"
		}
		kv("NAME", "CentOS Linux", true)
		kv("VERSION", ver, true)
		kv("ID", "centos", true)
		kv("ID_LIKE", "rhel fedora", true)
		kv("VERSION_ID", major, true)
		kv("PRETTY_NAME", "CentOS Linux "+ver, true)
		kv("ANSI_COLOR", "0;31", true)
		kv("CPE_NAME", "cpe:/o:centos:centos:"+major, true)
	case "rhel":
		kv("NAME", "Red Hat Enterprise Linux", true)
		kv("VERSION", version, true)
		kv("ID", "rhel", true)
		kv("ID_LIKE", "fedora", true)
		kv("VERSION_ID", version, true)
		kv("PRETTY_NAME", "Red Hat Enterprise Linux "+version, true)
	default:
		pretty := strings.ToUpper(distro[:1]) + distro[1:]
		kv("NAME", pretty, true)
		kv("VERSION", version, true)
		kv("ID", distro, false)
		kv("VERSION_ID", version, true)
		kv("PRETTY_NAME", pretty+" "+version, true)
	}
	return b.String()
}

// ubuntuRelease gives the point release, codename and release name of an
// Ubuntu version.
func ubuntuRelease(v string) (point, codename, name string) {
	switch v {
	case "16.04":
		return ".7", "xenial", "Xenial Xerus"
	case "18.04":
		return ".6", "bionic", "Bionic Beaver"
	case "20.04":
		return ".6", "focal", "Focal Fossa"
	case "22.04":
		return ".4", "jammy", "Jammy Jellyfish"
	case "24.04":
		return ".1", "noble", "Noble Numbat"
	}
	return "", "", ""
}

// kernelOf is the kernel release and build uname reports for an OS.
func kernelOf(osName string) (string, string) {
	distro, version := splitOS(osName)
	switch {
	case distro == "ubuntu" && version == "20.04":
		return "5.15.0-1057-azure", "#65~20.04.1-Ubuntu SMP Mon Jan 15 17:08:37 UTC 2024"
	case distro == "ubuntu" && version == "22.04":
		return "6.5.0-1017-azure", "#17~22.04.1-Ubuntu SMP Sat Mar  9 10:50:39 UTC 2024"
	case distro == "ubuntu" && version == "24.04":
		return "6.8.0-1012-azure", "#14-Ubuntu SMP Mon Jul 22 19:17:06 UTC 2024"
	case distro == "ubuntu":
		return "5.4.0-1109-azure", "#115~18.04.1-Ubuntu SMP Mon May 22 20:06:37 UTC 2023"
	case distro == "centos" || distro == "rhel":
		return "3.10.0-1160.105.1.el7.x86_64", "#1 SMP Thu Dec 7 15:39:45 UTC 2023"
	case distro == "debian":
		return "6.1.0-18-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"
	}
	return "6.1.0-generic", "#1 SMP"
}

// sshdVersion is the OpenSSH banner the OS would show.
func sshdVersion(osName string) string {
	distro, version := splitOS(osName)
	switch {
	case distro == "ubuntu" && version == "20.04":
		return "OpenSSH_8.2p1 Ubuntu-4ubuntu0.11"
	case distro == "ubuntu" && version == "22.04":
		return "OpenSSH_8.9p1 Ubuntu-3ubuntu0.6"
	case distro == "ubuntu" && version == "24.04":
		return "OpenSSH_9.6p1 Ubuntu-3ubuntu13.4"
	case distro == "ubuntu":
		return "OpenSSH_7.6p1 Ubuntu-4ubuntu0.7"
	case distro == "centos" || distro == "rhel":
		return "OpenSSH_7.4"
	case distro == "debian":
		return "OpenSSH_9.2p1 Debian-2+deb12u2"
	}
	return "OpenSSH_8.9p1"
}
