package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/flows"
)

func newListCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "list", Short: "List the workspace's computes, with state and errors", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			e, err := a.setup(true)
			if err != nil {
				return err
			}
			cs, err := e.deps.Azure.ListComputes(a.ctx, e.ws)
			if err != nil {
				return flows.FromAzure("list the computes of "+e.ws.Name, err)
			}
			if a.json() {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(flows.ListToJSON(cs))
			}
			printComputes(a, e, cs)
			return nil
		}}
}

func printComputes(a *app, e *env, cs []azure.Compute) {
	fmt.Fprintf(a.out, "Workspace %s (resource group %s, subscription %s)\n", e.ws.Name, e.ws.ResourceGroup, e.ws.SubscriptionID)
	if len(cs) == 0 {
		fmt.Fprintln(a.out, "No computes. Attach one with: amlattach attach vm --help")
		return
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tSTATE\tRESOURCE")
	for _, c := range cs {
		res := c.ResourceID
		if id, err := azure.ParseResourceID(c.ResourceID); err == nil {
			res = id.ResourceGroup + "/" + id.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Type, orDash(c.ProvisioningState), orDash(res))
	}
	tw.Flush()
	for _, c := range cs {
		for _, pe := range c.ProvisioningErrors {
			fmt.Fprintf(a.out, "%s: error %s: %s\n", c.Name, pe.Code, pe.Message)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
