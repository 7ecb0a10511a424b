package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
)

type keyPair struct {
	ed  ed25519.PrivateKey
	rsa *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	keysVal  map[string]keyPair
	keysErr  error
)

// userKeys generates one ed25519 and one RSA 2048 key per account, once per
// process (RSA generation is the slow part).
func userKeys() (map[string]keyPair, error) {
	keysOnce.Do(func() {
		keysVal = make(map[string]keyPair)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, a := range accounts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ed, err := ed25519.GenerateKey(rand.Reader)
				if err != nil {
					mu.Lock()
					keysErr = err
					mu.Unlock()
					return
				}
				r, err := rsa.GenerateKey(rand.Reader, 2048)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					keysErr = err
					return
				}
				keysVal[a.name] = keyPair{ed: ed, rsa: r}
			}()
		}
		wg.Wait()
	})
	return keysVal, keysErr
}

// writeUserKeys writes the private key files and authorized_keys of a, and
// fills u.
func writeUserKeys(base string, a account, kp keyPair, u *User) error {
	edSigner, err := ssh.NewSignerFromKey(kp.ed)
	if err != nil {
		return err
	}
	rsaSigner, err := ssh.NewSignerFromKey(kp.rsa)
	if err != nil {
		return err
	}
	blk, err := ssh.MarshalPrivateKey(kp.ed, a.name+"@amlattach-sshtest")
	if err != nil {
		return err
	}
	idDir := filepath.Join(base, "id")
	keyFile := filepath.Join(idDir, a.name+"_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(blk), 0o600); err != nil {
		return err
	}
	rsaFile := filepath.Join(idDir, a.name+"_rsa")
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kp.rsa)})
	if err := os.WriteFile(rsaFile, rsaPEM, 0o600); err != nil {
		return err
	}
	// AuthorizedKeysFile <base>/keys/%u; sshd reads it as the user.
	auth := string(ssh.MarshalAuthorizedKey(edSigner.PublicKey())) + string(ssh.MarshalAuthorizedKey(rsaSigner.PublicKey()))
	if err := os.WriteFile(filepath.Join(base, "keys", a.name), []byte(auth), 0o644); err != nil {
		return fmt.Errorf("authorized keys: %w", err)
	}
	*u = User{Name: a.name, Password: a.password, KeyFile: keyFile, RSAPEMKeyFile: rsaFile, Signer: edSigner}
	return nil
}
