package probes

import (
	"fmt"
	"math"
	"strings"

	"amlattach/azure"
)

// groupAndName returns the resource group and name for an az command,
// falling back to placeholders when the ID does not parse. For a child
// resource (a Synapse pool) the name is the parent's.
func groupAndName(id, name string) (group, resource string) {
	group, resource = "<group>", orPlaceholder(name, "<name>")
	if r, err := azure.ParseResourceID(id); err == nil {
		group, resource = r.ResourceGroup, r.Name
	}
	return group, resource
}

func orPlaceholder(s, placeholder string) string {
	if strings.TrimSpace(s) == "" {
		return placeholder
	}
	return s
}

// BatchState checks the Batch account's provisioning state.
func BatchState(g azure.Generic) Result {
	rg, n := groupAndName(g.ID, g.Name)
	show := fmt.Sprintf("az batch account show -g %s -n %s --query provisioningState", rg, n)
	state := g.Prop("provisioningState")
	switch strings.ToLower(state) {
	case "succeeded":
		return passf("Batch account %s: provisioning Succeeded", n)
	case "creating":
		return warnf("wait until it reads Succeeded, then run the preflight again: "+show,
			"Batch account %s is still being created", n)
	case "":
		return warnf("check the account in the portal or with: "+show,
			"Azure reports no provisioning state for Batch account %s", n)
	case "deleting":
		return failf(FieldResourceID, "attach another Batch account; this one is going away (az batch account list -o table)",
			"Batch account %s is being deleted", n)
	}
	return failf(FieldResourceID, "create the account again or attach another one (az batch account list -o table); to look at this one: "+show,
		"Batch account %s is in provisioning state %s, not Succeeded", n, state)
}

// BatchComputeType warns that Batch is an SDK v1 compute type that the
// current compute API no longer lists: the attach may be refused.
func BatchComputeType() Result {
	return warnf("for new pipelines use Azure ML compute clusters (az ml compute create --type AmlCompute) instead of Batch",
		"the current Azure ML compute API no longer lists Batch as a compute type; amlattach sends the SDK v1 request body and shows Azure's answer word for word, which may be a refusal")
}

// ADLAState checks that the Data Lake Analytics account is Active.
func ADLAState(g azure.Generic) Result {
	rg, n := groupAndName(g.ID, g.Name)
	show := fmt.Sprintf("az dla account show -g %s -n %s --query \"{state:state, provisioningState:provisioningState}\"", rg, n)
	state, prov := g.Prop("state"), g.Prop("provisioningState")
	provOK := prov == "" || strings.EqualFold(prov, "Succeeded")
	switch {
	case strings.EqualFold(state, "Active") && provOK:
		return passf("Data Lake Analytics account %s is Active (provisioning %s)", n, orDash(prov))
	case strings.EqualFold(state, "Active"):
		return failf(FieldResourceID, "look at the account with: "+show,
			"Data Lake Analytics account %s is Active but its provisioning state is %s, not Succeeded", n, prov)
	case state == "":
		return failf(FieldResourceID, "look at the account with: "+show,
			"Azure reports no state for Data Lake Analytics account %s (provisioning %s)", n, orDash(prov))
	}
	return failf(FieldResourceID, "the service was retired on 29 February 2024, so a "+state+" account cannot be resumed; move the U-SQL work to Synapse Spark (amlattach attach synapse). To see the account: "+show,
		"Data Lake Analytics account %s is %s (provisioning %s), not Active", n, state, orDash(prov))
}

// ADLARetired warns that Data Lake Analytics is retired.
func ADLARetired() Result {
	return warnf("move U-SQL work to Apache Spark in Azure Synapse and attach a Spark pool instead (amlattach attach synapse)",
		"Azure Data Lake Analytics was retired on 29 February 2024; Azure is expected to refuse the attach, and amlattach shows its answer word for word")
}

// SynapsePool checks that the Synapse Spark pool is provisioned and
// describes its size.
func SynapsePool(g azure.Generic) Result {
	ws, pool, rg := "<workspace>", orPlaceholder(g.Name, "<pool>"), "<group>"
	if r, err := azure.ParseResourceID(g.ID); err == nil {
		ws, rg = r.Name, r.ResourceGroup
		if r.ChildName != "" {
			pool = r.ChildName
		}
	}
	if i := strings.LastIndex(pool, "/"); i >= 0 { // generic GETs name a child "workspace/pool"
		pool = pool[i+1:]
	}
	var parts []string
	if v, ok := number(g.Properties["nodeCount"]); ok {
		parts = append(parts, fmt.Sprintf("%d nodes", v))
	}
	if s := g.Prop("nodeSize"); s != "" {
		parts = append(parts, "size "+s)
	}
	if as, ok := g.Properties["autoScale"].(map[string]any); ok && as["enabled"] == true {
		lo, ok1 := number(as["minNodeCount"])
		hi, ok2 := number(as["maxNodeCount"])
		if ok1 && ok2 {
			parts = append(parts, fmt.Sprintf("autoscale %d-%d nodes", lo, hi))
		}
	}
	if s := g.Prop("sparkVersion"); s != "" {
		parts = append(parts, "Spark "+s)
	}
	desc := ""
	if len(parts) > 0 {
		desc = " (" + strings.Join(parts, ", ") + ")"
	}
	state := g.Prop("provisioningState")
	if strings.EqualFold(state, "Succeeded") {
		return passf("Spark pool %s in workspace %s is provisioned%s", pool, ws, desc)
	}
	show := fmt.Sprintf("az synapse spark pool show -g %s --workspace-name %s -n %s --query provisioningState", rg, ws, pool)
	if strings.EqualFold(state, "Provisioning") || strings.EqualFold(state, "Updating") {
		return failf(FieldResourceID, "wait until it reads Succeeded, then run the preflight again: "+show,
			"Spark pool %s is still %s%s", pool, strings.ToLower(state), desc)
	}
	return failf(FieldResourceID, "attach a pool whose provisioning Succeeded; to look at this one: "+show,
		"Spark pool %s is in provisioning state %s, not Succeeded%s", pool, orDash(state), desc)
}

// number reads a whole number from a JSON-decoded value.
func number(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) {
			return int(x), true
		}
	case int:
		return x, true
	case int64:
		return int(x), true
	}
	return 0, false
}

// K8sConnected checks an Azure Arc-connected cluster's connectivity status.
func K8sConnected(g azure.Generic) Result {
	rg, n := groupAndName(g.ID, g.Name)
	show := fmt.Sprintf("az connectedk8s show -g %s -n %s --query \"{connectivity:connectivityStatus, lastSeen:lastConnectivityTime}\"", rg, n)
	status := g.Prop("connectivityStatus")
	seen := ""
	if t := g.Prop("lastConnectivityTime"); t != "" {
		seen = "; last seen " + t
	}
	switch strings.ToLower(status) {
	case "connected":
		return passf("Arc cluster %s is Connected", n)
	case "connecting":
		return warnf("wait a few minutes for the Arc agents to report in, then run the preflight again: "+show,
			"Arc cluster %s is still connecting%s", n, seen)
	case "expired":
		return failf(FieldNone, "the cluster stayed offline too long and its Arc identity certificate expired: reconnect it (az connectedk8s delete -g "+rg+" -n "+n+", then az connectedk8s connect -g "+rg+" -n "+n+") and reinstall its extensions",
			"Arc cluster %s is Expired%s: Azure no longer trusts its agents", n, seen)
	}
	return failf(FieldNone, "check the Arc agents on the cluster (kubectl get pods -n azure-arc: all should be Running) and its outbound access to Azure; then: "+show,
		"Arc cluster %s is %s, not Connected%s: Azure cannot reach it", n, orDash(status), seen)
}
