package main

import (
	"fmt"

	"amlattach/azure"
	"amlattach/azure/sandbox"

	"github.com/spf13/cobra"

	"amlattach/flows"
	"amlattach/ui"
)

// newDemoCmd is `amlattach demo`: the wizard on the built-in sandbox world,
// for onboarding sessions without an Azure account.
func newDemoCmd(a *app) *cobra.Command {
	var scenario string
	var list, plain bool
	c := &cobra.Command{
		Use:   "demo [--scenario NAME]",
		Short: "The wizard against the built-in sandbox world: no Azure account needed",
		Long: `Run the wizard against the built-in world: a simulated Azure and simulated SSH hosts,
all on this machine. It needs no Azure account, no network and no root. Host keys of the
simulated VMs are saved to a known_hosts file of amlattach's own, never to ~/.ssh/known_hosts.

--scenario opens the wizard on the preflight of one situation, with the demo password (or
token) filled in; --list names them. Every simulated VM's password is ` + flows.DemoPassword + ` (dsvm-legacy's
is Legacy-Passw0rd!); so is the HDInsight user sshuser's. The working Databricks token is
` + flows.DemoToken + `.

With --auth device-code (or browser) the built-in world requires sign-in: the wizard starts
with its sign-in step, against the sandbox's simulated Microsoft Entra ID, which approves the
code by itself after a few seconds. The sign-in is kept, so the next run over the same sandbox
(amlattach sandbox serve --auth device-code, then --sandbox FILE demo) asks nothing.`,
		Example: "  amlattach demo\n  amlattach demo --list\n  amlattach demo --scenario closed-nsg\n  amlattach demo --auth device-code   # sign in first, at the sandbox's simulated Entra ID",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				return printScenarios(a)
			}
			if a.world == "" && a.sandboxFile == "" && a.getenv("AMLATTACH_SANDBOX") == "" {
				a.world = "demo" // a shared sandbox (--sandbox) serves its own world
			}
			var start *ui.Start
			if scenario != "" {
				if a.world != "demo" {
					return &flows.Error{Kind: flows.KindInput, Field: "--scenario", Msg: "scenarios belong to the built-in world, not to " + a.world,
						Fix: "drop --world, or drop --scenario to run the wizard on your world"}
				}
				s, err := flows.FindDemoScenario(scenario)
				if err != nil {
					return err
				}
				start = &ui.Start{Scenario: s.Name, Summary: s.Summary, Type: s.Type, ResourceID: s.ResourceID(), ComputeName: s.ComputeName,
					Username: s.Username, Password: s.Password, Values: s.Values}
			}
			return runWizard(a, cmd, start, plain)
		},
	}
	c.Flags().StringVar(&scenario, "scenario", "", "start at a named situation (see --list)")
	c.Flags().BoolVar(&list, "list", false, "list the scenarios, one line each")
	c.Flags().BoolVar(&plain, "plain", false, "ask one question per line on stdin/stderr, without full-screen drawing")
	return c
}

func printScenarios(a *app) error {
	fmt.Fprintln(a.out, "Scenarios of the built-in world (amlattach demo --scenario NAME):")
	tw := newTable(a.out)
	for _, s := range flows.DemoScenarios() {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\n", s.Name, s.TargetType(), s.ResourceName(), s.Summary)
	}
	return tw.Flush()
}

// demoWorld is the built-in world; with --auth device-code or browser its
// Resource Manager requires a sign-in at its simulated Entra ID, so that the
// wizard's sign-in step shows.
func demoWorld(auth string) *sandbox.World {
	w := sandbox.DemoWorld()
	if auth == azure.MethodDeviceCode || auth == azure.MethodBrowser {
		if w.SignIn == nil {
			w.SignIn = &sandbox.SignIn{}
		}
		w.SignIn.Required = true
	}
	return w
}
