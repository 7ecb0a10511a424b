package flows

// TargetInfo describes one compute type of the command line (DESIGN §3) for
// the wizard's list: what it is, what attaching it needs, and whether this
// version can attach it.
type TargetInfo struct {
	Type      string // the TYPE argument: vm, hdinsight, ...
	Title     string
	What      string // one line: what the target is
	Needs     string // one line: what attaching it needs
	Available bool   // this version has a flow for it
	// NeverAttached targets are not compute that a workspace attaches; Why
	// explains what to do instead.
	NeverAttached bool
	Why           []string
}

// Targets lists every compute type in the order the wizard shows them.
func Targets() []TargetInfo {
	return []TargetInfo{
		{Type: "vm", Title: "Virtual machine (Data Science VM)", Available: true,
			What:  "an Azure VM running Ubuntu that Azure ML reaches over SSH and runs jobs on in Docker",
			Needs: "its resource ID, an SSH user with a password or key, a public IP, an NSG rule for AzureMachineLearning, Docker"},
		{Type: "hdinsight", Title: "HDInsight cluster", Available: true,
			What:  "an Apache Spark cluster in Azure HDInsight, used for Spark steps",
			Needs: "the cluster's resource ID and its SSH user with a password or key"},
		{Type: "batch", Title: "Azure Batch account", Available: true,
			What:  "a Batch account whose pools run pipeline steps",
			Needs: "the Batch account's resource ID (sent as the SDK v1 body; Azure may refuse it)"},
		{Type: "databricks", Title: "Azure Databricks workspace", Available: true,
			What:  "a Databricks workspace, used for Databricks steps in pipelines",
			Needs: "the Databricks workspace's resource ID and a personal access token"},
		{Type: "adla", Title: "Data Lake Analytics account", Available: true,
			What:  "an Azure Data Lake Analytics account for U-SQL steps (the service is retired)",
			Needs: "the account's resource ID"},
		{Type: "aks", Title: "Azure Kubernetes Service cluster", Available: true,
			What:  "an AKS cluster for real-time inference endpoints",
			Needs: "the cluster's resource ID, a supported Kubernetes version and, for production, 3 nodes and 12 vCPUs"},
		{Type: "kubernetes", Title: "Kubernetes (Azure Arc or AKS)", Available: true,
			What:  "a cluster with the Azure ML extension, for training and inference",
			Needs: "the cluster's resource ID, the Azure ML extension installed, a namespace and an identity"},
		{Type: "synapse", Title: "Synapse Spark pool", Available: true,
			What:  "an Apache Spark pool in an Azure Synapse workspace",
			Needs: "the Spark pool's resource ID; optionally a managed identity"},
		{Type: "local", Title: "This computer", NeverAttached: true,
			What:  "run jobs and test deployments on the machine you are using",
			Needs: "Docker on this computer; nothing is attached",
			Why: []string{
				"Your own computer is never attached to a workspace: Azure ML cannot reach it, and it needs no entry in the workspace.",
				"To try a deployment here, use a local endpoint (az ml online-endpoint create --local, or local=True in the Python SDK). It runs the scoring container in Docker on this computer, so Docker must be installed and running.",
				"To run training here, run your script directly, or in the same Docker image the job would use.",
			}},
		{Type: "aci", Title: "Azure Container Instances", NeverAttached: true,
			What:  "containers for test deployments of models (Azure ML SDK v1)",
			Needs: "nothing to attach: Azure ML creates the container when it deploys",
			Why: []string{
				"Azure Container Instances are never attached: Azure ML creates the container group itself when a model is deployed to ACI, and removes it with the deployment.",
				"Deploy with the Azure ML SDK v1 (AciWebservice.deploy_configuration) or, for new work, use a managed online endpoint instead.",
				"Your subscription needs the Microsoft.ContainerInstance resource provider registered: az provider register -n Microsoft.ContainerInstance",
			}},
	}
}
