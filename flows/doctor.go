package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"amlattach/azure"
	"amlattach/probes"
)

// DoctorInput names the compute to examine. The credentials are used instead
// of the stored ones (when listKeys is refused, or to try new ones).
type DoctorInput struct {
	Name string
	// SSH side (VirtualMachine, HDInsight): Username, Password or KeyFile,
	// KnownHosts, AcceptNew, ConfirmHostKey as for a VM.
	SSH         VMInput
	Token       string // Databricks
	TokenSource string
}

// Diagnosis is what doctor found.
type Diagnosis struct {
	Workspace azure.Workspace
	Compute   azure.Compute
	// Causes are the likely causes of the stored provisioning errors.
	Causes []string
	// SecretsFrom says where the credentials the probes used came from:
	// "listKeys", a flag, or "" (the type has none).
	SecretsFrom string
	// KeysProblem says why the stored secrets could not be read.
	KeysProblem string
	// Conflicts are the other computes attached to the same resource.
	Conflicts []string
	Results   []probes.Result
	// Remedy is the one thing to do, when doctor knows it.
	Remedy string
	// Fixes are the fixes applied (or tried) while troubleshooting, with
	// what each changed; the face that applies one records it here
	// (RecordFixes) for the report.
	Fixes []FixOutcome
	At    time.Time
	// Plan is what the probes ran with (nil when they could not run): the
	// fixes for its failures are built from it, and a fix that installs a
	// new login leaves it there (FixedLogin) for the reattach.
	Plan *Plan `json:"-"`
}

// RecordFixes adds how fixes went to the diagnosis, for doctor --report.
// Outcomes that sent nothing (planned, or in place already with nothing
// changed) are left out: the record is of changes and attempts.
func (g *Diagnosis) RecordFixes(ocs ...FixOutcome) {
	for _, oc := range ocs {
		if oc.Status == FixPlanned || (oc.Status == FixUnchanged && len(oc.Changed) == 0 && oc.Error == "") {
			continue
		}
		oc.Changed = append([]Change(nil), oc.Changed...)
		oc.scrub(nil)
		g.Fixes = append(g.Fixes, oc)
	}
}

// OK says the compute looks healthy: stored state Succeeded, its probes ran
// and none failed.
func (g *Diagnosis) OK() bool {
	return strings.EqualFold(g.Compute.ProvisioningState, "Succeeded") && len(g.Results) > 0 && !AnyFailed(g.Results) && !Interrupted(g.Results)
}

// NeedsCredentials says the login probes could not run: the stored secrets
// could not be read and none were given.
func (g *Diagnosis) NeedsCredentials() bool { return g.KeysProblem != "" && len(g.Results) == 0 }

// typeOf maps Azure's computeType to the TYPE argument.
var typeOf = map[string]string{
	"VirtualMachine": "vm", "HDInsight": "hdinsight", "Batch": "batch", "Databricks": "databricks",
	"DataLakeAnalytics": "adla", "AKS": "aks", "Kubernetes": "kubernetes", "SynapseSpark": "synapse",
}

// Doctor reads the compute, its stored settings and (through listKeys) its
// secrets, and runs its type's probes with them. Secrets it reads are passed
// to addSecret before anything else happens with them.
func Doctor(ctx context.Context, d Deps, ws azure.Workspace, in DoctorInput, addSecret func(...string), emit Emit) (*Diagnosis, error) {
	c, cancel := d.withTimeout(ctx)
	defer cancel()
	comp, err := d.Azure.GetCompute(c, ws, in.Name)
	if errors.Is(err, azure.ErrComputeNotFound) {
		return nil, &Error{Kind: KindAzure, Field: "NAME", Msg: fmt.Sprintf("workspace %s has no compute named %q", ws.Name, in.Name), Fix: "see the names with: amlattach list", Err: err}
	}
	if err != nil {
		return nil, FromAzure("read compute "+in.Name, err)
	}
	g := &Diagnosis{Workspace: ws, Compute: comp, At: d.now()}
	for _, e := range comp.ProvisioningErrors {
		if cause := CauseOf(e); cause != "" {
			g.Causes = append(g.Causes, cause)
		}
	}
	if all, err := d.Azure.ListComputes(c, ws); err == nil {
		for _, o := range all {
			if !strings.EqualFold(o.Name, comp.Name) && o.ResourceID != "" && azure.SameResource(o.ResourceID, comp.ResourceID) {
				g.Conflicts = append(g.Conflicts, o.Name)
			}
		}
	}
	typ, ok := typeOf[comp.Type]
	if !ok {
		g.Remedy = fmt.Sprintf("amlattach has no probes for compute type %s", comp.Type)
		return g, nil
	}
	ssh := in.SSH
	ssh.Name = comp.Name
	token, tokenSource := in.Token, in.TokenSource
	needsKeys := (typ == "vm" || typ == "hdinsight") && ssh.Password == "" && ssh.KeyFile == "" ||
		typ == "databricks" && token == ""
	if needsKeys {
		sec, err := d.Azure.ListKeys(c, ws, comp.Name)
		if err != nil {
			g.KeysProblem = keysProblem(err)
		} else {
			addSecret(sec.Password, sec.PrivateKey, sec.Token)
			g.SecretsFrom = "listKeys"
			if ssh.Username == "" {
				ssh.Username = sec.Username
			}
			ssh.Password, ssh.PasswordSource = sec.Password, "the stored password"
			token, tokenSource = sec.Token, "the stored token"
			if sec.PrivateKey != "" {
				ssh.Password = ""
				k, err := probes.ParseKey("the stored key", []byte(sec.PrivateKey))
				if err != nil {
					g.KeysProblem = "the stored private key cannot be used: " + err.Error()
				} else {
					ssh.storedKey = k
				}
			}
		}
	} else if typ == "vm" || typ == "hdinsight" {
		g.SecretsFrom = orFlag(ssh.PasswordSource, "--ssh-key")
	} else if typ == "databricks" {
		g.SecretsFrom = tokenSource
	}
	if ssh.Username == "" {
		ssh.Username = comp.Username
	}
	if g.KeysProblem != "" && (typ == "vm" || typ == "hdinsight" || typ == "databricks") {
		flagsHint := "--username and --password-file or --ssh-key"
		if typ == "databricks" {
			flagsHint = "--token-file"
		}
		g.Remedy = "give the credentials with " + flagsHint + " to run the login probes with them"
	}
	plan, err := doctorPlan(typ, comp, ssh, token, tokenSource)
	if plan != nil {
		addSecret(plan.Secrets()...)
	}
	if err != nil && g.KeysProblem == "" {
		return g, err
	}
	if plan == nil {
		return g, nil
	}
	plan.readsKeys = needsKeys
	g.Plan = plan
	g.Results = ProbeExisting(ctx, d, ws, plan, emit)
	g.remedies(typ, plan)
	if err := ctx.Err(); err != nil {
		return g, &Error{Kind: KindInterrupted, Msg: "doctor interrupted: the probes that had not finished were skipped", Err: err}
	}
	return g, nil
}

// doctorPlan builds the type's plan from the stored settings.
func doctorPlan(typ string, comp azure.Compute, ssh VMInput, token, tokenSource string) (*Plan, error) {
	ref := TargetRef{ResourceID: comp.ResourceID}
	switch typ {
	case "vm", "hdinsight":
		if ssh.Password == "" && ssh.KeyFile == "" && ssh.storedKey == nil {
			return nil, inputErr("--password-file", "give --username and --password-file or --ssh-key", "no credentials to log in with")
		}
		if typ == "vm" {
			ssh.ResourceID = comp.ResourceID
			if comp.SSHPort > 0 {
				ssh.SSHPort = comp.SSHPort
			}
			p, err := ValidateVM(ssh, false)
			if err != nil {
				return nil, err
			}
			return p.Target(), nil
		}
		return ValidateHDInsight(HDInsightInput{Ref: ref, SSH: ssh}, false)
	case "databricks":
		if token == "" {
			return nil, inputErr("--token-file", "give the token with --token-file or AMLATTACH_DATABRICKS_TOKEN", "no access token to try")
		}
		return ValidateDatabricks(DatabricksInput{Name: comp.Name, Ref: ref, Token: token, TokenSource: tokenSource})
	case "batch":
		return ValidateBatch(SimpleInput{Name: comp.Name, Ref: ref})
	case "adla":
		return ValidateADLA(SimpleInput{Name: comp.Name, Ref: ref})
	case "synapse":
		return ValidateSynapse(SimpleInput{Name: comp.Name, Ref: ref})
	case "aks":
		return ValidateAKS(AKSInput{Name: comp.Name, Ref: ref, Purpose: comp.ClusterPurpose})
	case "kubernetes":
		return ValidateKubernetes(KubernetesInput{Name: comp.Name, Ref: ref, Namespace: comp.Namespace})
	}
	return nil, nil
}

// replaceNote says why doctor recommends attach --replace over a detach
// followed by an attach.
const replaceNote = "--replace runs the preflight with it first and detaches nothing if it fails"

// remedies sets the one remedy doctor is sure of.
func (g *Diagnosis) remedies(typ string, p *Plan) {
	for _, r := range g.Results {
		if r.Status != probes.Fail {
			continue
		}
		stored := g.SecretsFrom == "listKeys"
		switch {
		case r.ID == probes.IDSSHAuth && stored:
			port := ""
			if typ == "vm" && g.Compute.SSHPort > 0 && g.Compute.SSHPort != 22 {
				port = fmt.Sprintf(" --ssh-port %d", g.Compute.SSHPort)
			}
			g.Remedy = fmt.Sprintf("the stored login no longer works (was the password changed or the key replaced?): attach again with the new one (%s): amlattach attach %s --name %s --resource-id %s%s --username %s --password-file NEW-PASSWORD-FILE --replace",
				replaceNote, typ, g.Compute.Name, g.Compute.ResourceID, port, orFlag(g.Compute.Username, "USER"))
		case r.ID == probes.IDDatabricksToken && stored && !strings.Contains(r.Detail, "NOT checked"):
			g.Remedy = fmt.Sprintf("the stored access token no longer works (expired or revoked): create a new one and attach again with it (%s): amlattach attach databricks --name %s --resource-id %s --token-file NEW-TOKEN-FILE --replace",
				replaceNote, g.Compute.Name, g.Compute.ResourceID)
		case r.ID == probes.IDWsDuplicate:
			if g.Remedy == "" {
				other := "OTHER-NAME"
				if len(g.Conflicts) > 0 {
					other = g.Conflicts[0]
				}
				g.Remedy = fmt.Sprintf("the resource is attached more than once (%s and %s), and each new attachment breaks the earlier ones: keep one, e.g. amlattach detach %s --yes",
					g.Compute.Name, strings.Join(g.Conflicts, ", "), other)
			}
		}
	}
}

// keysProblem explains a refused listKeys.
func keysProblem(err error) string {
	if ae, ok := azure.AsAzureError(err); ok {
		if ae.Status == 403 {
			return fmt.Sprintf("Azure refused to return the stored secrets (%s): reading them needs the Microsoft.MachineLearningServices/workspaces/computes/listKeys/action permission (Contributor, Owner or AzureML Compute Operator on the workspace)", ae.Code)
		}
		return fmt.Sprintf("Azure did not return the stored secrets (HTTP %d %s: %s)", ae.Status, ae.Code, ae.Message)
	}
	return "the stored secrets could not be read: " + err.Error()
}

// CauseOf explains a known provisioning error; "" when it is not known.
func CauseOf(e azure.ProvisioningError) string {
	m := strings.ToLower(e.Message)
	switch {
	case strings.Contains(m, "connection failed to establish within"):
		return "Azure ML could not open an SSH connection: the VM needs a public IP, an inbound NSG rule for TCP on the SSH port from the AzureMachineLearning service tag, and sshd running (amlattach doctor runs those probes)"
	case strings.Contains(m, "invalid access token"), strings.Contains(m, "token") && strings.Contains(m, "expired"):
		return "the Databricks access token is invalid or has expired: create a new personal access token and attach again with it"
	case strings.Contains(m, "authentication") || strings.Contains(m, "password") || strings.Contains(m, "permission denied"):
		return "Azure ML could not log in over SSH: the user name, password or key it was given is wrong, or password login is disabled on the host"
	case strings.Contains(m, "node") && (strings.Contains(m, "cpu") || strings.Contains(m, "capacity") || strings.Contains(m, "at least")):
		return "the cluster is too small for its purpose: production purposes need at least 3 nodes and 12 vCPUs; scale it, or attach it with --cluster-purpose DevTest"
	case strings.Contains(m, "extension"):
		return "the Azure ML extension is missing or unhealthy on the cluster: install it with az k8s-extension create (amlattach probe kubernetes prints the command)"
	case strings.Contains(m, "version"):
		return "the cluster's Kubernetes version is not supported: upgrade it (az aks upgrade)"
	}
	return ""
}
