package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh/agent"

	"amlattach/flows"
)

// vmFlags are the flags of `attach vm` and `probe vm` (DESIGN §3).
type vmFlags struct {
	name, resourceID, username  string
	resourceName, resourceGroup string
	sshPort                     int
	passwordFile, keyFile       string
	passphraseFile, knownHosts  string
	acceptNew                   bool
	attach                      refFlags // --yes, --force, --replace
}

func (f *vmFlags) register(c *cobra.Command, attach bool) {
	fl := c.Flags()
	fl.StringVar(&f.name, "name", "", "compute name in the workspace (2-16 letters, digits, hyphens; default: from the VM name)")
	fl.StringVar(&f.resourceID, "resource-id", "", "ARM ID of the VM: /subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/virtualMachines/NAME")
	fl.StringVar(&f.resourceName, "resource-name", "", "the VM's name, instead of --resource-id (in the workspace's subscription)")
	fl.StringVar(&f.resourceGroup, "resource-group-name", "", "the resource group of --resource-name (default: the workspace's)")
	fl.IntVar(&f.sshPort, "ssh-port", 22, "SSH port")
	f.registerLogin(c)
	if attach {
		registerAttachFlags(c, &f.attach)
		registerTestJob(c, &f.attach)
	}
}

// registerLogin adds the SSH login flags (shared by vm and hdinsight).
func (f *vmFlags) registerLogin(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.username, "username", "", "SSH user (a VM's administrator, e.g. azureuser; an HDInsight cluster's SSH user, e.g. sshuser)")
	fl.StringVar(&f.passwordFile, "password-file", "", "file holding the SSH password (or set AMLATTACH_SSH_PASSWORD)")
	fl.StringVar(&f.keyFile, "ssh-key", "", "private key file (OpenSSH or PEM; RSA, ECDSA or Ed25519)")
	fl.StringVar(&f.passphraseFile, "ssh-key-passphrase-file", "", "file holding the key's passphrase")
	fl.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file (default ~/.ssh/known_hosts)")
	fl.BoolVar(&f.acceptNew, "accept-new-host-key", false, "accept and record a host key known_hosts does not have yet (a changed key is always refused)")
}

// input turns the flags into a flows.VMInput, reading secret files.
func (f *vmFlags) input(a *app) (flows.VMInput, error) {
	in := flows.VMInput{Name: f.name, ResourceID: f.resourceID, ResourceName: f.resourceName, ResourceGroup: f.resourceGroup, Username: f.username, SSHPort: f.sshPort,
		KeyFile: expandHome(f.keyFile), KnownHosts: expandHome(f.knownHosts), AcceptNew: f.acceptNew}
	if in.KnownHosts == "" {
		in.KnownHosts = a.defaultKnownHosts()
	}
	if f.passwordFile != "" {
		pw, err := flows.ReadSecretFile("--password-file", expandHome(f.passwordFile))
		if err != nil {
			return in, err
		}
		in.Password, in.PasswordSource = pw, "--password-file"
	} else if pw := a.getenv("AMLATTACH_SSH_PASSWORD"); pw != "" {
		in.Password, in.PasswordSource = pw, "AMLATTACH_SSH_PASSWORD"
	}
	if f.passphraseFile != "" {
		pp, err := flows.ReadSecretFile("--ssh-key-passphrase-file", expandHome(f.passphraseFile))
		if err != nil {
			return in, err
		}
		in.Passphrase = []byte(pp)
		if f.keyFile == "" {
			return in, &flows.Error{Kind: flows.KindInput, Field: "--ssh-key-passphrase-file", Msg: "a passphrase was given without --ssh-key", Fix: "give the key file with --ssh-key"}
		}
	}
	a.addSecrets(in.Password, string(in.Passphrase))
	if in.Password == "" && in.KeyFile == "" {
		if sock := a.getenv("SSH_AUTH_SOCK"); sock != "" {
			if conn, err := net.Dial("unix", sock); err == nil {
				a.closers = append(a.closers, func() { conn.Close() })
				if signers, err := agent.NewClient(conn).Signers(); err == nil {
					in.AgentSigners = signers
				}
			}
		}
	}
	return in, nil
}

var targetTypes = []string{"vm", "hdinsight", "batch", "databricks", "adla", "aks", "kubernetes", "synapse", "local", "aci"}

// verbCmd describes `probe` or `attach`: the same tree of types, with the
// attach-only flags on attach.
type verbCmd struct {
	use, short, long, vmShort, vmExample string
	attach                               bool
}

func newProbeCmd(a *app) *cobra.Command {
	return newVerbCmd(a, verbCmd{use: "probe", short: "Run the preflight probes only; nothing is sent to Azure",
		long:      "Run every preflight probe of TYPE against the resource and report what would stop an attach.",
		vmShort:   "Probe a VM or Data Science VM for attaching over SSH",
		vmExample: "  amlattach probe vm --resource-id /subscriptions/…/virtualMachines/dsvm1 --username azureuser --ssh-key ~/.ssh/id_rsa"})
}

func newAttachCmd(a *app) *cobra.Command {
	return newVerbCmd(a, verbCmd{use: "attach", attach: true, short: "Preflight, then attach a resource to the workspace",
		long:      "Run the preflight probes; if none fails (or with --force), attach the resource and follow the attach until it ends.",
		vmShort:   "Attach a VM or Data Science VM over SSH",
		vmExample: "  amlattach attach vm --name dsvm-attach --resource-id /subscriptions/…/virtualMachines/dsvm1 --username azureuser --password-file pw.txt --yes"})
}

func newVerbCmd(a *app, v verbCmd) *cobra.Command {
	c := &cobra.Command{Use: v.use + " TYPE | " + v.use + " -f FILE", Short: v.short, Long: v.long, Args: cobra.NoArgs}
	var ff fileFlags
	ff.register(c, v.attach)
	c.RunE = func(cmd *cobra.Command, _ []string) error { return runFile(a, cmd, &ff, v.attach) }
	var f vmFlags
	vm := &cobra.Command{Use: "vm", Short: v.vmShort, Args: cobra.NoArgs, Example: v.vmExample,
		RunE: func(*cobra.Command, []string) error { return runVM(a, &f, v.attach) }}
	f.register(vm, v.attach)
	c.AddCommand(vm)
	tv := verbProbe
	if v.attach {
		tv = verbAttach
	}
	c.AddCommand(a.targetCommands(tv)...)
	if v.attach {
		c.AddCommand(newAttachLocalCmd(), newAttachACICmd())
	} else {
		c.AddCommand(newProbeLocalCmd(a), newProbeACICmd(a))
	}
	return c
}

func runVM(a *app, f *vmFlags, attach bool) error {
	in, err := f.input(a)
	if err != nil {
		return err
	}
	plan, err := flows.ValidateVM(in, attach)
	if err != nil {
		return err
	}
	return runPlan(a, plan.Target(), attach, &f.attach)
}

// confirm asks on the terminal; with no terminal it refuses (exit 2).
func (a *app) confirm(s flows.AttachSummary) (bool, error) {
	if !a.io.InTTY {
		return false, &flows.Error{Kind: flows.KindInput, Field: "--yes", Msg: "no terminal to ask for confirmation; nothing was sent to Azure", Fix: "pass --yes to attach without asking"}
	}
	for _, l := range s.Lines() {
		fmt.Fprintln(a.errw, l)
	}
	return a.askYes("Attach? [y/N] "), nil
}

// askYes asks on stderr and reads the answer. An answer ended by the end of
// the input (Ctrl-D) rather than Enter left the cursor after the prompt:
// a newline then puts what follows on its own line.
func (a *app) askYes(prompt string) bool {
	fmt.Fprint(a.errw, prompt)
	line, err := bufio.NewReader(a.io.In).ReadString('\n')
	if err != nil {
		fmt.Fprintln(a.errw)
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes"
}
