package probes

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadKey(t *testing.T) {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	openssh, err := ssh.MarshalPrivateKey(edPriv, "test")
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := ssh.MarshalPrivateKeyWithPassphrase(edPriv, "test", []byte("s3cret-phrase"))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	pub, _ := ssh.NewPublicKey(edPriv.Public())

	good := []struct {
		name, file string
		data       []byte
		pass       string
		typ, form  string
		enc        bool
	}{
		{"openssh ed25519", "id_ed25519", pem.EncodeToMemory(openssh), "", ssh.KeyAlgoED25519, "OpenSSH", false},
		{"pem rsa", "id_rsa", rsaPEM, "", ssh.KeyAlgoRSA, "PEM", false},
		{"encrypted with passphrase", "id_enc", pem.EncodeToMemory(encrypted), "s3cret-phrase", ssh.KeyAlgoED25519, "OpenSSH", true},
	}
	for _, g := range good {
		t.Run(g.name, func(t *testing.T) {
			k, err := LoadKey(writeFile(t, g.file, g.data), []byte(g.pass))
			if err != nil {
				t.Fatal(err)
			}
			if k.Type != g.typ || k.Format != g.form || k.Encrypted != g.enc {
				t.Fatalf("got %s %s enc=%v", k.Type, k.Format, k.Encrypted)
			}
		})
	}

	bad := []struct {
		name  string
		path  func(t *testing.T) string
		pass  string
		field Field
		want  string
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, "", FieldKey, "no such file"},
		{"public key", func(t *testing.T) string { return writeFile(t, "id.pub", ssh.MarshalAuthorizedKey(pub)) }, "", FieldKey, "public key"},
		{"encrypted, no passphrase", func(t *testing.T) string { return writeFile(t, "k", pem.EncodeToMemory(encrypted)) }, "", FieldPassword, "encrypted"},
		{"wrong passphrase", func(t *testing.T) string { return writeFile(t, "k", pem.EncodeToMemory(encrypted)) }, "wrong", FieldPassword, "passphrase is wrong"},
		{"ppk", func(t *testing.T) string {
			return writeFile(t, "k.ppk", []byte("PuTTY-User-Key-File-3: ssh-ed25519\n"))
		}, "", FieldKey, "PuTTY"},
		{"garbage", func(t *testing.T) string { return writeFile(t, "k", []byte("hello world\n")) }, "", FieldKey, "not a private key"},
		{"empty", func(t *testing.T) string { return writeFile(t, "k", nil) }, "", FieldKey, "empty"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := LoadKey(b.path(t), []byte(b.pass))
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("want *KeyError, got %v", err)
			}
			if ke.Field != b.field || !strings.Contains(ke.Problem, b.want) || ke.Fix == "" {
				t.Fatalf("got field %q problem %q fix %q", ke.Field, ke.Problem, ke.Fix)
			}
			if strings.Contains(err.Error(), "s3cret-phrase") {
				t.Fatal("passphrase leaked into the error")
			}
		})
	}
}
