package flows

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"amlattach/azure"
	"amlattach/probes"
)

// FixSSHInstallKey makes a key Azure ML can use and installs it on the VM.
const FixSSHInstallKey = "ssh.install-key"

// sshKeyBits is the size of the RSA keys ssh.install-key makes.
const sshKeyBits = 3072

func init() {
	// VM plans only: an HDInsight login is the cluster's, not a VM agent's.
	isVM := func(p *Plan) bool { return p.vm != nil }
	registerFixFor(probes.IDSSHAuth, []string{FixSSHInstallKey}, isVM, func(ctx context.Context, d Deps, p *Plan, r probes.Result) *Fix {
		if !probes.KeyLoginHelps(r) {
			return nil
		}
		return sshKeyFix(ctx, d, p)
	})
}

// KeyFileFor is where ssh.install-key keeps the key it makes for user on
// the VM id: <config folder>/amlattach/keys/<vm>-<8 hex digits of a hash
// of the VM's ID and the user>, so that each VM and user has its own file
// and a second run finds the first one's key.
func KeyFileFor(id azure.ResourceID, user string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no folder for the key: %v", err)
	}
	sum := sha256.Sum256([]byte(strings.ToLower(id.String()) + "\n" + user))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, id.Name)
	return filepath.Join(dir, "amlattach", "keys", name+"-"+hex.EncodeToString(sum[:4])), nil
}

// keyComment ends the key's line in authorized_keys, so that it can be
// found and removed.
func keyComment(vm string) string { return "amlattach-" + vm }

// sshKeyFix builds ssh.install-key for a VM plan whose login failed (or
// works with a key Azure ML cannot use). It reads the VM and its
// extensions; nothing is written.
func sshKeyFix(ctx context.Context, d Deps, p *Plan) *Fix {
	vp, id := p.vm, p.ID
	user := vp.In.Username
	c, cancel := d.withTimeout(ctx)
	vm, err := d.Azure.GetVM(c, id)
	cancel()
	if err != nil || strings.EqualFold(vm.OSType, "Windows") {
		return nil // no VM to plan for, or not one VMAccessForLinux runs on
	}
	path, err := KeyFileFor(id, user)
	if err != nil {
		return nil
	}
	ext := vmAccessName(ctx, d, id)
	keyLine := fmt.Sprintf("key file %s: a new %d-bit RSA private key in PEM form (-----BEGIN RSA PRIVATE KEY-----, the form Azure ML takes), mode 0600, its folders 0700; an existing file is never overwritten", path, sshKeyBits)
	if _, err := os.Stat(path); err == nil {
		keyLine = fmt.Sprintf("key file %s exists (made by an earlier run): it is used as it is, not overwritten; if it logs in already, nothing is sent", path)
	}
	comment := keyComment(id.Name)
	if err := keyFilePrivate(path, user, comment); err != nil {
		// Shown, not offered: a key others may have read is not installed.
		return &Fix{ID: FixSSHInstallKey, Summary: fmt.Sprintf("make a dedicated SSH key for %s on %s (not with the key file as it is)", user, id.Name),
			Permission: azure.ActionVMExtensionWrite, Scope: id.String(), Risk: "none: nothing is sent", Undo: "nothing to undo",
			Needs: err.Msg + ": " + err.Fix, invalid: err}
	}
	f := &Fix{
		ID:      FixSSHInstallKey,
		Summary: fmt.Sprintf("make a dedicated SSH key for %s on %s, install it through the VM access extension, and log in (and attach) with it", user, id.Name),
		Changes: []string{
			keyLine,
			fmt.Sprintf("VM %s (resource group %s): the VM access extension %s (%s/%s %s) adds the public key, comment %s, to ~%s/.ssh/authorized_keys (and creates %s if the VM lacks the user)",
				id.Name, id.ResourceGroup, ext, azure.VMAccessPublisher, azure.VMAccessType, azure.VMAccessVersion, comment, user, user),
			fmt.Sprintf("request: PUT %s/extensions/%s (long-running; followed to its end), protectedSettings {username, ssh_key} (hidden; Azure never returns them)", id.String(), ext),
			fmt.Sprintf("login of the preflight after the fix and of the attach: %s -> the key file %s", loginMethod(vp), path),
		},
		Permission: azure.ActionVMExtensionWrite, Scope: id.String(),
		Risk: fmt.Sprintf("the key is a new way into the VM as %s: whoever can read %s can log in; the VM access extension also gives %s sudo rights if the user lacks them. The VM must be running with a ready VM agent, or Azure fails the extension",
			user, path, user),
		Undo: fmt.Sprintf("on the VM, remove the key's line from ~%s/.ssh/authorized_keys (sed -i '/ %s$/d' ~/.ssh/authorized_keys), then delete the key here (rm %s %s.pub); the attach must then use another login",
			user, comment, path, path),
	}
	f.apply = func(ctx context.Context, d Deps, emit Emit) (FixStatus, []Change, error) {
		return installKey(ctx, d, p, path, emit)
	}
	return f
}

// vmAccessName is the name of the VM's VMAccessForLinux extension (Azure
// takes one per VM), else the name the Azure CLI gives a new one.
func vmAccessName(ctx context.Context, d Deps, id azure.ResourceID) string {
	c, cancel := d.withTimeout(ctx)
	defer cancel()
	xs, err := d.Azure.ListVMExtensions(c, id)
	if err == nil {
		for _, x := range xs {
			if x.IsVMAccessForLinux() {
				return x.Name
			}
		}
	}
	return azure.VMAccessDefaultName
}

// loginMethod says how the plan logs in now, for the change it makes.
func loginMethod(vp *VMPlan) string {
	switch {
	case vp.Key != nil && vp.Key.Encrypted:
		return "the encrypted key " + vp.Key.Path
	case vp.Key != nil:
		return fmt.Sprintf("the key %s (%s format)", vp.Key.Path, vp.Key.Format)
	case vp.In.Password != "":
		return "the password"
	case len(vp.In.AgentSigners) > 0:
		return "ssh-agent keys"
	}
	return "no login"
}

// installKey is ssh.install-key's apply: read the VM, make the key (or
// take the one an earlier run made), leave things as they are when that
// key logs in already, else install it through the VM access extension;
// then the plan logs in with it.
func installKey(ctx context.Context, d Deps, p *Plan, path string, emit Emit) (FixStatus, []Change, error) {
	vp, id := p.vm, p.ID
	user := vp.In.Username
	c, cancel := d.withTimeout(ctx)
	vm, err := d.Azure.GetVM(c, id)
	cancel()
	if err != nil {
		return FixFailed, nil, err
	}
	if vm.PowerState != "" && vm.PowerState != "running" {
		return FixFailed, nil, fmt.Errorf("the VM %s is %s: the VM access extension needs it running with its agent ready (start it: fix %s)", id.Name, vm.PowerState, FixVMStart)
	}
	before := loginMethod(vp)
	k, created, err := ensureKey(path, keyComment(id.Name))
	if err != nil {
		return FixFailed, nil, err
	}
	d.secret(k.Text)
	if !created && vp.keyLogsIn(ctx, d, k) {
		p.useKey(d, k)
		return FixUnchanged, nil, nil
	}
	c, cancel = d.withTimeout(ctx)
	xs, err := d.Azure.ListVMExtensions(c, id)
	cancel()
	if err != nil {
		return FixFailed, nil, discardKey(path, created, err)
	}
	name, extBefore := azure.VMAccessDefaultName, "absent"
	for _, x := range xs {
		if x.IsVMAccessForLinux() {
			name, extBefore = x.Name, fmt.Sprintf("%s %s, provisioningState %s", x.Type, x.TypeHandlerVersion, x.ProvisioningState)
		}
	}
	location := vm.Location
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.Signer.PublicKey()))) + " " + keyComment(id.Name)
	oc, ocancel := d.OperationContext(ctx)
	defer ocancel()
	accepted := false // Azure took the PUT: the agent may act on it
	x, err := d.Azure.InstallSSHKey(oc, azure.SSHKeyRequest{VM: id, Location: location, Extension: name, Username: user, PublicKey: pub}, func(pr azure.Progress) {
		if pr.Phase == "submitted" {
			accepted = true
		}
		if emit != nil {
			emit(Event{Kind: FixProgress, Fix: FixSSHInstallKey, Phase: pr.Phase, State: pr.State, At: d.now()})
		}
	})
	var xe *azure.ExtensionError
	if errors.As(err, &xe) && xe.Code == "VMAgentStatusCommunicationError" {
		err = fmt.Errorf("%w (the VM agent does not report: see its state with az vm get-instance-view -g %s -n %s --query instanceView.vmAgent, restart it on the VM with sudo systemctl restart walinuxagent, then run the fix again)",
			err, id.ResourceGroup, id.Name)
	}
	if err != nil && accepted && xe == nil {
		// Sent and accepted, then not followed to its end (interrupted, or
		// the polls failed): Azure may still add the public key, so its
		// private half is kept, and the change is recorded as pending.
		var out []Change
		if created {
			out = append(out, Change{Resource: "key file " + path, Before: "absent",
				After: fmt.Sprintf("%d-bit RSA private key, PEM, mode 0600 (kept: the install may still complete)", sshKeyBits)})
		}
		out = append(out, Change{Resource: fmt.Sprintf("~%s/.ssh/authorized_keys on VM %s", user, id.Name), Before: "without the key",
			After: fmt.Sprintf("pending, not confirmed: the VM access extension %s was asked to add RSA key %s (comment %s)", name, probes.Fingerprint(k.Signer.PublicKey()), keyComment(id.Name))})
		return FixFailed, out, fmt.Errorf("%w; the key file %s is kept: run the fix again to see whether it logs in, or undo as the fix says", err, path)
	}
	if err != nil {
		return FixFailed, nil, discardKey(path, created, err)
	}
	p.useKey(d, k)
	var out []Change
	if created {
		out = append(out, Change{Resource: "key file " + path, Before: "absent", After: fmt.Sprintf("%d-bit RSA private key, PEM, mode 0600", sshKeyBits)})
	}
	return FixApplied, append(out,
		Change{Resource: fmt.Sprintf("VM extension %s/extensions/%s", id.String(), name), Before: extBefore,
			After: fmt.Sprintf("%s %s, provisioningState %s", azure.VMAccessType, azure.VMAccessVersion, x.ProvisioningState)},
		Change{Resource: fmt.Sprintf("~%s/.ssh/authorized_keys on VM %s", user, id.Name), Before: "without the key",
			After: fmt.Sprintf("with RSA key %s (comment %s)", probes.Fingerprint(k.Signer.PublicKey()), keyComment(id.Name))},
		Change{Resource: "login of the attach", Before: before, After: "the key file " + path},
	), nil
}

// discardKey removes a key made in this run whose install failed (Azure
// refused it, or it ended Failed), so that nothing is left that is not in
// use; err is returned as it was. Its .pub goes only when this run wrote it
// (it is the key's own public half, which ensureKey writes with O_EXCL).
func discardKey(path string, created bool, err error) error {
	if created {
		if pubOf(path) {
			os.Remove(path + ".pub")
		}
		os.Remove(path)
	}
	return err
}

// pubOf says whether path.pub holds the public half of the key at path.
func pubOf(path string) bool {
	priv, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		return false
	}
	k, err := probes.ParseKey(path, priv)
	if err != nil || k.Signer == nil {
		return false
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	return err == nil && string(pk.Marshal()) == string(k.Signer.PublicKey().Marshal())
}

// keyFilePrivate refuses a key file at path that others than its owner
// may read or write (group or other permission bits): whoever read it can
// log in with it. Nothing is changed; a missing file is fine.
func keyFilePrivate(path, user, comment string) *Error {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return inputErr("", fmt.Sprintf("if no one else can have read it: chmod 600 %s and run again; otherwise remove it (rm %s %s.pub, and on the VM the line ending %s in ~%s/.ssh/authorized_keys) so that a new key is made",
		path, path, path, comment, user),
		"the key file %s has mode %04o: others than you may read it, so amlattach does not use it", path, fi.Mode().Perm())
}

// ensureKey returns the key at path: the one there (it must be an
// unencrypted RSA key in PEM form, as this fix makes them; anything else is
// left alone and refused), or a new one written there with O_EXCL, mode
// 0600, its folders 0700, and its public half beside it (.pub).
func ensureKey(path, comment string) (*probes.Key, bool, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := keyFilePrivate(path, "", comment); err != nil {
			return nil, false, fmt.Errorf("%s: %s", err.Msg, err.Fix)
		}
		k, perr := probes.ParseKey(path, data)
		if perr != nil || k.Encrypted || k.Format != "PEM" || k.Type != ssh.KeyAlgoRSA {
			return nil, false, fmt.Errorf("%s exists and is not an unencrypted RSA key in PEM form, as amlattach makes them; it is left as it is: move it away and run again", path)
		}
		return k, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("read the key file %s: %v", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create the folder for the key: %v", err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} { // keys and amlattach: ours
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, false, fmt.Errorf("make %s private (0700): %v", d, err)
		}
	}
	priv, err := rsa.GenerateKey(rand.Reader, sshKeyBits)
	if err != nil {
		return nil, false, fmt.Errorf("make an RSA key: %v", err)
	}
	text := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("create the key file: %v", err)
	}
	_, err = f.Write(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("write the key file %s: %v", path, err)
	}
	k, err := probes.ParseKey(path, text)
	if err != nil {
		os.Remove(path)
		return nil, false, err
	}
	// The public half, for the user's own ssh -i and for the undo; an
	// existing .pub is left alone.
	if pf, err := os.OpenFile(path+".pub", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
		_, _ = pf.WriteString(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.Signer.PublicKey()))) + " " + comment + "\n")
		pf.Close()
	}
	return k, true, nil
}

// keyLogsIn reports whether the key logs in to the VM as the plan's user,
// at the address the preflight found, trusting only the host key
// known_hosts holds.
func (vp *VMPlan) keyLogsIn(ctx context.Context, d Deps, k *probes.Key) bool {
	vp.mu.Lock()
	addr := vp.address
	vp.mu.Unlock()
	if addr == "" {
		return false
	}
	hostport := joinHostPort(addr, strconv.Itoa(vp.In.SSHPort))
	c, cancel := d.withTimeout(ctx)
	defer cancel()
	conn, err := d.dial()(c, "tcp", hostport)
	if err != nil {
		return false
	}
	hs := probes.StartSSH(c, conn, hostport, probes.Login{User: vp.In.Username, Key: k}, probes.HostKeyPolicy{KnownHostsFile: vp.In.KnownHosts}, d.timeout())
	defer hs.Close()
	if r := hs.HostKey(c); r.Status != probes.Pass {
		return false
	}
	r, _ := hs.Auth(c)
	return r.Status == probes.Pass
}

// useKey makes the plan log in with k from now on: the preflight after the
// fix, the attach request (privateKeyData) and what the confirmation shows.
func (p *Plan) useKey(d Deps, k *probes.Key) {
	vp := p.vm
	vp.In.Password, vp.In.PasswordSource = "", ""
	vp.In.KeyFile, vp.In.Passphrase, vp.In.AgentSigners = k.Path, nil, nil
	vp.Key = k
	vp.Login = probes.Login{User: vp.In.Username, Key: k}
	p.Fields = vp.fields()
	p.secrets = append(p.secrets, k.Text)
	p.SetFixedLogin(FixedLogin{Username: vp.In.Username, KeyFile: k.Path})
	d.secret(k.Text)
}

// NewKeyFile is the key file a fix (ssh.install-key) switched the plan's
// login to, "" when none did: the attach must be given it (--ssh-key).
func (p *Plan) NewKeyFile() string {
	l, _ := p.FixedLogin()
	return l.KeyFile
}
