package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v, c := version, commit
			if c == "" {
				if bi, ok := debug.ReadBuildInfo(); ok {
					for _, s := range bi.Settings {
						if s.Key == "vcs.revision" && len(s.Value) >= 12 {
							c = s.Value[:12]
						}
					}
				}
			}
			if a.output == "json" {
				return json.NewEncoder(a.out).Encode(map[string]string{"version": v, "commit": c, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH})
			}
			if c != "" {
				v += " (" + c + ")"
			}
			fmt.Fprintf(a.out, "amlattach %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		}}
}
