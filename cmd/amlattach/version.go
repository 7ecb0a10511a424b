package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"amlattach/flows"
	"amlattach/internal/buildinfo"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version, commit and build date", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in := buildinfo.Get()
			if a.output != "text" && a.output != "json" {
				return &flows.Error{Kind: flows.KindInput, Field: "-o/--output", Msg: fmt.Sprintf("%q is not an output format", a.output), Fix: "use -o text or -o json"}
			}
			if a.output == "json" {
				return json.NewEncoder(a.out).Encode(in)
			}
			date := ""
			if in.Date != "" {
				date = " built " + in.Date
			}
			fmt.Fprintf(a.out, "amlattach %s%s %s %s\n", in.Short(), date, in.Go, in.Platform)
			return nil
		}}
}
