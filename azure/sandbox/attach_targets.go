package sandbox

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// The attach of the compute types other than VirtualMachine: what the body
// may hold, which resource each type attaches, and how the attach ends.

// batchComputeType is the type SDK v1 sent for Azure Batch; the current
// compute API does not list it (see faults.refuseBatch).
const batchComputeType = "Batch"

// typedProps is properties.properties of an attach, for every type.
type typedProps struct {
	vmAttachProps
	// Databricks
	DatabricksAccessToken *string `json:"databricksAccessToken"`
	WorkspaceURL          string  `json:"workspaceUrl"`
	// DataLakeAnalytics
	DataLakeStoreAccountName string `json:"dataLakeStoreAccountName"`
	// AKS
	ClusterPurpose     string     `json:"clusterPurpose"`
	LoadBalancerType   string     `json:"loadBalancerType"`
	LoadBalancerSubnet string     `json:"loadBalancerSubnet"`
	SSLConfiguration   *sslConfig `json:"sslConfiguration"`
	// Kubernetes
	Namespace string `json:"namespace"`
}

type sslConfig struct {
	Status                  string `json:"status"`
	Cert                    string `json:"cert"`
	Key                     string `json:"key"`
	Cname                   string `json:"cname"`
	LeafDomainLabel         string `json:"leafDomainLabel"`
	OverwriteExistingDomain bool   `json:"overwriteExistingDomain"`
}

var namespaceRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// check validates the type's properties and fills their defaults; it
// returns the ValidationError message, or "". Messages never quote secrets.
func (t *typedProps) check(typ string) string {
	switch typ {
	case "Databricks":
		if t.DatabricksAccessToken == nil || *t.DatabricksAccessToken == "" {
			return "properties.properties.databricksAccessToken is required to attach a Databricks workspace."
		}
	case "AKS":
		if t.ClusterPurpose == "" {
			t.ClusterPurpose = "FastProd"
		}
		if !oneOf(&t.ClusterPurpose, "FastProd", "DenseProd", "DevTest") {
			return fmt.Sprintf("properties.properties.clusterPurpose '%s' is not one of FastProd, DenseProd, DevTest.", t.ClusterPurpose)
		}
		if t.LoadBalancerType == "" {
			t.LoadBalancerType = "PublicIp"
		}
		if !oneOf(&t.LoadBalancerType, "PublicIp", "InternalLoadBalancer") {
			return fmt.Sprintf("properties.properties.loadBalancerType '%s' is not one of PublicIp, InternalLoadBalancer.", t.LoadBalancerType)
		}
		if t.SSLConfiguration == nil {
			t.SSLConfiguration = &sslConfig{Status: "Disabled"}
		}
		if t.SSLConfiguration.Status == "" {
			t.SSLConfiguration.Status = "Disabled"
		}
		if !oneOf(&t.SSLConfiguration.Status, "Disabled", "Auto", "Enabled") {
			return fmt.Sprintf("properties.properties.sslConfiguration.status '%s' is not one of Disabled, Auto, Enabled.", t.SSLConfiguration.Status)
		}
	case "Kubernetes":
		if t.Namespace == "" {
			t.Namespace = "default"
		}
		if !namespaceRE.MatchString(t.Namespace) {
			return fmt.Sprintf("properties.properties.namespace '%s' is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters).", t.Namespace)
		}
	}
	return ""
}

// oneOf matches *s case-insensitively against the options and stores the
// option's spelling.
func oneOf(s *string, opts ...string) bool {
	for _, o := range opts {
		if strings.EqualFold(*s, o) {
			*s = o
			return true
		}
	}
	return false
}

// identityBody is the managed identity of an attach request.
type identityBody struct {
	Type                   string         `json:"type"`
	UserAssignedIdentities map[string]any `json:"userAssignedIdentities"`
}

var userIdentityRE = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[^/]+$`)

// state checks the identity and returns what a GET shows of it.
func (b *identityBody) state(computeType string) (map[string]any, string) {
	if b == nil || b.Type == "" || strings.EqualFold(b.Type, "None") {
		return nil, ""
	}
	t := strings.ReplaceAll(b.Type, " ", "")
	if !oneOf(&t, "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned") {
		return nil, fmt.Sprintf("identity.type '%s' is not one of None, SystemAssigned, UserAssigned, SystemAssigned,UserAssigned.", b.Type)
	}
	if computeType != "Kubernetes" && computeType != "SynapseSpark" {
		return nil, fmt.Sprintf("A managed identity cannot be given to a %s compute; only Kubernetes and SynapseSpark computes take one.", computeType)
	}
	out := map[string]any{"type": t}
	if strings.Contains(t, "SystemAssigned") {
		out["principalId"] = randomUUID()
		out["tenantId"] = tenantID
	}
	if strings.Contains(t, "UserAssigned") {
		if len(b.UserAssignedIdentities) == 0 {
			return nil, "identity.userAssignedIdentities needs at least one identity when the type is UserAssigned."
		}
		ids := map[string]any{}
		for id := range b.UserAssignedIdentities {
			if !userIdentityRE.MatchString(id) {
				return nil, fmt.Sprintf("'%s' is not the resource ID of a user-assigned identity (/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME).", id)
			}
			ids[id] = map[string]any{"principalId": stableUUID("principal" + id), "clientId": stableUUID("client" + id)}
		}
		out["userAssignedIdentities"] = ids
	}
	return out, ""
}

// attachKinds are the resource types each compute type attaches.
var attachKinds = map[string][]string{
	"VirtualMachine":    {vmType},
	"HDInsight":         {hdiType},
	"Databricks":        {dbxType},
	"DataLakeAnalytics": {adlaType},
	"AKS":               {aksType},
	"Kubernetes":        {aksType, arcType},
	"SynapseSpark":      {sparkPoolType},
	"DataFactory":       {"Microsoft.DataFactory/factories"},
	batchComputeType:    {batchType},
}

// armID is a parsed resource ID: a resource and at most one child.
type armID struct {
	sub, rg string
	kind    string   // "Microsoft.Synapse/workspaces/bigDataPools"
	names   []string // the resource's name, then the child's
}

func parseARMID(id string) (armID, bool) {
	p := strings.Split(strings.Trim(id, "/"), "/")
	if len(p) < 8 || len(p)%2 != 0 || !strings.EqualFold(p[0], "subscriptions") || !strings.EqualFold(p[2], "resourceGroups") ||
		!strings.EqualFold(p[4], "providers") {
		return armID{}, false
	}
	a := armID{sub: p[1], rg: p[3], kind: p[5]}
	for i := 6; i+1 < len(p); i += 2 {
		if p[i] == "" || p[i+1] == "" {
			return armID{}, false
		}
		a.kind += "/" + p[i]
		a.names = append(a.names, p[i+1])
	}
	return a, true
}

// checkResourceKind says why resourceID cannot be attached as computeType,
// or "".
func checkResourceKind(computeType, resourceID string) string {
	kinds := attachKinds[computeType]
	if len(kinds) == 0 {
		return ""
	}
	a, ok := parseARMID(resourceID)
	if ok {
		for _, k := range kinds {
			if strings.EqualFold(a.kind, k) {
				return ""
			}
		}
	}
	what := a.kind
	if !ok {
		what = "not a resource ID of the form /subscriptions/{id}/resourceGroups/{group}/providers/{namespace}/{type}/{name}"
	}
	return fmt.Sprintf("The resourceId '%s' cannot be attached as compute type %s: it names %s, and %s attaches %s.",
		resourceID, computeType, what, computeType, strings.Join(kinds, " or "))
}

// group finds the resource group an ID points into.
func (s *Server) group(a armID) (*Subscription, *ResourceGroup) {
	sub := s.findSub(a.sub)
	if sub == nil {
		return nil, nil
	}
	return sub, findRG(sub, a.rg)
}

// lookup parses a resource ID of the given kind and finds its group.
func (s *Server) lookup(id, kind string) (armID, *Subscription, *ResourceGroup) {
	a, ok := parseARMID(id)
	if !ok || !strings.EqualFold(a.kind, kind) {
		return armID{}, nil, nil
	}
	sub, g := s.group(a)
	return a, sub, g
}

func (s *Server) findHDI(id string) *vmEntry {
	a, _, g := s.lookup(id, hdiType)
	if g == nil {
		return nil
	}
	e := s.hdis[strings.ToLower(a.names[0])]
	if e == nil || e.rg != g {
		return nil
	}
	return e
}

func (s *Server) findDBX(id string) *dbxEntry {
	a, sub, g := s.lookup(id, dbxType)
	if g == nil {
		return nil
	}
	e := s.dbx[databricksHost(sub.ID, g.Name, a.names[0])]
	if e == nil || e.rg != g {
		return nil
	}
	return e
}

func (s *Server) findAKS(id string) (*Subscription, *ResourceGroup, *AKSCluster) {
	a, sub, g := s.lookup(id, aksType)
	if g == nil {
		return nil, nil, nil
	}
	for i := range g.AKSClusters {
		if strings.EqualFold(g.AKSClusters[i].Name, a.names[0]) {
			return sub, g, &g.AKSClusters[i]
		}
	}
	return nil, nil, nil
}

func (s *Server) findArc(id string) *ConnectedCluster {
	a, _, g := s.lookup(id, arcType)
	if g == nil {
		return nil
	}
	for i := range g.ConnectedClusters {
		if strings.EqualFold(g.ConnectedClusters[i].Name, a.names[0]) {
			return &g.ConnectedClusters[i]
		}
	}
	return nil
}

func (s *Server) findBatch(id string) *BatchAccount {
	a, _, g := s.lookup(id, batchType)
	if g == nil {
		return nil
	}
	for i := range g.BatchAccounts {
		if strings.EqualFold(g.BatchAccounts[i].Name, a.names[0]) {
			return &g.BatchAccounts[i]
		}
	}
	return nil
}

func (s *Server) findADLA(id string) *ADLAAccount {
	a, _, g := s.lookup(id, adlaType)
	if g == nil {
		return nil
	}
	for i := range g.DataLakeAnalyticsAccounts {
		if strings.EqualFold(g.DataLakeAnalyticsAccounts[i].Name, a.names[0]) {
			return &g.DataLakeAnalyticsAccounts[i]
		}
	}
	return nil
}

// findSparkPool finds a Synapse workspace and, when it has it, the pool.
func (s *Server) findSparkPool(id string) (armID, *ResourceGroup, *SynapseWorkspace, *SparkPool) {
	a, _, g := s.lookup(id, sparkPoolType)
	if g == nil {
		return a, nil, nil, nil
	}
	ws := findSynapse(g, a.names[0])
	if ws == nil {
		return a, g, nil, nil
	}
	return a, g, ws, findSparkPool(ws, a.names[1])
}

// fillTypeProps sets the public properties a GET of the compute shows,
// from the request and from the attached resource when the world has it.
func (s *Server) fillTypeProps(c *computeState) {
	t := c.req
	switch c.typ {
	case "Databricks":
		url := t.WorkspaceURL
		if url == "" {
			if e := s.findDBX(c.resourceID); e != nil {
				url = e.host
			}
		}
		c.props = map[string]any{}
		if url != "" {
			c.props["workspaceUrl"] = url
		}
	case "DataLakeAnalytics":
		c.props = map[string]any{}
		if t.DataLakeStoreAccountName != "" {
			c.props["dataLakeStoreAccountName"] = t.DataLakeStoreAccountName
		}
	case "AKS":
		p := map[string]any{}
		if t.ClusterPurpose != "" {
			p["clusterPurpose"] = t.ClusterPurpose
			p["loadBalancerType"] = t.LoadBalancerType
		}
		if t.LoadBalancerSubnet != "" {
			p["loadBalancerSubnet"] = t.LoadBalancerSubnet
		}
		if ssl := t.SSLConfiguration; ssl != nil {
			// No cert and no key: GET shows the setting, not the material.
			out := map[string]any{"status": ssl.Status}
			if ssl.Cname != "" {
				out["cname"] = ssl.Cname
			}
			if ssl.LeafDomainLabel != "" {
				out["leafDomainLabel"] = ssl.LeafDomainLabel
				out["overwriteExistingDomain"] = ssl.OverwriteExistingDomain
			}
			p["sslConfiguration"] = out
		}
		if sub, g, k := s.findAKS(c.resourceID); k != nil {
			nodes, _ := aksCapacity(k)
			p["agentCount"] = nodes
			if len(k.AgentPools) > 0 {
				p["agentVmSize"] = k.AgentPools[0].VMSize
			}
			p["clusterFqdn"] = aksFQDN(sub, g, k)
			c.computeLocation = k.Location
		}
		c.props = p
	case "Kubernetes":
		ns := t.Namespace
		if ns == "" {
			ns = "default"
		}
		c.props = map[string]any{"namespace": ns, "extensionInstanceReleaseTrain": "stable"}
	case "SynapseSpark":
		a, g, ws, pool := s.findSparkPool(c.resourceID)
		if pool == nil {
			return
		}
		c.computeLocation = ws.Location
		c.props = map[string]any{
			"poolName": pool.Name, "workspaceName": ws.Name, "resourceGroup": g.Name, "subscriptionId": a.sub,
			"nodeCount": pool.NodeCount, "nodeSize": pool.NodeSize, "nodeSizeFamily": "MemoryOptimized", "sparkVersion": pool.SparkVersion,
			"autoScaleProperties": map[string]any{"enabled": false, "minNodeCount": 3, "maxNodeCount": max(3, pool.NodeCount)},
			"autoPauseProperties": map[string]any{"enabled": true, "delayInMinutes": 15},
		}
	case "HDInsight":
		if e := s.findHDI(c.resourceID); e != nil {
			c.computeLocation = e.hdi.Location
		}
	}
}

// aksCapacity is the number of nodes and vCPUs in all of a cluster's pools.
func aksCapacity(k *AKSCluster) (nodes, cpus int) {
	for _, p := range k.AgentPools {
		nodes += p.Count
		cpus += p.Count * vmSizeCPUs(p.VMSize)
	}
	return nodes, cpus
}

func badRequest(format string, args ...any) *ProvisioningError {
	return &ProvisioningError{Code: "BadRequest", Message: fmt.Sprintf(format, args...)}
}

// targetOutcome decides how the attach of a type other than VirtualMachine
// ends (see attachOutcome).
func (s *Server) targetOutcome(c *computeState) (*ProvisioningError, string) {
	switch c.typ {
	case "HDInsight":
		return s.hdiOutcome(c)
	case "Databricks":
		return s.dbxOutcome(c), ""
	case "DataLakeAnalytics":
		a := s.findADLA(c.resourceID)
		switch {
		case a == nil:
			return badRequest("Could not find the Data Lake Analytics account '%s'. Check that the resource ID is right and that the account exists.", c.resourceID), ""
		case a.ProvisioningState != "Succeeded":
			return badRequest("The Data Lake Analytics account '%s' is in provisioning state '%s'; only an account whose provisioning Succeeded can be attached.", a.Name, a.ProvisioningState), ""
		case a.State != "Active":
			return badRequest("The Data Lake Analytics account '%s' is %s. Resume it so that it is Active, then attach again.", a.Name, a.State), ""
		}
	case "AKS":
		return s.aksOutcome(c), ""
	case "Kubernetes":
		return s.kubernetesOutcome(c), ""
	case "SynapseSpark":
		a, g, ws, pool := s.findSparkPool(c.resourceID)
		switch {
		case g == nil || ws == nil:
			return badRequest("Could not find the Synapse workspace of '%s'. Check that the resource ID is right and that the workspace exists.", c.resourceID), ""
		case pool == nil:
			return badRequest("Could not find the Spark pool '%s' in Synapse workspace '%s'.", a.names[1], ws.Name), ""
		case ws.ProvisioningState != "Succeeded":
			return badRequest("The Synapse workspace '%s' is in provisioning state '%s'; only a workspace whose provisioning Succeeded can be attached.", ws.Name, ws.ProvisioningState), ""
		case pool.ProvisioningState != "Succeeded":
			return badRequest("The Spark pool '%s' of Synapse workspace '%s' is in provisioning state '%s'; only a pool whose provisioning Succeeded can be attached.", pool.Name, ws.Name, pool.ProvisioningState), ""
		}
	case batchComputeType:
		b := s.findBatch(c.resourceID)
		switch {
		case b == nil:
			return badRequest("Could not find the Batch account '%s'. Check that the resource ID is right and that the account exists.", c.resourceID), ""
		case b.ProvisioningState != "Succeeded":
			return badRequest("The Batch account '%s' is in provisioning state '%s'; only an account whose provisioning Succeeded can be attached.", b.Name, b.ProvisioningState), ""
		}
	}
	return nil, ""
}

func (s *Server) hdiOutcome(c *computeState) (*ProvisioningError, string) {
	e := s.findHDI(c.resourceID)
	if e == nil {
		return badRequest("Could not find the HDInsight cluster '%s'. Check that the resource ID is right and that the cluster exists.", c.resourceID), ""
	}
	h := e.hdi
	endpoint := hdiSSHHost(h.Name)
	switch {
	case h.ProvisioningState != "Succeeded":
		return badRequest("The HDInsight cluster '%s' is in provisioning state '%s'; only a cluster whose provisioning Succeeded can be attached.", h.Name, h.ProvisioningState), ""
	case h.ClusterState != "Running":
		return badRequest("The HDInsight cluster '%s' is in state '%s'; only a Running cluster can be attached.", h.Name, h.ClusterState), ""
	case c.address != "" && !strings.EqualFold(strings.TrimSuffix(c.address, "."), endpoint):
		return badRequest("The address '%s' is not the SSH endpoint of the HDInsight cluster '%s'; use %s.", c.address, h.Name, endpoint), ""
	case !h.SSHEndpoint, c.sshPort != 22 && c.sshPort != 23:
		return &ProvisioningError{Code: "InternalServerError", Message: unreachableMsg}, ""
	case h.SSH.Sim != nil && !simAccepts(e, c.admin):
		return badRequest("Could not log in to the HDInsight cluster '%s' over SSH as '%s': authentication failed. Check the SSH user name and its password or private key.", h.Name, c.admin.Username), endpoint
	}
	return nil, endpoint
}

// normURL is a workspace URL without scheme, trailing slash or case.
func normURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimSuffix(u, "/")
}

func (s *Server) dbxOutcome(c *computeState) *ProvisioningError {
	e := s.findDBX(c.resourceID)
	if e == nil {
		return badRequest("Could not find the Databricks workspace '%s'. Check that the resource ID is right and that the workspace exists.", c.resourceID)
	}
	ws := e.ws
	switch {
	case ws.ProvisioningState != "Succeeded":
		return badRequest("The Databricks workspace '%s' is in provisioning state '%s'; only a workspace whose provisioning Succeeded can be attached.", ws.Name, ws.ProvisioningState)
	case c.req.WorkspaceURL != "" && normURL(c.req.WorkspaceURL) != e.host:
		return badRequest("The workspace URL '%s' is not the URL of the Databricks workspace '%s' (https://%s).", c.req.WorkspaceURL, ws.Name, e.host)
	case !ws.Reachable:
		return &ProvisioningError{Code: "InternalServerError", Message: fmt.Sprintf("Could not connect to the Databricks workspace at https://%s: the connection timed out.", e.host)}
	case tokenIn(c.token, ws.ExpiredTokens):
		return badRequest("Invalid access token: the Databricks personal access token has expired. Create a new token in the workspace (User Settings > Developer > Access tokens) and attach again.")
	case !tokenIn(c.token, ws.Tokens):
		return badRequest("Invalid access token. The Databricks workspace '%s' did not accept the personal access token; check that it was created in this workspace and has not been revoked.", ws.Name)
	}
	return nil
}

func (s *Server) supportedVersions() []string {
	list := s.world.KubernetesVersions
	if len(list) == 0 {
		list = DefaultKubernetesVersions
	}
	var out []string
	for _, v := range sortedVersions(list) {
		if v.hasPatch {
			out = append(out, fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch))
		} else {
			out = append(out, v.minorString())
		}
	}
	return out
}

func (s *Server) aksOutcome(c *computeState) *ProvisioningError {
	_, _, k := s.findAKS(c.resourceID)
	if k == nil {
		return badRequest("Could not find the AKS cluster '%s'. Check that the resource ID is right and that the cluster exists.", c.resourceID)
	}
	if pe := aksState(k); pe != nil {
		return pe
	}
	if versions := s.supportedVersions(); !k8sSupported(versions, k.KubernetesVersion) {
		return badRequest("Kubernetes version %s of the AKS cluster '%s' is not supported by Azure Machine Learning. Supported versions: %s. Upgrade the cluster (az aks upgrade) and attach again.",
			k.KubernetesVersion, k.Name, strings.Join(versions, ", "))
	}
	purpose := c.req.ClusterPurpose
	if purpose == "FastProd" || purpose == "DenseProd" {
		if nodes, cpus := aksCapacity(k); nodes < 3 || cpus < 12 {
			return badRequest("A cluster for purpose %s needs at least 3 nodes and 12 vCPUs in all; the AKS cluster '%s' has %d nodes with %d vCPUs. Use the cluster purpose DevTest for a smaller cluster, or add nodes.",
				purpose, k.Name, nodes, cpus)
		}
	}
	if ssl := c.req.SSLConfiguration; ssl != nil {
		switch {
		case ssl.Status == "Enabled" && (ssl.Cert == "" || ssl.Key == "" || ssl.Cname == ""):
			var missing []string
			for _, f := range []struct{ name, v string }{{"cert", ssl.Cert}, {"key", ssl.Key}, {"cname", ssl.Cname}} {
				if f.v == "" {
					missing = append(missing, f.name)
				}
			}
			return badRequest("sslConfiguration status Enabled needs cert, key and cname; missing: %s.", strings.Join(missing, ", "))
		case ssl.Status == "Auto" && ssl.LeafDomainLabel == "":
			return badRequest("sslConfiguration status Auto needs leafDomainLabel (the certificate is issued for <label>.<region>.cloudapp.azure.com).")
		}
	}
	return nil
}

// aksState fails an AKS cluster that is not provisioned or not running.
func aksState(k *AKSCluster) *ProvisioningError {
	switch {
	case k.ProvisioningState != "Succeeded":
		return badRequest("The AKS cluster '%s' is in provisioning state '%s'; only a cluster whose provisioning Succeeded can be attached.", k.Name, k.ProvisioningState)
	case k.PowerState != "Running":
		return badRequest("The AKS cluster '%s' is %s. Start it (az aks start) and attach again.", k.Name, k.PowerState)
	}
	return nil
}

func (s *Server) kubernetesOutcome(c *computeState) *ProvisioningError {
	var name string
	var exts []Extension
	if _, _, k := s.findAKS(c.resourceID); k != nil {
		if pe := aksState(k); pe != nil {
			return pe
		}
		name, exts = k.Name, k.Extensions
	} else if a := s.findArc(c.resourceID); a != nil {
		if a.ConnectivityStatus != "Connected" {
			return badRequest("The Azure Arc-enabled Kubernetes cluster '%s' is %s: its agents have not reported to Azure. Reconnect the cluster, then attach again.", a.Name, a.ConnectivityStatus)
		}
		if a.ProvisioningState != "Succeeded" {
			return badRequest("The Azure Arc-enabled Kubernetes cluster '%s' is in provisioning state '%s'.", a.Name, a.ProvisioningState)
		}
		name, exts = a.Name, a.Extensions
	} else {
		return badRequest("Could not find the Kubernetes cluster '%s'. Check that the resource ID is right and that the cluster exists.", c.resourceID)
	}
	var found *Extension
	for i := range exts {
		if strings.EqualFold(exts[i].ExtensionType, azureMLExtension) {
			found = &exts[i]
		}
	}
	switch {
	case found == nil:
		return badRequest("The Azure Machine Learning extension (%s) is not installed on the cluster '%s'. Install it (az k8s-extension create --extension-type Microsoft.AzureML.Kubernetes) and attach again.", azureMLExtension, name)
	case found.ProvisioningState != "Succeeded":
		return badRequest("The Azure Machine Learning extension '%s' on the cluster '%s' is in provisioning state '%s'; it must be Succeeded.", found.Name, name, found.ProvisioningState)
	}
	return nil
}

// typeSecrets adds to a listKeys answer the secrets of the types other
// than VirtualMachine and HDInsight.
func (s *Server) typeSecrets(c *computeState, body map[string]any) {
	switch c.typ {
	case "Databricks":
		if c.token != "" {
			body["databricksAccessToken"] = c.token
		}
	case "AKS":
		server := "https://" + c.name + ".sandbox.invalid:443"
		if p, ok := c.props["clusterFqdn"].(string); ok {
			server = "https://" + p + ":443"
		}
		body["userKubeConfig"] = kubeConfig(c.name, server, "clusterUser")
		body["adminKubeConfig"] = kubeConfig(c.name, server, "clusterAdmin")
		body["imagePullSecretName"] = ""
	}
}

// kubeConfig is a placeholder kubeconfig: the shape of the real one, with
// credentials that open nothing.
func kubeConfig(cluster, server, user string) string {
	placeholder := base64.StdEncoding.EncodeToString([]byte("sandbox placeholder, not a certificate"))
	u := user + "_" + cluster
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: %s
contexts:
- context:
    cluster: %s
    user: %s
  name: %s
current-context: %s
users:
- name: %s
  user:
    token: sandbox-placeholder-token
`, placeholder, server, cluster, cluster, u, cluster, cluster, u)
}
