package main

import (
	"github.com/spf13/cobra"

	"amlattach/flows"
)

// fileFlags are the flags of `attach -f FILE` and `probe -f FILE`: the file
// gives the compute, flags given too override its values.
type fileFlags struct {
	file      string
	vm        vmFlags
	namespace string
	identity  identityFlags
}

func (f *fileFlags) register(c *cobra.Command, attach bool) {
	fl := c.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "an Azure ML CLI v2 compute YAML file (type virtualmachine, kubernetes or synapsespark), as az ml compute attach --file takes")
	fl.StringVar(&f.vm.name, "name", "", "compute name (overrides the file's name)")
	fl.StringVar(&f.vm.resourceID, "resource-id", "", "the resource's ARM ID (overrides the file's resource_id)")
	fl.IntVar(&f.vm.sshPort, "ssh-port", 0, "virtualmachine: SSH port (overrides ssh_settings.ssh_port)")
	f.vm.registerLogin(c)
	fl.StringVar(&f.namespace, "namespace", "", "kubernetes: namespace (overrides the file's)")
	f.identity.register(c)
	if attach {
		registerAttachFlags(c, &f.vm.attach)
	}
}

// runFile probes or attaches the compute a YAML file describes.
func runFile(a *app, c *cobra.Command, f *fileFlags, attach bool) error {
	if f.file == "" {
		return &flows.Error{Kind: flows.KindInput, Field: "TYPE", Msg: "a compute type or -f FILE is required",
			Fix: "e.g. amlattach " + c.Name() + " vm --help, or amlattach " + c.Name() + " -f compute.yml"}
	}
	cf, err := flows.LoadComputeFile(expandHome(f.file))
	if err != nil {
		return err
	}
	changed := func(name string) bool { return c.Flags().Changed(name) }
	name := cf.Name
	if changed("name") {
		name = f.vm.name
	}
	rid := cf.ResourceID
	if changed("resource-id") {
		rid = f.vm.resourceID
	}
	ident := cf.IdentityInput()
	if changed("identity-type") || changed("user-assigned-identity") {
		ident = f.identity.input()
	}
	var plan *flows.Plan
	switch cf.TargetType() {
	case "vm":
		vf := f.vm
		s := cf.SSHSettings
		if s != nil {
			if !changed("username") {
				vf.username = s.AdminUsername
			}
			if !changed("ssh-port") && s.SSHPort != 0 {
				vf.sshPort = s.SSHPort
			}
			if !changed("ssh-key") && !changed("password-file") && s.SSHPrivateKeyFile != "" {
				vf.keyFile = cf.KeyPath()
			}
		}
		if vf.sshPort == 0 {
			vf.sshPort = 22
		}
		in, err := vf.input(a)
		if err != nil {
			return err
		}
		if s != nil && s.AdminPassword != "" && in.Password == "" && in.KeyFile == "" {
			in.Password, in.PasswordSource = s.AdminPassword, f.file+" (ssh_settings.admin_password)"
			a.addSecrets(in.Password)
		}
		in.Name, in.ResourceID = name, rid
		vp, err := flows.ValidateVM(in, attach)
		if err != nil {
			return err
		}
		a.addSecrets(vp.Secrets()...)
		plan = vp.Target()
	case "kubernetes":
		ns := cf.Namespace
		if changed("namespace") {
			ns = f.namespace
		}
		plan, err = flows.ValidateKubernetes(flows.KubernetesInput{Name: name, Ref: flows.TargetRef{ResourceID: rid}, Namespace: ns, Identity: ident})
	case "synapse":
		plan, err = flows.ValidateSynapse(flows.SimpleInput{Name: name, Ref: flows.TargetRef{ResourceID: rid}, Identity: ident})
	}
	if err != nil {
		return err
	}
	return runPlan(a, plan, attach, &f.vm.attach)
}
