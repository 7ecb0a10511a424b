package sandbox

import (
	"fmt"
	"strconv"
	"strings"
)

// The simulated host runs commands through a tiny shell: words with single
// and double quotes and backslashes, $HOME/$USER and ~, the separators ;,
// && and ||, and the redirections >/dev/null, 2>/dev/null and 2>&1. Pipes
// and substitutions are refused. Each command answers what the machine the
// world describes would answer.

// shellRun is one command line's result.
type shellRun struct {
	out, err strings.Builder
	code     int
}

// run interprets a command line as user.
func (h *simHost) run(user, line string) (string, string, int) {
	var res shellRun
	cmds, err := splitCommands(line)
	if err != nil {
		return "", "sh: 1: " + err.Error() + "\n", 2
	}
	for i, c := range cmds {
		if i > 0 {
			switch cmds[i-1].op {
			case "&&":
				if res.code != 0 {
					continue
				}
			case "||":
				if res.code == 0 {
					continue
				}
			}
		}
		words, err := splitWords(c.text, h.home(user), user)
		if err != nil {
			res.err.WriteString("sh: 1: " + err.Error() + "\n")
			res.code = 2
			continue
		}
		words, outNull, errNull, errToOut, errMsg := redirections(words)
		if errMsg != "" {
			res.err.WriteString(errMsg)
			res.code = 2
			continue
		}
		if len(words) == 0 {
			continue
		}
		out, errOut, code := h.command(user, false, words)
		if errToOut {
			out, errOut = out+errOut, ""
		}
		if !outNull {
			res.out.WriteString(out)
		}
		if !errNull {
			res.err.WriteString(errOut)
		}
		res.code = code
	}
	return res.out.String(), res.err.String(), res.code
}

type shellCmd struct{ text, op string }

// splitCommands splits at ;, && and || outside quotes.
func splitCommands(line string) ([]shellCmd, error) {
	var out []shellCmd
	var cur strings.Builder
	quote := byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(line) {
				cur.WriteByte(c)
				i++
				c = line[i]
			}
			cur.WriteByte(c)
			continue
		case c == '\'' || c == '"':
			quote = c
		case c == '\\' && i+1 < len(line):
			cur.WriteByte(c)
			i++
			c = line[i]
		case c == ';':
			out = append(out, shellCmd{cur.String(), ";"})
			cur.Reset()
			continue
		case (c == '&' || c == '|') && i+1 < len(line) && line[i+1] == c:
			out = append(out, shellCmd{cur.String(), string([]byte{c, c})})
			cur.Reset()
			i++
			continue
		case c == '|':
			return nil, fmt.Errorf("pipes are not supported by this simulated host")
		case c == '`' || (c == '$' && i+1 < len(line) && line[i+1] == '('):
			return nil, fmt.Errorf("command substitution is not supported by this simulated host")
		case c == '&' && !(i > 0 && line[i-1] == '>'):
			return nil, fmt.Errorf("background jobs are not supported by this simulated host")
		}
		cur.WriteByte(c)
	}
	if quote != 0 {
		return nil, fmt.Errorf("Syntax error: Unterminated quoted string")
	}
	return append(out, shellCmd{cur.String(), ""}), nil
}

// splitWords splits a simple command into words, removing quotes and
// expanding $HOME, $USER and a leading ~.
func splitWords(s, home, user string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	quote := byte(0)
	expand := func(i int) (string, int, bool) {
		for _, v := range []struct{ name, val string }{{"HOME", home}, {"USER", user}, {"{HOME}", home}, {"{USER}", user}} {
			if strings.HasPrefix(s[i+1:], v.name) {
				return v.val, i + len(v.name), true
			}
		}
		return "", i, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0:
				i++
				cur.WriteByte(s[i])
			case c == '$':
				if v, j, ok := expand(i); ok {
					cur.WriteString(v)
					i = j
				} else {
					cur.WriteByte(c)
				}
			default:
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '~' && !inWord && (i+1 == len(s) || s[i+1] == '/' || s[i+1] == ' '):
			cur.WriteString(home)
			inWord = true
		case c == '$':
			if v, j, ok := expand(i); ok {
				cur.WriteString(v)
				i = j
			} else {
				cur.WriteByte(c)
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("Syntax error: Unterminated quoted string")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// redirections takes the redirection words out of a command.
func redirections(words []string) (rest []string, outNull, errNull, errToOut bool, errMsg string) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		fd, target, ok := "", "", false
		for _, p := range []string{"2>", "1>", ">"} {
			if strings.HasPrefix(w, p) {
				fd, target, ok = strings.TrimSuffix(p, ">"), strings.TrimPrefix(w, p), true
				break
			}
		}
		if !ok {
			rest = append(rest, w)
			continue
		}
		if target == "" && i+1 < len(words) {
			i++
			target = words[i]
		}
		switch {
		case fd == "2" && target == "&1":
			errToOut = true
		case (fd == "" || fd == "1") && target == "&2":
			// stdout to stderr: rare in probes; keep it on stdout
		case target == "/dev/null" && fd == "2":
			errNull = true
		case target == "/dev/null":
			outNull = true
		default:
			return nil, false, false, false, fmt.Sprintf("sh: 1: cannot create %s: Permission denied\n", target)
		}
	}
	return rest, outNull, errNull, errToOut, ""
}

func (h *simHost) home(user string) string {
	if user == "root" {
		return "/root"
	}
	return "/home/" + user
}

// builtins are shell builtins (command -v prints just their name).
var builtins = map[string]bool{"echo": true, "true": true, "false": true, "command": true, "exit": true, "cd": true, "type": true, "test": true, "[": true, "pwd": true}

// binary is where an installed program lives, "" when it is not installed.
func (h *simHost) binary(name string) string {
	sim := h.e.vm.SSH.Sim
	switch name {
	case "docker":
		if sim.Docker != "" {
			return "/usr/bin/docker"
		}
		return ""
	case "nvidia-smi":
		if sim.GPU != "" {
			return "/usr/bin/nvidia-smi"
		}
		return ""
	case "sudo", "cat", "id", "uname", "df", "whoami", "hostname", "echo", "true", "false", "test":
		return "/usr/bin/" + name
	}
	return ""
}

// command runs one simple command; root is true under sudo.
func (h *simHost) command(user string, root bool, args []string) (string, string, int) {
	sim := h.e.vm.SSH.Sim
	vm := h.e.vm
	name := args[0]
	me := user
	if root {
		me = "root"
	}
	notFound := func() (string, string, int) {
		if root {
			return "", fmt.Sprintf("sudo: %s: command not found\n", name), 1
		}
		return "", fmt.Sprintf("sh: 1: %s: not found\n", name), 127
	}
	switch name {
	case "true", ":":
		return "", "", 0
	case "false":
		return "", "", 1
	case "exit":
		code := 0
		if len(args) > 1 {
			fmt.Sscanf(args[1], "%d", &code)
		}
		return "", "", code
	case "echo":
		rest, nl := args[1:], "\n"
		if len(rest) > 0 && rest[0] == "-n" {
			rest, nl = rest[1:], ""
		}
		return strings.Join(rest, " ") + nl, "", 0
	case "pwd":
		return h.home(me) + "\n", "", 0
	case "whoami":
		return me + "\n", "", 0
	case "hostname":
		return vm.Name + "\n", "", 0
	case "id":
		return h.id(me, args[1:])
	case "uname":
		return h.uname(args[1:])
	case "cat":
		return h.cat(args[1:])
	case "command", "which":
		return h.which(name, args[1:])
	case "sudo":
		return h.sudo(user, root, args[1:])
	case "df":
		return h.df(args[1:])
	case "docker":
		if sim.Docker == "" {
			return notFound()
		}
		return h.docker(root, args[1:])
	case "nvidia-smi":
		if sim.GPU == "" {
			return notFound()
		}
		return h.nvidiaSMI(args[1:])
	}
	return notFound()
}

func (h *simHost) which(name string, args []string) (string, string, int) {
	if name == "command" {
		if len(args) == 0 || (args[0] != "-v" && args[0] != "-V") {
			if len(args) > 0 {
				return h.command(h.e.vm.AdminUsername, false, args)
			}
			return "", "", 0
		}
		args = args[1:]
	}
	code := 0
	var out strings.Builder
	for _, a := range args {
		switch {
		case name == "command" && builtins[a]:
			out.WriteString(a + "\n")
		case h.binary(a) != "":
			out.WriteString(h.binary(a) + "\n")
		default:
			code = 1
		}
	}
	return out.String(), "", code
}

func (h *simHost) sudo(user string, root bool, args []string) (string, string, int) {
	nonInteractive := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-n", "--non-interactive":
			nonInteractive = true
		case "-E", "-H", "--preserve-env", "--set-home":
		case "--":
			args = args[1:]
			goto run
		default:
			return "", fmt.Sprintf("sudo: invalid option -- '%s'\nusage: sudo -h | -K | -k | -V\n", strings.TrimLeft(args[0], "-")), 1
		}
		args = args[1:]
	}
run:
	if len(args) == 0 {
		return "", "usage: sudo -h | -K | -k | -V\nusage: sudo -v [-AknS] [-g group] [-h host] [-p prompt] [-u user]\n", 1
	}
	if h.e.vm.SSH.Sim.SudoNeedsPassword && !root && user != "root" {
		if nonInteractive {
			return "", "sudo: a password is required\n", 1
		}
		return "", "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required\n", 1
	}
	if builtins[args[0]] && args[0] != "echo" && args[0] != "true" && args[0] != "false" && args[0] != "test" {
		return "", fmt.Sprintf("sudo: %s: command not found\n", args[0]), 1
	}
	return h.command(user, true, args)
}

func (h *simHost) id(me string, args []string) (string, string, int) {
	uid, groups := "1000", fmt.Sprintf("1000(%s),4(adm),27(sudo)", me)
	if me == "root" {
		uid, groups = "0", "0(root)"
	} else if sim := h.e.vm.SSH.Sim; sim.Docker != "" && !sim.DockerSudoOnly {
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

func (h *simHost) cat(args []string) (string, string, int) {
	var out, errOut strings.Builder
	code := 0
	for _, f := range args {
		switch f {
		case "/etc/os-release", "/usr/lib/os-release":
			out.WriteString(osRelease(h.e.vm.SSH.Sim.OS))
		case "/etc/hostname":
			out.WriteString(h.e.vm.Name + "\n")
		default:
			errOut.WriteString("cat: " + f + ": No such file or directory\n")
			code = 1
		}
	}
	return out.String(), errOut.String(), code
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
	sim := h.e.vm.SSH.Sim
	v := sim.Docker
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
	case !sim.DockerDaemon:
		failure = dockerSocketDown
	case sim.DockerSudoOnly && !root:
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
