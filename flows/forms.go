package flows

import (
	"strconv"
	"strings"

	"amlattach/probes"
)

// FieldKind says how a form field is entered.
type FieldKind int

const (
	FieldText    FieldKind = iota
	FieldSecret            // masked on input, never shown back
	FieldFile              // a path, with completion
	FieldChoice            // one of Choices
	FieldBool              // yes or no
	FieldKeyFile           // a private key file: a path with completion, the key read when the field is left
)

// The choices of a VM's "login" field.
const (
	LoginPassword = "password"
	LoginKeyFile  = "key file"
	LoginAgent    = "ssh-agent" // probe only: Azure ML cannot use the agent's keys
)

// FieldWhen says when a field is asked: while the field Key holds Value,
// or, with Encrypted, while the key file in the field Key is encrypted.
type FieldWhen struct {
	Key       string
	Value     string
	Encrypted bool
}

// FormField is one input of a target type's form: the wizard's screen and
// its line prompts both walk these, and PlanFromForm turns the answers into
// a Plan with the same checks as the command line. Flag is the command-line
// flag the field stands for: an *Error's Field names it, so a face can put
// the message under the right field.
type FormField struct {
	Key      string
	Label    string
	Help     string
	Kind     FieldKind
	Choices  []string
	Default  string
	Flag     string
	Optional bool
	// Notes say, for a choice, what choosing it means (by choice).
	Notes map[string]string
	// When, if set, asks the field only in that case; a hidden field has
	// no value.
	When *FieldWhen
	// Check is what is wrong with a value as typed ("" when nothing is),
	// checked as the user types; PlanFromForm checks everything again.
	Check func(v string) string
	// Faults are the probe fields (besides the one named like Key) whose
	// failures this field can fix: the face goes to the last shown one
	// that holds a value, the most specific (a key file over the login
	// switch, a passphrase over its key file).
	Faults []probes.Field
}

// Answers says whether the field can fix a failure of the probe field f.
func (f FormField) Answers(pf probes.Field) bool {
	if pf != probes.FieldNone && string(pf) == f.Key {
		return true
	}
	for _, x := range f.Faults {
		if x == pf {
			return true
		}
	}
	return false
}

// Shown says whether the field is asked, given the answers so far and
// which key files were found encrypted.
func (f FormField) Shown(values map[string]string, encrypted func(key string) bool) bool {
	w := f.When
	switch {
	case w == nil:
		return true
	case w.Encrypted:
		return strings.TrimSpace(values[w.Key]) != "" && encrypted != nil && encrypted(w.Key)
	}
	return values[w.Key] == w.Value
}

// Form lists the fields of a target type, in the order they are asked. The
// resource ID comes first, usually filled from the browser; a VM's form
// leaves it out (its screen names the VM above the fields).
func Form(typ string) []FormField {
	id := func(example string) FormField {
		return FormField{Key: "resource-id", Label: "Resource ID", Flag: "--resource-id", Help: example}
	}
	name := FormField{Key: "name", Label: "Compute name", Flag: "--name", Optional: true, Help: "2-16 letters, digits and hyphens; empty: from the resource's name"}
	identity := []FormField{
		{Key: "identity-type", Label: "Managed identity", Flag: "--identity-type", Kind: FieldChoice, Choices: []string{"none", "SystemAssigned", "UserAssigned"}, Default: "none", Help: "the identity the compute uses to reach other Azure resources"},
		{Key: "user-assigned-identity", Label: "User-assigned identity ID", Flag: "--user-assigned-identity", Optional: true, Help: "with UserAssigned: the identity's ARM ID"},
	}
	switch typ {
	case "vm":
		return vmForm()
	case "hdinsight":
		return []FormField{id("…/providers/Microsoft.HDInsight/clusters/NAME"), name,
			{Key: "username", Label: "SSH user", Flag: "--username", Default: "sshuser", Help: "the cluster's SSH user (sshuser unless changed at creation)"},
			{Key: "password", Label: "SSH password", Flag: "--password-file", Kind: FieldSecret, Optional: true, Help: "the SSH user's password; or give a key file below"},
			{Key: "ssh-key", Label: "SSH private key file", Flag: "--ssh-key", Kind: FieldKeyFile, Optional: true, Help: "an unencrypted private key (OpenSSH or PEM)", Faults: []probes.Field{probes.FieldPassword}},
		}
	case "batch":
		return []FormField{id("…/providers/Microsoft.Batch/batchAccounts/NAME"), name}
	case "databricks":
		return []FormField{id("…/providers/Microsoft.Databricks/workspaces/NAME"), name,
			{Key: "token", Label: "Access token", Flag: "--token-file", Kind: FieldSecret, Help: "a Databricks personal access token (Settings > Developer > Access tokens)"},
		}
	case "adla":
		return []FormField{id("…/providers/Microsoft.DataLakeAnalytics/accounts/NAME"), name}
	case "aks":
		return []FormField{id("…/providers/Microsoft.ContainerService/managedClusters/NAME"), name,
			{Key: "cluster-purpose", Label: "Cluster purpose", Flag: "--cluster-purpose", Kind: FieldChoice, Choices: []string{"FastProd", "DenseProd", "DevTest"}, Default: "FastProd", Help: "production purposes need at least 3 nodes and 12 vCPUs"},
			{Key: "load-balancer-type", Label: "Load balancer", Flag: "--load-balancer-type", Kind: FieldChoice, Choices: []string{"PublicIp", "InternalLoadBalancer"}, Default: "PublicIp"},
			{Key: "load-balancer-subnet", Label: "Load balancer subnet", Flag: "--load-balancer-subnet", Optional: true, Help: "with InternalLoadBalancer: the subnet's name"},
			{Key: "tls", Label: "TLS", Flag: "--tls", Kind: FieldChoice, Choices: []string{"disabled", "auto", "custom"}, Default: "disabled", Help: "auto: Microsoft issues a certificate; custom: your certificate"},
			{Key: "tls-leaf-domain-label", Label: "Leaf domain label", Flag: "--tls-leaf-domain-label", Optional: true, Help: "with auto"},
			{Key: "tls-cert-file", Label: "Certificate file (PEM)", Flag: "--tls-cert-file", Kind: FieldFile, Optional: true, Help: "with custom"},
			{Key: "tls-key-file", Label: "Key file (PEM)", Flag: "--tls-key-file", Kind: FieldFile, Optional: true, Help: "with custom"},
			{Key: "tls-cname", Label: "CNAME", Flag: "--tls-cname", Optional: true, Help: "with custom: the DNS name in the certificate"},
		}
	case "kubernetes":
		return append([]FormField{id("…/Microsoft.ContainerService/managedClusters/NAME or …/Microsoft.Kubernetes/connectedClusters/NAME"), name,
			{Key: "namespace", Label: "Namespace", Flag: "--namespace", Default: "default", Help: "where jobs and endpoints run"},
		}, identity...)
	case "synapse":
		return append([]FormField{id("…/providers/Microsoft.Synapse/workspaces/WS/bigDataPools/POOL"), name}, identity...)
	}
	return nil
}

// vmForm is how to reach a VM and what to call it: the name (checked as it
// is typed, a free one suggested), the SSH port and user, and the login: a
// password, a key file (its passphrase asked only when the key is
// encrypted), or ssh-agent (probe only).
func vmForm() []FormField {
	return []FormField{
		{Key: "name", Label: "Compute name", Flag: "--name", Optional: true, Help: "2-16 letters, digits and hyphens; empty: from the VM's name"},
		{Key: "ssh-port", Label: "SSH port", Flag: "--ssh-port", Default: "22", Check: func(v string) string {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 1 || n > 65535 {
				return "give sshd's TCP port, 1 to 65535 (usually 22)"
			}
			return ""
		}},
		{Key: "username", Label: "User name", Flag: "--username", Default: "azureuser", Check: func(v string) string {
			switch {
			case strings.TrimSpace(v) == "":
				return "type the VM's SSH user (azureuser on most Azure VMs)"
			case strings.ContainsAny(strings.TrimSpace(v), " \t@:/"):
				return "only the user name, without a host: e.g. azureuser"
			}
			return ""
		}},
		{Key: "login", Label: "Log in with", Kind: FieldChoice, Choices: []string{LoginPassword, LoginKeyFile, LoginAgent}, Default: LoginPassword,
			Faults: []probes.Field{probes.FieldPassword, probes.FieldKey},
			Notes: map[string]string{
				LoginPassword: "Azure ML stores the password to log in itself",
				LoginKeyFile:  "Azure ML stores the key file's content to log in itself",
				LoginAgent:    "probe only: attaching needs a password or key file",
			}},
		{Key: "password", Label: "Password", Flag: "--password-file", Kind: FieldSecret, When: &FieldWhen{Key: "login", Value: LoginPassword},
			Check: func(v string) string {
				if v == "" {
					return "type the SSH password of that user"
				}
				return ""
			}},
		{Key: "ssh-key", Label: "Key file", Flag: "--ssh-key", Kind: FieldKeyFile, When: &FieldWhen{Key: "login", Value: LoginKeyFile},
			Faults: []probes.Field{probes.FieldPassword}, Check: func(v string) string {
				if strings.TrimSpace(v) == "" {
					return "type the path of the private key file (tab completes)"
				}
				return ""
			}},
		{Key: "passphrase", Label: "Passphrase", Flag: "--ssh-key-passphrase-file", Kind: FieldSecret, When: &FieldWhen{Key: "ssh-key", Encrypted: true},
			Faults: []probes.Field{probes.FieldPassword}, Check: func(v string) string {
				if v == "" {
					return "the key is encrypted: type its passphrase (it is used here only)"
				}
				return ""
			}},
	}
}

// PlanFromForm validates a form's answers (by Key) into a plan. knownHosts
// and in (the host key question, ssh-agent's keys) are the SSH settings of a
// VM or an HDInsight cluster. forAttach is stricter: Azure ML needs a
// password or an unencrypted key.
func PlanFromForm(typ string, v map[string]string, forAttach bool, knownHosts string, in VMInput) (*Plan, error) {
	ref := TargetRef{ResourceID: strings.TrimSpace(v["resource-id"])}
	ident := IdentityInput{Type: v["identity-type"]}
	if s := strings.TrimSpace(v["user-assigned-identity"]); s != "" {
		ident.IDs = []string{s}
	}
	switch typ {
	case "vm":
		return vmPlanFromForm(v, forAttach, knownHosts, in)
	case "hdinsight":
		in.Name, in.Username, in.Password, in.KeyFile = v["name"], v["username"], v["password"], ExpandHome(v["ssh-key"])
		if in.Password != "" {
			in.PasswordSource = "the password field"
		}
		if in.KnownHosts == "" {
			in.KnownHosts = knownHosts
		}
		return ValidateHDInsight(HDInsightInput{Ref: ref, SSH: in}, forAttach)
	case "batch":
		return ValidateBatch(SimpleInput{Name: v["name"], Ref: ref})
	case "databricks":
		return ValidateDatabricks(DatabricksInput{Name: v["name"], Ref: ref, Token: v["token"], TokenSource: "the token field"})
	case "adla":
		return ValidateADLA(SimpleInput{Name: v["name"], Ref: ref})
	case "aks":
		return ValidateAKS(AKSInput{Name: v["name"], Ref: ref, Purpose: v["cluster-purpose"], LoadBalancerType: v["load-balancer-type"],
			LoadBalancerSubnet: v["load-balancer-subnet"], TLS: v["tls"], LeafDomainLabel: v["tls-leaf-domain-label"],
			CertFile: ExpandHome(v["tls-cert-file"]), KeyFile: ExpandHome(v["tls-key-file"]), CName: v["tls-cname"]})
	case "kubernetes":
		return ValidateKubernetes(KubernetesInput{Name: v["name"], Ref: ref, Namespace: v["namespace"], Identity: ident})
	case "synapse":
		return ValidateSynapse(SimpleInput{Name: v["name"], Ref: ref, Identity: ident})
	}
	return nil, inputErr("TYPE", "choose one of the listed compute types", "%q has no form", typ)
}

// vmPlanFromForm validates a VM form's answers; the login field says which
// of password, key file (and passphrase) or ssh-agent counts.
func vmPlanFromForm(v map[string]string, forAttach bool, knownHosts string, in VMInput) (*Plan, error) {
	in.Name, in.ResourceID, in.Username = strings.TrimSpace(v["name"]), strings.TrimSpace(v["resource-id"]), strings.TrimSpace(v["username"])
	if in.KnownHosts == "" {
		in.KnownHosts = knownHosts
	}
	port, err := strconv.Atoi(strings.TrimSpace(v["ssh-port"]))
	if err != nil && strings.TrimSpace(v["ssh-port"]) != "" {
		return nil, inputErr("--ssh-port", "give sshd's TCP port (usually 22)", "%q is not a TCP port", v["ssh-port"])
	}
	in.SSHPort = port
	agent := in.AgentSigners
	in.Password, in.PasswordSource, in.KeyFile, in.Passphrase, in.AgentSigners = "", "", "", nil, nil
	switch v["login"] {
	case LoginKeyFile:
		in.KeyFile = ExpandHome(strings.TrimSpace(v["ssh-key"]))
		if v["passphrase"] != "" {
			in.Passphrase = []byte(v["passphrase"])
		}
	case LoginAgent:
		in.AgentSigners = agent
		if agent == nil {
			return nil, inputErr("--ssh-key", "start ssh-agent and add a key (ssh-add KEY), or log in with a password or key file", "ssh-agent is not open")
		}
	default:
		in.Password = v["password"]
		if in.Password != "" {
			in.PasswordSource = "the password field"
		}
	}
	vp, err := ValidateVM(in, forAttach)
	if err != nil {
		return nil, err
	}
	return vp.Target(), nil
}

// FieldKey maps an error's Field (a flag) back to the form field's Key.
func FieldKey(typ, flag string) string {
	for _, f := range Form(typ) {
		if f.Flag == flag {
			return f.Key
		}
	}
	if flag == "--resource-name" || flag == "--pool-name" {
		return "resource-id"
	}
	return ""
}
