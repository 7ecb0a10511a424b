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
	for _, t := range targetTypes {
		if _, ok := flows.BrowseKinds[t]; !ok {
			continue
		}
		c.AddCommand(&cobra.Command{Use: t, Short: "List the " + pluralLabel(t) + " of the workspace's subscription", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error { return runBrowse(a, t) }})
	}
	return c
}

func pluralLabel(t string) string {
	l := typeLabel(t)
	if t == "batch" || t == "adla" {
		return l[:len(l)-len("account")] + "accounts"
	}
	if t == "vm" {
		return "VMs"
	}
	return l + "s"
}

func runBrowse(a *app, t string) error {
	e, err := a.setup(true)
	if err != nil {
		return err
	}
	cands, err := flows.Browse(a.ctx, e.deps, e.ws, t)
	if err != nil {
		return err
	}
	if a.json() {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(cands)
	}
	if len(cands) == 0 {
		fmt.Fprintf(a.out, "No %s in subscription %s.\n", pluralLabel(t), e.ws.SubscriptionID)
		return nil
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRESOURCE GROUP\tLOCATION\tATTACHED AS")
	for _, c := range cands {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.ResourceGroup, c.Location, orDash(strings.Join(c.AttachedAs, ", ")))
	}
	return tw.Flush()
}
