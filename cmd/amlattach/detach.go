package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/flows"
)

func newDetachCmd(a *app) *cobra.Command {
	var yes bool
	c := &cobra.Command{Use: "detach NAME", Short: "Detach a compute from the workspace (the resource itself is untouched)",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			e, err := a.setup(true)
			if err != nil {
				return err
			}
			gctx, gcancel := e.deps.StepContext(a.ctx)
			c, err := e.deps.Azure.GetCompute(gctx, e.ws, name)
			gcancel()
			if errors.Is(err, azure.ErrComputeNotFound) {
				return &flows.Error{Kind: flows.KindAzure, Field: "NAME", Msg: fmt.Sprintf("workspace %s has no compute named %q", e.ws.Name, name), Fix: "see the names with: amlattach list", Err: err}
			}
			if err != nil {
				return flows.FromAzure("read compute "+name, err)
			}
			if !yes {
				if !a.io.InTTY {
					return &flows.Error{Kind: flows.KindInput, Field: "--yes", Msg: "no terminal to ask for confirmation; nothing was detached", Fix: "pass --yes to detach without asking"}
				}
				if !a.askYes(fmt.Sprintf("Detach %q (%s, %s) from %s? Azure ML forgets the compute; the resource %s itself is not touched. [y/N] ", name, c.Type, orDash(c.ProvisioningState), e.ws.Name, orDash(c.ResourceID))) {
					return &flows.Error{Kind: flows.KindInput, Msg: "not confirmed; nothing was detached"}
				}
			}
			start := time.Now()
			last := ""
			dctx, dcancel := e.deps.OperationContext(a.ctx)
			defer dcancel()
			err = e.deps.Azure.Detach(dctx, e.ws, name, func(p azure.Progress) {
				if p.State == last {
					return
				}
				last = p.State
				fmt.Fprintf(a.errw, "detach: %s (%s)\n", p.State, time.Since(start).Round(100*time.Millisecond))
			})
			if err != nil {
				if a.ctx.Err() != nil {
					return &flows.Error{Kind: flows.KindInterrupted, Msg: fmt.Sprintf("stopped watching: the detach of %q goes on in Azure", name), Fix: "check it with: amlattach list", Err: err}
				}
				if dctx.Err() != nil {
					return &flows.Error{Kind: flows.KindAzure, Msg: fmt.Sprintf("the detach of %q did not end within %s; it may still finish in Azure", name, e.deps.AttachWait()), Fix: "check it with: amlattach list", Err: err}
				}
				return flows.FromAzure("detach "+name, err)
			}
			if a.json() {
				return json.NewEncoder(a.out).Encode(map[string]any{"name": name, "workspace": e.ws.Name, "detached": true, "resourceId": c.ResourceID})
			}
			fmt.Fprintf(a.out, "Detached %q from %s. The resource itself was not touched.\n", name, e.ws.Name)
			return nil
		}}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "detach without asking for confirmation")
	return c
}
