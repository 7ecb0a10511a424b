package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"amlattach/azure"
	"amlattach/flows"
)

// fixFlags are the flags of `fix TYPE` beside the probe flags (DESIGN §8).
type fixFlags struct {
	yes, dryRun bool
	only        []string
	// next, when set, is the command that attaches with what the fixes
	// made ("" when they changed nothing the attach must be told).
	next func() string
}

func (f *fixFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.BoolVar(&f.yes, "yes", false, "apply the fixes without asking (consent given in advance)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list the fixes and what they would change; send nothing")
	fl.StringArrayVar(&f.only, "only", nil, "apply only this fix ID (repeatable), e.g. --only vm.start")
}

func newFixCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "fix TYPE", Short: "Preflight, then apply the fixes the failing probes offer (asks first), then preflight again",
		Long: `Run the preflight of TYPE; list the fixes its failing probes offer, each with what it changes,
the Azure permission it needs, its risk and how to undo it; ask (y/N) unless --yes; apply them;
then run the preflight again. Without a terminal and without --yes nothing is changed (exit 2).

Exit codes: 0 the preflight passes afterwards; 1 a probe still fails (a fix your roles do not
grant is not sent, and counts here); 2 no consent or bad input; 3 Azure refused a fix or it failed.`,
		Args: cobra.NoArgs}
	var f vmFlags
	var ff fixFlags
	vm := &cobra.Command{Use: "vm", Short: "Fix what the preflight of a VM finds (vm.start, ssh.install-key)", Args: cobra.NoArgs,
		Example: "  amlattach fix vm --resource-id /subscriptions/…/virtualMachines/dsvm1 --username azureuser --password-file pw.txt --dry-run",
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := f.input(a)
			if err != nil {
				return err
			}
			plan, err := flows.ValidateVM(in, false)
			if err != nil {
				return err
			}
			p := plan.Target()
			ff.next = func() string { return attachWithKey(a, cmd, p.NewKeyFile()) }
			return runFix(a, p, &ff)
		}}
	f.register(vm, false)
	ff.register(vm)
	c.AddCommand(vm)
	c.AddCommand(a.targetCommands(verbFix)...)
	var af fixFlags
	aci := &cobra.Command{Use: "aci", Short: "Register Microsoft.ContainerInstance in the workspace's subscription when it is not (provider.register)", Args: cobra.NoArgs,
		Example: "  amlattach fix aci --dry-run",
		RunE:    func(*cobra.Command, []string) error { return runFix(a, flows.ACIPlan(), &af) }}
	af.register(aci)
	c.AddCommand(aci)
	return c
}

// runFix is `fix TYPE` once its input is valid.
func runFix(a *app, p *flows.Plan, f *fixFlags) error {
	a.addSecrets(p.Secrets()...)
	if err := flows.CheckFixIDs(f.only); err != nil {
		return err
	}
	e, err := a.setup(true)
	if err != nil {
		return err
	}
	p.Bind(e.ws)
	r := newProbePrinter(a)
	preflights := 0
	emit := func(ev flows.Event) {
		if ev.Kind == flows.ProbesPlanned && !a.json() {
			preflights++
			if preflights == 1 {
				fmt.Fprintln(a.out, preflightTitle(p, e.ws))
			} else {
				fmt.Fprintln(a.out, "Preflight again, after the fixes (what they touched runs again)")
			}
		}
		r.event(ev)
	}
	opts := flows.FixOptions{Only: f.only, DryRun: f.dryRun, Confirm: func(fs []flows.Fix) (bool, error) { return a.confirmFixes(fs, f.yes) }}
	rep, err := flows.ApplyFixes(a.ctx, e.deps, e.ws, p, opts, emit)
	if rep != nil && f.next != nil {
		rep.Next = f.next()
	}
	if rep != nil {
		for _, oc := range rep.Fixes {
			for _, l := range oc.Record() {
				a.debugf("%s", l)
			}
		}
		if ferr := a.printFixReport(rep); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err == nil {
		err = flows.SignInLost(e.deps, "fix")
	}
	return err
}

// confirmFixes lists the fixes about to be applied and asks for consent,
// unless it was given with --yes; with no terminal to ask on it refuses
// (exit 2) and nothing is changed.
func (a *app) confirmFixes(fs []flows.Fix, yes bool) (bool, error) {
	w := a.errw
	if !a.json() {
		w = a.out
	}
	fmt.Fprintln(w, "Fixes to apply:")
	for _, f := range fs {
		for _, l := range f.Lines() {
			fmt.Fprintln(w, "  "+l)
		}
	}
	if yes {
		return true, nil
	}
	if !a.io.InTTY {
		return false, &flows.Error{Kind: flows.KindInput, Field: "--yes", Msg: "no terminal to ask for consent; nothing was changed", Fix: "pass --yes to apply the fixes listed, or --dry-run to only list them"}
	}
	return a.askYes("Apply these fixes? [y/N] "), nil
}

// printFixReport prints the outcome of each fix (text) or the one JSON
// document (json).
func (a *app) printFixReport(rep *flows.FixReport) error {
	if a.json() {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	var inPlace []string
	for _, f := range append(append([]flows.FixOutcome{}, rep.Fixes...), rep.Advice...) {
		if f.Status == flows.FixUnchanged && f.Error == "" && len(f.Changed) == 0 {
			inPlace = append(inPlace, fmt.Sprintf("%s (%s)", f.ID, f.Probe))
			continue
		}
		for _, l := range f.Record() {
			fmt.Fprintln(a.out, l)
		}
		for _, o := range rep.Offers {
			if o.ID != f.ID || o.Probe != f.Probe {
				continue
			}
			switch f.Status {
			case flows.FixPlanned: // --dry-run: what it would change and send, as consent shows it
				for _, l := range o.Lines()[1:] {
					fmt.Fprintln(a.out, "  "+l)
				}
			case flows.FixAdvice: // what to do instead (the command to run)
				for _, c := range o.Changes {
					fmt.Fprintln(a.out, "  "+c)
				}
			}
		}
	}
	switch {
	case len(rep.Offers) > 0:
	case rep.Before.OK:
		fmt.Fprintln(a.out, "The preflight passes: nothing needed fixing.")
	default:
		fmt.Fprintln(a.out, "No fix is offered for what the preflight found.")
	}
	if len(inPlace) > 0 {
		fmt.Fprintf(a.out, "Already in place, nothing sent: %s.\n", strings.Join(inPlace, ", "))
	}
	changed := false
	for _, f := range rep.Fixes {
		changed = changed || len(f.Changed) > 0
	}
	if rep.After == rep.Before {
		// No preflight after: nothing was changed (a fix that changed
		// something, even one that then failed, reruns what it touched).
		if !changed {
			fmt.Fprintln(a.out, "Nothing was changed.")
		}
		return nil
	}
	verdict := "the preflight passes"
	if !rep.After.OK {
		verdict = "a probe still fails"
	}
	fmt.Fprintf(a.out, "After the fixes: %s.\n", verdict)
	// A fix can uncover the next one (a new public IP with no NSG): it was
	// not consented to, so it is offered for the next run.
	for _, pr := range rep.After.Probes {
		if pr.Fix != nil && pr.Fix.Needs == "" && pr.Fix.Advice == "" && pr.Status != "pass" {
			fmt.Fprintf(a.out, "Now offered (run fix again to apply it): %s (for %s): %s\n", pr.Fix.ID, pr.ID, pr.Fix.Summary)
		}
	}
	if rep.Next != "" {
		fmt.Fprintf(a.out, "Attach with the new key:\n  %s\n", rep.Next)
	}
	return nil
}

// attachWithKey is the attach command for the VM the fix command names, with
// the same flags except the fix's own and the old login, and --ssh-key
// keyFile; "" when keyFile is.
func attachWithKey(a *app, cmd *cobra.Command, keyFile string) string {
	if keyFile == "" {
		return ""
	}
	skip := map[string]bool{"yes": true, "dry-run": true, "only": true, "output": true, "debug": true,
		"password-file": true, "ssh-key": true, "ssh-key-passphrase-file": true}
	parts := []string{"amlattach", "attach", "vm"}
	if a.getenv("AMLATTACH_SSH_PASSWORD") != "" {
		// A password in the environment and a key are refused together.
		parts = append([]string{"env", "-u", "AMLATTACH_SSH_PASSWORD"}, parts...)
	}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if skip[fl.Name] {
			return
		}
		if fl.Value.Type() == "bool" {
			if fl.Value.String() == "true" {
				parts = append(parts, "--"+fl.Name)
			} else {
				parts = append(parts, "--"+fl.Name+"="+fl.Value.String())
			}
			return
		}
		vals := []string{fl.Value.String()}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			parts = append(parts, "--"+fl.Name, flows.ShellQuote(v))
		}
	})
	return strings.Join(append(parts, "--ssh-key", flows.ShellQuote(keyFile)), " ")
}

// preflightTitle heads the preflight of a fix.
func preflightTitle(p *flows.Plan, ws azure.Workspace) string {
	if p.Type == "aci" {
		return fmt.Sprintf("Preflight of Azure Container Instances in subscription %s (workspace %s)", p.ID.SubscriptionID, ws.Name)
	}
	return fmt.Sprintf("Preflight of %s %s as %q in workspace %s", typeLabel(p.Type), resourceLabel(p), p.Name, ws.Name)
}
