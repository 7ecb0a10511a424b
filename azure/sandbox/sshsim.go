package sandbox

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// simHost is the SSH server of one simulated VM.
type simHost struct {
	e   *vmEntry
	ln  net.Listener
	cfg *ssh.ServerConfig
	wg  sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	quit   chan struct{} // closed by close: sessions stop waiting

	fs    simFS     // what the host's users wrote, kept while the sandbox runs
	state hostState // what root changed (Docker, file modes): shell_admin.go
}

// simConn is one SSH connection to a simulated host.
type simConn struct {
	raw      net.Conn
	commands atomic.Int32  // exec requests so far (sim.dropAfterCommands)
	gone     chan struct{} // closed when the connection has ended
}

// hostKey derives the host's ed25519 key from its seed (or its VM's
// subscription/group/name), so that known_hosts entries stay valid across runs.
func hostKey(e *vmEntry) (ssh.Signer, error) {
	seed := e.vm.SSH.Sim.HostKeySeed
	if seed == "" {
		seed = e.sub.ID + "/" + e.rg.Name + "/" + e.vm.Name
	}
	sum := sha256.Sum256([]byte(seed))
	return ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(sum[:]))
}

func startSimHost(e *vmEntry) (*simHost, error) {
	signer, err := hostKey(e)
	if err != nil {
		return nil, err
	}
	sim := e.vm.SSH.Sim
	denied := errors.New("permission denied")
	cfg := &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-" + sshdVersion(sim.OS),
		MaxAuthTries:  6,
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if u, ok := e.simUser(c.User()); ok && authorized(u, key) {
				return &ssh.Permissions{}, nil
			}
			return nil, denied
		},
	}
	if !passwordAuthDisabled(e.vm) {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if u, ok := sim.Users[c.User()]; ok && u.Password != "" && subtle.ConstantTimeCompare(pw, []byte(u.Password)) == 1 {
				return &ssh.Permissions{}, nil
			}
			return nil, denied
		}
	}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &simHost{e: e, ln: ln, cfg: cfg, conns: map[net.Conn]struct{}{}, quit: make(chan struct{})}
	h.wg.Add(1)
	go h.serve()
	return h, nil
}

func (h *simHost) addr() string { return h.ln.Addr().String() }

func (h *simHost) serve() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.wg.Add(1)
		h.mu.Unlock()
		go func() {
			defer h.wg.Done()
			h.handle(c)
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
		}()
	}
}

func (h *simHost) close() {
	h.mu.Lock()
	if !h.closed {
		close(h.quit)
	}
	h.closed = true
	h.ln.Close()
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *simHost) handle(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(c, h.cfg)
	if err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	defer sc.Close()
	conn := &simConn{raw: c, gone: make(chan struct{})}
	go func() {
		_ = sc.Wait()
		close(conn.gone)
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.session(sc.User(), ch, creqs, conn)
		}()
	}
	wg.Wait()
}

type exitStatus struct{ Status uint32 }

// slow waits sim.latencyMs before a command is answered; false means the
// connection or the host went away meanwhile.
func (h *simHost) slow(conn *simConn) bool {
	ms := h.e.vm.SSH.Sim.LatencyMs
	if ms <= 0 {
		return true
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-conn.gone:
	case <-h.quit:
	}
	return false
}

// session serves one session channel: exec runs a command; shells,
// terminals and environment variables are refused.
func (h *simHost) session(user string, ch ssh.Channel, reqs <-chan *ssh.Request, conn *simConn) {
	defer ch.Close()
	finished := false
	finish := func(stdout, stderr string, code int) {
		_, _ = ch.Write([]byte(stdout))
		_, _ = ch.Stderr().Write([]byte(stderr))
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{uint32(code)}))
		_ = ch.CloseWrite()
		_ = ch.Close()
		finished = true
	}
	for req := range reqs {
		if finished {
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
			continue
		}
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			if !h.slow(conn) {
				return
			}
			out, errOut, code := h.run(user, p.Command)
			if n := h.e.vm.SSH.Sim.DropAfterCommands; n > 0 && int(conn.commands.Add(1)) == n {
				// Half of the answer, then the connection is gone.
				_, _ = ch.Write([]byte(out[:len(out)/2]))
				conn.raw.Close()
				return
			}
			finish(out, errOut, code)
		case "shell":
			_ = req.Reply(true, nil)
			finish("", fmt.Sprintf("%s is a simulated host: it runs single commands (ssh %s@host 'command'), not interactive shells.\n", h.e.vm.Name, user), 1)
		default: // pty-req, env, subsystem, x11-req, ...
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
}
