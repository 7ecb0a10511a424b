package main

import (
	"github.com/spf13/cobra"

	"amlattach/flows"
)

func newProbeACICmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "aci", Short: "Check what can be checked before a deployment creates Azure Container Instances", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			e, err := a.setup(true)
			if err != nil {
				return err
			}
			r := newProbePrinter(a)
			p := flows.ACIPlan()
			p.Bind(e.ws)
			rs := flows.Probe(a.ctx, e.deps, e.ws, p, r.event)
			fixes := flows.FixesFor(a.ctx, e.deps, p, rs)
			rep := flows.NewReport("aci", "aci", "", rs).WithFixes(fixes)
			if err := r.finish(rep); err != nil {
				return err
			}
			a.printFixOffers("aci", fixes)
			if !rep.OK {
				return &flows.Error{Kind: flows.KindProbeFailed, Msg: "a probe failed", Fix: "fix what the failed probe says and run again"}
			}
			return nil
		}}
}

func newAttachACICmd() *cobra.Command {
	return newNeverAttachedCmd("aci", "Explains why Azure Container Instances are never attached", flows.ACIExplanation,
		"deploy a model to ACI with the Azure ML SDK or CLI; check the subscription first with: amlattach probe aci")
}

// newNeverAttachedCmd is `attach aci` or `attach local`: a type that is
// never attached. Whatever follows it (the --name, --resource-id or --yes
// a user learnt on the other types) gets the explanation, not an unknown
// flag error; --help and the global flags still work.
func newNeverAttachedCmd(use, short, why, fix string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs,
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
		RunE: func(*cobra.Command, []string) error {
			return &flows.Error{Kind: flows.KindInput, Msg: "nothing to attach: " + why, Fix: fix}
		}}
}
