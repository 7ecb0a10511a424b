package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"amlattach/flows"
)

// Shell completion: cobra's `completion bash|zsh|fish|powershell` writes the
// scripts; these functions answer them from the workspace when the user is
// signed in (or a --world is given), and quietly offer nothing otherwise.

// completeComputes offers the workspace's compute names (doctor, detach).
func completeComputes(a *app) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		e, err := a.setup(true)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := e.deps.StepContext(a.ctx)
		defer cancel()
		cs, err := e.deps.Azure.ListComputes(ctx, e.ws)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, c := range cs {
			if strings.HasPrefix(strings.ToLower(c.Name), strings.ToLower(toComplete)) {
				out = append(out, c.Name+"\t"+c.Type+" "+c.ProvisioningState)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeResourceIDs offers the IDs `browse TYPE` lists.
func completeResourceIDs(a *app, typ string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		e, err := a.setup(true)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cands, err := flows.Browse(a.ctx, e.deps, e.ws, typ)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, c := range cands {
			if strings.HasPrefix(strings.ToLower(c.ID), strings.ToLower(toComplete)) {
				out = append(out, c.ID)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// addResourceIDCompletion registers completeResourceIDs on every TYPE
// command under parent that has a --resource-id flag.
func addResourceIDCompletion(a *app, parent *cobra.Command) {
	for _, c := range parent.Commands() {
		if _, ok := flows.BrowseKinds[c.Name()]; ok && c.Flags().Lookup("resource-id") != nil {
			_ = c.RegisterFlagCompletionFunc("resource-id", completeResourceIDs(a, c.Name()))
		}
	}
}

// newManCmd writes man pages for every command (packaging runs it).
func newManCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{Use: "man", Short: "Write the man pages of every command into a folder", Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root := cmd.Root()
			root.DisableAutoGenTag = true
			return doc.GenManTree(root, &doc.GenManHeader{Title: "AMLATTACH", Section: "1", Source: "amlattach", Manual: "amlattach manual"}, dir)
		}}
	c.Flags().StringVar(&dir, "dir", ".", "folder to write the pages into")
	return c
}
