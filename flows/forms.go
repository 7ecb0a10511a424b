package flows

import (
	"strings"
)

// FieldKind says how a form field is entered.
type FieldKind int

const (
	FieldText   FieldKind = iota
	FieldSecret           // masked on input, never shown back
	FieldFile             // a path, with completion
	FieldChoice           // one of Choices
	FieldBool             // yes or no
)

// FormField is one input of a target type's form: the wizard draws the form
// from these, and PlanFromForm turns the answers into a Plan with the same
// checks as the command line. Flag is the command-line flag the field
// stands for: an *Error's Field names it, so a screen can put the message
// under the right field.
type FormField struct {
	Key      string
	Label    string
	Help     string
	Kind     FieldKind
	Choices  []string
	Default  string
	Flag     string
	Optional bool
}

// Form lists the fields of a target type other than vm (whose screen has
// its own), in the order they are asked. The resource ID comes first; it is
// usually filled from the browser.
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
	case "hdinsight":
		return []FormField{id("…/providers/Microsoft.HDInsight/clusters/NAME"), name,
			{Key: "username", Label: "SSH user", Flag: "--username", Default: "sshuser", Help: "the cluster's SSH user (sshuser unless changed at creation)"},
			{Key: "password", Label: "SSH password", Flag: "--password-file", Kind: FieldSecret, Optional: true, Help: "the SSH user's password; or give a key file below"},
			{Key: "ssh-key", Label: "SSH private key file", Flag: "--ssh-key", Kind: FieldFile, Optional: true, Help: "an unencrypted private key (OpenSSH or PEM)"},
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

// PlanFromForm validates a form's answers (by Key) into a plan. knownHosts
// and confirm are the SSH host key settings for hdinsight (as a VM's).
func PlanFromForm(typ string, v map[string]string, forAttach bool, knownHosts string, in VMInput) (*Plan, error) {
	ref := TargetRef{ResourceID: strings.TrimSpace(v["resource-id"])}
	ident := IdentityInput{Type: v["identity-type"]}
	if s := strings.TrimSpace(v["user-assigned-identity"]); s != "" {
		ident.IDs = []string{s}
	}
	switch typ {
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
