package probes

import (
	"fmt"
	"strings"

	"amlattach/azure"
)

// WsDuplicate checks that the resource is not attached already under another
// name: each new attachment of the same resource breaks the earlier ones.
// Resource IDs are compared case-insensitively, as ARM does.
func WsDuplicate(resourceID, name, workspace string, existing []azure.Compute) Result {
	var dups []string
	for _, c := range existing {
		if c.ResourceID != "" && azure.SameResource(c.ResourceID, resourceID) && !strings.EqualFold(c.Name, name) {
			dups = append(dups, fmt.Sprintf("%q (%s)", c.Name, orUnknown(c.ProvisioningState)))
		}
	}
	if len(dups) == 0 {
		return passf("no compute in %s is attached to this resource", workspace)
	}
	first := strings.Trim(strings.SplitN(dups[0], " ", 2)[0], `"`)
	return failf(FieldResourceID,
		fmt.Sprintf("use the existing compute %s, or detach it first (amlattach detach %s): each new attachment of the same resource breaks the earlier ones", first, first),
		"already attached to %s as %s", workspace, strings.Join(dups, ", "))
}
