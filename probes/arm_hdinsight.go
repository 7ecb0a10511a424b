package probes

import (
	"fmt"
	"strings"

	"amlattach/azure"
)

// HDIState checks that the HDInsight cluster is up: clusterState Running and
// a provisioning state of Succeeded (or none reported).
func HDIState(h azure.HDInsightCluster) Result {
	g, n := groupAndName(h.ID, h.Name)
	show := fmt.Sprintf("az hdinsight show -g %s -n %s --query \"{state:properties.clusterState, provisioning:properties.provisioningState}\"", g, n)
	state, prov := strings.TrimSpace(h.State), strings.TrimSpace(h.ProvisioningState)
	running := strings.EqualFold(state, "Running")
	provOK := prov == "" || strings.EqualFold(prov, "Succeeded")
	switch {
	case running && provOK:
		return passf("%s is Running (provisioning %s)", n, orDash(prov))
	case running:
		return failf(FieldNone, "wait for the operation to finish and run the preflight again; to follow it: "+show,
			"%s is Running but its provisioning state is %s, not Succeeded", n, prov)
	case state == "":
		return failf(FieldNone, "look at the cluster in the portal or with: "+show,
			"Azure reports no cluster state for %s (provisioning %s)", n, orDash(prov))
	case hdiBusy(state):
		return failf(FieldNone, "wait until the cluster is Running (creation takes about 20 minutes), then run the preflight again; to follow it: "+show,
			"%s is %s, not Running yet: Azure ML can only attach a running cluster", n, state)
	}
	return failf(FieldNone, "attach a cluster that is Running; to see why this one is not: "+show,
		"%s is %s (provisioning %s): Azure ML can only attach a running cluster", n, state, orDash(prov))
}

// hdiBusy tells the cluster states that end by themselves (creation, scaling).
func hdiBusy(state string) bool {
	switch strings.ToLower(state) {
	case "accepted", "hdinsightconfiguration", "clusterstorageprovisioned", "azurevmconfiguration", "operational", "reconfiguring":
		return true
	}
	return false
}

// HDIKind checks the cluster type: Azure ML runs Spark steps on HDInsight.
func HDIKind(h azure.HDInsightCluster) Result {
	kind := strings.TrimSpace(h.Kind)
	if strings.EqualFold(kind, "spark") {
		return passf("%s is a Spark cluster", orDash(h.Name))
	}
	if kind == "" {
		return warnf("check the cluster type in the portal (Overview > Cluster type); Azure ML uses HDInsight for Spark steps",
			"Azure reports no cluster kind for %s", orDash(h.Name))
	}
	return warnf("attach a Spark cluster (HDInsight cluster type Spark) if you mean to run Spark steps; keep this one only if you run your own jobs on it over SSH",
		"%s is a %s cluster, not Spark: Azure ML runs Spark steps on HDInsight, and other kinds may not run them", orDash(h.Name), kind)
}

// HDISSH finds the cluster's public SSH endpoint, which Azure ML connects to.
// Port 0 means Azure did not say and 22 is used.
func HDISSH(h azure.HDInsightCluster) (r Result, host string, port int) {
	host = strings.TrimSpace(h.SSHHost)
	if host == "" {
		g, n := groupAndName(h.ID, h.Name)
		return failf(FieldResourceID, fmt.Sprintf("see the cluster's endpoints: az hdinsight show -g %s -n %s --query properties.connectivityEndpoints; "+
			"an HDInsight cluster in a virtual network without a public endpoint cannot be attached, so attach a cluster that has a public SSH endpoint instead", g, n),
			"%s has no SSH connectivity endpoint: Azure ML reaches an HDInsight cluster over SSH at <cluster>-ssh.azurehdinsight.net, so this cluster cannot be attached", orDash(h.Name)), "", 0
	}
	port = h.SSHPort
	note := ""
	if port == 0 {
		port, note = 22, " (Azure gave no port; using 22)"
	}
	return passf("SSH endpoint %s:%d%s", host, port, note), host, port
}
