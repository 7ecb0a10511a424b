package sandbox

// The attachable resources other than virtual machines. Each lives in a
// resource group; docs/world.md describes the keys.

// DefaultKubernetesVersions are the versions AKS supports when the world
// does not list its own (kubernetesVersions).
var DefaultKubernetesVersions = []string{"1.30.14", "1.31.11", "1.32.7", "1.33.3", "1.34.1"}

// HDInsightCluster is a Microsoft.HDInsight/clusters resource. Its SSH
// endpoint, <name>-ssh.azurehdinsight.net, answers through Server.Dial.
type HDInsightCluster struct {
	Name string `yaml:"name" required:"true" check:"name"`
	// Location defaults to the resource group's.
	Location string `yaml:"location"`
	// Kind is clusterDefinition.kind.
	Kind              string `yaml:"kind" default:"spark" oneof:"spark|hadoop|hbase|kafka|interactivehive|storm|mlservices"`
	ClusterState      string `yaml:"clusterState" default:"Running" oneof:"Accepted|ClusterStorageProvisioned|AzureVMConfiguration|HdInsightConfiguration|Operational|Running|ClusterCustomization|ResizeQueued|Error|DeleteQueued|Deleting|TimedOut|Unknown"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"InProgress|Succeeded|Failed|Canceled|Deleting"`
	// SSHEndpoint false leaves the SSH entry out of connectivityEndpoints,
	// and the SSH host name does not resolve.
	SSHEndpoint bool `yaml:"sshEndpoint" default:"true"`
	SSH         SSH  `yaml:"ssh"`
	Line        int  `yaml:"-"`
}

// BatchAccount is a Microsoft.Batch/batchAccounts resource.
type BatchAccount struct {
	Name              string `yaml:"name" required:"true" check:"name"`
	Location          string `yaml:"location"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"Invalid|Creating|Deleting|Succeeded|Failed|Cancelled"`
	Line              int    `yaml:"-"`
}

// DatabricksWorkspace is a Microsoft.Databricks/workspaces resource with
// the REST API of its workspace URL.
type DatabricksWorkspace struct {
	Name              string `yaml:"name" required:"true" check:"name"`
	Location          string `yaml:"location"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"Accepted|Running|Ready|Creating|Created|Deleting|Deleted|Canceled|Failed|Succeeded|Updating"`
	// Tokens are the personal access tokens the workspace accepts.
	Tokens []string `yaml:"tokens"`
	// ExpiredTokens are refused as expired.
	ExpiredTokens []string `yaml:"expiredTokens"`
	// Reachable false: the workspace URL does not answer.
	Reachable bool `yaml:"reachable" default:"true"`
	Line      int  `yaml:"-"`
}

// ADLAAccount is a Microsoft.DataLakeAnalytics/accounts resource.
type ADLAAccount struct {
	Name              string `yaml:"name" required:"true" check:"name"`
	Location          string `yaml:"location"`
	State             string `yaml:"state" default:"Active" oneof:"Active|Suspended"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"Failed|Creating|Running|Succeeded|Patching|Suspending|Resuming|Deleting|Deleted|Undeleting|Canceled"`
	Line              int    `yaml:"-"`
}

// AKSCluster is a Microsoft.ContainerService/managedClusters resource.
type AKSCluster struct {
	Name     string `yaml:"name" required:"true" check:"name"`
	Location string `yaml:"location"`
	// KubernetesVersion defaults to the default version of kubernetesVersions.
	KubernetesVersion string `yaml:"kubernetesVersion" check:"k8sversion"`
	PowerState        string `yaml:"powerState" default:"Running" oneof:"Running|Stopped"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"Succeeded|Failed|Canceled|Creating|Updating|Upgrading|Scaling|Starting|Stopping|Deleting"`
	// AgentPools default to one System pool of 3 Standard_D4s_v3 nodes.
	AgentPools []AgentPool `yaml:"agentPools"`
	Extensions []Extension `yaml:"extensions"`
	Line       int         `yaml:"-"`
}

// AgentPool is a node pool of an AKS cluster.
type AgentPool struct {
	Name   string `yaml:"name" required:"true" check:"name"`
	Count  int    `yaml:"count" default:"3" check:"nonneg"`
	VMSize string `yaml:"vmSize" default:"Standard_D4s_v3"`
	// Mode defaults to System for the first pool and User for the others.
	Mode string `yaml:"mode" oneof:"System|User"`
	Line int    `yaml:"-"`
}

// Extension is a cluster extension (Microsoft.KubernetesConfiguration/extensions).
type Extension struct {
	Name              string `yaml:"name" required:"true" check:"name"`
	ExtensionType     string `yaml:"extensionType" required:"true"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"Succeeded|Creating|Updating|Deleting|Failed|Canceled"`
	// EnableTraining is the Azure ML extension's enableTraining setting
	// (nil: true); without it command jobs fail.
	EnableTraining *bool `yaml:"enableTraining"`
	Line           int   `yaml:"-"`
}

// ConnectedCluster is an Azure Arc-connected Kubernetes cluster
// (Microsoft.Kubernetes/connectedClusters).
type ConnectedCluster struct {
	Name               string `yaml:"name" required:"true" check:"name"`
	Location           string `yaml:"location"`
	ConnectivityStatus string `yaml:"connectivityStatus" default:"Connected" oneof:"Connecting|Connected|Offline|Expired|AgentNotInstalled"`
	// KubernetesVersion defaults like an AKS cluster's.
	KubernetesVersion string      `yaml:"kubernetesVersion" check:"k8sversion"`
	ProvisioningState string      `yaml:"provisioningState" default:"Succeeded" oneof:"Succeeded|Failed|Canceled|Provisioning|Updating|Deleting|Accepted"`
	TotalNodeCount    int         `yaml:"totalNodeCount" default:"3" check:"nonneg"`
	Distribution      string      `yaml:"distribution" default:"generic"`
	Extensions        []Extension `yaml:"extensions"`
	Line              int         `yaml:"-"`
}

// SynapseWorkspace is a Microsoft.Synapse/workspaces resource with its
// Spark pools (bigDataPools).
type SynapseWorkspace struct {
	Name              string      `yaml:"name" required:"true" check:"name"`
	Location          string      `yaml:"location"`
	ProvisioningState string      `yaml:"provisioningState" default:"Succeeded" oneof:"Provisioning|Succeeded|Failed|Deleting|DeleteError"`
	SparkPools        []SparkPool `yaml:"sparkPools"`
	Line              int         `yaml:"-"`
}

// SparkPool is a Synapse Apache Spark pool.
type SparkPool struct {
	Name              string `yaml:"name" required:"true" check:"name"`
	ProvisioningState string `yaml:"provisioningState" default:"Succeeded" oneof:"Provisioning|Succeeded|Failed|Deleting|Canceled"`
	NodeCount         int    `yaml:"nodeCount" default:"3" check:"positive"`
	NodeSize          string `yaml:"nodeSize" default:"Medium" oneof:"Small|Medium|Large|XLarge|XXLarge|XXXLarge"`
	SparkVersion      string `yaml:"sparkVersion" default:"3.4"`
	Line              int    `yaml:"-"`
}
