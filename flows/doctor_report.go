package flows

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// DoctorJSON is `doctor -o json`, and what the Markdown report is made of.
type DoctorJSON struct {
	Workspace   string       `json:"workspace"`
	Compute     ListItemJSON `json:"compute"`
	Causes      []string     `json:"causes"`
	Conflicts   []string     `json:"conflicts"`
	SecretsFrom string       `json:"secretsFrom"`
	KeysProblem string       `json:"keysProblem,omitempty"`
	OK          bool         `json:"ok"`
	Probes      []ProbeJSON  `json:"probes"`
	Remedy      string       `json:"remedy,omitempty"`
	// Fixes are the fixes applied while troubleshooting, each with what it
	// changed (before -> after).
	Fixes []FixOutcome      `json:"fixes,omitempty"`
	Tool  map[string]string `json:"tool"`
	At    string            `json:"at"`
}

// NewDoctorJSON renders a diagnosis; version and commit name the tool.
func NewDoctorJSON(g *Diagnosis, version, commit string) DoctorJSON {
	rep := NewReport("", g.Compute.Name, g.Compute.ResourceID, g.Results)
	d := DoctorJSON{
		Workspace: g.Workspace.Name, Causes: nonNil(g.Causes), Conflicts: nonNil(g.Conflicts),
		SecretsFrom: g.SecretsFrom, KeysProblem: g.KeysProblem, OK: g.OK(), Probes: rep.Probes, Remedy: g.Remedy, Fixes: g.Fixes,
		Tool: map[string]string{"name": "amlattach", "version": version, "commit": commit}, At: g.At.UTC().Format("2006-01-02T15:04:05Z"),
	}
	d.Compute = ListItemJSON{ComputeJSON: *ComputeToJSON(g.Compute), Type: g.Compute.Type, ResourceID: g.Compute.ResourceID, SameResourceAs: nonNil(g.Conflicts)}
	if !g.Compute.CreatedOn.IsZero() {
		d.Compute.CreatedOn = g.Compute.CreatedOn.UTC().Format("2006-01-02T15:04:05Z")
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DoctorMarkdown is the report `doctor --report FILE.md` writes, for a
// support ticket or a colleague. It holds no secret (the diagnosis has none).
func DoctorMarkdown(d DoctorJSON) []byte {
	var b bytes.Buffer
	c := d.Compute
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	creds := d.KeysProblem
	if creds == "" {
		creds = d.SecretsFrom
	}
	fmt.Fprintf(&b, "# amlattach doctor: compute `%s`\n\n", c.Name)
	fmt.Fprintf(&b, "| | |\n|---|---|\n| workspace | %s |\n| compute | %s (%s) |\n| state | %s |\n| resource | %s |\n| credentials | %s |\n| tool | amlattach %s (%s) |\n| time | %s |\n\n",
		d.Workspace, c.Name, c.Type, dash(c.ProvisioningState), dash(c.ResourceID), dash(mdCell(creds)), d.Tool["version"], dash(d.Tool["commit"]), d.At)
	b.WriteString("## Stored provisioning errors\n\n")
	if len(c.ProvisioningErrors) == 0 {
		b.WriteString("None.\n")
	}
	for _, e := range c.ProvisioningErrors {
		fmt.Fprintf(&b, "- `%s`: %s\n", e.Code, e.Message)
	}
	for _, cause := range d.Causes {
		fmt.Fprintf(&b, "\nLikely cause: %s\n", cause)
	}
	if len(d.Conflicts) > 0 {
		fmt.Fprintf(&b, "\nThe same resource is also attached as: %s. Each new attachment breaks the earlier ones.\n", strings.Join(d.Conflicts, ", "))
	}
	b.WriteString("\n## Probes\n\n")
	if len(d.Probes) == 0 {
		b.WriteString("None ran.\n")
	} else {
		b.WriteString("| probe | status | detail | remedy |\n|---|---|---|---|\n")
	}
	for _, p := range d.Probes {
		fmt.Fprintf(&b, "| `%s` %s | %s | %s | %s |\n", p.ID, p.Title, p.Status, mdCell(p.Detail), mdCell(p.Remedy))
	}
	if len(d.Fixes) > 0 {
		b.WriteString("\n## Fixes applied\n\nWhat amlattach changed in Azure, with consent, while troubleshooting (before -> after):\n\n")
	}
	for _, f := range d.Fixes {
		f.Changed = append([]Change(nil), f.Changed...)
		f.scrub(nil)
		fmt.Fprintf(&b, "- `%s` (for `%s`): %s: %s", f.ID, f.Probe, f.Status, mdCell(f.Summary))
		if f.Error != "" {
			fmt.Fprintf(&b, ": %s", mdCell(f.Error))
		}
		b.WriteString("\n")
		for _, c := range f.Changed {
			fmt.Fprintf(&b, "  - %s: %s -> %s\n", mdCell(c.Resource), mdCell(c.Before), mdCell(c.After))
		}
	}
	if d.Remedy != "" {
		fmt.Fprintf(&b, "\n## Remedy\n\n%s\n", d.Remedy)
	}
	return b.Bytes()
}

// WritePrivateFile writes data to path with mode 0600, also over an
// existing file of a wider mode: for reports and anything that may say more
// than its reader should share.
func WritePrivateFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
