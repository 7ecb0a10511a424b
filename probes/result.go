package probes

import (
	"fmt"
	"time"
)

// Status is a probe's outcome.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Stable probe IDs: tests and scripts match on them (DESIGN §4).
const (
	IDWsPermission = "ws.permission"
	IDWsName       = "ws.name"
	IDWsDuplicate  = "ws.duplicate"
	IDArmResource  = "arm.resource"
	IDVMRunning    = "arm.vm.running"
	IDVMImage      = "arm.vm.image"
	IDVMPublicIP   = "arm.vm.public_ip"
	IDNSGSSH       = "arm.nsg.ssh"
	IDNetTCP       = "net.tcp"
	IDSSHHostKey   = "ssh.hostkey"
	IDSSHAuth      = "ssh.auth"
	IDHostOS       = "host.os"
	IDHostDocker   = "host.docker"
	IDHostGPU      = "host.gpu"
	IDHostDisk     = "host.disk"

	// HDInsight (then net.tcp, ssh.hostkey, ssh.auth, host.os).
	IDHDIState = "arm.hdinsight.state"
	IDHDIKind  = "arm.hdinsight.kind"
	IDHDISSH   = "arm.hdinsight.ssh_endpoint"
	// Azure Batch.
	IDBatchState = "arm.batch.state"
	IDBatchType  = "batch.compute_type"
	// Databricks.
	IDDatabricksState = "arm.databricks.state"
	IDDatabricksSub   = "arm.databricks.subscription"
	IDDatabricksToken = "databricks.token"
	// Data Lake Analytics.
	IDADLAState   = "arm.adla.state"
	IDADLARetired = "adla.retired"
	// AKS.
	IDAKSRunning  = "arm.aks.running"
	IDAKSVersion  = "aks.version"
	IDAKSCapacity = "aks.capacity"
	IDAKSTLS      = "aks.tls"
	// Kubernetes (AKS or Arc).
	IDK8sConnected = "arm.k8s.connected"
	IDK8sExtension = "k8s.extension"
	IDK8sNamespace = "k8s.namespace"
	// Synapse Spark.
	IDSynapsePool = "arm.synapse.pool"
	// Local computer and ACI.
	IDLocalDocker = "local.docker"
	IDLocalPort   = "local.port"
	IDLocalPython = "local.python"
	IDACIProvider = "aci.provider"
)

// Titles are the human names of the probes.
var titles = map[string]string{
	IDWsPermission: "Workspace permissions",
	IDWsName:       "Compute name",
	IDWsDuplicate:  "Not attached already",
	IDArmResource:  "Resource exists",
	IDVMRunning:    "VM is running",
	IDVMImage:      "VM image is Ubuntu",
	IDVMPublicIP:   "Public IP address",
	IDNSGSSH:       "NSG allows Azure ML on SSH",
	IDNetTCP:       "SSH port reachable",
	IDSSHHostKey:   "SSH host key",
	IDSSHAuth:      "SSH login",
	IDHostOS:       "Host OS is Ubuntu",
	IDHostDocker:   "Docker",
	IDHostGPU:      "GPU",
	IDHostDisk:     "Free disk space",

	IDHDIState:        "Cluster is running",
	IDHDIKind:         "Cluster kind is Spark",
	IDHDISSH:          "Public SSH endpoint",
	IDBatchState:      "Batch account is ready",
	IDBatchType:       "Batch compute type",
	IDDatabricksState: "Workspace is ready",
	IDDatabricksSub:   "Same subscription",
	IDDatabricksToken: "Access token works",
	IDADLAState:       "Account is active",
	IDADLARetired:     "Service retirement",
	IDAKSRunning:      "Cluster is running",
	IDAKSVersion:      "Kubernetes version",
	IDAKSCapacity:     "Capacity for the purpose",
	IDAKSTLS:          "TLS settings",
	IDK8sConnected:    "Cluster is connected",
	IDK8sExtension:    "Azure ML extension",
	IDK8sNamespace:    "Namespace",
	IDSynapsePool:     "Spark pool is ready",
	IDLocalDocker:     "Docker on this computer",
	IDLocalPort:       "Web service port free",
	IDLocalPython:     "Python and conda",
	IDACIProvider:     "ContainerInstance provider",
}

// Title returns the human name of a probe ID (the ID itself when unknown).
func Title(id string) string {
	if t, ok := titles[id]; ok {
		return t
	}
	return id
}

// Field names the input a failure points at, so a wizard can send the user
// back to the right field and a headless run can name the flag.
type Field string

const (
	FieldNone       Field = ""
	FieldName       Field = "name"
	FieldResourceID Field = "resource-id"
	FieldUsername   Field = "username"
	FieldPassword   Field = "password"
	FieldKey        Field = "ssh-key"
	FieldPort       Field = "ssh-port"
	FieldKnownHosts Field = "known-hosts"
)

// Result is one probe's outcome.
type Result struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail"`
	Remedy   string        `json:"remedy,omitempty"`
	Duration time.Duration `json:"-"`
	Field    Field         `json:"-"`
	// Decider is the NSG security rule Azure's own verdict (Network
	// Watcher) names as denying, without its "securityRules/" prefix; ""
	// when there is none. A fix puts its rule before it.
	Decider string `json:"-"`
}

func passf(format string, a ...any) Result {
	return Result{Status: Pass, Detail: fmt.Sprintf(format, a...)}
}

func warnf(remedy, format string, a ...any) Result {
	return Result{Status: Warn, Detail: fmt.Sprintf(format, a...), Remedy: remedy}
}

func failf(field Field, remedy, format string, a ...any) Result {
	return Result{Status: Fail, Detail: fmt.Sprintf(format, a...), Remedy: remedy, Field: field}
}

// Skipped is the result of a probe that did not run; reason says why.
func Skipped(reason string) Result { return Result{Status: Skip, Detail: reason} }
