package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// API versions of the other attachable resources: the ones their SDK
// modules send (HDInsight, Databricks, AKS), and for the resources amlattach
// reads through the generic client, the versions it asks for.
const (
	apiHDInsight  = "2021-06-01" // armhdinsight v1
	apiDatabricks = "2023-02-01" // armdatabricks v1
	apiAKS        = "2026-04-01" // armcontainerservice v9
	apiBatch      = "2024-07-01"
	apiADLA       = "2016-11-01"
	apiSynapse    = "2021-06-01"
	apiConnected  = "2024-01-01"
	apiExtensions = "2023-05-01"
)

const (
	hdiType       = "Microsoft.HDInsight/clusters"
	dbxType       = "Microsoft.Databricks/workspaces"
	aksType       = "Microsoft.ContainerService/managedClusters"
	arcType       = "Microsoft.Kubernetes/connectedClusters"
	batchType     = "Microsoft.Batch/batchAccounts"
	adlaType      = "Microsoft.DataLakeAnalytics/accounts"
	synapseType   = "Microsoft.Synapse/workspaces"
	sparkPoolType = "Microsoft.Synapse/workspaces/bigDataPools"
	extensionType = "Microsoft.KubernetesConfiguration/extensions"

	azureMLExtension = "microsoft.azureml.kubernetes"
)

// addTargets indexes a group's HDInsight clusters (their SSH sides) and
// Databricks workspaces (their hosts).
func (s *Server) addTargets(sub *Subscription, g *ResourceGroup) {
	for i := range g.HDInsightClusters {
		c := &g.HDInsightClusters[i]
		s.hdis[strings.ToLower(c.Name)] = &vmEntry{sub: sub, rg: g, vm: hdiHeadNode(c), hdi: c}
	}
	for i := range g.DatabricksWorkspaces {
		ws := &g.DatabricksWorkspaces[i]
		host := databricksHost(sub.ID, g.Name, ws.Name)
		s.dbx[host] = &dbxEntry{sub: sub, rg: g, ws: ws, host: host}
	}
}

// hdiHeadNode is the machine that answers at a cluster's SSH endpoint, as
// a VM: running while the cluster is Running, with the cluster's ssh.
func hdiHeadNode(c *HDInsightCluster) *VM {
	vm := &VM{Name: "hn0-" + strings.ToLower(c.Name), Location: c.Location, PowerState: "running", SSH: c.SSH, AdminUsername: "sshuser"}
	if c.ClusterState != "Running" {
		vm.PowerState = "stopped"
	}
	if sim := c.SSH.Sim; sim != nil && len(sim.Users) > 0 {
		vm.AdminUsername = sortedUsers(sim)[0]
	}
	return vm
}

// hdiSSHHost is the host name of a cluster's SSH endpoint.
func hdiSSHHost(name string) string { return strings.ToLower(name) + "-ssh" + hdiDomain }

// resJSON is one resource's ARM body and its name.
type resJSON struct {
	name string
	body map[string]any
}

// kindDef serves list and get for one top-level resource type: count is
// how many a resource group holds, items builds those from index from up
// to to (so a page of a list builds only what it carries).
type kindDef struct {
	typ, api string
	count    func(g *ResourceGroup) int
	items    func(sub *Subscription, g *ResourceGroup, from, to int) []resJSON
}

func (s *Server) kinds() []kindDef {
	return []kindDef{
		{hdiType, apiHDInsight, func(g *ResourceGroup) int { return len(g.HDInsightClusters) }, s.hdiItems},
		{dbxType, apiDatabricks, func(g *ResourceGroup) int { return len(g.DatabricksWorkspaces) }, s.dbxItems},
		{aksType, apiAKS, func(g *ResourceGroup) int { return len(g.AKSClusters) }, s.aksItems},
		{arcType, apiConnected, func(g *ResourceGroup) int { return len(g.ConnectedClusters) }, s.arcItems},
		{batchType, apiBatch, func(g *ResourceGroup) int { return len(g.BatchAccounts) }, s.batchItems},
		{adlaType, apiADLA, func(g *ResourceGroup) int { return len(g.DataLakeAnalyticsAccounts) }, s.adlaItems},
		{synapseType, apiSynapse, func(g *ResourceGroup) int { return len(g.SynapseWorkspaces) }, s.synapseItems},
	}
}

func (s *Server) targetRoutes(mk func(string, string, map[string]handler) route) []route {
	get := func(h handler) map[string]handler { return map[string]handler{http.MethodGet: h} }
	const (
		sub = "subscriptions/{}"
		rg  = sub + "/resourceGroups/{}"
	)
	var rts []route
	for _, k := range s.kinds() {
		p := "/providers/" + k.typ
		rts = append(rts,
			mk(sub+p, k.api, get(s.listKind(k))),
			mk(rg+p, k.api, get(s.listKind(k))),
			mk(rg+p+"/{}", k.api, get(s.getKind(k))),
		)
	}
	ext := "/providers/" + extensionType
	rts = append(rts,
		mk(rg+"/providers/"+synapseType+"/{}/bigDataPools", apiSynapse, get(s.listSparkPools)),
		mk(rg+"/providers/"+synapseType+"/{}/bigDataPools/{}", apiSynapse, get(s.getSparkPool)),
		mk(sub+"/providers/Microsoft.ContainerService/locations/{}/kubernetesVersions", apiAKS, get(s.listK8sVersions)),
		mk(rg+"/providers/"+aksType+"/{}"+ext, apiExtensions, get(s.listExtensions(aksType))),
		mk(rg+"/providers/"+aksType+"/{}"+ext+"/{}", apiExtensions, map[string]handler{http.MethodGet: s.getExtension(aksType), http.MethodPut: s.putExtension(aksType)}),
		mk(rg+"/providers/"+arcType+"/{}"+ext, apiExtensions, get(s.listExtensions(arcType))),
		mk(rg+"/providers/"+arcType+"/{}"+ext+"/{}", apiExtensions, map[string]handler{http.MethodGet: s.getExtension(arcType), http.MethodPut: s.putExtension(arcType)}),
	)
	return rts
}

func (s *Server) listKind(k kindDef) handler {
	return func(w http.ResponseWriter, r *http.Request, m *match) {
		build := func(g *ResourceGroup, from, to int) []any {
			out := make([]any, 0, to-from)
			for _, it := range k.items(m.sub, g, from, to) {
				out = append(out, it.body)
			}
			return out
		}
		s.writeListing(w, r, groupListing(m, k.count, build))
	}
}

func (s *Server) getKind(k kindDef) handler {
	return func(w http.ResponseWriter, _ *http.Request, m *match) {
		for _, it := range k.items(m.sub, m.rg, 0, k.count(m.rg)) {
			if strings.EqualFold(it.name, m.vars[0]) {
				writeJSON(w, http.StatusOK, it.body)
				return
			}
		}
		notFound(w, k.typ, m.vars[0], m.rg.Name)
	}
}

// resourceBody is the envelope every ARM resource shares.
func resourceBody(sub *Subscription, g *ResourceGroup, typ, name, location string, props map[string]any) map[string]any {
	return map[string]any{
		"id":         rgPrefix(sub, g) + "/providers/" + typ + "/" + name,
		"name":       name,
		"type":       typ,
		"location":   location,
		"tags":       map[string]any{},
		"properties": props,
	}
}

// created is when the sandbox says the resources were created.
func (s *Server) created(days int) string {
	return s.started.Add(-time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
}

func (s *Server) hdiItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		c := &g.HDInsightClusters[i]
		id := rgPrefix(sub, g) + "/providers/" + hdiType + "/" + c.Name
		endpoints := []any{}
		if c.SSHEndpoint {
			endpoints = append(endpoints, map[string]any{"name": "SSH", "protocol": "TCP", "location": hdiSSHHost(c.Name), "port": 22})
		}
		endpoints = append(endpoints, map[string]any{"name": "HTTPS", "protocol": "TCP", "location": strings.ToLower(c.Name) + hdiDomain, "port": 443})
		props := map[string]any{
			"clusterVersion":    "5.1.3000.0",
			"clusterHdpVersion": "5.1",
			"osType":            "Linux",
			"tier":              "Standard",
			"clusterId":         strings.ReplaceAll(stableUUID(id), "-", ""),
			"clusterDefinition": map[string]any{
				"kind":             c.Kind,
				"blueprint":        "https://blueprints.azurehdinsight.net/" + c.Kind + "-5.1.3000.0.json",
				"componentVersion": hdiComponents(c.Kind),
			},
			"clusterState":      c.ClusterState,
			"provisioningState": c.ProvisioningState,
			"createdDate":       s.created(20),
			"quotaInfo":         map[string]any{"coresUsed": 40},
			"computeProfile": map[string]any{"roles": []any{
				map[string]any{"name": "headnode", "targetInstanceCount": 2, "hardwareProfile": map[string]any{"vmSize": "standard_e8_v3"}},
				map[string]any{"name": "workernode", "targetInstanceCount": 3, "hardwareProfile": map[string]any{"vmSize": "standard_e8_v3"}},
			}},
			"connectivityEndpoints":  endpoints,
			"minSupportedTlsVersion": "1.2",
		}
		out = append(out, resJSON{c.Name, resourceBody(sub, g, hdiType, c.Name, c.Location, props)})
	}
	return out
}

func hdiComponents(kind string) map[string]any {
	switch kind {
	case "spark":
		return map[string]any{"Spark": "3.3"}
	case "hadoop":
		return map[string]any{"Hadoop": "3.3"}
	case "hbase":
		return map[string]any{"HBase": "2.4"}
	case "kafka":
		return map[string]any{"Kafka": "3.2"}
	case "interactivehive":
		return map[string]any{"InteractiveHive": "3.1"}
	}
	return map[string]any{}
}

func (s *Server) dbxItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		ws := &g.DatabricksWorkspaces[i]
		num, _ := databricksNumber(sub.ID, g.Name, ws.Name)
		id := rgPrefix(sub, g) + "/providers/" + dbxType + "/" + ws.Name
		props := map[string]any{
			"managedResourceGroupId": fmt.Sprintf("/subscriptions/%s/resourceGroups/databricks-rg-%s-%s", sub.ID, ws.Name, stableUUID(id)[:13]),
			"provisioningState":      ws.ProvisioningState,
			"workspaceId":            strconv.FormatUint(num, 10),
			"workspaceUrl":           databricksHost(sub.ID, g.Name, ws.Name),
			"createdDateTime":        s.created(45),
			"publicNetworkAccess":    "Enabled",
			"parameters": map[string]any{
				"enableNoPublicIp": map[string]any{"type": "Bool", "value": true},
			},
		}
		b := resourceBody(sub, g, dbxType, ws.Name, ws.Location, props)
		b["sku"] = map[string]any{"name": "premium"}
		out = append(out, resJSON{ws.Name, b})
	}
	return out
}

// aksFQDN is the API server's host name.
func aksFQDN(sub *Subscription, g *ResourceGroup, c *AKSCluster) string {
	h := strings.ReplaceAll(stableUUID(sub.ID+"/"+g.Name+"/"+c.Name), "-", "")[:8]
	return fmt.Sprintf("%s-dns-%s.hcp.%s.azmk8s.io", strings.ToLower(c.Name), h, strings.ToLower(strings.ReplaceAll(c.Location, " ", "")))
}

func (s *Server) aksItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		c := &g.AKSClusters[i]
		pools := []any{}
		for _, p := range c.AgentPools {
			pools = append(pools, map[string]any{
				"name": p.Name, "count": p.Count, "vmSize": p.VMSize, "mode": p.Mode,
				"osType": "Linux", "osSKU": "Ubuntu", "type": "VirtualMachineScaleSets", "osDiskSizeGB": 128, "maxPods": 110,
				"orchestratorVersion": c.KubernetesVersion, "currentOrchestratorVersion": c.KubernetesVersion,
				"provisioningState": c.ProvisioningState, "powerState": map[string]any{"code": c.PowerState},
			})
		}
		fqdn := aksFQDN(sub, g, c)
		props := map[string]any{
			"provisioningState":        c.ProvisioningState,
			"powerState":               map[string]any{"code": c.PowerState},
			"kubernetesVersion":        c.KubernetesVersion,
			"currentKubernetesVersion": c.KubernetesVersion,
			"dnsPrefix":                strings.ToLower(c.Name) + "-dns",
			"fqdn":                     fqdn,
			"azurePortalFQDN":          strings.Replace(fqdn, ".hcp.", ".portal.hcp.", 1),
			"agentPoolProfiles":        pools,
			"nodeResourceGroup":        fmt.Sprintf("MC_%s_%s_%s", g.Name, c.Name, strings.ToLower(c.Location)),
			"enableRBAC":               true,
			"supportPlan":              "KubernetesOfficial",
			"networkProfile":           map[string]any{"networkPlugin": "azure", "loadBalancerSku": "standard", "outboundType": "loadBalancer"},
		}
		b := resourceBody(sub, g, aksType, c.Name, c.Location, props)
		b["sku"] = map[string]any{"name": "Base", "tier": "Free"}
		b["identity"] = map[string]any{"type": "SystemAssigned", "principalId": stableUUID("principal" + c.Name), "tenantId": tenantID}
		out = append(out, resJSON{c.Name, b})
	}
	return out
}

func (s *Server) arcItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		c := &g.ConnectedClusters[i]
		props := map[string]any{
			"connectivityStatus": c.ConnectivityStatus,
			"kubernetesVersion":  c.KubernetesVersion,
			"provisioningState":  c.ProvisioningState,
			"totalNodeCount":     c.TotalNodeCount,
			"totalCoreCount":     c.TotalNodeCount * 4,
			"agentVersion":       "1.21.10",
			"distribution":       c.Distribution,
			"infrastructure":     "generic",
		}
		if c.ConnectivityStatus == "Connected" {
			props["lastConnectivityTime"] = s.now().UTC().Add(-2 * time.Minute).Format(time.RFC3339)
		} else {
			props["lastConnectivityTime"] = s.created(9)
		}
		b := resourceBody(sub, g, arcType, c.Name, c.Location, props)
		b["identity"] = map[string]any{"type": "SystemAssigned", "principalId": stableUUID("principal" + c.Name), "tenantId": tenantID}
		out = append(out, resJSON{c.Name, b})
	}
	return out
}

func (s *Server) batchItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		a := &g.BatchAccounts[i]
		loc := strings.ToLower(strings.ReplaceAll(a.Location, " ", ""))
		props := map[string]any{
			"accountEndpoint":                       strings.ToLower(a.Name) + "." + loc + ".batch.azure.com",
			"provisioningState":                     a.ProvisioningState,
			"poolAllocationMode":                    "BatchService",
			"publicNetworkAccess":                   "Enabled",
			"dedicatedCoreQuotaPerVMFamilyEnforced": true,
			"dedicatedCoreQuota":                    500,
			"lowPriorityCoreQuota":                  500,
			"poolQuota":                             100,
			"activeJobAndJobScheduleQuota":          300,
		}
		b := resourceBody(sub, g, batchType, a.Name, a.Location, props)
		b["identity"] = map[string]any{"type": "None"}
		out = append(out, resJSON{a.Name, b})
	}
	return out
}

func (s *Server) adlaItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		a := &g.DataLakeAnalyticsAccounts[i]
		id := rgPrefix(sub, g) + "/providers/" + adlaType + "/" + a.Name
		props := map[string]any{
			"state":                       a.State,
			"provisioningState":           a.ProvisioningState,
			"endpoint":                    strings.ToLower(a.Name) + ".azuredatalakeanalytics.net",
			"accountId":                   stableUUID(id),
			"defaultDataLakeStoreAccount": storeName(a.Name),
			"creationTime":                s.created(400),
			"lastModifiedTime":            s.created(30),
			"currentTier":                 "Consumption",
			"newTier":                     "Consumption",
		}
		out = append(out, resJSON{a.Name, resourceBody(sub, g, adlaType, a.Name, a.Location, props)})
	}
	return out
}

// storeName is the Data Lake Store account the sandbox says an ADLA account uses.
func storeName(account string) string {
	n := strings.ToLower(strings.NewReplacer("-", "", "_", "", ".", "").Replace(account))
	if len(n) > 19 {
		n = n[:19]
	}
	return n + "store"
}

func (s *Server) synapseItems(sub *Subscription, g *ResourceGroup, from, to int) []resJSON {
	var out []resJSON
	for i := from; i < to; i++ {
		ws := &g.SynapseWorkspaces[i]
		id := rgPrefix(sub, g) + "/providers/" + synapseType + "/" + ws.Name
		n := strings.ToLower(ws.Name)
		props := map[string]any{
			"provisioningState": ws.ProvisioningState,
			"workspaceUID":      stableUUID(id),
			"connectivityEndpoints": map[string]any{
				"web":         "https://web.azuresynapse.net?workspace=" + strings.ReplaceAll(id, "/", "%2f"),
				"dev":         "https://" + n + ".dev.azuresynapse.net",
				"sql":         n + ".sql.azuresynapse.net",
				"sqlOnDemand": n + "-ondemand.sql.azuresynapse.net",
			},
			"managedResourceGroupName": "synapseworkspace-managedrg-" + stableUUID(id+"/mrg"),
			"publicNetworkAccess":      "Enabled",
		}
		b := resourceBody(sub, g, synapseType, ws.Name, ws.Location, props)
		b["identity"] = map[string]any{"type": "SystemAssigned", "principalId": stableUUID("principal" + id), "tenantId": tenantID}
		out = append(out, resJSON{ws.Name, b})
	}
	return out
}

func (s *Server) sparkPoolJSON(sub *Subscription, g *ResourceGroup, ws *SynapseWorkspace, p *SparkPool) map[string]any {
	id := rgPrefix(sub, g) + "/providers/" + synapseType + "/" + ws.Name + "/bigDataPools/" + p.Name
	return map[string]any{
		"id":       id,
		"name":     p.Name,
		"type":     sparkPoolType,
		"location": ws.Location,
		"tags":     map[string]any{},
		"properties": map[string]any{
			"provisioningState":           p.ProvisioningState,
			"nodeCount":                   p.NodeCount,
			"nodeSize":                    p.NodeSize,
			"nodeSizeFamily":              "MemoryOptimized",
			"sparkVersion":                p.SparkVersion,
			"autoScale":                   map[string]any{"enabled": false, "minNodeCount": 3, "maxNodeCount": max(3, p.NodeCount)},
			"autoPause":                   map[string]any{"enabled": true, "delayInMinutes": 15},
			"creationDate":                s.created(60),
			"isComputeIsolationEnabled":   false,
			"sessionLevelPackagesEnabled": false,
			"dynamicExecutorAllocation":   map[string]any{"enabled": false},
		},
	}
}

func findSynapse(g *ResourceGroup, name string) *SynapseWorkspace {
	for i := range g.SynapseWorkspaces {
		if strings.EqualFold(g.SynapseWorkspaces[i].Name, name) {
			return &g.SynapseWorkspaces[i]
		}
	}
	return nil
}

func findSparkPool(ws *SynapseWorkspace, name string) *SparkPool {
	for i := range ws.SparkPools {
		if strings.EqualFold(ws.SparkPools[i].Name, name) {
			return &ws.SparkPools[i]
		}
	}
	return nil
}

func (s *Server) listSparkPools(w http.ResponseWriter, r *http.Request, m *match) {
	ws := findSynapse(m.rg, m.vars[0])
	if ws == nil {
		notFound(w, synapseType, m.vars[0], m.rg.Name)
		return
	}
	var items []any
	for i := range ws.SparkPools {
		items = append(items, s.sparkPoolJSON(m.sub, m.rg, ws, &ws.SparkPools[i]))
	}
	s.writePage(w, r, items)
}

func (s *Server) getSparkPool(w http.ResponseWriter, _ *http.Request, m *match) {
	ws := findSynapse(m.rg, m.vars[0])
	if ws == nil {
		notFound(w, synapseType, m.vars[0], m.rg.Name)
		return
	}
	p := findSparkPool(ws, m.vars[1])
	if p == nil {
		notFound(w, sparkPoolType, ws.Name+"/"+m.vars[1], m.rg.Name)
		return
	}
	writeJSON(w, http.StatusOK, s.sparkPoolJSON(m.sub, m.rg, ws, p))
}

// listK8sVersions answers ListKubernetesVersions: the world's versions
// grouped by minor version, the default one marked.
func (s *Server) listK8sVersions(w http.ResponseWriter, _ *http.Request, _ *match) {
	list := s.world.KubernetesVersions
	if len(list) == 0 {
		list = DefaultKubernetesVersions
	}
	vs := sortedVersions(list)
	def := defaultMinor(list)
	type minor struct {
		name    string
		patches []string
	}
	var minors []*minor
	for _, v := range vs {
		m := v.minorString()
		if len(minors) == 0 || minors[len(minors)-1].name != m {
			minors = append(minors, &minor{name: m})
		}
		if v.hasPatch {
			minors[len(minors)-1].patches = append(minors[len(minors)-1].patches, fmt.Sprintf("%s.%d", m, v.patch))
		}
	}
	var all []string
	for _, m := range minors {
		all = append(all, m.patches...)
	}
	values := []any{}
	for _, m := range minors {
		patches := map[string]any{}
		for _, p := range m.patches {
			var upgrades []string
			pv, _ := parseK8sVersion(p)
			for _, o := range all {
				ov, _ := parseK8sVersion(o)
				if pv.less(ov) && (ov.minor <= pv.minor+1 && ov.major == pv.major) {
					upgrades = append(upgrades, o)
				}
			}
			sort.Strings(upgrades)
			patches[p] = map[string]any{"upgrades": upgrades}
		}
		v := map[string]any{
			"version":       m.name,
			"patchVersions": patches,
			"capabilities":  map[string]any{"supportPlan": []any{"KubernetesOfficial"}},
		}
		if m.name == def {
			v["isDefault"] = true
		}
		values = append(values, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"values": values})
}

// clusterExtensions finds an AKS or connected cluster and its extensions.
func clusterExtensions(g *ResourceGroup, typ, name string) (string, []Extension, bool) {
	if typ == aksType {
		for i := range g.AKSClusters {
			if strings.EqualFold(g.AKSClusters[i].Name, name) {
				return g.AKSClusters[i].Name, g.AKSClusters[i].Extensions, true
			}
		}
		return "", nil, false
	}
	for i := range g.ConnectedClusters {
		if strings.EqualFold(g.ConnectedClusters[i].Name, name) {
			return g.ConnectedClusters[i].Name, g.ConnectedClusters[i].Extensions, true
		}
	}
	return "", nil, false
}

func extensionJSON(clusterID string, e Extension) map[string]any {
	return map[string]any{
		"id":   clusterID + "/providers/" + extensionType + "/" + e.Name,
		"name": e.Name,
		"type": extensionType,
		"properties": map[string]any{
			"extensionType":           e.ExtensionType,
			"autoUpgradeMinorVersion": true,
			"releaseTrain":            "stable",
			"currentVersion":          extensionVersion(e.ExtensionType),
			"scope":                   map[string]any{"cluster": map[string]any{"releaseNamespace": e.Name}},
			"provisioningState":       e.ProvisioningState,
			"configurationSettings":   map[string]any{},
			"statuses":                []any{},
		},
	}
}

func extensionVersion(typ string) string {
	if strings.EqualFold(typ, azureMLExtension) {
		return "1.1.64"
	}
	return "1.0.0"
}

func (s *Server) listExtensions(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, m *match) {
		name, exts, ok := clusterExtensions(m.rg, typ, m.vars[0])
		if !ok {
			notFound(w, typ, m.vars[0], m.rg.Name)
			return
		}
		id := rgPrefix(m.sub, m.rg) + "/providers/" + typ + "/" + name
		var items []any
		for _, e := range exts {
			items = append(items, extensionJSON(id, e))
		}
		items = append(items, s.installedExtensions(id)...)
		s.writePage(w, r, items)
	}
}

func (s *Server) getExtension(typ string) handler {
	return func(w http.ResponseWriter, _ *http.Request, m *match) {
		name, exts, ok := clusterExtensions(m.rg, typ, m.vars[0])
		if !ok {
			notFound(w, typ, m.vars[0], m.rg.Name)
			return
		}
		id := rgPrefix(m.sub, m.rg) + "/providers/" + typ + "/" + name
		for _, e := range exts {
			if strings.EqualFold(e.Name, m.vars[1]) {
				writeJSON(w, http.StatusOK, extensionJSON(id, e))
				return
			}
		}
		if e := s.installedExtension(id, m.vars[1]); e != nil {
			writeJSON(w, http.StatusOK, e)
			return
		}
		notFound(w, extensionType, m.vars[1], m.rg.Name)
	}
}

// vmSizeCPUsRE reads the vCPU count of a size name: the number after the
// family letters, e.g. 4 in Standard_D4s_v3, 16 in Standard_E16ds_v5.
var vmSizeCPUsRE = regexp.MustCompile(`(?i)^(?:standard_|basic_)?[a-z]+(\d+)`)

// vmSizeCPUs is the number of vCPUs of a VM size, 0 when the name does not say.
func vmSizeCPUs(size string) int {
	m := vmSizeCPUsRE.FindStringSubmatch(size)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
