package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"amlattach/flows"
	"amlattach/internal/buildinfo"
)

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
			doc := flows.NewDoctorJSON(g, buildinfo.Get().Version, buildinfo.Get().Commit)
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
			var fe *flows.Error
			if errors.As(err, &fe) && fe.Kind == flows.KindInterrupted {
				return err
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

func printDiagnosis(w io.Writer, d flows.DoctorJSON) {
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
func writeReport(a *app, path string, d flows.DoctorJSON) error {
	var buf bytes.Buffer
	rw := &redactor{w: &buf}
	rw.secrets = append(rw.secrets, a.out.secrets...)
	if _, err := rw.Write(flows.DoctorMarkdown(d)); err != nil {
		return err
	}
	rw.Close()
	if err := flows.WritePrivateFile(path, buf.Bytes()); err != nil {
		return &flows.Error{Kind: flows.KindInput, Field: "--report", Msg: fmt.Sprintf("cannot write %s: %v", path, err), Fix: "give a path in a folder you can write"}
	}
	return nil
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
