package azure

import (
	"errors"
	"strings"
	"testing"
)

// asciiLower lowers A-Z only: ARM's namespaces and types are ASCII, so two
// kinds are the same exactly when they match byte for byte up to ASCII case.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// rawKind is the kind as written in the input: Namespace/type, plus
// /childType for a child resource. It is only called on inputs that parsed.
func rawKind(s string) string {
	parts := strings.Split(strings.TrimSuffix(strings.TrimSpace(s)[1:], "/"), "/")
	k := parts[5] + "/" + parts[6]
	if len(parts) == 10 {
		k += "/" + parts[8]
	}
	return k
}

// sameASCII says whether the input and a rendered ID name the same resource:
// equal up to ASCII case, surrounding space and a trailing slash.
func sameASCII(in, rendered string) bool {
	return asciiLower(strings.TrimSuffix(strings.TrimSpace(in), "/")) == asciiLower(rendered)
}

func checkIDError(t *testing.T, in string, err error) {
	t.Helper()
	var ie *IDError
	if !errors.As(err, &ie) {
		t.Fatalf("ParseResourceID(%q): error %T %v is not an *IDError", in, err, err)
	}
	if ie.Part == "" || ie.Msg == "" {
		t.Fatalf("ParseResourceID(%q): IDError without a part or message: %#v", in, ie)
	}
	if ie.Input != in {
		t.Fatalf("ParseResourceID(%q): IDError.Input is %q", in, ie.Input)
	}
}

func FuzzParseResourceID(f *testing.F) {
	const sub = "00000000-0000-0000-0000-000000000001"
	for _, s := range []string{
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
		"/SUBSCRIPTIONS/" + sub + "/RESOURCEGROUPS/rg/PROVIDERS/microsoft.compute/VIRTUALMACHINES/vm1/",
		"  /subscriptions/" + sub + "/resourceGroups/my.rg(1)/providers/Microsoft.Synapse/workspaces/syn/bigDataPools/pool  ",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/arc",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines",
		"/subscriptions/" + sub + "/resourceGroups/rg.",
		"/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
		"/subscriptions/" + sub + "//resourceGroups/rg",
		"subscriptions/" + sub,
		"/",
		"",
	} {
		f.Add(s, "Microsoft.Compute/virtualMachines")
		f.Add(s, "Microsoft.Synapse/workspaces/bigDataPools")
	}
	f.Fuzz(func(t *testing.T, in, want string) {
		r, err := ParseResourceID(in)
		if err != nil {
			checkIDError(t, in, err)
		} else {
			// Round trip: the rendered ID parses to the same value, and
			// renders the same again.
			s := r.String()
			r2, err := ParseResourceID(s)
			if err != nil {
				t.Fatalf("ParseResourceID(%q) = %+v, but its String() %q does not parse: %v", in, r, s, err)
			}
			if r2 != r {
				t.Fatalf("round trip of %q: %+v, then %+v from %q", in, r, r2, s)
			}
			if !sameASCII(in, s) {
				t.Fatalf("ParseResourceID(%q).String() = %q names another resource", in, s)
			}
		}

		// ParseResourceIDOf accepts only the kinds asked for, compared
		// the way ARM compares them: ignoring ASCII case, nothing more.
		for _, kinds := range [][]string{{want}, {"Microsoft.Compute/virtualMachines", want}} {
			r, err := ParseResourceIDOf(in, kinds...)
			if err != nil {
				checkIDError(t, in, err)
				continue
			}
			got := rawKind(in)
			ok := false
			for _, k := range kinds {
				if asciiLower(got) == asciiLower(k) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("ParseResourceIDOf(%q, %q) accepted kind %q", in, kinds, got)
			}
			if s := r.String(); !sameASCII(in, s) {
				t.Fatalf("ParseResourceIDOf(%q, %q) = %q, another resource", in, kinds, s)
			}
		}
	})
}
