package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Whole runs with marker secrets: a password, a key passphrase, a private
// key, a Databricks token and an AKS TLS key go through probe, attach, doctor
// and the wizard; stdout, stderr, the --debug log and the doctor report must
// hold none of them.

const (
	markPassword   = "MARK-pw-6f1c9e"
	markPassphrase = "MARK-pp-2b8d4a"
	markToken      = "dapi-MARK-tok-93ae71"
	markStoredTok  = "dapi-MARK-stored-51c0"
)

const leakWorld = `subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml-rg
        location: eastus
        workspaces:
          - name: leak-ws
            computes:
              - name: stored-vm
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/vm1
                properties: {administratorAccount: {username: azureuser, password: "%[2]s"}}
              - name: stored-dbx
                type: Databricks
                resourceId: /subscriptions/%[1]s/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx
                properties: {databricksAccessToken: "%[4]s"}
        virtualMachines:
          - name: vm1
            publicIP: 20.7.0.1
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "%[2]s", authorizedKeys: ["%[5]s"]}}}}
          - name: vm2
            publicIP: 20.7.0.2
            image: {publisher: Canonical, offer: ubuntu-24_04-lts, sku: server}
            nsgRules: [{name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}]
            ssh: {sim: {os: ubuntu 22.04, docker: 24.0.7, dockerDaemon: true, users: {azureuser: {password: "%[2]s", authorizedKeys: ["%[5]s"]}}}}
        databricksWorkspaces:
          - {name: dbx, tokens: ["%[3]s"], expiredTokens: ["%[4]s"]}
          - {name: dbx2, tokens: ["%[3]s"], expiredTokens: ["%[4]s"]}
        aksClusters:
          - name: aks1
            kubernetesVersion: "1.30.14"
            agentPools: [{name: nodepool1, count: 3, vmSize: Standard_D4s_v3, mode: System}]
faults:
  attachSeconds: 0.2
  detachSeconds: 0.1
`

type leakFixture struct {
	dir, world, kh          string
	pwFile, ppFile, tokFile string
	encKey, plainKey        string
	certFile, keyFile       string
	markers                 []string
	outputs                 map[string]string // what to scan, by where it came from
}

func newLeakFixture(t *testing.T) *leakFixture {
	t.Helper()
	f := &leakFixture{dir: t.TempDir(), outputs: map[string]string{}}
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(f.dir, name)
		must(t, os.WriteFile(p, []byte(content), mode))
		return p
	}
	// An SSH key, stored encrypted with the marker passphrase and in clear.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(markPassphrase))
	must(t, err)
	f.encKey = write("id_enc", string(pem.EncodeToMemory(blk)), 0o600)
	blk2, err := ssh.MarshalPrivateKey(priv, "")
	must(t, err)
	plain := string(pem.EncodeToMemory(blk2))
	f.plainKey = write("id_plain", plain, 0o600)
	sshPub, err := ssh.NewPublicKey(pub)
	must(t, err)
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	// A TLS certificate and key for AKS.
	ck, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ml.contoso.com"}, DNSNames: []string{"ml.contoso.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ck.PublicKey, ck)
	must(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(ck)
	must(t, err)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	f.certFile = write("cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o600)
	f.keyFile = write("key.pem", keyPEM, 0o600)

	f.pwFile = write("pw", markPassword+"\n", 0o600)
	f.ppFile = write("pp", markPassphrase+"\n", 0o600)
	f.tokFile = write("tok", markToken+"\n", 0o600)
	f.world = write("world.yaml", fmt.Sprintf(leakWorld, sub, markPassword, markToken, markStoredTok, authorized), 0o600)
	f.kh = filepath.Join(f.dir, "known_hosts")
	f.markers = []string{markPassword, markPassphrase, markToken, markStoredTok, keyBody(plain), keyBody(keyPEM)}
	return f
}

func (f *leakFixture) scan(t *testing.T) {
	t.Helper()
	if len(f.outputs) == 0 {
		t.Fatal("nothing was scanned")
	}
	for where, text := range f.outputs {
		for _, m := range f.markers {
			if strings.Contains(text, m) {
				t.Errorf("a marker secret reached %s:\n%s", where, text)
			}
		}
	}
}

func TestNoSecretLeaksInWholeHeadlessRuns(t *testing.T) {
	f := newLeakFixture(t)
	vm := func(n string) string {
		return "/subscriptions/" + sub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/" + n
	}
	runs := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"probe vm, password", nil, []string{"probe", "vm", "--resource-id", vm("vm2"), "--username", "azureuser", "--password-file", f.pwFile}, 0},
		{"probe vm, wrong password from the environment", map[string]string{"AMLATTACH_SSH_PASSWORD": markPassword + "x"}, []string{"probe", "vm", "--resource-id", vm("vm2"), "--username", "azureuser"}, 1},
		{"probe vm, encrypted key and passphrase", nil, []string{"probe", "vm", "--resource-id", vm("vm2"), "--username", "azureuser", "--ssh-key", f.encKey, "--ssh-key-passphrase-file", f.ppFile}, 0},
		{"probe vm, passphrase wrong", nil, []string{"probe", "vm", "--resource-id", vm("vm2"), "--username", "azureuser", "--ssh-key", f.encKey, "--ssh-key-passphrase-file", f.pwFile}, 2},
		{"attach vm, key, json", nil, []string{"attach", "vm", "--name", "key-vm", "--resource-id", vm("vm2"), "--username", "azureuser", "--ssh-key", f.plainKey, "--yes", "-o", "json"}, 0},
		{"attach vm, password", nil, []string{"attach", "vm", "--name", "pw-vm", "--resource-id", vm("vm2"), "--username", "azureuser", "--password-file", f.pwFile, "--yes"}, 0},
		{"attach databricks, token file", nil, []string{"attach", "databricks", "--resource-name", "dbx2", "--token-file", f.tokFile, "--yes", "-o", "json"}, 0},
		{"probe databricks, expired token from the environment", map[string]string{"AMLATTACH_DATABRICKS_TOKEN": markStoredTok}, []string{"probe", "databricks", "--resource-name", "dbx2"}, 1},
		{"attach aks, custom TLS", nil, []string{"attach", "aks", "--resource-name", "aks1", "--tls", "custom", "--tls-cert-file", f.certFile, "--tls-key-file", f.keyFile, "--tls-cname", "ml.contoso.com", "--yes"}, 0},
		{"doctor vm with its stored password", nil, []string{"doctor", "stored-vm", "--report", filepath.Join(f.dir, "report-vm.md")}, 0},
		{"doctor databricks with its stored expired token", nil, []string{"doctor", "stored-dbx", "--report", filepath.Join(f.dir, "report-dbx.md"), "-o", "json"}, 1},
	}
	for i, r := range runs {
		debug := filepath.Join(f.dir, fmt.Sprintf("debug-%d.log", i))
		args := append(r.args, "--world", f.world, "--known-hosts", f.kh, "--accept-new-host-key", "--debug", debug)
		if r.args[0] == "attach" && r.args[1] != "vm" || r.args[1] == "databricks" {
			args = append(r.args, "--world", f.world, "--debug", debug)
			if r.args[0] == "doctor" {
				args = append(args, "--known-hosts", f.kh, "--accept-new-host-key")
			}
		}
		res := runCLI(t, r.env, args...)
		if res.code != r.code {
			t.Errorf("%s: exit %d, want %d\n%s", r.name, res.code, r.code, res)
		}
		f.outputs[r.name+" stdout"] = res.stdout
		f.outputs[r.name+" stderr"] = res.stderr
		log, err := os.ReadFile(debug)
		if r.code != 2 && (err != nil || len(log) == 0) { // bad input stops before the log opens
			t.Errorf("%s: no --debug log: %v", r.name, err)
		}
		f.outputs[r.name+" --debug log"] = string(log)
	}
	for _, rep := range []string{"report-vm.md", "report-dbx.md"} {
		data, err := os.ReadFile(filepath.Join(f.dir, rep))
		if err != nil || !strings.Contains(string(data), "## Probes") {
			t.Fatalf("doctor report %s: %v", rep, err)
		}
		f.outputs[rep] = string(data)
	}
	f.scan(t)
}

func TestNoSecretLeaksInTheWizard(t *testing.T) {
	needTmux(t)
	f := newLeakFixture(t)
	bin := buildBinary(t)
	debug := filepath.Join(f.dir, "wizard-debug.log")
	s := startTmux(t, bin, "--world", f.world, "--debug", debug)
	var screens []string
	see := func(texts ...string) { screens = append(screens, s.waitFor(texts...)) }
	see("Attach to this workspace?")
	s.send("Enter")
	see("What do you want to attach?")
	s.send("Enter")
	see("Which VM?", "vm1", "vm2") // the list has loaded: the filter key goes to it
	s.send("/")
	s.typeText("vm2")
	see("1 of 2")
	s.send("Enter")
	see("How to reach the VM")
	s.send("Enter")
	see("type the SSH password")
	s.typeText(markPassword)
	screens = append(screens, s.capture())
	s.send("Enter")
	see("A new host key")
	s.send("y")
	see("Ready to attach")
	s.send("Enter")
	see("administratorAccount.password: ********")
	s.send("Enter")
	see(`Attached: compute "vm2" is Succeeded`)
	s.send("Enter")
	see("EXIT=0")
	for i, sc := range screens {
		f.outputs[fmt.Sprintf("wizard screen %d", i)] = sc
	}
	log, err := os.ReadFile(debug)
	if err != nil || len(log) == 0 {
		t.Fatalf("no --debug log: %v", err)
	}
	f.outputs["wizard --debug log"] = string(log)
	f.scan(t)
}
