package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/flows"
)

func newBrowseCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "browse TYPE", Short: "List the resources that could be attached as TYPE", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return &flows.Error{Kind: flows.KindInput, Field: "TYPE", Msg: "a compute type is required",
				Fix: "one of vm, hdinsight, batch, databricks, adla, aks, kubernetes, synapse (local and aci have nothing to browse), e.g. amlattach browse vm"}
		}}
	var all bool
	c.PersistentFlags().BoolVar(&all, "all-subscriptions", false, "list every subscription you can see, not only the workspace's (listed in parallel; sorted by subscription, group and name)")
	for _, t := range targetTypes {
		if _, ok := flows.BrowseKinds[t]; !ok {
			continue
		}
		c.AddCommand(&cobra.Command{Use: t, Short: "List the " + pluralLabel(t) + " of the workspace's subscription", Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				if all {
					return runBrowseAll(a, t)
				}
				return runBrowse(a, t)
			}})
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
	tw := newTable(a.out)
	fmt.Fprintln(tw, "NAME\tRESOURCE GROUP\tLOCATION\tATTACHED AS")
	for _, c := range cands {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.ResourceGroup, c.Location, orDash(strings.Join(c.AttachedAs, ", ")))
	}
	return tw.Flush()
}

// runBrowseAll lists every subscription at once (flows.BrowseAll) and prints
// the whole list, sorted, once the last page is in. Subscriptions that could
// not be listed are named after the list, and the exit code says so.
func runBrowseAll(a *app, t string) error {
	e, err := a.setup(true)
	if err != nil {
		return err
	}
	var cands []flows.Candidate
	berr := flows.BrowseAll(a.ctx, e.deps, e.ws, t, func(page []flows.Candidate) {
		cands = append(cands, page...)
	})
	var bae *flows.BrowseAllError
	if berr != nil && !errors.As(berr, &bae) {
		return berr
	}
	flows.SortAllCandidates(cands)
	if cands == nil {
		cands = []flows.Candidate{}
	}
	if a.json() {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cands); err != nil {
			return err
		}
		return berr
	}
	if len(cands) == 0 {
		fmt.Fprintf(a.out, "No %s in any subscription you can see.\n", pluralLabel(t))
		return berr
	}
	tw := newTable(a.out)
	fmt.Fprintln(tw, "NAME\tSUBSCRIPTION\tRESOURCE GROUP\tLOCATION\tATTACHED AS")
	for _, c := range cands {
		sub := "-"
		if id, err := azure.ParseResourceID(c.ID); err == nil {
			sub = id.SubscriptionID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, sub, c.ResourceGroup, c.Location, orDash(strings.Join(c.AttachedAs, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return berr
}
