package azure

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ResourceID is a parsed ARM resource ID of a top-level resource, or of a
// child resource one level down (a subnet, a compute in a workspace).
type ResourceID struct {
	SubscriptionID string
	ResourceGroup  string
	Provider       string // e.g. Microsoft.Compute, with canonical casing when known
	Type           string // e.g. virtualMachines
	Name           string
	ChildType      string // e.g. subnets; empty for top-level resources
	ChildName      string
}

// String renders the ID with canonical casing.
func (r ResourceID) String() string {
	s := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s",
		r.SubscriptionID, r.ResourceGroup, r.Provider, r.Type, r.Name)
	if r.ChildType != "" {
		s += "/" + r.ChildType + "/" + r.ChildName
	}
	return s
}

// Kind is "Provider/Type", for example "Microsoft.Compute/virtualMachines".
func (r ResourceID) Kind() string { return r.Provider + "/" + r.Type }

// IDError says which part of a resource ID is wrong and how it should look.
type IDError struct {
	Input string
	Part  string // "subscription", "resource group", "provider", "type", "name", "shape"
	Msg   string
}

func (e *IDError) Error() string {
	return fmt.Sprintf("resource ID %q: %s: %s", e.Input, e.Part, e.Msg)
}

var (
	guidRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	rgRE    = regexp.MustCompile(`^[-\w._()]{1,90}$`)
	canonic = map[string]string{}
)

func init() {
	for _, k := range []string{
		"Microsoft.Compute/virtualMachines",
		"Microsoft.Network/networkInterfaces",
		"Microsoft.Network/publicIPAddresses",
		"Microsoft.Network/networkSecurityGroups",
		"Microsoft.Network/virtualNetworks",
		"Microsoft.MachineLearningServices/workspaces",
		"Microsoft.HDInsight/clusters",
		"Microsoft.Batch/batchAccounts",
		"Microsoft.Databricks/workspaces",
		"Microsoft.DataLakeAnalytics/accounts",
		"Microsoft.ContainerService/managedClusters",
		"Microsoft.Kubernetes/connectedClusters",
		"Microsoft.Synapse/workspaces",
		"Microsoft.KubernetesConfiguration/extensions",
	} {
		canonic[strings.ToLower(k)] = k
	}
}

// ParseResourceID parses an ARM resource ID. Segment names are matched
// case-insensitively, as ARM does, and rendered back in canonical casing.
func ParseResourceID(s string) (ResourceID, error) {
	in := strings.TrimSpace(s)
	bad := func(part, msg string) (ResourceID, error) {
		return ResourceID{}, &IDError{Input: s, Part: part, Msg: msg}
	}
	const shape = "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>"
	if in == "" {
		return bad("shape", "it is empty; expected "+shape)
	}
	if !strings.HasPrefix(in, "/") {
		return bad("shape", "it must start with /subscriptions/; expected "+shape+" (copy it from the resource's Properties page or `az vm show --query id -o tsv`)")
	}
	parts := strings.Split(strings.TrimSuffix(in[1:], "/"), "/")
	for i, p := range parts {
		if p == "" {
			return bad("shape", fmt.Sprintf("segment %d is empty (a doubled '/'?)", i+1))
		}
	}
	if !strings.EqualFold(parts[0], "subscriptions") {
		return bad("shape", fmt.Sprintf("it starts with %q, not \"subscriptions\"; expected %s", parts[0], shape))
	}
	if len(parts) < 2 {
		return bad("subscription", "the subscription ID is missing")
	}
	var r ResourceID
	r.SubscriptionID = parts[1]
	if !guidRE.MatchString(r.SubscriptionID) {
		return bad("subscription", fmt.Sprintf("%q is not a subscription ID (a GUID like 00000000-0000-0000-0000-000000000000)", r.SubscriptionID))
	}
	if len(parts) < 4 || !strings.EqualFold(parts[2], "resourceGroups") {
		return bad("resource group", "expected /resourceGroups/<group> after the subscription")
	}
	r.ResourceGroup = parts[3]
	if !rgRE.MatchString(r.ResourceGroup) || strings.HasSuffix(r.ResourceGroup, ".") {
		return bad("resource group", fmt.Sprintf("%q is not a valid resource group name", r.ResourceGroup))
	}
	if len(parts) < 5 || !strings.EqualFold(parts[4], "providers") {
		return bad("provider", "expected /providers/<Namespace>/<type>/<name> after the resource group")
	}
	if len(parts) < 7 {
		return bad("type", "expected /providers/<Namespace>/<type>/<name>; the type or the namespace is missing")
	}
	if len(parts) < 8 {
		return bad("name", "the resource name is missing after "+parts[5]+"/"+parts[6])
	}
	if len(parts) != 8 && len(parts) != 10 {
		return bad("shape", fmt.Sprintf("it has %d segments; expected %s", len(parts), shape))
	}
	kind := parts[5] + "/" + parts[6]
	if c, ok := canonic[lowerASCII(kind)]; ok {
		kind = c
	}
	r.Provider, r.Type, _ = strings.Cut(kind, "/")
	r.Name = parts[7]
	if len(parts) == 10 {
		r.ChildType, r.ChildName = parts[8], parts[9]
	}
	return r, nil
}

// ParseResourceIDOf parses s and checks it names a resource of one of the
// given kinds: "Microsoft.Compute/virtualMachines" for a top-level resource,
// "Microsoft.Synapse/workspaces/bigDataPools" for a child resource.
func ParseResourceIDOf(s string, kinds ...string) (ResourceID, error) {
	r, err := ParseResourceID(s)
	if err != nil {
		return r, err
	}
	got := r.Kind()
	if r.ChildType != "" {
		got += "/" + r.ChildType
	}
	for _, k := range kinds {
		if lowerASCII(got) == lowerASCII(k) {
			if r.ChildType != "" {
				if i := strings.LastIndex(k, "/"); i >= 0 {
					r.ChildType = k[i+1:]
				}
			}
			return r, nil
		}
	}
	part := "provider"
	for _, k := range kinds {
		ns, _, _ := strings.Cut(k, "/")
		if strings.EqualFold(r.Provider, ns) {
			part = "type"
		}
	}
	want := strings.Join(kinds, " or a ")
	return r, &IDError{Input: s, Part: part, Msg: fmt.Sprintf("it names a %s, but this target needs a %s", got, want)}
}

// lowerASCII lowers A-Z only. Namespaces and types are ASCII: Unicode case
// folding would take "Microſoft.Compute" (a long s) or a Kelvin sign K for
// another spelling of a known kind.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// SameResource compares two resource IDs the way ARM does: case-insensitively.
func SameResource(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}

// ResourceKey is a map key for a resource ID: two IDs have the same key
// exactly when SameResource says they are the same, so a long list can be
// matched against others with one lookup per item instead of a comparison
// with every other.
func ResourceKey(id string) string {
	return strings.Map(foldRune, strings.TrimSuffix(id, "/"))
}

// foldRune is the smallest rune of r's case-folding orbit (the runes
// strings.EqualFold treats as equal to r): 'A' for 'a', 'K' for the Kelvin sign.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}
