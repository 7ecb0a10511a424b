package probes

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// KeyError is a private key file that cannot be used, with the fix. It never
// holds key material.
type KeyError struct {
	Path    string
	Field   Field // FieldKey, or FieldPassword for the passphrase
	Problem string
	Fix     string
}

func (e *KeyError) Error() string { return fmt.Sprintf("key file %s: %s", e.Path, e.Problem) }

// Key is a loaded private key.
type Key struct {
	Path      string
	Signer    ssh.Signer
	Type      string // ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...
	Format    string // "OpenSSH" or "PEM"
	Encrypted bool
	Text      string // the file as read: what Azure ML stores (a secret)
}

// LoadKey reads and parses a private key file (OpenSSH or PEM; RSA, ECDSA or
// Ed25519). passphrase is used only when the key is encrypted.
func LoadKey(path string, passphrase []byte) (*Key, error) {
	bad := func(field Field, problem, fix string) (*Key, error) {
		return nil, &KeyError{Path: path, Field: field, Problem: problem, Fix: fix}
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return bad(FieldKey, "no such file", "check the path given to --ssh-key (create a key with: ssh-keygen -t rsa -b 4096 -m PEM -f ~/.ssh/azureml)")
	case errors.Is(err, os.ErrPermission):
		return bad(FieldKey, "permission denied reading it", "make it readable by you: chmod 600 "+path)
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			return bad(FieldKey, pe.Err.Error(), "give the path of a private key file")
		}
		return bad(FieldKey, err.Error(), "give the path of a private key file")
	}
	return parseKey(path, data, passphrase)
}

// ParseKey parses private key text that did not come from a file (the key
// Azure ML stored for a compute); label names it in messages.
func ParseKey(label string, data []byte) (*Key, error) { return parseKey(label, data, nil) }

func parseKey(path string, data, passphrase []byte) (*Key, error) {
	bad := func(field Field, problem, fix string) (*Key, error) {
		return nil, &KeyError{Path: path, Field: field, Problem: problem, Fix: fix}
	}
	trim := bytes.TrimSpace(data)
	switch {
	case len(trim) == 0:
		return bad(FieldKey, "the file is empty", "give the private key file (not an empty file)")
	case bytes.HasPrefix(trim, []byte("PuTTY-User-Key-File")):
		return bad(FieldKey, "it is a PuTTY .ppk key", "convert it to OpenSSH/PEM: puttygen KEY.ppk -O private-openssh -o KEY.pem")
	case isPublicKey(trim):
		return bad(FieldKey, "it holds a public key, not a private key", "give the private half (the same path without .pub)")
	}
	k := &Key{Path: path, Text: string(data), Format: "PEM"}
	if bytes.Contains(trim, []byte("BEGIN OPENSSH PRIVATE KEY")) {
		k.Format = "OpenSSH"
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		k.Encrypted = true
		if len(passphrase) == 0 {
			return bad(FieldPassword, "it is encrypted and no passphrase was given", "pass the passphrase in a file with --ssh-key-passphrase-file, or load the key into ssh-agent")
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, passphrase)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return bad(FieldPassword, "the passphrase is wrong", "check the passphrase file given to --ssh-key-passphrase-file")
		}
	}
	if err != nil {
		if !bytes.Contains(trim, []byte("PRIVATE KEY")) {
			return bad(FieldKey, "it is not a private key in OpenSSH or PEM format", "give an OpenSSH or PEM private key (ssh-keygen -t rsa -b 4096 -m PEM)")
		}
		return bad(FieldKey, "the private key cannot be parsed ("+scrubKeyErr(err)+")", "check the file is a complete RSA, ECDSA or Ed25519 private key; regenerate it if in doubt")
	}
	k.Signer = signer
	k.Type = signer.PublicKey().Type()
	return k, nil
}

// Fingerprint is the SHA256 fingerprint of a public key as ssh prints it.
func Fingerprint(pk ssh.PublicKey) string {
	sum := sha256.Sum256(pk.Marshal())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

func isPublicKey(b []byte) bool {
	if bytes.HasPrefix(b, []byte("---- BEGIN SSH2 PUBLIC KEY")) || bytes.HasPrefix(b, []byte("-----BEGIN PUBLIC KEY")) || bytes.HasPrefix(b, []byte("-----BEGIN RSA PUBLIC KEY")) {
		return true
	}
	_, _, _, _, err := ssh.ParseAuthorizedKey(b)
	return err == nil
}

// scrubKeyErr keeps the parser's error short and free of key bytes.
func scrubKeyErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.TrimPrefix(s, "ssh: ")
}
