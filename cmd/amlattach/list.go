package main

import (
	"encoding/json"
	"fmt"
	"strings"

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
			ctx, cancel := e.deps.StepContext(a.ctx)
			defer cancel()
			cs, err := e.deps.Azure.ListComputes(ctx, e.ws)
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
	if src := e.sources; src.Workspace != "" && src.Workspace != "--world" {
		fmt.Fprintf(a.out, "  from: workspace %s; resource group %s; subscription %s\n", src.Workspace, src.ResourceGroup, src.Subscription)
	}
	if len(cs) == 0 {
		fmt.Fprintln(a.out, "No computes. Attach one with: amlattach attach TYPE --help")
		return
	}
	groups := flows.GroupByResource(cs)
	tw := newTable(a.out)
	fmt.Fprintln(tw, "NAME\tTYPE\tSTATE\tCREATED\tRESOURCE")
	for _, g := range groups {
		for _, c := range g {
			res := c.ResourceID
			if id, err := azure.ParseResourceID(c.ResourceID); err == nil {
				res = id.ResourceGroup + "/" + id.Name
				if id.ChildName != "" {
					res += "/" + id.ChildName
				}
			}
			mark := ""
			if len(g) > 1 {
				mark = " (!)"
			}
			created := "-"
			if !c.CreatedOn.IsZero() {
				created = c.CreatedOn.UTC().Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", c.Name, mark, c.Type, orDash(c.ProvisioningState), created, orDash(res))
		}
	}
	tw.Flush()
	for _, c := range cs {
		for _, pe := range c.ProvisioningErrors {
			fmt.Fprintf(a.out, "%s: error %s: %s\n", c.Name, pe.Code, pe.Message)
		}
	}
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		var names []string
		for _, c := range g {
			names = append(names, c.Name)
		}
		fmt.Fprintf(a.out, "(!) %s are attachments of the same resource: each new attachment breaks the earlier ones; keep one (amlattach detach NAME)\n", strings.Join(names, ", "))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
