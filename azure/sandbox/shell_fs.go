package sandbox

import (
	"errors"
	"path"
	"strings"
	"sync"
)

// simFS is the disk of a simulated host: the files its users wrote (with
// > and >>), in memory, kept while the sandbox runs. Nothing here reads or
// writes a file of the computer the sandbox runs on. The zero value is an
// empty disk.
type simFS struct {
	mu    sync.Mutex
	files map[string]string
	size  int
}

// simFSLimit bounds what a host's users can write, so that a runaway
// command cannot fill this computer's memory.
const simFSLimit = 8 << 20

var (
	errNoSuchFile = errors.New("No such file")
	errNoSuchDir  = errors.New("Directory nonexistent")
	errIsDir      = errors.New("Is a directory")
	errDenied     = errors.New("Permission denied")
	errDiskFull   = errors.New("No space left on device")
)

// baseDir tells whether p is one of the folders every simulated host has;
// users' homes are added by isDir.
func baseDir(p string) bool {
	switch p {
	case "/", "/bin", "/dev", "/etc", "/etc/sudoers.d", "/home", "/opt", "/root", "/tmp", "/usr", "/usr/bin", "/usr/lib",
		"/usr/local", "/usr/local/bin", "/var", "/var/lib", "/var/tmp":
		return true
	}
	return false
}

// absPath makes p absolute from the working folder cwd and cleans it.
func absPath(cwd, p string) string {
	if !strings.HasPrefix(p, "/") {
		p = cwd + "/" + p
	}
	return path.Clean(p)
}

// isDir tells whether p (absolute, clean) is a folder on the host.
func (h *simHost) isDir(p string) bool {
	if baseDir(p) {
		return true
	}
	if user, ok := strings.CutPrefix(p, "/home/"); ok {
		return h.knownUser(user)
	}
	return false
}

// knownUser tells whether the host has an account for name.
func (h *simHost) knownUser(name string) bool {
	if name == "root" || name == h.e.vm.AdminUsername {
		return true
	}
	_, ok := h.e.simUser(name)
	return ok
}

// systemFile is a file the host's image provides ("" and false when there
// is none): what cat and test see until root writes over it.
func (h *simHost) systemFile(p string) (string, bool) {
	switch p {
	case "/etc/os-release", "/usr/lib/os-release":
		return osRelease(h.e.vm.SSH.Sim.OS), true
	case "/etc/hostname":
		return h.e.vm.Name + "\n", true
	}
	if name, ok := strings.CutPrefix(p, "/usr/bin/"); ok && h.binary(name) == p {
		return "\x7fELF", true
	}
	return "", false
}

// readFile is the content of the file at p (absolute, clean).
func (h *simHost) readFile(p string) (string, error) {
	h.fs.mu.Lock()
	s, ok := h.fs.files[p]
	h.fs.mu.Unlock()
	switch {
	case ok:
		return s, nil
	case h.isDir(p):
		return "", errIsDir
	}
	if s, ok := h.systemFile(p); ok {
		return s, nil
	}
	return "", errNoSuchFile
}

// exists tells whether p names a file or a folder.
func (h *simHost) exists(p string) bool {
	_, err := h.readFile(p)
	return err == nil || errors.Is(err, errIsDir)
}

// openFile prepares a write to p as user: the file is emptied unless
// appending. Users write in their home and the temporary folders; root
// writes anywhere.
func (h *simHost) openFile(user, p string, appending bool) error {
	dir := path.Dir(p)
	switch {
	case h.isDir(p):
		return errIsDir
	case !h.isDir(dir):
		return errNoSuchDir
	case user != "root" && dir != "/tmp" && dir != "/var/tmp" && !strings.HasPrefix(p, h.home(user)+"/"):
		return errDenied
	}
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.fs.files == nil {
		h.fs.files = map[string]string{}
	}
	old, ok := h.fs.files[p]
	if !ok {
		h.forgetMode(p) // a new file: the default mode
		if old, ok = h.systemFile(p); !ok || !appending {
			old = ""
		}
		h.fs.size += len(old)
		h.fs.files[p] = old
	}
	if !appending {
		h.fs.size -= len(old)
		h.fs.files[p] = ""
	}
	return nil
}

// appendFile adds b to the file at p, which openFile prepared.
func (h *simHost) appendFile(p string, b []byte) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.fs.size+len(b) > simFSLimit {
		return errDiskFull
	}
	h.fs.files[p] += string(b)
	h.fs.size += len(b)
	return nil
}

// removeFile deletes the file at p as user.
func (h *simHost) removeFile(user, p string) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	s, ok := h.fs.files[p]
	switch {
	case h.isDir(p):
		return errIsDir
	case !ok:
		if _, sys := h.systemFile(p); sys && user != "root" {
			return errDenied
		}
		return errNoSuchFile
	case user != "root" && !strings.HasPrefix(p, h.home(user)+"/") && !strings.HasPrefix(p, "/tmp/") && !strings.HasPrefix(p, "/var/tmp/"):
		return errDenied
	}
	delete(h.fs.files, p)
	h.fs.size -= len(s)
	h.forgetMode(p)
	return nil
}

// fileWriter writes a command's output into a file of the host.
type fileWriter struct {
	h    *simHost
	path string
}

func (w fileWriter) Write(b []byte) (int, error) {
	if err := w.h.appendFile(w.path, b); err != nil {
		return 0, err
	}
	return len(b), nil
}
