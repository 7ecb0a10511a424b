package flows

import (
	"context"

	"amlattach/probes"
)

// adviceCase is a failure amlattach has no safe fix for: the probe's remedy
// stays the advice, and the fix (id, what it would be) says in one line why
// amlattach does not make the change itself. It is shown, never offered.
type adviceCase struct {
	probe, id, summary, why string
	warn                    bool         // a warning gets the advice too (the probe never fails)
	field                   probes.Field // only results about this field, when set
}

var adviceCases = []adviceCase{
	{probe: probes.IDAKSCapacity, id: "aks.scale", summary: "add nodes to the cluster, or attach it with --cluster-purpose DevTest",
		why: "more nodes are more VMs billed to a cluster others may use: scaling is its owner's decision (az aks nodepool scale)"},
	{probe: probes.IDAKSVersion, id: "aks.upgrade", summary: "upgrade the cluster to a Kubernetes version AKS supports",
		why: "an upgrade drains and replaces every node, disrupting what runs there: it is the cluster owner's decision (az aks upgrade)"},
	{probe: probes.IDDatabricksToken, id: "databricks.token", field: probes.FieldToken, summary: "make a new Databricks personal access token",
		why: "a token is a secret its user makes in the Databricks workspace; amlattach never makes or keeps one"},
	{probe: probes.IDVMImage, id: "vm.image", summary: "use a VM built from an Ubuntu image",
		why: "a VM's operating system cannot be changed in place: it takes a new VM, which amlattach does not create"},
	{probe: probes.IDHostOS, id: "vm.image", summary: "use a VM built from an Ubuntu image",
		why: "a VM's operating system cannot be changed in place: it takes a new VM, which amlattach does not create"},
	{probe: probes.IDHostDisk, id: "vm.disk", summary: "free space in the home folder, or grow the OS disk",
		why: "freeing space means deleting files only you can judge, and growing the disk needs the VM deallocated and its file system extended"},
	{probe: probes.IDADLARetired, id: "adla.migrate", warn: true, summary: "move the work to Spark in Azure Synapse and attach a Spark pool",
		why: "Data Lake Analytics is retired: no change to the account brings it back"},
	{probe: probes.IDK8sConnected, id: "arc.reconnect", summary: "bring the cluster's Arc agents back online",
		why: "the Arc agents run in your cluster, outside Azure: only someone with kubectl access to it can reconnect them"},
}

func init() {
	for _, a := range adviceCases {
		registerFixNotInPlace(a.probe, []string{a.id}, nil, func(_ context.Context, _ Deps, _ *Plan, r probes.Result) *Fix {
			if r.Status != probes.Fail && !(a.warn && r.Status == probes.Warn) || a.field != "" && r.Field != a.field {
				return nil
			}
			return &Fix{ID: a.id, Summary: a.summary, Advice: a.why}
		})
	}
}
