package flows

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// keyWorld has one healthy Ubuntu VM whose user azureuser logs in with the
// key %[1]s (an authorized_keys line) and no password.
const keyWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: rg
        location: eastus
        workspaces: [{name: ws}]
        virtualMachines:
          - name: vmk
            publicIP: 20.7.1.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {authorizedKeys: ["%[1]s"]}}}}
faults: {vmExtensionSeconds: 0.1}
`

// An encrypted key logs in but Azure ML cannot store it: ssh.auth warns and
// offers ssh.install-key; applied (consent given), the plan's login, the
// attach request and its confirmation all switch to the new PEM key, and
// neither the events nor the fix document hold the key or the public key
// that went into the protected settings. No redactor stands in between
// here: nothing printed the secret in the first place.
func TestInstallKeyReplacesAnEncryptedKey(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pass-phrase-1"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	encKey := filepath.Join(dir, "enc")
	if err := os.WriteFile(encKey, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(keyWorld, line)), "key.yaml")
	var mu sync.Mutex
	var added []string
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Dial: srv.Dial, Timeout: 5 * time.Second,
		AddSecret: func(s ...string) { mu.Lock(); added = append(added, s...); mu.Unlock() }}
	ws := azure.Workspace{SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "rg", Name: "ws", Location: "eastus"}
	vp, err := ValidateVM(VMInput{ResourceID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vmk",
		Username: "azureuser", KeyFile: encKey, Passphrase: []byte("pass-phrase-1"), KnownHosts: filepath.Join(dir, "kh"), AcceptNew: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	p := vp.Target()
	var events []string
	rep, err := ApplyFixes(context.Background(), d, ws, p, FixOptions{}, func(ev Event) {
		b, _ := json.Marshal(ev)
		events = append(events, string(b))
	})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	var before probes.Result
	for _, r := range rep.Before.Probes {
		if r.ID == probes.IDSSHAuth {
			before = probes.Result{ID: r.ID, Status: probes.Status(r.Status), Detail: r.Detail}
		}
	}
	if before.Status != probes.Warn || !strings.Contains(before.Detail, "encrypted") {
		t.Fatalf("ssh.auth with an encrypted key: %+v", before)
	}
	applied := 0
	for _, f := range rep.Fixes {
		if f.Status == FixApplied {
			applied++
			if f.ID != FixSSHInstallKey {
				t.Fatalf("applied %s", f.ID)
			}
		}
	}
	if applied != 1 || !rep.OK {
		t.Fatalf("fixes: %+v, ok %v", rep.Fixes, rep.OK)
	}
	keyFile := p.NewKeyFile()
	text, err := os.ReadFile(keyFile)
	if err != nil || !strings.HasPrefix(string(text), "-----BEGIN RSA PRIVATE KEY-----") {
		t.Fatalf("the new key %q: %v", keyFile, err)
	}
	spec, ok := p.Spec().(azure.VMSpec)
	if !ok || spec.Creds.PrivateKey != string(text) || spec.Creds.Password != "" || spec.Creds.Username != "azureuser" {
		t.Fatalf("the attach request does not carry the new key: %T", p.Spec())
	}
	if !strings.Contains(fmt.Sprint(p.Fields), "(contents of "+keyFile+", hidden)") {
		t.Fatalf("the confirmation shows %v", p.Fields)
	}
	mu.Lock()
	told := strings.Join(added, "\n")
	mu.Unlock()
	if !strings.Contains(told, string(text)) || !strings.Contains(strings.Join(p.Secrets(), "\n"), string(text)) {
		t.Fatal("the new key was not handed on as a secret")
	}

	doc, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	all := string(doc) + strings.Join(events, "\n") + strings.Join(rep.Offers[0].Lines(), "\n")
	for _, l := range strings.Split(string(text), "\n")[1:5] {
		if strings.Contains(all, l) {
			t.Fatalf("the events or the fix document hold the private key: %q", l)
		}
	}
	if strings.Contains(all, strings.Fields(string(pub))[1]) {
		t.Fatal("the events or the fix document hold the public key sent as a protected setting")
	}
}

// Only logins a new key would clear offer the fix.
func TestKeyLoginHelps(t *testing.T) {
	for _, c := range []struct {
		r    probes.Result
		want bool
	}{
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldPassword, Detail: "password rejected for u@h"}, true},
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldPassword, Detail: "h does not accept password logins"}, true},
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldKey, Detail: "key k rejected for u@h"}, true},
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Warn, Detail: "logged in; the key is in the new OpenSSH format"}, true},
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldKey, Detail: "h:22 does not accept public-key logins"}, false},
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Fail, Field: probes.FieldNone, Detail: "login as u@h did not finish within 5s"}, false},
		{probes.Result{ID: probes.IDSSHAuth, Status: probes.Pass}, false},
		{probes.Result{ID: probes.IDHostOS, Status: probes.Fail, Field: probes.FieldPassword}, false},
	} {
		if got := probes.KeyLoginHelps(c.r); got != c.want {
			t.Errorf("%+v: got %v, want %v", c.r, got, c.want)
		}
	}
}
