package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"amlattach/azure/sandbox"
	"amlattach/flows"
)

// newSandboxCmd is `amlattach sandbox serve`: one simulated Azure that
// several commands share, so that what one attaches the next one sees.
func newSandboxCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "sandbox", Short: "Run a shared sandbox (a simulated Azure) for several commands or people", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return &flows.Error{Kind: flows.KindInput, Field: "sandbox", Msg: "a subcommand is required", Fix: "amlattach sandbox serve --world FILE"}
		}}
	var out string
	serve := &cobra.Command{Use: "serve", Short: "Serve the sandbox of --world until interrupted; commands use it with --sandbox FILE",
		Long: "Start the sandbox of --world (default: the built-in world) and keep it running until Ctrl-C. " +
			"It writes a connection file; commands given --sandbox FILE (or AMLATTACH_SANDBOX=FILE) then talk to this one sandbox, " +
			"so an attach made by one command is listed by the next. Everything listens on 127.0.0.1 only.",
		Example: "  amlattach sandbox serve --world demo\n  AMLATTACH_SANDBOX=~/.config/amlattach/sandbox.json amlattach list",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			world := a.world
			if world == "" {
				world = "demo"
			}
			var w *sandbox.World
			var err error
			if world == "demo" {
				w = demoWorld(a.auth)
			} else if w, err = sandbox.LoadWorldFile(world); err != nil {
				return &flows.Error{Kind: flows.KindInput, Field: "--world", Msg: err.Error(), Fix: "fix the world file (see docs/world.md)", Err: err}
			}
			srv, err := sandbox.Start(w)
			if err != nil {
				return fmt.Errorf("start the sandbox: %w", err)
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			defer ln.Close()
			if out == "" {
				dir, derr := os.UserConfigDir()
				if derr != nil {
					dir = os.TempDir()
				}
				out = filepath.Join(dir, "amlattach", "sandbox.json")
			}
			out = expandHome(out)
			if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
				return &flows.Error{Kind: flows.KindInput, Field: "--out", Msg: err.Error(), Fix: "give a writable path with --out"}
			}
			if err := sandbox.WriteConnInfo(out, srv.Info(ln.Addr().String(), world)); err != nil {
				return &flows.Error{Kind: flows.KindInput, Field: "--out", Msg: err.Error(), Fix: "give a writable path with --out"}
			}
			defer os.Remove(out)
			fmt.Fprintf(a.out, "Sandbox of %s serving on 127.0.0.1 (Resource Manager %s). In other terminals:\n  export AMLATTACH_SANDBOX=%s\n  amlattach list\nCtrl-C stops it; its state is lost then.\n", world, srv.Endpoint(), out)
			done := make(chan error, 1)
			go func() { done <- srv.ServeDial(ln) }()
			select {
			case <-a.ctx.Done():
				ln.Close()
				<-done
				fmt.Fprintln(a.errw, "sandbox stopped")
				return nil
			case err := <-done:
				return err
			}
		}}
	serve.Flags().StringVar(&out, "out", "", "where to write the connection file (default: amlattach/sandbox.json in the user config folder)")
	c.AddCommand(serve)
	return c
}
