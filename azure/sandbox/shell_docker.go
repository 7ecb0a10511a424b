package sandbox

import (
	"fmt"
	"io"
	"strings"
)

// The simulated hosts' docker also pulls, inspects, runs and removes
// containers, as Azure ML does on an attached VM to run a job: a container
// is a fresh simulated machine (its own name, an empty disk, root, Ubuntu
// 22.04 with Python, the host's GPU when run with --gpus) whose command the
// simulated shell runs. Nothing is downloaded and no program of this
// computer runs.

// jobImageMinFreeGB is the free disk a simulated host needs to pull a job
// image (the curated training images take a few GB once unpacked).
const jobImageMinFreeGB = 4

// containerPython is the Python a simulated job container answers.
const containerPython = "3.10.14"

// dockerSub is docker's subcommand in args (the first word that is not a
// flag), with the words after it.
func dockerSub(args []string) (string, []string) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
	}
	return "", nil
}

// dockerContainers answers docker pull, image inspect, run and rm; ok is
// false for the other subcommands (h.docker answers them).
func (s *shell) dockerContainers(args []string, p *proc) (code int, ok bool) {
	sub, rest := dockerSub(args)
	switch sub {
	case "pull", "run", "rm":
	case "image":
		if len(rest) == 0 || rest[0] != "inspect" {
			return 0, false
		}
	default:
		return 0, false
	}
	sim := s.h.e.vm.SSH.Sim
	// Docker as it is now: a fix (systemctl, apt-get) may have changed
	// what the world said.
	switch d := s.h.dockerNow(); {
	case !d.daemon:
		return p.answer("", dockerSocketDown, 1), true
	case d.sudoOnly && s.user != "root":
		return p.answer("", strings.Replace(dockerDenied, "/version", "/containers/json", 1), 1), true
	}
	switch sub {
	case "pull":
		image := lastWord(rest)
		if image == "" {
			return p.answer("", "\"docker pull\" requires exactly 1 argument.\nSee 'docker pull --help'.\n", 1), true
		}
		if sim.FreeDiskGB < jobImageMinFreeGB {
			return p.answer("", fmt.Sprintf("failed to register layer: write /var/lib/docker/overlay2/%s/diff/opt/conda/lib/libpython3.10.so.1.0: no space left on device\n", stableUUID(image)[:8]), 1), true
		}
		repo, tag := splitImage(image)
		return p.answer(fmt.Sprintf("%s: Pulling from %s\nDigest: sha256:%s\nStatus: Downloaded newer image for %s\n%s\n",
			tag, repo, strings.ReplaceAll(stableUUID(image)+stableUUID("digest"+image), "-", "")[:64], image, image), "", 0), true
	case "image":
		// Nothing stays pulled on a simulated host: every job pulls again.
		return p.answer("", fmt.Sprintf("Error: No such image: %s\n", lastWord(rest[1:])), 1), true
	case "rm":
		var names []string
		for _, a := range rest {
			if !strings.HasPrefix(a, "-") {
				names = append(names, a)
			}
		}
		return p.answer(strings.Join(names, "\n")+"\n", "", 0), true
	}
	return s.dockerRun(rest, p), true
}

// dockerRun runs a container: the words after "run".
func (s *shell) dockerRun(args []string, p *proc) int {
	withValue := map[string]bool{"--name": true, "--gpus": true, "-e": true, "--env": true, "--shm-size": true, "-v": true,
		"--volume": true, "-w": true, "--workdir": true, "--network": true, "-u": true, "--user": true, "--entrypoint": true}
	env := map[string]string{
		"HOME": "/root", "PATH": "/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
	}
	gpu := ""
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		flag, val, inline := strings.Cut(args[i], "=")
		if withValue[flag] && !inline {
			if i+1 == len(args) {
				return p.answer("", fmt.Sprintf("flag needs an argument: %s\nSee 'docker run --help'.\n", flag), 125)
			}
			i++
			val = args[i]
		}
		switch flag {
		case "--gpus":
			gpu = s.h.e.vm.SSH.Sim.GPU
			if gpu == "" {
				return p.answer("", "docker: Error response from daemon: could not select device driver \"\" with capabilities: [[gpu]].\n", 125)
			}
		case "-e", "--env":
			if k, v, ok := strings.Cut(val, "="); ok {
				env[k] = v
			}
		}
	}
	if i == len(args) {
		return p.answer("", "\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n", 125)
	}
	argv := args[i+1:]
	if len(argv) == 0 {
		return 0 // the image's default command: nothing to show here
	}
	ctr := containerHost(s.h.e.sub, s.h.e.rg, strings.ReplaceAll(randomUUID(), "-", "")[:12], gpu)
	env["HOSTNAME"] = ctr.e.vm.Name
	return ctr.runIn(quoteWords(argv), env, s.budget, p.out, p.err)
}

// containerHost is a fresh simulated machine for a container or a pod.
func containerHost(sub *Subscription, rg *ResourceGroup, name, gpu string) *simHost {
	vm := &VM{Name: name, SSH: SSH{Sim: &Sim{OS: "ubuntu 22.04", GPU: gpu, FreeDiskGB: 50, Python: containerPython}}}
	return &simHost{e: &vmEntry{sub: sub, rg: rg, vm: vm}, quit: make(chan struct{})}
}

// runIn runs a command line as root on h and gives its status.
func (h *simHost) runIn(line string, env map[string]string, budget *int, out, errOut io.Writer) int {
	if budget == nil {
		b := shellCommandBudget
		budget = &b
	}
	sh := h.newShell("root", "root", env, budget)
	sh.arg0 = "sh"
	return sh.script(line, stdio{out: out, err: errOut})
}

// python answers python --version on a host that has Python.
func (h *simHost) python(args []string) (string, string, int) {
	v := h.e.vm.SSH.Sim.Python
	for _, a := range args {
		if a == "--version" || a == "-V" {
			return "Python " + v + "\n", "", 0
		}
	}
	return "", "python: this simulated machine answers only python --version\n", 2
}

func lastWord(args []string) string {
	for i := len(args) - 1; i >= 0; i-- {
		if !strings.HasPrefix(args[i], "-") {
			return args[i]
		}
	}
	return ""
}

// splitImage splits an image reference into repository and tag.
func splitImage(image string) (string, string) {
	slash := strings.LastIndex(image, "/")
	if c := strings.LastIndex(image, ":"); c > slash {
		return image[:c], image[c+1:]
	}
	return image, "latest"
}

// quoteWords makes a command line that gives back words.
func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shQuote(w)
	}
	return strings.Join(q, " ")
}

// shQuote quotes a word for a POSIX shell.
func shQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
