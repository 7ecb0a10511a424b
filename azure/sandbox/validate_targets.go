package sandbox

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// validateTargets checks the resources of targets.go and fills their
// defaults. HDInsight cluster names must be unique in the whole world, as
// their SSH host names are; the other names per resource group and kind.
func (d *decoder) validateTargets(w *World) {
	if w.KubernetesVersions != nil && len(w.KubernetesVersions) == 0 {
		d.errorf(0, "kubernetesVersions: give at least one version, or leave the key out for the default list")
	}
	seenVersions := map[string]bool{}
	for _, v := range w.KubernetesVersions {
		if seenVersions[v] {
			d.errorf(0, "kubernetesVersions: %q is listed twice", v)
		}
		seenVersions[v] = true
	}
	if len(w.KubernetesVersions) == 0 {
		w.KubernetesVersions = append([]string(nil), DefaultKubernetesVersions...)
	}
	defVersion := defaultK8sVersion(w.KubernetesVersions)
	hdiNames := map[string]hdiSeen{}
	for si := range w.Subscriptions {
		s := &w.Subscriptions[si]
		for gi := range s.ResourceGroups {
			g := &s.ResourceGroups[gi]
			d.validateTargetGroup(g, hdiNames, defVersion)
		}
	}
}

// dupNames reports names used twice in one list.
type dupNames struct {
	d     *decoder
	what  string // "HDInsight cluster"
	scope string // "resource group rg"
	seen  map[string]int
}

func (d *decoder) names(what, scope string) *dupNames {
	return &dupNames{d: d, what: what, scope: scope, seen: map[string]int{}}
}

func (n *dupNames) add(name string, line int) {
	k := strings.ToLower(name)
	if l, dup := n.seen[k]; dup {
		n.d.errorf(line, "duplicate %s %q in %s (first at line %d)", n.what, name, n.scope, l)
		return
	}
	n.seen[k] = line
}

// hdiSeen is where an HDInsight cluster name was first used.
type hdiSeen struct {
	g    *ResourceGroup
	line int
}

func (d *decoder) validateTargetGroup(g *ResourceGroup, hdiNames map[string]hdiSeen, defVersion string) {
	scope := "resource group " + g.Name
	loc := func(l *string) {
		if *l == "" {
			*l = g.Location
		}
	}

	hdi := d.names("HDInsight cluster", scope)
	for i := range g.HDInsightClusters {
		c := &g.HDInsightClusters[i]
		hdi.add(c.Name, c.Line)
		if first, dup := hdiNames[strings.ToLower(c.Name)]; dup && first.g != g {
			d.errorf(c.Line, "HDInsight cluster %q: the name is already used at line %d; cluster names are global, like their host names (%s-ssh.azurehdinsight.net)", c.Name, first.line, strings.ToLower(c.Name))
		} else if !dup {
			hdiNames[strings.ToLower(c.Name)] = hdiSeen{g: g, line: c.Line}
		}
		loc(&c.Location)
		owner := fmt.Sprintf("HDInsight cluster %q", c.Name)
		if c.SSH.Address != "" && c.SSH.Sim != nil {
			d.errorf(c.SSH.Line, "%s: ssh has both address and sim; give one", owner)
		}
		d.validateSim(owner, c.SSH.Sim)
	}

	batch := d.names("Batch account", scope)
	for i := range g.BatchAccounts {
		a := &g.BatchAccounts[i]
		batch.add(a.Name, a.Line)
		loc(&a.Location)
	}

	dbx := d.names("Databricks workspace", scope)
	for i := range g.DatabricksWorkspaces {
		ws := &g.DatabricksWorkspaces[i]
		dbx.add(ws.Name, ws.Line)
		loc(&ws.Location)
		// Tokens are secrets: messages name their position, never their text.
		valid := map[string]int{}
		for j, t := range ws.Tokens {
			if strings.TrimSpace(t) == "" {
				d.errorf(ws.Line, "Databricks workspace %q: tokens[%d] is empty", ws.Name, j)
			}
			valid[t] = j
		}
		for j, t := range ws.ExpiredTokens {
			if strings.TrimSpace(t) == "" {
				d.errorf(ws.Line, "Databricks workspace %q: expiredTokens[%d] is empty", ws.Name, j)
			}
			if k, both := valid[t]; both {
				d.errorf(ws.Line, "Databricks workspace %q: expiredTokens[%d] is also tokens[%d]; a token either works or is expired", ws.Name, j, k)
			}
		}
	}

	adla := d.names("Data Lake Analytics account", scope)
	for i := range g.DataLakeAnalyticsAccounts {
		a := &g.DataLakeAnalyticsAccounts[i]
		adla.add(a.Name, a.Line)
		loc(&a.Location)
	}

	aks := d.names("AKS cluster", scope)
	for i := range g.AKSClusters {
		c := &g.AKSClusters[i]
		aks.add(c.Name, c.Line)
		loc(&c.Location)
		if c.KubernetesVersion == "" {
			c.KubernetesVersion = defVersion
		}
		owner := fmt.Sprintf("AKS cluster %q", c.Name)
		if c.AgentPools == nil {
			c.AgentPools = []AgentPool{{Name: "nodepool1", Count: 3, VMSize: "Standard_D4s_v3", Mode: "System", Line: c.Line}}
		}
		pools := d.names("agent pool", owner)
		system := false
		for j := range c.AgentPools {
			p := &c.AgentPools[j]
			pools.add(p.Name, p.Line)
			if p.Mode == "" {
				p.Mode = "User"
				if j == 0 {
					p.Mode = "System"
				}
			}
			system = system || p.Mode == "System"
		}
		if !system {
			d.errorf(c.Line, "%s: needs at least one agent pool with mode: System", owner)
		}
		d.validateExtensions(owner, c.Extensions)
	}

	arc := d.names("connected cluster", scope)
	for i := range g.ConnectedClusters {
		c := &g.ConnectedClusters[i]
		arc.add(c.Name, c.Line)
		loc(&c.Location)
		if c.KubernetesVersion == "" {
			c.KubernetesVersion = defVersion
		}
		d.validateExtensions(fmt.Sprintf("connected cluster %q", c.Name), c.Extensions)
	}

	syn := d.names("Synapse workspace", scope)
	for i := range g.SynapseWorkspaces {
		ws := &g.SynapseWorkspaces[i]
		syn.add(ws.Name, ws.Line)
		loc(&ws.Location)
		pools := d.names("Spark pool", fmt.Sprintf("Synapse workspace %q", ws.Name))
		for _, p := range ws.SparkPools {
			pools.add(p.Name, p.Line)
		}
	}
}

func (d *decoder) validateExtensions(owner string, exts []Extension) {
	n := d.names("extension", owner)
	for _, e := range exts {
		n.add(e.Name, e.Line)
	}
}

// k8sVersion is a parsed "major.minor[.patch]".
type k8sVersion struct {
	major, minor, patch int
	hasPatch            bool
}

func parseK8sVersion(s string) (k8sVersion, bool) {
	if !k8sVersionRE.MatchString(s) {
		return k8sVersion{}, false
	}
	f := strings.Split(s, ".")
	var v k8sVersion
	v.major, _ = strconv.Atoi(f[0])
	v.minor, _ = strconv.Atoi(f[1])
	if len(f) == 3 {
		v.patch, _ = strconv.Atoi(f[2])
		v.hasPatch = true
	}
	return v, true
}

func (v k8sVersion) minorString() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v k8sVersion) less(o k8sVersion) bool {
	if v.major != o.major {
		return v.major < o.major
	}
	if v.minor != o.minor {
		return v.minor < o.minor
	}
	return v.patch < o.patch
}

// sortedVersions parses and sorts versions, oldest first.
func sortedVersions(list []string) []k8sVersion {
	var out []k8sVersion
	for _, s := range list {
		if v, ok := parseK8sVersion(s); ok {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].less(out[j]) })
	return out
}

// defaultMinor is the minor version AKS uses by default: the newest but
// one, as AKS defaults to a version below the newest.
func defaultMinor(list []string) string {
	vs := sortedVersions(list)
	var minors []string
	for _, v := range vs {
		if m := v.minorString(); len(minors) == 0 || minors[len(minors)-1] != m {
			minors = append(minors, m)
		}
	}
	switch len(minors) {
	case 0:
		return ""
	case 1:
		return minors[0]
	}
	return minors[len(minors)-2]
}

// defaultK8sVersion is the newest patch of the default minor version.
func defaultK8sVersion(list []string) string {
	m := defaultMinor(list)
	best := ""
	for _, v := range sortedVersions(list) {
		if v.minorString() == m {
			best = fmt.Sprintf("%s.%d", m, v.patch)
		}
	}
	return best
}

// k8sSupported says whether version is in list: listed exactly, or its
// minor version is listed without a patch.
func k8sSupported(list []string, version string) bool {
	v, ok := parseK8sVersion(version)
	if !ok {
		return false
	}
	for _, s := range list {
		l, ok := parseK8sVersion(s)
		if !ok || l.major != v.major || l.minor != v.minor {
			continue
		}
		if !l.hasPatch || (v.hasPatch && l.patch == v.patch) {
			return true
		}
	}
	return false
}
