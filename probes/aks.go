package probes

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"amlattach/azure"
)

// AKSRunning checks that the AKS cluster is started and its last operation
// succeeded.
func AKSRunning(a azure.AKSCluster) Result {
	g, n := groupAndName(a.ID, a.Name)
	power, prov := strings.TrimSpace(a.PowerState), strings.TrimSpace(a.ProvisioningState)
	show := fmt.Sprintf("az aks show -g %s -n %s --query \"{power:powerState.code, provisioning:provisioningState}\"", g, n)
	switch {
	case strings.EqualFold(power, "Stopped"):
		return failf(FieldNone, fmt.Sprintf("start it: az aks start -g %s -n %s", g, n),
			"%s is Stopped: Azure ML can only attach a running cluster", n)
	case strings.EqualFold(prov, "Failed"):
		return failf(FieldNone, fmt.Sprintf("bring the cluster back to its goal state: az aks update -g %s -n %s (with no other arguments); then look again: %s", g, n, show),
			"the last operation on %s failed (provisioning Failed, power %s)", n, orDash(power))
	case strings.EqualFold(power, "Running") && strings.EqualFold(prov, "Succeeded"):
		return passf("%s is Running (provisioning Succeeded, Kubernetes %s)", n, orDash(a.KubernetesVersion))
	case power == "":
		return warnf("look at the cluster with: "+show, "Azure reports no power state for %s (provisioning %s)", n, orDash(prov))
	case aksBusy(prov):
		return warnf("wait for the operation to finish, then run the preflight again: "+show,
			"%s is %s (power %s)", n, prov, power)
	}
	return failf(FieldNone, "look at the cluster with: "+show,
		"%s has power state %s and provisioning state %s: Azure ML needs Running and Succeeded", n, power, orDash(prov))
}

func aksBusy(prov string) bool {
	switch strings.ToLower(prov) {
	case "creating", "updating", "upgrading", "scaling", "starting", "migrating":
		return true
	}
	return false
}

// k8sVersion is a parsed Kubernetes version: major.minor[.patch].
type k8sVersion struct {
	major, minor, patch int
	hasPatch            bool
}

func parseK8sVersion(s string) (k8sVersion, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return k8sVersion{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return k8sVersion{}, false
		}
		n[i] = v
	}
	return k8sVersion{n[0], n[1], n[2], len(parts) == 3}, true
}

func (v k8sVersion) minorString() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v k8sVersion) String() string {
	if v.hasPatch {
		return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	}
	return v.minorString()
}

func (v k8sVersion) less(w k8sVersion) bool {
	if v.major != w.major {
		return v.major < w.major
	}
	if v.minor != w.minor {
		return v.minor < w.minor
	}
	return v.patch < w.patch
}

// AKSVersion checks the cluster's Kubernetes version against the versions
// AKS supports in its region (supported holds minors and patches); Azure ML
// refuses to attach an unsupported version. err is the listing's failure.
func AKSVersion(a azure.AKSCluster, supported []string, err error) Result {
	g, n := groupAndName(a.ID, a.Name)
	loc := orPlaceholder(a.Location, "<region>")
	list := fmt.Sprintf("az aks get-versions -l %s -o table", loc)
	if err != nil {
		return warnf("compare yourself: "+list, "could not list the Kubernetes versions AKS supports in %s, so version %s was not checked: %v", loc, orDash(a.KubernetesVersion), err)
	}
	cur, ok := parseK8sVersion(a.KubernetesVersion)
	if !ok {
		return warnf("compare the cluster's version (az aks show -g "+g+" -n "+n+" --query currentKubernetesVersion) with: "+list,
			"cannot read the cluster's Kubernetes version %q", a.KubernetesVersion)
	}
	var vs []k8sVersion
	for _, s := range supported {
		if v, ok := parseK8sVersion(s); ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return warnf("compare yourself: "+list, "Azure listed no Kubernetes versions for %s, so version %s was not checked", loc, cur)
	}
	for _, v := range vs {
		if v.major == cur.major && v.minor == cur.minor {
			return passf("Kubernetes %s is supported by AKS in %s (minor %s)", a.KubernetesVersion, loc, cur.minorString())
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].less(vs[j]) })
	var minors []string
	seen := map[string]bool{}
	for _, v := range vs {
		if m := v.minorString(); !seen[m] {
			seen[m] = true
			minors = append(minors, m)
		}
	}
	detail := fmt.Sprintf("Kubernetes %s is not supported by AKS in %s (supported minors: %s): Azure ML refuses to attach it", a.KubernetesVersion, loc, strings.Join(minors, ", "))
	// The next supported minor above the cluster's, at its newest listed
	// patch (vs is sorted, so the last match wins).
	var target *k8sVersion
	for i := range vs {
		v := vs[i]
		above := v.major > cur.major || v.major == cur.major && v.minor > cur.minor
		if !above || target != nil && v.minorString() != target.minorString() {
			continue
		}
		if target == nil || v.hasPatch {
			target = &vs[i]
		}
	}
	upgrades := fmt.Sprintf("az aks get-upgrades -g %s -n %s -o table", g, n)
	if target == nil {
		return failf(FieldResourceID, "AKS cannot downgrade a cluster: attach a cluster on a supported version (see "+list+")", "%s; it is newer than every supported version", detail)
	}
	return failf(FieldResourceID, fmt.Sprintf("upgrade the cluster one minor version at a time (%s lists the steps), e.g. az aks upgrade -g %s -n %s --kubernetes-version %s", upgrades, g, n, target),
		"%s", detail)
}

// sizeRE splits an Azure VM size name: family letters, vCPU count, an
// optional constrained vCPU count, feature letters, then the accelerator
// and version parts.
var sizeRE = regexp.MustCompile(`(?i)^(?:standard|basic)_([a-z]+)(\d+)(?:-(\d+))?([a-z]*)((?:_[a-z0-9]+)*)$`)

// Older series whose size number is not the vCPU count.
var (
	aV1Sizes = map[int]int{0: 1, 1: 1, 2: 2, 3: 4, 4: 8, 5: 2, 6: 4, 7: 8, 8: 8, 9: 16, 10: 8, 11: 16}
	dV1Sizes = map[int]int{1: 1, 2: 2, 3: 4, 4: 8, 5: 16, 11: 2, 12: 4, 13: 8, 14: 16, 15: 20}
	gSizes   = map[int]int{1: 2, 2: 4, 3: 8, 4: 16, 5: 32}
)

// VCPUs tells the vCPU count of an Azure VM size from its name, e.g.
// Standard_D4s_v3 → 4, Standard_DS2_v2 → 2. A constrained-vCPU size
// (Standard_E4-2ds_v4) counts its active vCPUs (2). ok is false when the
// name does not tell.
func VCPUs(vmSize string) (int, bool) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(vmSize))
	if m == nil {
		return 0, false
	}
	family := strings.ToUpper(m[1])
	num, err := strconv.Atoi(m[2])
	if err != nil {
		return 0, false
	}
	if m[3] != "" {
		c, err := strconv.Atoi(m[3])
		if err != nil || c == 0 {
			return 0, false
		}
		return c, true
	}
	version := ""
	for _, p := range strings.Split(strings.ToLower(m[5]), "_") {
		if len(p) > 1 && p[0] == 'v' {
			if _, err := strconv.Atoi(p[1:]); err == nil {
				version = p
			}
		}
	}
	var table map[int]int
	switch {
	case family == "A" && version == "":
		table = aV1Sizes
	case (family == "D" || family == "DS") && (version == "" || version == "v2"):
		table = dV1Sizes
	case family == "G" || family == "GS":
		table = gSizes
	}
	if table != nil {
		v, ok := table[num]
		return v, ok
	}
	if num <= 0 {
		return 0, false
	}
	return num, true
}

// AKSCapacity checks the node pools against what the cluster purpose needs:
// production (FastProd, DenseProd) at least 3 nodes and 12 vCPUs in all;
// DevTest at least 1 node.
func AKSCapacity(a azure.AKSCluster, purpose string) Result {
	g, n := groupAndName(a.ID, a.Name)
	p := strings.TrimSpace(purpose)
	defaulted := ""
	if p == "" {
		p, defaulted = "FastProd", " (the default purpose)"
	}
	var prod bool
	switch strings.ToLower(p) {
	case "fastprod", "denseprod":
		prod = true
	case "devtest":
	default:
		return failf(FieldNone, "use --cluster-purpose FastProd, DenseProd or DevTest", "%q is not a cluster purpose", purpose)
	}
	nodes, vcpus := 0, 0
	var pools, unknown []string
	for _, pool := range a.Pools {
		nodes += pool.Count
		c, ok := VCPUs(pool.VMSize)
		if !ok {
			if pool.Count > 0 {
				unknown = append(unknown, pool.VMSize)
			}
			pools = append(pools, fmt.Sprintf("%s: %d × %s", pool.Name, pool.Count, orDash(pool.VMSize)))
			continue
		}
		vcpus += pool.Count * c
		pools = append(pools, fmt.Sprintf("%s: %d × %s = %d vCPUs", pool.Name, pool.Count, pool.VMSize, pool.Count*c))
	}
	found := fmt.Sprintf("%s with %d vCPUs", nodesWord(nodes), vcpus)
	if len(unknown) > 0 {
		found = fmt.Sprintf("%s with at least %d vCPUs (cannot tell the vCPUs of %s)", nodesWord(nodes), vcpus, strings.Join(unknown, ", "))
	}
	if len(pools) > 0 {
		found += " [" + strings.Join(pools, "; ") + "]"
	} else {
		found += " (no node pools)"
	}
	const minNodes, minVCPUs = 3, 12
	if !prod {
		if nodes >= 1 {
			return passf("DevTest needs at least 1 node; found %s", found)
		}
		return failf(FieldNone, aksScaleRemedy(a, g, n, 1, 0, 0), "DevTest needs at least 1 node; found %s", found)
	}
	need := fmt.Sprintf("%s%s needs at least %d nodes and %d vCPUs across all node pools", p, defaulted, minNodes, minVCPUs)
	if nodes >= minNodes && vcpus >= minVCPUs {
		return passf("%s; found %s", need, found)
	}
	if nodes >= minNodes && len(unknown) > 0 {
		return warnf("check the sizes' vCPUs (az vm list-sizes -l "+orPlaceholder(a.Location, "<region>")+" -o table); if the total is under 12, "+aksScaleRemedy(a, g, n, minNodes, minVCPUs, vcpus),
			"%s; found %s", need, found)
	}
	return failf(FieldNone, aksScaleRemedy(a, g, n, minNodes, minVCPUs, vcpus)+", or attach with --cluster-purpose DevTest (at least 1 node)",
		"%s; found %s", need, found)
}

// aksScaleRemedy proposes a node count for one pool that meets minNodes and
// minVCPUs, given the vCPUs counted so far.
func aksScaleRemedy(a azure.AKSCluster, g, n string, minNodes, minVCPUs, vcpus int) string {
	nodes := 0
	for _, p := range a.Pools {
		nodes += p.Count
	}
	if len(a.Pools) == 0 {
		return fmt.Sprintf("add a node pool: az aks nodepool add -g %s --cluster-name %s -n pool1 --node-count %d", g, n, max(minNodes, 1))
	}
	// Scale the pool with the largest known size (the first one otherwise).
	best, per := a.Pools[0], 0
	for _, p := range a.Pools {
		if c, ok := VCPUs(p.VMSize); ok && c > per {
			best, per = p, c
		}
	}
	count := best.Count + max(0, minNodes-nodes)
	if per > 0 && vcpus < minVCPUs {
		count = max(count, best.Count+(minVCPUs-vcpus+per-1)/per)
	}
	return fmt.Sprintf("scale node pool %s to %d nodes: az aks nodepool scale -g %s --cluster-name %s -n %s --node-count %d (if the pool autoscales, raise its minimum instead: az aks nodepool update -g %s --cluster-name %s -n %s --update-cluster-autoscaler --min-count %d --max-count <max>)",
		best.Name, count, g, n, best.Name, count, g, n, best.Name, count)
}

func nodesWord(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}
