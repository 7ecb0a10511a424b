package probes

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyPolicy says how a server's host key is trusted.
type HostKeyPolicy struct {
	KnownHostsFile string // read, and appended to when a new key is accepted
	AcceptNew      bool   // accept a key for a host known_hosts does not list (OpenSSH's accept-new)
	// Confirm, when set, asks the user about a new key (the wizard). It wins over AcceptNew.
	Confirm func(ctx context.Context, host string, key ssh.PublicKey) bool
}

// Login is what the SSH probes log in with. Password and key text are secrets.
type Login struct {
	User     string
	Password string
	Key      *Key         // a key file, when given
	Agent    []ssh.Signer // keys from ssh-agent, used when neither password nor key is given
}

func (l Login) method() string {
	switch {
	case l.Key != nil:
		return fmt.Sprintf("key %s (%s)", l.Key.Path, l.Key.Type)
	case l.Password != "":
		return "password"
	case len(l.Agent) > 0:
		return fmt.Sprintf("ssh-agent (%d keys)", len(l.Agent))
	}
	return "no credentials"
}

// Handshake is one SSH connection being set up over the connection net.tcp
// opened. ssh.hostkey ends when the key is judged; ssh.auth when login ends.
type Handshake struct {
	hostKeyDone chan struct{}
	hostKey     Result
	done        chan struct{}
	auth        Result
	client      *ssh.Client
	closeOnce   sync.Once
	conn        net.Conn
}

// StartSSH begins the SSH handshake on conn for the logical address addr
// (the VM's public IP and port: what known_hosts records).
func StartSSH(ctx context.Context, conn net.Conn, addr string, login Login, hk HostKeyPolicy, timeout time.Duration) *Handshake {
	h := &Handshake{hostKeyDone: make(chan struct{}), done: make(chan struct{}), conn: conn}
	go h.run(ctx, addr, login, hk, timeout)
	return h
}

// HostKey waits for the host key verdict.
func (h *Handshake) HostKey(ctx context.Context) Result {
	select {
	case <-h.hostKeyDone:
		return h.hostKey
	case <-ctx.Done():
		return Skipped("interrupted")
	}
}

// Auth waits for the login's outcome; the client is nil unless it passed.
func (h *Handshake) Auth(ctx context.Context) (Result, *ssh.Client) {
	select {
	case <-h.done:
		return h.auth, h.client
	case <-ctx.Done():
		return Skipped("interrupted"), nil
	}
}

// Close ends the connection.
func (h *Handshake) Close() {
	h.closeOnce.Do(func() {
		<-h.done
		if h.client != nil {
			h.client.Close()
		} else {
			h.conn.Close()
		}
	})
}

func (h *Handshake) run(ctx context.Context, addr string, login Login, hk HostKeyPolicy, timeout time.Duration) {
	defer close(h.done)
	var once sync.Once
	setHostKey := func(r Result) {
		once.Do(func() { h.hostKey = r; close(h.hostKeyDone) })
	}
	stop := context.AfterFunc(ctx, func() { h.conn.Close() })
	defer stop()
	h.conn.SetDeadline(time.Now().Add(timeout))

	var hostKeyOK atomic.Bool
	var triedPassword, triedKeys atomic.Bool
	cfg := &ssh.ClientConfig{
		User:          login.User,
		ClientVersion: "SSH-2.0-amlattach",
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			r := judgeHostKey(ctx, h.conn, addr, key, hk, timeout)
			setHostKey(r)
			if r.Status == Fail || r.Status == Skip {
				return errHostKeyRejected
			}
			hostKeyOK.Store(true)
			return nil
		},
		HostKeyAlgorithms: knownKeyAlgorithms(hk.KnownHostsFile, addr),
	}
	if login.Password != "" {
		pw := login.Password
		cfg.Auth = append(cfg.Auth,
			ssh.PasswordCallback(func() (string, error) { triedPassword.Store(true); return pw, nil }),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i, q := range questions {
					if strings.Contains(strings.ToLower(q), "password") {
						triedPassword.Store(true)
						answers[i] = pw
					}
				}
				return answers, nil
			}))
	}
	var signers []ssh.Signer
	if login.Key != nil {
		signers = []ssh.Signer{login.Key.Signer}
	} else if login.Password == "" {
		signers = login.Agent
	}
	if len(signers) > 0 {
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) { triedKeys.Store(true); return signers, nil }))
	}

	start := time.Now()
	c, chans, reqs, err := ssh.NewClientConn(h.conn, addr, cfg)
	if err != nil {
		if ctx.Err() != nil {
			setHostKey(Skipped("interrupted"))
			h.auth = Skipped("interrupted")
			return
		}
		if !hostKeyOK.Load() {
			setHostKey(handshakeFailure(addr, err, timeout, time.Since(start)))
			h.auth = Skipped("skipped: " + Title(IDSSHHostKey) + " did not pass")
			return
		}
		h.auth = authFailure(addr, login, err, timeout, triedPassword.Load(), triedKeys.Load())
		return
	}
	h.conn.SetDeadline(time.Time{})
	h.client = ssh.NewClient(c, chans, reqs)
	h.auth = authPassed(addr, login)
}

var errHostKeyRejected = errors.New("host key rejected")

func judgeHostKey(ctx context.Context, conn net.Conn, addr string, key ssh.PublicKey, hk HostKeyPolicy, timeout time.Duration) Result {
	fp := Fingerprint(key)
	kind := keyKind(key.Type())
	cb, err := knownHostsCallback(hk.KnownHostsFile)
	if err != nil {
		return failf(FieldKnownHosts, "fix or move the file, or give another with --known-hosts", "cannot read known_hosts %s: %v", hk.KnownHostsFile, err)
	}
	remote := &net.TCPAddr{IP: net.IPv4zero}
	verr := cb(addr, remote, key)
	if verr == nil {
		return passf("%s key %s matches %s", kind, fp, hk.KnownHostsFile)
	}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(verr, &re):
		return failf(FieldNone, "this key is marked @revoked in "+hk.KnownHostsFile+"; do not connect until the VM's owner gives you its new key", "the host key %s of %s is revoked", fp, addr)
	case errors.As(verr, &ke) && len(ke.Want) > 0:
		w := ke.Want[0]
		return failf(FieldKnownHosts,
			fmt.Sprintf("someone may be intercepting the connection, or the VM was rebuilt. Check the key on the VM itself (az vm run-command invoke -g <group> -n <vm> --command-id RunShellScript --scripts 'ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub'); only if it shows %s, remove the old entry (ssh-keygen -R %s -f %s) and run again",
				keyFileKind(key.Type()), fp, knownhosts.Normalize(addr), hk.KnownHostsFile),
			"HOST KEY CHANGED for %s: %s:%d has %s %s, the server now presents %s %s", addr, w.Filename, w.Line, keyKind(w.Key.Type()), Fingerprint(w.Key), kind, fp)
	case errors.As(verr, &ke):
		accept := hk.AcceptNew
		how := "--accept-new-host-key"
		if hk.Confirm != nil {
			conn.SetDeadline(time.Time{}) // the user may take their time
			accept = hk.Confirm(ctx, addr, key)
			conn.SetDeadline(time.Now().Add(timeout))
			how = "you accepted it"
		}
		if !accept {
			if ctx.Err() != nil {
				return Skipped("interrupted")
			}
			return failf(FieldKnownHosts,
				"check the fingerprint on the VM (az vm run-command invoke -g <group> -n <vm> --command-id RunShellScript --scripts 'ssh-keygen -lf /etc/ssh/ssh_host_"+keyFileKind(key.Type())+"_key.pub'), then run again with --accept-new-host-key",
				"%s is not in %s; it presents %s key %s", addr, hk.KnownHostsFile, kind, fp)
		}
		if err := appendKnownHost(hk.KnownHostsFile, addr, key); err != nil {
			return failf(FieldKnownHosts, "make the file writable or give another with --known-hosts", "accepted %s key %s but could not save it: %v", kind, fp, err)
		}
		return passf("new %s key %s accepted (%s) and added to %s", kind, fp, how, hk.KnownHostsFile)
	}
	return failf(FieldKnownHosts, "check the known_hosts file", "host key check failed: %v", verr)
}

func knownHostsCallback(path string) (ssh.HostKeyCallback, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// An absent file knows no host: every key is new.
		return func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }, nil
	}
	return knownhosts.New(path)
}

// knownKeyAlgorithms asks the server for the key type known_hosts holds, so
// that a server with several host keys is not taken for a changed one.
func knownKeyAlgorithms(path, addr string) []string {
	cb, err := knownHostsCallback(path)
	if err != nil {
		return nil
	}
	probe := ssh.PublicKey(dummyKey{})
	var ke *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, probe); !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, w := range ke.Want {
		for _, a := range algorithmsFor(w.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

type dummyKey struct{}

func (dummyKey) Type() string                        { return "amlattach-probe" }
func (dummyKey) Marshal() []byte                     { return []byte("amlattach-probe") }
func (dummyKey) Verify([]byte, *ssh.Signature) error { return errors.New("not a key") }

func appendKnownHost(path, addr string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	// A last line without its newline would run into the new entry and
	// spoil both.
	if st, serr := f.Stat(); serr == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, rerr := f.ReadAt(last, st.Size()-1); rerr == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func handshakeFailure(addr string, err error, timeout, took time.Duration) Result {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return failf(FieldPort, "check that --ssh-port is sshd's port and that nothing else (a web server, a proxy) listens there",
			"no SSH handshake from %s within %s: the port is open but does not speak SSH", addr, timeout)
	}
	msg := err.Error()
	if strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") {
		return failf(FieldPort, "check sshd's log on the VM (journalctl -u ssh) and that --ssh-port is sshd's port",
			"%s closed the connection during the SSH handshake after %s (%v)", addr, round(took), err)
	}
	return failf(FieldPort, "check that --ssh-port is sshd's port", "SSH handshake with %s failed: %v", addr, err)
}

func authFailure(addr string, login Login, err error, timeout time.Duration, triedPw, triedKeys bool) Result {
	who := login.User + "@" + addr
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return failf(FieldNone, "check sshd on the VM (journalctl -u ssh); a slow PAM or DNS lookup can delay logins", "login as %s did not finish within %s", who, timeout)
	}
	switch {
	case login.Password != "" && !triedPw && login.Key == nil:
		return failf(FieldPassword, "attach with --ssh-key instead, or allow passwords on the VM (PasswordAuthentication yes in /etc/ssh/sshd_config, then sudo systemctl restart ssh)",
			"%s does not accept password logins", addr)
	case login.Password != "" && triedPw:
		return failf(FieldPassword, "check the user name and the password (--password-file or AMLATTACH_SSH_PASSWORD), or attach with --ssh-key; reset it with az vm user update -g <group> -n <vm> -u "+login.User+" -p <new password>",
			"password rejected for %s", who)
	case login.Key != nil && triedKeys:
		return failf(FieldKey, "add the public key to ~"+login.User+"/.ssh/authorized_keys on the VM (az vm user update -g <group> -n <vm> -u "+login.User+" --ssh-key-value "+login.Key.Path+".pub), or check the user name",
			"key %s (%s %s) rejected for %s", login.Key.Path, keyKind(login.Key.Type), Fingerprint(login.Key.Signer.PublicKey()), who)
	case login.Key != nil:
		return failf(FieldKey, "attach with --password-file, or allow public keys on the VM (PubkeyAuthentication yes)", "%s "+noPublicKeys, addr)
	case len(login.Agent) > 0:
		return failf(FieldKey, "give the key with --ssh-key, or a password with --password-file", "none of the %d ssh-agent keys is accepted for %s", len(login.Agent), who)
	}
	return failf(FieldPassword, "give a password (--password-file or AMLATTACH_SSH_PASSWORD) or a key (--ssh-key)", "login as %s failed: %v", who, err)
}

// noPublicKeys ends the detail of a server that refuses every key: a new
// key would not help there (see KeyLoginHelps).
const noPublicKeys = "does not accept public-key logins"

// KeyLoginHelps reports whether an ssh.auth result is one that a key Azure
// ML can use, installed for the user, would clear: a rejected password or
// key, password logins turned off, or a login that works with a key Azure
// ML cannot take (encrypted, or in the OpenSSH format). Not a host that
// refuses all keys, nor a login that timed out.
func KeyLoginHelps(r Result) bool {
	switch {
	case r.ID != "" && r.ID != IDSSHAuth:
		return false
	case r.Status == Warn:
		return true
	case r.Status != Fail:
		return false
	case strings.HasSuffix(r.Detail, noPublicKeys):
		return false
	}
	return r.Field == FieldPassword || r.Field == FieldKey
}

func authPassed(addr string, login Login) Result {
	r := passf("logged in as %s@%s with %s", login.User, addr, login.method())
	if login.Key != nil && login.Key.Encrypted {
		r.Status = Warn
		r.Detail += "; the key is encrypted, and Azure ML stores a key without its passphrase, so it cannot use this one"
		r.Remedy = "attach with an unencrypted copy (cp KEY KEY.azureml && ssh-keygen -p -N '' -m PEM -f KEY.azureml) or a password"
		r.Remedy = strings.Replace(r.Remedy, "KEY", login.Key.Path, -1)
		return r
	}
	if login.Key != nil && login.Key.Format == "OpenSSH" {
		fix := "if the attach fails on the key, convert a copy to PEM: cp KEY KEY.pem && ssh-keygen -p -m PEM -f KEY.pem"
		if login.Key.Type != ssh.KeyAlgoRSA {
			fix = "if the attach fails on the key, use an RSA key in PEM format: ssh-keygen -t rsa -b 4096 -m PEM -f ~/.ssh/azureml"
		}
		r.Status = Warn
		r.Detail += "; the key is in the new OpenSSH format, which Azure ML is reported to reject"
		r.Remedy = strings.Replace(fix, "KEY", login.Key.Path, -1)
	}
	return r
}

func keyKind(t string) string {
	switch t {
	case ssh.KeyAlgoED25519:
		return "ED25519"
	case ssh.KeyAlgoRSA:
		return "RSA"
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		return "ECDSA"
	}
	return t
}

func keyFileKind(t string) string {
	switch t {
	case ssh.KeyAlgoED25519:
		return "ed25519"
	case ssh.KeyAlgoRSA:
		return "rsa"
	}
	return "ecdsa"
}
