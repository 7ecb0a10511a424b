package probes

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The host's key and another one, made once per process: key generation
// per input would be most of the fuzzer's time.
var (
	fuzzKeysOnce      sync.Once
	fuzzKey, fuzzKey2 ssh.PublicKey
)

func fuzzKeys(t testing.TB) (ssh.PublicKey, ssh.PublicKey) {
	fuzzKeysOnce.Do(func() {
		for _, k := range []*ssh.PublicKey{&fuzzKey, &fuzzKey2} {
			pub, _, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				panic(err)
			}
			if *k, err = ssh.NewPublicKey(pub); err != nil {
				panic(err)
			}
		}
	})
	return fuzzKey, fuzzKey2
}

// fuzzHost keeps the host names an address can have: an IP address, or a
// DNS name (the VM's public IP, a cluster's SSH host name).
func fuzzHost(h string) bool {
	if len(h) > 64 {
		return false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Zone() == ""
	}
	return dnsNameRE.MatchString(h)
}

var dnsNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// knownHostsVerdict is what knownhosts itself says of key for addr in the
// file: the oracle the judgement must agree with.
func knownHostsVerdict(path, addr string, key ssh.PublicKey) error {
	cb, err := knownhosts.New(path)
	if err != nil {
		return err
	}
	return cb(addr, &net.TCPAddr{IP: net.IPv4zero}, key)
}

func FuzzKnownHosts(f *testing.F) {
	key, other := fuzzKeys(f)
	line := func(host string, k ssh.PublicKey) string {
		return knownhosts.Line([]string{knownhosts.Normalize(host)}, k)
	}
	for _, c := range []struct {
		content, host string
		port          uint16
	}{
		{"", "203.0.113.7", 22},
		{line("203.0.113.7:22", key) + "\n", "203.0.113.7", 22},
		{line("203.0.113.7:22", other) + "\n", "203.0.113.7", 22},
		{line("[203.0.113.7]:2222", other) + "\n", "203.0.113.7", 2222},
		{line("other.example:22", other) + "\n# trailing comment", "vm.example", 22},
		{"@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + "\n", "10.0.0.4", 22},
		{"@cert-authority *.example " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other))) + "\n", "vm.example", 22},
		{"|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA\n", "2001:db8::1", 22},
		{"not a known_hosts line\n", "10.0.0.4", 22},
		{"10.0.0.5 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ", "10.0.0.4", 22},
	} {
		f.Add(c.content, c.host, c.port, false)
		f.Add(c.content, c.host, c.port, true)
	}
	f.Fuzz(func(t *testing.T, content, host string, port uint16, acceptNew bool) {
		if len(content) > 4096 || !fuzzHost(host) || port == 0 {
			return
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
		dir := t.TempDir()
		path := filepath.Join(dir, "known_hosts")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		judge := func(path string, k ssh.PublicKey, acceptNew bool) Result {
			return judgeHostKey(ctx, nil, addr, k, HostKeyPolicy{KnownHostsFile: path, AcceptNew: acceptNew}, time.Second)
		}
		_ = knownKeyAlgorithms(path, addr)

		// The judgement agrees with knownhosts, and accepts a key
		// knownhosts does not list only when asked to (accept-new).
		verdict := knownHostsVerdict(path, addr, key)
		r := judge(path, key, acceptNew)
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ke *knownhosts.KeyError
		isNew := errors.As(verdict, &ke) && len(ke.Want) == 0
		switch {
		case verdict == nil:
			if r.Status != Pass {
				t.Fatalf("%s: a listed key is refused: %+v\nknown_hosts:\n%s", addr, r, content)
			}
		case isNew && acceptNew:
			if r.Status != Pass {
				t.Fatalf("%s: accept-new refused a new key: %+v\nknown_hosts:\n%s", addr, r, content)
			}
			if !strings.HasPrefix(string(after), content) {
				t.Fatalf("%s: accept-new changed the lines already there:\n%q\nbecame\n%q", addr, content, after)
			}
			if err := knownHostsVerdict(path, addr, key); err != nil {
				t.Fatalf("%s: the key accept-new saved does not read back (%v):\n%s", addr, err, after)
			}
		default:
			// Changed, revoked, not listed without accept-new, or an
			// unreadable file: never a pass.
			if r.Status == Pass {
				t.Fatalf("%s: key accepted although knownhosts says %v (accept-new %v): %+v\nknown_hosts:\n%s", addr, verdict, acceptNew, r, content)
			}
		}
		if !(isNew && acceptNew) && string(after) != content {
			t.Fatalf("%s: known_hosts was changed without an accepted new key:\n%q\nbecame\n%q", addr, content, after)
		}

		// A host listed with a key passes with that key, and a different
		// key for it is refused, even with accept-new.
		listed := filepath.Join(dir, "listed")
		if err := os.WriteFile(listed, []byte(content+"\n"+line(addr, key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := knownhosts.New(listed); err != nil {
			return // the fuzzed lines do not parse
		}
		if v := knownHostsVerdict(listed, addr, key); !errors.As(v, new(*knownhosts.RevokedError)) {
			if r := judge(listed, key, false); r.Status != Pass {
				t.Fatalf("%s: the key listed for it is refused: %+v\nknown_hosts:\n%s", addr, r, content)
			}
		}
		if knownHostsVerdict(listed, addr, other) == nil {
			return // the fuzzed lines list the other key for this host too
		}
		before, _ := os.ReadFile(listed)
		if r := judge(listed, other, true); r.Status == Pass {
			t.Fatalf("%s: a changed key is accepted with accept-new: %+v\nknown_hosts:\n%s", addr, r, before)
		}
		if now, _ := os.ReadFile(listed); string(now) != string(before) {
			t.Fatalf("%s: a refused changed key was written to known_hosts", addr)
		}
	})
}
