// Package sandbox is amlattach's built-in simulated Azure. It is what
// `amlattach demo` and `--world FILE` run against, what trainers use to stage
// onboarding sessions, and what the integration tests describe their
// situations with.
//
// A sandbox is built from a world file (YAML, see docs/world.md): subscriptions,
// resource groups, Azure ML workspaces with their computes, virtual machines
// with their network and SSH side, and the other attachable resources
// (HDInsight clusters, Batch accounts, Databricks workspaces, Data Lake
// Analytics accounts, AKS and Arc-connected clusters with their extensions,
// Synapse Spark pools). Start turns a World into:
//
//   - an Azure Resource Manager server on 127.0.0.1 over HTTPS (a self-signed
//     certificate made at start) that answers the real REST contract for the
//     paths and api-versions the Azure SDK for Go clients send, so those
//     clients work against it unchanged once pointed at Endpoint and given
//     HTTPClient as transport;
//   - one simulated SSH host per VM or HDInsight cluster that asks for one
//     (ssh.sim), answering a small set of commands the way the described
//     machine would;
//   - a dialer (Server.Dial) that sends connections for a VM's public IP, or
//     for an HDInsight cluster's <name>-ssh.azurehdinsight.net, to its
//     simulated host or to the real SSH server the world names;
//   - the REST API of each Databricks workspace (the token check a preflight
//     makes), reached through HTTPClient, which sends *.azuredatabricks.net
//     to the sandbox.
//
// Nothing leaves the machine: every listener is on the loopback interface and
// any bearer token is accepted. The package must never be used to talk to
// real Azure, and it must not import ui, flows, Bubble Tea or Lip Gloss. It has
// no package-level mutable state; a Server's state changes only through its
// own methods, under its mutex.
package sandbox
