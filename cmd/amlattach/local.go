package main

import (
	"github.com/spf13/cobra"

	"amlattach/flows"
)

func newProbeLocalCmd(a *app) *cobra.Command {
	var port int
	c := &cobra.Command{Use: "local", Short: "Check this computer for local runs and local inference (Docker, a free port)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if a.output != "text" && a.output != "json" {
				return &flows.Error{Kind: flows.KindInput, Field: "-o/--output", Msg: "unknown output format " + a.output, Fix: "use -o text or -o json"}
			}
			if port < 1 || port > 65535 {
				return &flows.Error{Kind: flows.KindInput, Field: "--port", Msg: "not a TCP port", Fix: "give a port between 1 and 65535"}
			}
			d := flows.Deps{Timeout: a.timeout}
			r := newProbePrinter(a)
			rs := flows.RunGraph(a.ctx, flows.LocalSteps(d, a.getenv("DOCKER_HOST"), port), nil, r.event)
			rep := flows.NewReport("local", "local", "", rs)
			if err := r.finish(rep); err != nil {
				return err
			}
			if !rep.OK {
				return &flows.Error{Kind: flows.KindProbeFailed, Msg: "a probe failed", Fix: "fix what the failed probes say and run again"}
			}
			return nil
		}}
	c.Flags().IntVar(&port, "port", 8890, "port a local web service would listen on")
	return c
}

func newAttachLocalCmd() *cobra.Command {
	return newNeverAttachedCmd("local", "Explains why the local computer is never attached", flows.LocalExplanation,
		"check this computer with: amlattach probe local")
}
