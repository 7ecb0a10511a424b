package azure

import (
	"errors"
	"testing"
)

func TestParseResourceID(t *testing.T) {
	id, err := ParseResourceIDOf("/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/ml-rg/providers/microsoft.compute/virtualmachines/dsvm1", "Microsoft.Compute/virtualMachines")
	if err != nil {
		t.Fatal(err)
	}
	if got := id.String(); got != "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm1" {
		t.Fatalf("not normalised: %s", got)
	}
	bad := map[string]string{
		"":      "shape",
		"dsvm1": "shape",
		"/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm":                              "subscription",
		"/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Compute/virtualMachines/vm":                      "resource group",
		"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines":       "name",
		"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic": "provider",
		"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/disks/d":               "type",
	}
	for in, part := range bad {
		_, err := ParseResourceIDOf(in, "Microsoft.Compute/virtualMachines")
		var ie *IDError
		if !errors.As(err, &ie) || ie.Part != part {
			t.Errorf("%q: got %v, want an error about the %s", in, err, part)
		}
	}
	if !SameResource("/subscriptions/A/resourceGroups/B/x", "/SUBSCRIPTIONS/a/resourcegroups/b/X/") {
		t.Error("SameResource must ignore case and a trailing slash")
	}
}

func TestResourceKeyMatchesSameResource(t *testing.T) {
	for _, p := range [][2]string{
		{"/subscriptions/A/resourceGroups/B/x", "/SUBSCRIPTIONS/a/resourcegroups/b/X/"},
		{"/subscriptions/a/resourceGroups/rg/x/vm1", "/subscriptions/a/resourceGroups/rg/x/vm2"},
		{"/x/kelvin-\u212a", "/x/KELVIN-k"},
		{"/x/\u017fs", "/x/SS"},
		{"/x/\xff", "/x/\ufffd"},
		{"/x/", "/x//"},
	} {
		if same, keys := SameResource(p[0], p[1]), ResourceKey(p[0]) == ResourceKey(p[1]); same != keys {
			t.Errorf("%q and %q: SameResource %v, same ResourceKey %v", p[0], p[1], same, keys)
		}
	}
}

func FuzzResourceKey(f *testing.F) {
	f.Add("/subscriptions/A/resourceGroups/B/x", "/SUBSCRIPTIONS/a/resourcegroups/b/X/")
	f.Add("/x/kelvin-\u212a", "/x/KELVIN-k")
	f.Add("\xff", "\ufffd")
	f.Fuzz(func(t *testing.T, a, b string) {
		if same, keys := SameResource(a, b), ResourceKey(a) == ResourceKey(b); same != keys {
			t.Fatalf("%q and %q: SameResource %v, same ResourceKey %v", a, b, same, keys)
		}
	})
}
