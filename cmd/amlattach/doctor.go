package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"amlattach/flows"
	"amlattach/internal/buildinfo"
)

// doctorJSON is `doctor -o json`.
type doctorJSON struct {
	Workspace   string             `json:"workspace"`
	Compute     flows.ListItemJSON `json:"compute"`
	Causes      []string           `json:"causes"`
	Conflicts   []string           `json:"conflicts"`
	SecretsFrom string             `json:"secretsFrom"`
	KeysProblem string             `json:"keysProblem,omitempty"`
	OK          bool               `json:"ok"`
	Probes      []flows.ProbeJSON  `json:"probes"`
	Remedy      string             `json:"remedy,omitempty"`
	Tool        map[string]string  `json:"tool"`
	At          string             `json:"at"`
}

func newDoctorCmd(a *app) *cobra.Command {
	var sf vmFlags
	var tokenFile, reportFile string
	c := &cobra.Command{Use: "doctor NAME", Short: "Find why an attached compute does not work: its stored settings and secrets, probed",
		Long: "Read the compute, the settings Azure ML stored for it and (through listKeys) its secrets, then run its type's probes with them. " +
			"Stored provisioning errors are shown word for word, with their likely cause. Credentials given as flags are used instead of the stored ones.",
		Example: "  amlattach doctor old-dsvm\n  amlattach doctor old-dsvm --report old-dsvm.md\n  amlattach doctor my-dbx --token-file new-token.txt",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in := flows.DoctorInput{Name: args[0]}
			if sf.username != "" || sf.passwordFile != "" || sf.keyFile != "" || a.getenv("AMLATTACH_SSH_PASSWORD") != "" {
				vi, err := sf.input(a)
				if err != nil {
					return err
				}
				in.SSH = vi
			} else {
				in.SSH = flows.VMInput{KnownHosts: expandHome(sf.knownHosts), AcceptNew: sf.acceptNew}
				if in.SSH.KnownHosts == "" {
					in.SSH.KnownHosts = a.defaultKnownHosts()
				}
			}
			if tokenFile != "" {
				t, err := flows.ReadSecretFile("--token-file", expandHome(tokenFile))
				if err != nil {
					return err
				}
				in.Token, in.TokenSource = t, "--token-file"
			} else if t := a.getenv("AMLATTACH_DATABRICKS_TOKEN"); t != "" {
				in.Token, in.TokenSource = t, "AMLATTACH_DATABRICKS_TOKEN"
			}
			a.addSecrets(in.Token)
			e, err := a.setup(true)
			if err != nil {
				return err
			}
			r := newProbePrinter(a)
			if !a.json() {
				fmt.Fprintf(a.out, "Doctor of compute %q in workspace %s\n", in.Name, e.ws.Name)
			}
			g, err := flows.Doctor(a.ctx, e.deps, e.ws, in, a.addSecrets, r.event)
			if g == nil {
				return err
			}
			doc := toDoctorJSON(g)
			if reportFile != "" {
				if werr := writeReport(a, reportFile, doc); werr != nil {
					return werr
				}
			}
			if a.json() {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if eerr := enc.Encode(doc); eerr != nil {
					return eerr
				}
			} else {
				printDiagnosis(a.out, doc)
				if reportFile != "" {
					fmt.Fprintf(a.out, "report written to %s\n", reportFile)
				}
			}
			if g.NeedsCredentials() {
				field := "--password-file"
				if g.Compute.Type == "Databricks" {
					field = "--token-file"
				}
				return &flows.Error{Kind: flows.KindInput, Field: field, Msg: g.KeysProblem, Fix: g.Remedy}
			}
			if err != nil {
				return err
			}
			if !doc.OK {
				return &flows.Error{Kind: flows.KindProbeFailed, Msg: fmt.Sprintf("compute %q has problems", in.Name), Fix: firstOf(doc.Remedy, "fix what the failed probes and stored errors say, then run amlattach doctor again")}
			}
			return nil
		}}
	sf.registerLogin(c)
	c.Flags().StringVar(&tokenFile, "token-file", "", "Databricks: a token to try instead of the stored one (or AMLATTACH_DATABRICKS_TOKEN)")
	c.Flags().StringVar(&reportFile, "report", "", "also write a Markdown report to this file (mode 0600, secrets removed)")
	return c
}

func toDoctorJSON(g *flows.Diagnosis) doctorJSON {
	rep := flows.NewReport("", g.Compute.Name, g.Compute.ResourceID, g.Results)
	d := doctorJSON{
		Workspace: g.Workspace.Name, Causes: nonNil(g.Causes), Conflicts: nonNil(g.Conflicts),
		SecretsFrom: g.SecretsFrom, KeysProblem: g.KeysProblem, OK: g.OK(), Probes: rep.Probes, Remedy: g.Remedy,
		Tool: map[string]string{"name": "amlattach", "version": buildinfo.Get().Version, "commit": buildinfo.Get().Commit}, At: g.At.UTC().Format("2006-01-02T15:04:05Z"),
	}
	d.Compute = flows.ListItemJSON{ComputeJSON: *flows.ComputeToJSON(g.Compute), Type: g.Compute.Type, ResourceID: g.Compute.ResourceID, SameResourceAs: nonNil(g.Conflicts)}
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

func printDiagnosis(w io.Writer, d doctorJSON) {
	c := d.Compute
	fmt.Fprintf(w, "compute %q (%s): %s\n  resource: %s\n", c.Name, c.Type, orDash(c.ProvisioningState), orDash(c.ResourceID))
	for _, e := range c.ProvisioningErrors {
		fmt.Fprintf(w, "  stored error %s: %s\n", e.Code, e.Message)
	}
	for _, cause := range d.Causes {
		fmt.Fprintf(w, "  likely cause: %s\n", cause)
	}
	if len(d.Conflicts) > 0 {
		fmt.Fprintf(w, "  also attached as: %s (each new attachment of a resource breaks the earlier ones)\n", strings.Join(d.Conflicts, ", "))
	}
	if d.SecretsFrom != "" {
		fmt.Fprintf(w, "  credentials: %s\n", d.SecretsFrom)
	}
	if d.KeysProblem != "" {
		fmt.Fprintf(w, "  credentials: %s\n", d.KeysProblem)
	}
	verdict := "is healthy"
	if !d.OK {
		verdict = "has problems"
	}
	fmt.Fprintf(w, "%d probes; the compute %s.\n", len(d.Probes), verdict)
	if d.Remedy != "" {
		fmt.Fprintf(w, "remedy: %s\n", d.Remedy)
	}
}

// writeReport writes the Markdown report through the redactor, mode 0600.
func writeReport(a *app, path string, d doctorJSON) error {
	var b bytes.Buffer
	c := d.Compute
	fmt.Fprintf(&b, "# amlattach doctor: compute `%s`\n\n", c.Name)
	fmt.Fprintf(&b, "| | |\n|---|---|\n| workspace | %s |\n| compute | %s (%s) |\n| state | %s |\n| resource | %s |\n| credentials | %s |\n| tool | amlattach %s (%s) |\n| time | %s |\n\n",
		d.Workspace, c.Name, c.Type, orDash(c.ProvisioningState), orDash(c.ResourceID), orDash(firstOf(d.KeysProblem, d.SecretsFrom)), d.Tool["version"], d.Tool["commit"], d.At)
	b.WriteString("## Stored provisioning errors\n\n")
	if len(c.ProvisioningErrors) == 0 {
		b.WriteString("None.\n\n")
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
	b.WriteString("\n## Probes\n\n| probe | status | detail | remedy |\n|---|---|---|---|\n")
	for _, p := range d.Probes {
		fmt.Fprintf(&b, "| `%s` %s | %s | %s | %s |\n", p.ID, p.Title, p.Status, mdCell(p.Detail), mdCell(p.Remedy))
	}
	if d.Remedy != "" {
		fmt.Fprintf(&b, "\n## Remedy\n\n%s\n", d.Remedy)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return &flows.Error{Kind: flows.KindInput, Field: "--report", Msg: fmt.Sprintf("cannot write %s: %v", path, err), Fix: "give a path in a folder you can write"}
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	rw := &redactor{w: f}
	rw.secrets = append(rw.secrets, a.out.secrets...)
	_, err = rw.Write(b.Bytes())
	return err
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
