// Package bigworld writes sandbox world files with many VMs, for the
// browse and memory benchmarks.
package bigworld

import (
	"fmt"
	"strings"
)

// Spec says how big the world is. The workspace is in the first
// subscription's first resource group; every 100th VM of that subscription
// is attached to it.
type Spec struct {
	Subscriptions int // at least 1
	VMs           int // in all, spread evenly over the subscriptions
	GroupsPerSub  int // resource groups per subscription; 0 means 5
	PageSize      int // faults.pageSize; 0 leaves the default
	ARMLatencyMs  int // faults.armLatencyMs
	AttachSeconds float64
	WorkspaceName string // "" means bench-ws
}

// SubID is the ID of the i-th subscription (from 0).
func SubID(i int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012x", 0xb000+i) }

// Workspace is the workspace's subscription, group and name.
func (s Spec) Workspace() (sub, group, name string) {
	name = s.WorkspaceName
	if name == "" {
		name = "bench-ws"
	}
	return SubID(0), "rg-00-0", name
}

// YAML is the world file.
func (s Spec) YAML() []byte {
	if s.Subscriptions < 1 {
		s.Subscriptions = 1
	}
	groups := s.GroupsPerSub
	if groups <= 0 {
		groups = 5
	}
	var b strings.Builder
	b.WriteString("subscriptions:\n")
	for si := 0; si < s.Subscriptions; si++ {
		fmt.Fprintf(&b, "  - id: %s\n    name: Bench %02d\n    resourceGroups:\n", SubID(si), si)
		perSub := s.VMs / s.Subscriptions
		if si < s.VMs%s.Subscriptions {
			perSub++
		}
		for gi := 0; gi < groups; gi++ {
			fmt.Fprintf(&b, "      - name: rg-%02d-%d\n        location: eastus\n", si, gi)
			if si == 0 && gi == 0 {
				_, _, ws := s.Workspace()
				fmt.Fprintf(&b, "        workspaces:\n          - name: %s\n            computes:\n", ws)
				for v := 0; v < perSub; v += 100 {
					fmt.Fprintf(&b, "              - {name: att-%d, resourceId: /subscriptions/%s/resourceGroups/rg-00-%d/providers/Microsoft.Compute/virtualMachines/vm-00-%05d}\n",
						v/100, SubID(0), v%groups, v)
				}
			}
			b.WriteString("        virtualMachines:\n")
			for v := gi; v < perSub; v += groups {
				fmt.Fprintf(&b, "          - {name: vm-%02d-%05d}\n", si, v)
			}
		}
	}
	b.WriteString("faults:\n")
	if s.PageSize > 0 {
		fmt.Fprintf(&b, "  pageSize: %d\n", s.PageSize)
	}
	fmt.Fprintf(&b, "  armLatencyMs: %d\n", s.ARMLatencyMs)
	if s.AttachSeconds > 0 {
		fmt.Fprintf(&b, "  attachSeconds: %g\n", s.AttachSeconds)
	}
	return []byte(b.String())
}
