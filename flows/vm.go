package flows

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"amlattach/azure"
	"amlattach/probes"
)

// VMInput is what the user gives to attach a VM. Password and passphrase are
// secrets: they are read from files or the environment, never from flags.
type VMInput struct {
	Name       string
	ResourceID string
	// ResourceName and ResourceGroup name the VM instead of ResourceID, in
	// the workspace's subscription (and group, when ResourceGroup is empty).
	ResourceName   string
	ResourceGroup  string
	Username       string
	SSHPort        int
	Password       string // already read from --password-file or AMLATTACH_SSH_PASSWORD
	PasswordSource string // "--password-file" or "AMLATTACH_SSH_PASSWORD", for messages
	KeyFile        string
	Passphrase     []byte // read from --ssh-key-passphrase-file
	AgentSigners   []ssh.Signer
	KnownHosts     string
	AcceptNew      bool
	ConfirmHostKey func(ctx context.Context, host string, key ssh.PublicKey) bool
	// storedKey is a key Azure ML stored (doctor), used as a key file would be.
	storedKey *probes.Key
}

// VMPlan is a validated VMInput, ready to probe and attach.
type VMPlan struct {
	In    VMInput
	ID    azure.ResourceID
	Login probes.Login
	Key   *probes.Key
	// byName: the VM was given by name; its Target binds the ID to the
	// workspace's subscription and group.
	byName bool
	// address is the VM's public IP as the last preflight found it.
	mu      sync.Mutex
	address string
}

// Secrets lists the secret strings of the plan, so that outputs can be
// scrubbed of them as a last line of defence.
func (p *VMPlan) Secrets() []string {
	var s []string
	if p.In.Password != "" {
		s = append(s, p.In.Password)
	}
	if len(p.In.Passphrase) > 0 {
		s = append(s, string(p.In.Passphrase))
	}
	if p.Key != nil {
		s = append(s, p.Key.Text)
	}
	return s
}

// ValidateVM checks the input before anything touches the network. Every
// problem is a KindInput error naming the flag and the fix.
func ValidateVM(in VMInput, forAttach bool) (*VMPlan, error) {
	if strings.TrimSpace(in.ResourceID) == "" && in.ResourceName == "" && in.ResourceGroup == "" {
		return nil, inputErr("--resource-id", "give the VM's ARM ID (az vm show -g <group> -n <vm> --query id -o tsv), or its name with --resource-name NAME [--resource-group-name GROUP]", "the VM's resource ID is required")
	}
	id, byName, err := resolveRef(TargetRef{ResourceID: in.ResourceID, ResourceName: in.ResourceName, ResourceGroup: in.ResourceGroup},
		"/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<vm>; get it with az vm show -g <group> -n <vm> --query id -o tsv",
		"Microsoft.Compute/virtualMachines")
	if err != nil {
		return nil, err
	}
	if in.Name == "" {
		in.Name = probes.SuggestName(id.Name, nil)
	}
	if p := probes.NameProblem(in.Name); p != "" {
		return nil, inputErr("--name", "use 2-16 letters, digits and hyphens, starting with a letter, e.g. --name "+probes.SuggestName(in.Name, nil), "%s", p)
	}
	plan := &VMPlan{In: in, ID: id, byName: byName}
	if err := plan.validateLogin(forAttach); err != nil {
		return nil, err
	}
	return plan, nil
}

// validateLogin checks the SSH side of the input (user, port, known_hosts,
// password or key) and sets the plan's Login and Key. HDInsight shares it.
func (plan *VMPlan) validateLogin(forAttach bool) error {
	in := &plan.In
	if in.Username == "" {
		return inputErr("--username", "give the VM's administrator user, e.g. --username azureuser", "the SSH user name is required")
	}
	if strings.ContainsAny(in.Username, " \t@:/") {
		return inputErr("--username", "give only the user name, e.g. azureuser", "%q is not a user name", in.Username)
	}
	if in.SSHPort == 0 {
		in.SSHPort = 22
	}
	if in.SSHPort < 1 || in.SSHPort > 65535 {
		return inputErr("--ssh-port", "give sshd's TCP port (usually 22)", "%d is not a TCP port", in.SSHPort)
	}
	if in.KnownHosts == "" {
		return inputErr("--known-hosts", "give a known_hosts file, e.g. --known-hosts ~/.ssh/known_hosts", "no known_hosts file")
	}
	plan.Login = probes.Login{User: in.Username, Password: in.Password}
	switch {
	case in.storedKey != nil:
		plan.Key = in.storedKey
		plan.Login.Key = in.storedKey
	case in.Password != "" && in.KeyFile != "":
		return inputErr("--ssh-key", "give either a password or a key, not both (Azure ML stores one of them)", "both a password (from %s) and a key file were given", in.PasswordSource)
	case in.KeyFile != "":
		k, err := probes.LoadKey(in.KeyFile, in.Passphrase)
		if err != nil {
			var ke *probes.KeyError
			if errors.As(err, &ke) {
				field := "--ssh-key"
				if ke.Field == probes.FieldPassword {
					field = "--ssh-key-passphrase-file"
				}
				return &Error{Kind: KindInput, Field: field, Msg: ke.Error(), Fix: ke.Fix, Err: err}
			}
			return inputErr("--ssh-key", "give a readable private key file", "%v", err)
		}
		if forAttach && k.Encrypted {
			return inputErr("--ssh-key", "Azure ML stores the key and has no field for its passphrase: attach with an unencrypted copy (cp KEY KEY.azureml && ssh-keygen -p -N '' -f KEY.azureml) or with a password",
				"key file %s is encrypted", in.KeyFile)
		}
		plan.Key = k
		plan.Login.Key = k
	case in.Password != "":
	case len(in.AgentSigners) > 0 && !forAttach:
		plan.Login.Agent = in.AgentSigners
	case len(in.AgentSigners) > 0:
		return inputErr("--ssh-key", "Azure ML logs in itself and needs the key or password: give --ssh-key FILE or --password-file FILE (ssh-agent keys can only be used to probe)", "no password or key file to send to Azure ML")
	default:
		return inputErr("--password-file", "give --password-file FILE, set AMLATTACH_SSH_PASSWORD, or give --ssh-key FILE", "no SSH password or key")
	}
	return nil
}

// ReadSecretFile reads a password or passphrase file: one line, the trailing
// newline dropped. The error never holds the content.
func ReadSecretFile(flag, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return "", inputErr(flag, "give the path of a readable file that holds only the secret", "cannot read %s: %s", path, msg)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", inputErr(flag, "put the secret on the file's first line", "%s is empty", path)
	}
	if strings.ContainsAny(s, "\n") {
		return "", inputErr(flag, "the file must hold the secret alone, on one line", "%s has more than one line", path)
	}
	return s, nil
}

// vmState is what the VM probes learn and hand on to each other.
type vmState struct {
	mu       sync.Mutex
	vm       azure.VM
	address  string
	conn     net.Conn
	hs       *probes.Handshake
	client   *ssh.Client
	gone     chan struct{} // closed when the SSH connection ends
	computes []azure.Compute
	listErr  error
	listOnce sync.Once
}

// VMSteps builds the VM probe plan (DESIGN §4) against the workspace ws.
func VMSteps(d Deps, ws azure.Workspace, p *VMPlan) ([]Step, func()) {
	st := &vmState{}
	net := memoNetwork(d.Azure)
	list := func(ctx context.Context) ([]azure.Compute, error) {
		st.listOnce.Do(func() {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			st.computes, st.listErr = d.Azure.ListComputes(c, ws)
		})
		return st.computes, st.listErr
	}
	portStr := strconv.Itoa(p.In.SSHPort)
	steps := []Step{
		{ID: probes.IDWsName, Run: func(ctx context.Context) probes.Result {
			cs, err := list(ctx)
			if err != nil {
				return listFail(ws, err)
			}
			return probes.WsName(p.In.Name, ws.Name, cs)
		}},
		{ID: probes.IDWsDuplicate, Run: func(ctx context.Context) probes.Result {
			cs, err := list(ctx)
			if err != nil {
				return listFail(ws, err)
			}
			return probes.WsDuplicate(p.ID.String(), p.In.Name, ws.Name, cs)
		}},
		{ID: probes.IDArmResource, Run: func(ctx context.Context) probes.Result {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			vm, err := d.Azure.GetVM(c, p.ID)
			if err == nil {
				st.vm = vm
			}
			return probes.ArmResource(p.ID.String(), p.ID.Kind(), err)
		}},
		{ID: probes.IDVMRunning, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result {
			return probes.VMRunning(st.vm)
		}},
		{ID: probes.IDVMImage, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result {
			return probes.VMImage(st.vm)
		}},
		{ID: probes.IDVMPublicIP, Needs: []string{probes.IDArmResource}, Run: func(ctx context.Context) probes.Result {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			r, addr := probes.VMPublicIP(c, net, st.vm)
			st.address = addr
			p.mu.Lock()
			p.address = addr
			p.mu.Unlock()
			return r
		}},
		// arm.nsg.ssh reflects the public IP too (with no NSG, a NIC without
		// one passes, a Standard one is closed): a fix of either reruns it.
		{ID: probes.IDNSGSSH, Needs: []string{probes.IDArmResource}, Follows: []string{probes.IDVMRunning, probes.IDVMPublicIP}, Run: func(ctx context.Context) probes.Result {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			// Our reading of the NSGs, with Network Watcher's verdict
			// beside it where the region has one (bounded by the same step
			// timeout).
			return probes.NSGSSHWatched(c, net, d.Azure, st.vm, p.In.SSHPort, ws.Location)
		}},
		{ID: probes.IDNetTCP, Needs: []string{probes.IDVMPublicIP, probes.IDVMRunning}, Run: func(ctx context.Context) probes.Result {
			r, conn := probes.NetTCP(ctx, d.dial(), joinHostPort(st.address, portStr), d.timeout())
			st.conn = conn
			return r
		}},
	}
	steps = append(steps, sshSteps(d, st, p, func() string { return joinHostPort(st.address, portStr) }, true)...)
	return steps, st.close
}

// close releases the SSH connection the probes opened.
func (st *vmState) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.hs != nil {
		st.hs.Close()
	} else if st.conn != nil {
		st.conn.Close()
	}
}

// sshSteps are the probes that share the one SSH connection; allHost adds
// the Docker, GPU and disk probes to host.os.
func sshSteps(d Deps, st *vmState, p *VMPlan, addr func() string, allHost bool) []Step {
	hk := probes.HostKeyPolicy{KnownHostsFile: p.In.KnownHosts, AcceptNew: p.In.AcceptNew, Confirm: p.In.ConfirmHostKey}
	host := func(f func(ctx context.Context, r probes.Runner) probes.Result) func(context.Context) probes.Result {
		return func(ctx context.Context) probes.Result {
			c, cancel := d.withTimeout(ctx)
			defer cancel()
			return f(c, hostRunner{run: probes.SSHRunner{Client: st.client}, parent: ctx, timeout: d.timeout(), addr: addr(), gone: st.gone})
		}
	}
	steps := []Step{
		{ID: probes.IDSSHHostKey, Needs: []string{probes.IDNetTCP}, Run: func(ctx context.Context) probes.Result {
			st.mu.Lock()
			st.hs = probes.StartSSH(ctx, st.conn, addr(), p.Login, hk, d.timeout())
			st.mu.Unlock()
			return st.hs.HostKey(ctx)
		}},
		{ID: probes.IDSSHAuth, Needs: []string{probes.IDSSHHostKey}, Run: func(ctx context.Context) probes.Result {
			r, c := st.hs.Auth(ctx)
			st.client = c
			if c != nil {
				st.gone = make(chan struct{})
				go func() {
					_ = c.Wait()
					close(st.gone)
				}()
			}
			return r
		}},
		{ID: probes.IDHostOS, Needs: []string{probes.IDSSHAuth}, Run: host(probes.HostOS)},
	}
	if !allHost {
		return steps
	}
	return append(steps, []Step{
		{ID: probes.IDHostDocker, Needs: []string{probes.IDSSHAuth}, Run: host(func(ctx context.Context, r probes.Runner) probes.Result {
			return probes.HostDocker(ctx, r, p.In.Username)
		})},
		{ID: probes.IDHostGPU, Needs: []string{probes.IDSSHAuth}, Run: host(probes.HostGPU)},
		{ID: probes.IDHostDisk, Needs: []string{probes.IDSSHAuth}, Run: host(probes.HostDisk)},
	}...)
}

func joinHostPort(h, p string) string { return net.JoinHostPort(h, p) }

// hostRunner runs the host probes' commands and says plainly why one did
// not finish: the step's time ran out (a very slow or hung host), or the
// host closed the connection in the middle of it.
type hostRunner struct {
	run     probes.Runner
	parent  context.Context // the preflight's: its end is an interruption
	timeout time.Duration
	addr    string
	gone    <-chan struct{}
}

func (h hostRunner) Run(ctx context.Context, cmd string) (probes.CmdResult, error) {
	res, err := h.run.Run(ctx, cmd)
	if err == nil || h.parent.Err() != nil {
		return res, err
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("timed out: %s did not answer within %s (a very slow or hung host; check its load with uptime or top, or give more time with --timeout)", h.addr, h.timeout)
	}
	t := time.NewTimer(500 * time.Millisecond)
	defer t.Stop()
	select {
	case <-h.gone:
		return res, fmt.Errorf("%s closed the SSH connection in the middle of the command (%v); check sshd's log on the host (journalctl -u ssh) and run the probe again", h.addr, err)
	case <-t.C:
	}
	return res, err
}

func listFail(ws azure.Workspace, err error) probes.Result {
	e := FromAzure("list the computes of "+ws.Name, err)
	fix := "check the workspace and your access to it"
	var fe *Error
	if errors.As(e, &fe) && fe.Fix != "" {
		fix = fe.Fix
	}
	return probes.Result{Status: probes.Fail, Detail: e.Error(), Remedy: fix}
}

// memoNetwork reads each network resource once per preflight: the public IP
// and NSG probes both need the VM's NIC.
func memoNetwork(c *azure.Client) probes.NetworkReader {
	return &netMemo{c: c, m: map[string]*memoEntry{}}
}

type memoEntry struct {
	once sync.Once
	v    any
	err  error
}

type netMemo struct {
	c  *azure.Client
	mu sync.Mutex
	m  map[string]*memoEntry
}

func (n *netMemo) get(key string, f func() (any, error)) (any, error) {
	n.mu.Lock()
	e, ok := n.m[key]
	if !ok {
		e = &memoEntry{}
		n.m[key] = e
	}
	n.mu.Unlock()
	e.once.Do(func() { e.v, e.err = f() })
	return e.v, e.err
}

func (n *netMemo) GetNIC(ctx context.Context, id azure.ResourceID) (azure.NIC, error) {
	v, err := n.get("nic:"+strings.ToLower(id.String()), func() (any, error) { return n.c.GetNIC(ctx, id) })
	nic, _ := v.(azure.NIC)
	return nic, err
}

func (n *netMemo) GetPublicIP(ctx context.Context, id azure.ResourceID) (azure.PublicIP, error) {
	v, err := n.get("pip:"+strings.ToLower(id.String()), func() (any, error) { return n.c.GetPublicIP(ctx, id) })
	p, _ := v.(azure.PublicIP)
	return p, err
}

func (n *netMemo) SubnetNSG(ctx context.Context, id azure.ResourceID) (string, error) {
	v, err := n.get("subnet:"+strings.ToLower(id.String()), func() (any, error) { return n.c.SubnetNSG(ctx, id) })
	s, _ := v.(string)
	return s, err
}

func (n *netMemo) GetNSG(ctx context.Context, id azure.ResourceID) (azure.NSG, error) {
	v, err := n.get("nsg:"+strings.ToLower(id.String()), func() (any, error) { return n.c.GetNSG(ctx, id) })
	g, _ := v.(azure.NSG)
	return g, err
}
