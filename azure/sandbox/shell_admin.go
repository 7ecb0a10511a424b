package sandbox

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The administration commands of a simulated host: what root runs to set
// Docker up (apt-get, systemctl, visudo, install, mktemp, cmp, stat), as a
// Run Command's script does (arm_vm_runcommands.go). Their effects change
// the host the way the probes read it: a package apt-get installed is on
// the PATH, a daemon systemctl started answers docker, and a file installed
// in /etc/sudoers.d is what sudo reads before it asks for a password.

// hostState is what root changed on a simulated host since the sandbox
// started; until a change, the world's ssh.sim stands. Guarded by mu.
type hostState struct {
	mu sync.Mutex
	// set: Docker's state below replaces the world's docker, dockerDaemon
	// and dockerSudoOnly.
	set      bool
	docker   string // installed version; "" not installed
	daemon   bool   // the daemon runs
	enabled  bool   // the daemon starts at boot
	sudoOnly bool   // the users are not in the docker group
	fromApt  bool   // apt-get installed docker.io here
	// modes are the permission bits of files whose mode was set (install
	// -m, mktemp); other files have 0644.
	modes  map[string]uint32
	tmpSeq int
}

// dockerState is a snapshot of Docker on the host.
type dockerState struct {
	version                 string
	daemon, enabled         bool
	sudoOnly, installedByUs bool
}

// docker is Docker on the host as it is now.
func (h *simHost) dockerNow() dockerState {
	st := &h.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.set {
		return dockerState{version: st.docker, daemon: st.daemon, enabled: st.enabled, sudoOnly: st.sudoOnly, installedByUs: st.fromApt}
	}
	sim := h.e.vm.SSH.Sim
	return dockerState{version: sim.Docker, daemon: sim.DockerDaemon, enabled: sim.DockerDaemon, sudoOnly: sim.DockerSudoOnly}
}

// changeDocker applies change to Docker's state on the host.
func (h *simHost) changeDocker(change func(d *dockerState)) {
	d := h.dockerNow()
	change(&d)
	st := &h.state
	st.mu.Lock()
	defer st.mu.Unlock()
	st.set = true
	st.docker, st.daemon, st.enabled, st.sudoOnly, st.fromApt = d.version, d.daemon, d.enabled, d.sudoOnly, d.installedByUs
}

// fileMode is the permission bits of the file at p.
func (h *simHost) fileMode(p string) uint32 {
	h.state.mu.Lock()
	defer h.state.mu.Unlock()
	if m, ok := h.state.modes[p]; ok {
		return m
	}
	if h.isDir(p) {
		return 0o755
	}
	return 0o644
}

func (h *simHost) setMode(p string, mode uint32) {
	h.state.mu.Lock()
	defer h.state.mu.Unlock()
	if h.state.modes == nil {
		h.state.modes = map[string]uint32{}
	}
	h.state.modes[p] = mode
}

// forgetMode drops the mode of a file that was removed or made anew.
func (h *simHost) forgetMode(p string) {
	h.state.mu.Lock()
	defer h.state.mu.Unlock()
	delete(h.state.modes, p)
}

// adminBinary is where an administration program lives ("" when the host
// has none): apt-get only on Ubuntu and Debian.
func (h *simHost) adminBinary(name string) string {
	switch name {
	case "apt-get":
		if distro, _ := splitOS(h.e.vm.SSH.Sim.OS); distro == "ubuntu" || distro == "debian" {
			return "/usr/bin/apt-get"
		}
	case "visudo":
		return "/usr/sbin/visudo"
	case "systemctl", "install", "mktemp", "cmp", "stat":
		return "/usr/bin/" + name
	}
	return ""
}

// admin runs one of the administration programs.
func (s *shell) admin(name string, args []string, p *proc) int {
	switch name {
	case "apt-get":
		return p.answer(s.aptGet(args))
	case "systemctl":
		return p.answer(s.systemctl(args))
	case "visudo":
		return p.answer(s.visudo(args))
	case "install":
		return p.answer(s.install(args))
	case "mktemp":
		return p.answer(s.mktemp(args))
	case "cmp":
		return p.answer(s.cmp(args))
	default: // stat
		return p.answer(s.stat(args))
	}
}

// dockerPackage is the docker.io package version apt installs on an OS.
func dockerPackage(osName string) string {
	distro, version := splitOS(osName)
	switch {
	case distro == "ubuntu" && version == "18.04":
		return "20.10.21-0ubuntu1~18.04.3"
	case distro == "ubuntu" && version == "20.04":
		return "24.0.5-0ubuntu1~20.04.1"
	case distro == "ubuntu" && version == "22.04":
		return "24.0.7-0ubuntu2~22.04.1"
	case distro == "ubuntu":
		return "24.0.7-0ubuntu4.1"
	}
	return "20.10.24+dfsg1-1+b3"
}

// upstreamVersion is a Debian package version without its Debian revision:
// what docker version reports.
func upstreamVersion(pkg string) string {
	v, _, _ := strings.Cut(pkg, "-")
	v, _, _ = strings.Cut(v, "+")
	return v
}

const (
	aptNotRoot   = "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n"
	aptListsLock = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1812 (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/\n"
	aptDpkgLock  = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1812 (unattended-upgr)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n"
)

// aptGet answers apt-get update, install, remove and purge; the only
// package it knows is docker.io. sim.aptLocked holds the dpkg lock, as
// unattended-upgrades does on a VM that has just booted.
func (s *shell) aptGet(args []string) (string, string, int) {
	quiet, yes := 0, false
	var op string
	var pkgs []string
	for _, a := range args {
		switch {
		case a == "-y" || a == "--yes" || a == "--assume-yes":
			yes = true
		case a == "-q" || a == "--quiet":
			quiet++
		case a == "-qq":
			quiet += 2
		case strings.HasPrefix(a, "-"):
		case op == "":
			op = a
		default:
			pkgs = append(pkgs, a)
		}
	}
	if op == "" {
		return "", "E: No operation given. Try apt-get --help\n", 100
	}
	if s.user != "root" {
		return "", aptNotRoot, 100
	}
	sim := s.h.e.vm.SSH.Sim
	distro, version := splitOS(sim.OS)
	_, codename, _ := ubuntuRelease(version)
	mirror := "http://azure.archive.ubuntu.com/ubuntu"
	if distro == "debian" {
		mirror, codename = "http://deb.debian.org/debian", map[string]string{"11": "bullseye", "12": "bookworm", "13": "trixie"}[version]
	}
	reading := "Reading package lists...\nBuilding dependency tree...\nReading state information...\n"
	switch op {
	case "update":
		if sim.AptLocked {
			return "", aptListsLock, 100
		}
		if quiet >= 2 {
			return "", "", 0
		}
		return fmt.Sprintf("Hit:1 %s %s InRelease\nHit:2 %s %s-updates InRelease\nReading package lists...\n", mirror, codename, mirror, codename), "", 0
	case "install", "remove", "purge":
	default:
		return "", fmt.Sprintf("E: Invalid operation %s\n", op), 100
	}
	if sim.AptLocked {
		return "", aptDpkgLock, 100
	}
	if quiet >= 2 {
		reading = ""
	}
	for _, p := range pkgs {
		if p != "docker.io" {
			return reading, fmt.Sprintf("E: Unable to locate package %s\n", p), 100
		}
	}
	if len(pkgs) == 0 {
		return reading + "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", "", 0
	}
	d := s.h.dockerNow()
	pkg := dockerPackage(sim.OS)
	if op != "install" {
		if d.version == "" {
			return reading + "Package 'docker.io' is not installed, so not removed\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", "", 0
		}
		s.h.changeDocker(func(d *dockerState) { *d = dockerState{} })
		return reading + fmt.Sprintf("Removing docker.io (%s) ...\n", pkg), "", 0
	}
	if d.version != "" {
		return reading + fmt.Sprintf("docker.io is already the newest version (%s).\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n", pkg), "", 0
	}
	if !yes {
		return reading + "The following NEW packages will be installed:\n  bridge-utils containerd dns-root-data dnsmasq-base docker.io pigz runc ubuntu-fan\nDo you want to continue? [Y/n] Abort.\n", "", 1
	}
	// The package's postinst creates the docker group (no user in it),
	// enables the service and starts it.
	s.h.changeDocker(func(d *dockerState) {
		*d = dockerState{version: upstreamVersion(pkg), daemon: true, enabled: true, sudoOnly: true, installedByUs: true}
	})
	out := reading + fmt.Sprintf("Selecting previously unselected package docker.io.\nUnpacking docker.io (%s) ...\nSetting up docker.io (%s) ...\nAdding group `docker' (GID 119) ...\nDone.\n", pkg, pkg)
	return out, "Created symlink /etc/systemd/system/multi-user.target.wants/docker.service → /lib/systemd/system/docker.service.\nCreated symlink /etc/systemd/system/sockets.target.wants/docker.socket → /lib/systemd/system/docker.socket.\n", 0
}

// systemctl answers for the docker unit (start, stop, restart, enable,
// disable with --now, is-active, is-enabled, status); other units are not
// found. Changing a unit needs root.
func (s *shell) systemctl(args []string) (string, string, int) {
	var verb string
	var units []string
	quiet, now := false, false
	for _, a := range args {
		switch {
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "--now":
			now = true
		case strings.HasPrefix(a, "-"):
		case verb == "":
			verb = a
		default:
			units = append(units, a)
		}
	}
	if verb == "" {
		return "", "systemctl: this simulated host answers only for units (systemctl start|stop|restart|enable|disable|is-active|is-enabled|status UNIT)\n", 1
	}
	if len(units) == 0 {
		return "", fmt.Sprintf("Too few arguments.\n"), 1
	}
	d := s.h.dockerNow()
	var out, errOut strings.Builder
	code := 0
	for _, u := range units {
		unit := strings.TrimSuffix(u, ".service")
		known := unit == "docker" && d.version != ""
		switch verb {
		case "is-active":
			st := "inactive"
			if known && d.daemon {
				st = "active"
			} else if code == 0 {
				code = 3
			}
			if !quiet {
				out.WriteString(st + "\n")
			}
			continue
		case "is-enabled":
			st, c := "disabled", 1
			switch {
			case !known:
				errOut.WriteString(fmt.Sprintf("Failed to get unit file state for %s.service: No such file or directory\n", unit))
				st = ""
			case d.enabled:
				st, c = "enabled", 0
			}
			if st != "" && !quiet {
				out.WriteString(st + "\n")
			}
			if c != 0 && code == 0 {
				code = c
			}
			continue
		case "status":
			if !known {
				errOut.WriteString(fmt.Sprintf("Unit %s.service could not be found.\n", unit))
				code = 4
				continue
			}
			state, c := "inactive (dead)", 3
			if d.daemon {
				state, c = "active (running)", 0
			}
			enabled := "disabled"
			if d.enabled {
				enabled = "enabled"
			}
			fmt.Fprintf(&out, "● docker.service - Docker Application Container Engine\n     Loaded: loaded (/lib/systemd/system/docker.service; %s; vendor preset: enabled)\n     Active: %s\n", enabled, state)
			if c != 0 && code == 0 {
				code = c
			}
			continue
		case "start", "stop", "restart", "enable", "disable":
		default:
			return "", fmt.Sprintf("Unknown command verb %s.\n", verb), 1
		}
		if s.user != "root" {
			if verb == "enable" || verb == "disable" {
				return out.String(), errOut.String() + fmt.Sprintf("Failed to %s unit: Interactive authentication required.\n", verb), 1
			}
			return out.String(), errOut.String() + fmt.Sprintf("Failed to %s %s.service: Interactive authentication required.\nSee system logs and 'systemctl status %s.service' for details.\n", verb, unit, unit), 1
		}
		if !known {
			if verb == "enable" || verb == "disable" {
				return out.String(), errOut.String() + fmt.Sprintf("Failed to %s unit: Unit file %s.service does not exist.\n", verb, unit), 1
			}
			return out.String(), errOut.String() + fmt.Sprintf("Failed to %s %s.service: Unit %s.service not found.\n", verb, unit, unit), 5
		}
		s.h.changeDocker(func(d *dockerState) {
			switch verb {
			case "start", "restart":
				d.daemon = true
			case "stop":
				d.daemon = false
			case "enable":
				d.enabled = true
				d.daemon = d.daemon || now
			case "disable":
				d.enabled = false
				d.daemon = d.daemon && !now
			}
		})
		if verb == "enable" || verb == "disable" {
			fmt.Fprintf(&errOut, "Synchronizing state of docker.service with SysV service script with /lib/systemd/systemd-sysv-install.\nExecuting: /lib/systemd/systemd-sysv-install %s docker\n", verb)
		}
	}
	return out.String(), errOut.String(), code
}

// sudoersDir is where sudo reads the drop-in files (sudoers' includedir).
const sudoersDir = "/etc/sudoers.d"

// sudoersFiles are the files sudo reads from /etc/sudoers.d, in the order
// it reads them; like sudo it skips names with a dot or ending in ~.
func (h *simHost) sudoersFiles() []string {
	h.fs.mu.Lock()
	var out []string
	for p := range h.fs.files {
		name, ok := strings.CutPrefix(p, sudoersDir+"/")
		if ok && !strings.Contains(name, "/") && !strings.Contains(name, ".") && !strings.HasSuffix(name, "~") {
			out = append(out, p)
		}
	}
	h.fs.mu.Unlock()
	sort.Strings(out)
	return out
}

// sudoRule is one user specification of a sudoers file: who, as whom,
// which commands, and whether a password is asked.
type sudoRule struct {
	users    []string
	runas    []string // nil: root only
	commands []sudoCmd
}

type sudoCmd struct {
	path     string // ALL, or an absolute path
	args     string // "" any arguments; `""` none; else exactly these
	nopasswd bool
	negated  bool
}

var (
	sudoUserRE  = regexp.MustCompile(`^!?(ALL|%[a-z_][a-z0-9_-]*|#[0-9]+|[a-z_][a-z0-9_.-]*\$?)$`)
	sudoHostRE  = regexp.MustCompile(`^!?(ALL|[A-Za-z0-9][A-Za-z0-9.-]*)$`)
	sudoAliasRE = regexp.MustCompile(`^(User|Runas|Host|Cmnd|Cmd)_Alias\s+[A-Z][A-Z0-9_]*\s*=\s*\S`)
)

// parseSudoers reads a sudoers file: its user specifications, or the line
// of the first syntax error. Defaults, aliases, comments and include
// directives are accepted as they are.
func parseSudoers(body string) ([]sudoRule, int) {
	var rules []sudoRule
	for i, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "#include"), strings.HasPrefix(line, "@include"):
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "Defaults"):
			continue
		case sudoAliasRE.MatchString(line):
			continue
		}
		r, ok := parseSudoRule(line)
		if !ok {
			return nil, i + 1
		}
		rules = append(rules, r)
	}
	return rules, 0
}

// parseSudoRule parses `USERS HOSTS = [(RUNAS)] [TAG:]... CMND[, ...]`.
func parseSudoRule(line string) (sudoRule, bool) {
	var r sudoRule
	who, rest, ok := strings.Cut(line, "=")
	if !ok {
		return r, false
	}
	f := strings.Fields(who)
	if len(f) != 2 {
		return r, false
	}
	for _, u := range strings.Split(f[0], ",") {
		if !sudoUserRE.MatchString(u) {
			return r, false
		}
		r.users = append(r.users, u)
	}
	for _, hst := range strings.Split(f[1], ",") {
		if !sudoHostRE.MatchString(hst) {
			return r, false
		}
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") {
		end := strings.Index(rest, ")")
		if end < 0 {
			return r, false
		}
		users, _, _ := strings.Cut(rest[1:end], ":")
		for _, u := range strings.Split(users, ",") {
			u = strings.TrimSpace(u)
			if u == "" {
				continue
			}
			if !sudoUserRE.MatchString(u) {
				return r, false
			}
			r.runas = append(r.runas, u)
		}
		if r.runas == nil {
			r.runas = []string{"root"}
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	nopasswd := false
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		for {
			tag, after, ok := strings.Cut(part, ":")
			if !ok || !isSudoTag(strings.TrimSpace(tag)) {
				break
			}
			switch strings.TrimSpace(tag) {
			case "NOPASSWD":
				nopasswd = true
			case "PASSWD":
				nopasswd = false
			}
			part = strings.TrimSpace(after)
		}
		c := sudoCmd{nopasswd: nopasswd}
		if strings.HasPrefix(part, "!") {
			c.negated, part = true, strings.TrimSpace(part[1:])
		}
		cmd, args, _ := strings.Cut(part, " ")
		switch {
		case cmd == "ALL" && args == "":
		case strings.HasPrefix(cmd, "/") && !strings.ContainsAny(cmd, ":=()\\\"'`;&|<>$"):
		default:
			return r, false
		}
		c.path, c.args = cmd, strings.TrimSpace(args)
		r.commands = append(r.commands, c)
	}
	return r, len(r.commands) > 0
}

func isSudoTag(t string) bool {
	switch t {
	case "NOPASSWD", "PASSWD", "SETENV", "NOSETENV", "EXEC", "NOEXEC", "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL", "FOLLOW", "NOFOLLOW":
		return true
	}
	return false
}

// sudoersProblem is what sudo says about the drop-in files before it does
// anything ("" when they are fine): a syntax error or a world-writable file
// makes sudo refuse every command, which is why visudo checks a file
// before it is put there.
func (h *simHost) sudoersProblem() string {
	for _, p := range h.sudoersFiles() {
		if h.fileMode(p)&0o002 != 0 {
			return fmt.Sprintf("sudo: %s is world writable\nsudo: no valid sudoers sources found, quitting\n", p)
		}
		body, _ := h.readFile(p)
		if _, line := parseSudoers(body); line > 0 {
			return fmt.Sprintf(">>> %s: syntax error near line %d <<<\nsudo: parse error in %s near line %d\nsudo: no valid sudoers sources found, quitting\nsudo: error initializing audit plugin sudoers_audit\n", p, line, p, line)
		}
	}
	return ""
}

// sudoNoPassword tells whether the drop-in files let user run the program
// at cmdPath with args as target without a password (the last rule that
// matches decides, as in sudo).
func (h *simHost) sudoNoPassword(user, target, cmdPath string, args []string) bool {
	allowed := false
	for _, p := range h.sudoersFiles() {
		body, _ := h.readFile(p)
		rules, _ := parseSudoers(body)
		for _, r := range rules {
			if !h.sudoUserMatches(r.users, user) || !runasMatches(r.runas, target) {
				continue
			}
			for _, c := range r.commands {
				if c.path != "ALL" && (c.path != cmdPath || !sudoArgsMatch(c.args, args)) {
					continue
				}
				allowed = c.nopasswd && !c.negated
			}
		}
	}
	return allowed
}

func (h *simHost) sudoUserMatches(list []string, user string) bool {
	match := false
	for _, u := range list {
		neg := strings.HasPrefix(u, "!")
		u = strings.TrimPrefix(u, "!")
		var hit bool
		switch {
		case u == "ALL" || u == user:
			hit = true
		case strings.HasPrefix(u, "%"):
			hit = h.inGroup(user, u[1:])
		}
		if hit {
			match = !neg
		}
	}
	return match
}

// inGroup tells whether user is in group, as id lists it.
func (h *simHost) inGroup(user, group string) bool {
	out, _, _ := h.id("root", []string{"-Gn", user})
	return slicesContains(strings.Fields(out), group)
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runasMatches(list []string, target string) bool {
	if list == nil {
		return target == "root"
	}
	for _, u := range list {
		if u == "ALL" || u == target {
			return true
		}
	}
	return false
}

func sudoArgsMatch(spec string, args []string) bool {
	switch spec {
	case "":
		return true
	case `""`:
		return len(args) == 0
	}
	return spec == strings.Join(args, " ")
}

// visudo -c [-q] [-f FILE] checks sudoers files the way visudo does (the
// syntax; see parseSudoers); editing is not simulated.
func (s *shell) visudo(args []string) (string, string, int) {
	check, quiet := false, false
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-f" || a == "--file":
			if i+1 == len(args) {
				return "", "visudo: option requires an argument -- 'f'\n", 1
			}
			i++
			files = append(files, args[i])
		case strings.HasPrefix(a, "-") && len(a) > 1 && !strings.HasPrefix(a, "--"):
			for _, f := range a[1:] {
				switch f {
				case 'c':
					check = true
				case 'q':
					quiet = true
				case 's':
				case 'f':
					if i+1 == len(args) {
						return "", "visudo: option requires an argument -- 'f'\n", 1
					}
					i++
					files = append(files, args[i])
				default:
					return "", fmt.Sprintf("visudo: invalid option -- '%c'\n", f), 1
				}
			}
		case a == "--check":
			check = true
		case a == "--quiet":
			quiet = true
		default:
			return "", fmt.Sprintf("visudo: unexpected argument %s\n", a), 1
		}
	}
	if !check {
		return "", "visudo: editing is not simulated on this host; use visudo -c\n", 1
	}
	if len(files) == 0 {
		if s.user != "root" {
			return "", "visudo: /etc/sudoers: Permission denied\n", 1
		}
		files = append([]string{"/etc/sudoers"}, s.h.sudoersFiles()...)
	}
	var out, errOut strings.Builder
	for _, f := range files {
		p := absPath(s.cwd, f)
		body := ""
		if p != "/etc/sudoers" {
			b, err := s.h.readFile(p)
			if err != nil {
				return out.String(), errOut.String() + fmt.Sprintf("visudo: unable to open %s: No such file or directory\n", f), 1
			}
			body = b
		}
		if _, line := parseSudoers(body); line > 0 {
			if !quiet {
				fmt.Fprintf(&errOut, ">>> %s: syntax error near line %d <<<\nparse error in %s near line %d\n", f, line, f, line)
			}
			return out.String(), errOut.String(), 1
		}
		if !quiet {
			fmt.Fprintf(&out, "%s: parsed OK\n", f)
		}
	}
	return out.String(), errOut.String(), 0
}

// install [-m MODE] [-o USER] [-g GROUP] SRC DST copies a file and sets its
// mode; only root may give it to root.
func (s *shell) install(args []string) (string, string, int) {
	mode := uint32(0o755)
	var owner string
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "-m", "-o", "-g":
			if i+1 == len(args) {
				return "", fmt.Sprintf("install: option requires an argument -- '%s'\n", a[1:]), 1
			}
			i++
			switch a {
			case "-m":
				m, err := strconv.ParseUint(args[i], 8, 32)
				if err != nil || m > 0o7777 {
					return "", fmt.Sprintf("install: invalid mode '%s'\n", args[i]), 1
				}
				mode = uint32(m)
			case "-o":
				owner = args[i]
			}
		default:
			if strings.HasPrefix(a, "-") && len(a) > 1 {
				return "", fmt.Sprintf("install: this simulated host knows only -m, -o and -g (not %s)\n", a), 1
			}
			files = append(files, a)
		}
	}
	if len(files) < 2 {
		return "", "install: missing file operand\n", 1
	}
	if len(files) > 2 {
		return "", "install: this simulated host installs one file at a time\n", 1
	}
	src, dst := absPath(s.cwd, files[0]), absPath(s.cwd, files[1])
	body, err := s.h.readFile(src)
	if err != nil {
		return "", fmt.Sprintf("install: cannot stat '%s': No such file or directory\n", files[0]), 1
	}
	if s.h.isDir(dst) {
		dst = dst + "/" + path.Base(src)
	}
	if owner != "" && owner != s.user && s.user != "root" {
		return "", fmt.Sprintf("install: cannot change ownership of '%s': Operation not permitted\n", files[1]), 1
	}
	if err := s.h.openFile(s.user, dst, false); err != nil {
		what := "Permission denied"
		if err == errNoSuchDir {
			what = "No such file or directory"
		}
		return "", fmt.Sprintf("install: cannot create regular file '%s': %s\n", files[1], what), 1
	}
	if err := s.h.appendFile(dst, []byte(body)); err != nil {
		return "", fmt.Sprintf("install: error writing '%s': %v\n", files[1], err), 1
	}
	s.h.setMode(dst, mode)
	return "", "", 0
}

// mktemp makes an empty file, mode 0600, in /tmp (or from a template
// ending in XXX) and prints its name.
func (s *shell) mktemp(args []string) (string, string, int) {
	tmpl := "/tmp/tmp.XXXXXXXXXX"
	for _, a := range args {
		switch {
		case a == "-d" || a == "--directory":
			return "", "mktemp: this simulated host makes files only\n", 1
		case strings.HasPrefix(a, "-"):
		default:
			tmpl = absPath(s.cwd, a)
		}
	}
	n := len(tmpl) - len(strings.TrimRight(tmpl, "X"))
	if n < 3 {
		return "", fmt.Sprintf("mktemp: too few X's in template '%s'\n", tmpl), 1
	}
	s.h.state.mu.Lock()
	s.h.state.tmpSeq++
	seq := s.h.state.tmpSeq
	s.h.state.mu.Unlock()
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sum := stableUUID(fmt.Sprintf("%s/%d", s.h.e.vm.Name, seq))
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(letters[int(sum[i%len(sum)]+byte(i*7))%len(letters)])
	}
	name := tmpl[:len(tmpl)-n] + b.String()
	if err := s.h.openFile(s.user, name, false); err != nil {
		return "", fmt.Sprintf("mktemp: failed to create file via template '%s': %v\n", tmpl, err), 1
	}
	s.h.setMode(name, 0o600)
	return name + "\n", "", 0
}

// cmp [-s] A B compares two files: 0 the same, 1 they differ, 2 trouble.
func (s *shell) cmp(args []string) (string, string, int) {
	silent := false
	var files []string
	for _, a := range args {
		switch {
		case a == "-s" || a == "--silent" || a == "--quiet":
			silent = true
		default:
			files = append(files, a)
		}
	}
	if len(files) != 2 {
		return "", "cmp: missing operand after 'cmp'\n", 2
	}
	var bodies [2]string
	for i, f := range files {
		b, err := s.h.readFile(absPath(s.cwd, f))
		if err != nil {
			if silent {
				return "", "", 2
			}
			return "", fmt.Sprintf("cmp: %s: No such file or directory\n", f), 2
		}
		bodies[i] = b
	}
	if bodies[0] == bodies[1] {
		return "", "", 0
	}
	if silent {
		return "", "", 1
	}
	a, b := bodies[0], bodies[1]
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		short := files[0]
		if i == len(b) {
			short = files[1]
		}
		return "", fmt.Sprintf("cmp: EOF on %s after byte %d\n", short, i), 1
	}
	return fmt.Sprintf("%s %s differ: byte %d, line %d\n", files[0], files[1], i+1, strings.Count(a[:i], "\n")+1), "", 1
}

// stat -c FORMAT FILE... prints %a (the mode in octal) and %n (the name).
func (s *shell) stat(args []string) (string, string, int) {
	format := ""
	var files []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-c" || a == "--format":
			if i+1 == len(args) {
				return "", "stat: option requires an argument -- 'c'\n", 1
			}
			i++
			format = args[i]
		case strings.HasPrefix(a, "--format="):
			format = strings.TrimPrefix(a, "--format=")
		default:
			files = append(files, a)
		}
	}
	if format == "" {
		return "", "stat: this simulated host answers only stat -c FORMAT (%a, %n)\n", 1
	}
	if len(files) == 0 {
		return "", "stat: missing operand\n", 1
	}
	var out, errOut strings.Builder
	code := 0
	for _, f := range files {
		p := absPath(s.cwd, f)
		if !s.h.exists(p) {
			fmt.Fprintf(&errOut, "stat: cannot statx '%s': No such file or directory\n", f)
			code = 1
			continue
		}
		r := strings.NewReplacer("%a", strconv.FormatUint(uint64(s.h.fileMode(p)), 8), "%n", f, "%%", "%")
		out.WriteString(r.Replace(format) + "\n")
	}
	return out.String(), errOut.String(), code
}
