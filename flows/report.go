package flows

import (
	"sort"
	"strings"
	"time"

	"amlattach/azure"
	"amlattach/probes"
)

// TargetJSON names what was probed or attached.
type TargetJSON struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	ResourceID string `json:"resourceId"`
}

// ProbeJSON is one probe in a report.
type ProbeJSON struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Status     string `json:"status"`
	Detail     string `json:"detail"`
	Remedy     string `json:"remedy,omitempty"`
	DurationMs int64  `json:"durationMs"`
	// Fix is the change amlattach can make to clear the probe (DESIGN §8).
	Fix *FixJSON `json:"fix,omitempty"`
}

// ComputeJSON is a compute as reports and list show it.
type ComputeJSON struct {
	Name               string                    `json:"name"`
	ID                 string                    `json:"id"`
	ProvisioningState  string                    `json:"provisioningState"`
	ProvisioningErrors []azure.ProvisioningError `json:"provisioningErrors"`
}

// ListItemJSON is one entry of `list -o json`.
type ListItemJSON struct {
	ComputeJSON
	Type       string `json:"type"`
	ResourceID string `json:"resourceId"`
	CreatedOn  string `json:"createdOn,omitempty"`
	// SameResourceAs names the other computes attached to the same
	// resource: conflicting attachments.
	SameResourceAs []string `json:"sameResourceAs"`
}

// Report is the document `probe -o json` and `attach -o json` print (DESIGN §3).
type Report struct {
	Target  TargetJSON   `json:"target"`
	OK      bool         `json:"ok"`
	Probes  []ProbeJSON  `json:"probes"`
	Compute *ComputeJSON `json:"compute,omitempty"`
}

// NewReport builds a report from probe results.
func NewReport(typ, name, resourceID string, rs []probes.Result) *Report {
	r := &Report{Target: TargetJSON{Type: typ, Name: name, ResourceID: resourceID}, OK: !AnyFailed(rs) && !Interrupted(rs), Probes: []ProbeJSON{}}
	for _, x := range rs {
		r.Probes = append(r.Probes, ProbeJSON{ID: x.ID, Title: x.Title, Status: string(x.Status), Detail: x.Detail, Remedy: x.Remedy, DurationMs: x.Duration.Milliseconds()})
	}
	return r
}

// ComputeToJSON renders a compute for reports.
func ComputeToJSON(c azure.Compute) *ComputeJSON {
	errs := c.ProvisioningErrors
	if errs == nil {
		errs = []azure.ProvisioningError{}
	}
	return &ComputeJSON{Name: c.Name, ID: c.ID, ProvisioningState: c.ProvisioningState, ProvisioningErrors: errs}
}

// ListToJSON renders `list -o json`.
func ListToJSON(cs []azure.Compute) []ListItemJSON {
	out := []ListItemJSON{}
	for _, c := range cs {
		it := ListItemJSON{ComputeJSON: *ComputeToJSON(c), Type: c.Type, ResourceID: c.ResourceID, SameResourceAs: []string{}}
		if !c.CreatedOn.IsZero() {
			it.CreatedOn = c.CreatedOn.UTC().Format(time.RFC3339)
		}
		for _, o := range cs {
			if o.Name != c.Name && c.ResourceID != "" && azure.SameResource(o.ResourceID, c.ResourceID) {
				it.SameResourceAs = append(it.SameResourceAs, o.Name)
			}
		}
		out = append(out, it)
	}
	return out
}

// GroupByResource groups computes by the resource they attach (IDs compared
// case-insensitively), groups in the order of their first compute, oldest
// attachment first within a group.
func GroupByResource(cs []azure.Compute) [][]azure.Compute {
	var out [][]azure.Compute
	idx := map[string]int{}
	for _, c := range cs {
		k := strings.ToLower(strings.TrimSuffix(c.ResourceID, "/"))
		if i, ok := idx[k]; ok && k != "" {
			out[i] = append(out[i], c)
			continue
		}
		idx[k] = len(out)
		out = append(out, []azure.Compute{c})
	}
	for _, g := range out {
		sort.SliceStable(g, func(i, j int) bool { return g[i].CreatedOn.Before(g[j].CreatedOn) })
	}
	return out
}
