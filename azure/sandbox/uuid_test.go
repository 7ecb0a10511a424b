package sandbox

import (
	"testing"

	"github.com/google/uuid"
)

// IDs derived from names are name-based UUIDs: the same for the same name in
// any case, different for different names; fresh ones are random.
func TestStableAndRandomUUIDs(t *testing.T) {
	a, err := uuid.Parse(stableUUID("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"))
	if err != nil || a.Version() != 5 || a.Variant() != uuid.RFC4122 {
		t.Fatalf("want a version-5 UUID, got %v (version %d) %v", a, a.Version(), err)
	}
	if stableUUID("/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1") != a.String() {
		t.Fatal("the same name in another case gives another ID")
	}
	if stableUUID("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2") == a.String() {
		t.Fatal("two names give one ID")
	}
	r1, err1 := uuid.Parse(randomUUID())
	r2, err2 := uuid.Parse(randomUUID())
	if err1 != nil || err2 != nil || r1.Version() != 4 || r1 == r2 {
		t.Fatalf("random UUIDs: %v %v %v %v", r1, r2, err1, err2)
	}
}
