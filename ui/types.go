package ui

import "amlattach/flows"

// resourceNoun names what a target type attaches, as the screens say it.
func resourceNoun(typ string) string {
	switch typ {
	case "hdinsight":
		return "HDInsight cluster"
	case "batch":
		return "Batch account"
	case "databricks":
		return "Databricks workspace"
	case "adla":
		return "Data Lake Analytics account"
	case "aks":
		return "AKS cluster"
	case "kubernetes":
		return "Kubernetes cluster"
	case "synapse":
		return "Synapse Spark pool"
	}
	return "VM"
}

// resourceNouns is the plural of resourceNoun.
func resourceNouns(typ string) string {
	if typ == "vm" || typ == "" {
		return "VMs"
	}
	return resourceNoun(typ) + "s"
}

// stepNoun is the resource step's name in the header.
func stepNoun(typ string) string {
	switch typ {
	case "hdinsight":
		return "HDInsight cluster"
	case "batch":
		return "Batch account"
	case "databricks":
		return "Databricks"
	case "adla":
		return "ADLA account"
	case "aks":
		return "AKS cluster"
	case "kubernetes":
		return "Kubernetes"
	case "synapse":
		return "Spark pool"
	}
	return "VM"
}

// resourceName is the plan's resource as people name it: a Synapse pool
// with its workspace.
func resourceName(p *flows.Plan) string {
	if p.ID.ChildName != "" {
		return p.ID.Name + "/" + p.ID.ChildName
	}
	return p.ID.Name
}

// browseKinds are the ARM kinds a resource ID of the type may have.
func browseKinds(typ string) []string {
	if ks := flows.BrowseKinds[typ]; len(ks) > 0 {
		return ks
	}
	return []string{flows.VMKind}
}
