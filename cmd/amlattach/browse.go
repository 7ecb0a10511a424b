package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"amlattach/flows"
)

func newBrowseCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "browse TYPE", Short: "List the resources that could be attached as TYPE"}
	c.AddCommand(&cobra.Command{Use: "vm", Short: "List the VMs of the workspace's subscription", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			e, err := a.setup(true)
			if err != nil {
				return err
			}
			cands, err := flows.BrowseVMs(a.ctx, e.deps, e.ws)
			if err != nil {
				return err
			}
			if a.json() {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(cands)
			}
			if len(cands) == 0 {
				fmt.Fprintf(a.out, "No VMs in subscription %s.\n", e.ws.SubscriptionID)
				return nil
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tRESOURCE GROUP\tLOCATION\tATTACHED AS")
			for _, c := range cands {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.ResourceGroup, c.Location, orDash(strings.Join(c.AttachedAs, ", ")))
			}
			return tw.Flush()
		}})
	for _, t := range targetTypes[1:] {
		c.AddCommand(notYet("browse", t))
	}
	return c
}
