package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/flows"
	"amlattach/internal/buildinfo"
	"amlattach/ui"
)

// addWizard makes the bare command start the wizard: full screen when
// stdin and stdout are terminals, line prompts with --plain (or TERM=dumb),
// and otherwise the help with exit code 2.
func addWizard(a *app, root *cobra.Command) {
	var plain bool
	root.Flags().BoolVar(&plain, "plain", false, "ask one question per line on stdin/stderr, without full-screen drawing (screen readers, logs)")
	root.Args = cobra.NoArgs
	root.Long += `

Run without a command in a terminal, amlattach walks you through it: the workspace, what to
attach, the VM, how to log in to it, the preflight, and the attach. amlattach demo does the same
against a built-in simulated Azure, with no account needed. On the list of compute types, t
troubleshoots what is attached already: the computes grouped by resource, doctor, reattach, detach.`
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		return runWizard(a, cmd, nil, plain)
	}
}

// runWizard runs the wizard against the environment the flags describe.
func runWizard(a *app, cmd *cobra.Command, start *ui.Start, plain bool) error {
	dumb := a.getenv("TERM") == "dumb"
	terminal := a.io.InTTY && isTTYWriter(a.io.Out)
	if !plain && !terminal {
		cmd.SetOut(a.errw)
		cmd.Help()
		return usageError{errors.New("the wizard needs a terminal on stdin and stdout: run it in one, give --plain for line prompts, or use the commands above")}
	}
	a.wizardSignIn = true
	e, problem, err := a.wizardEnv(start != nil)
	if err != nil {
		return err
	}
	be := flows.NewWizard(e.deps)
	be.AddSecret = a.addSecrets                     // typed secrets and those doctor reads stay out of outputs and --debug logs
	be.Trace = func(l string) { a.debugf("%s", l) } // what each fix changed
	command := "amlattach"
	if a.world != "" {
		command += " --world " + flows.ShellQuote(a.world)
	}
	bi := buildinfo.Get()
	o := ui.Options{
		Backend: be, Workspace: e.ws, WorkspaceSource: sourceText(e.sources), WorkspaceProblem: problem,
		Sandbox: e.sandbox != nil, KnownHosts: a.defaultKnownHosts(), Getenv: a.getenv, Start: start,
		Command: command, Version: bi.Version, Commit: bi.Commit,
	}
	if a.signIn != nil {
		o.SignIn, o.SignInMethod = a.signIn, a.signIn.Preferred
		o.SignInChosen = a.auth == azure.MethodDeviceCode || a.auth == azure.MethodBrowser
		if !plain && !dumb {
			o.Clipboard = a.clipboard()
		}
	}
	if mem, err := flows.DefaultWorkspaceMemory(e.sandbox != nil); err == nil {
		o.Memory = mem
	}
	if a.world == "demo" {
		o.SandboxLogin = ui.Login{User: "azureuser", Password: flows.DemoPassword} // the built-in world's VMs, for trainees
	}
	var out ui.Outcome
	if plain || dumb {
		pio := ui.PlainIO{In: a.io.In, Out: a.errw}
		if f, ok := a.io.In.(*os.File); ok && a.io.InTTY {
			pio.NoEcho = func() func() { return noEcho(f) }
		}
		out, err = ui.RunPlain(a.ctx, o, pio)
	} else {
		// Ask the terminal for its background now, before the program
		// reads keys: an answer arriving later would be read as typing.
		lipgloss.SetHasDarkBackground(lipgloss.HasDarkBackground())
		out, err = ui.Run(a.ctx, o, a.io.In, a.io.Out)
		for _, l := range out.Lines {
			fmt.Fprintln(a.out, l)
		}
	}
	if err != nil {
		return err
	}
	if out.Kind == ui.OutcomeTroubleshot {
		return nil // troubleshooting ends without an attach, and that is fine
	}
	if out.Kind == ui.OutcomeQuit && out.Err == nil {
		return &flows.Error{Kind: flows.KindInterrupted, Msg: "left the wizard before attaching: nothing was sent to Azure"}
	}
	return out.Err
}

// wizardEnv builds the dependencies and the workspace; when no workspace
// can be resolved the wizard starts by browsing, and problem says why.
func (a *app) wizardEnv(needWorkspace bool) (*env, string, error) {
	e, err := a.setup(true)
	if err == nil {
		return e, "", nil
	}
	var fe *flows.Error
	if a.signIn != nil && errors.As(err, &fe) && fe.Kind == flows.KindCredential {
		// Nobody is signed in yet: the sign-in step comes first, and the
		// workspace step reads the workspace after it.
		e, err := a.setupUnread(true)
		return e, "", err
	}
	if needWorkspace || !errors.As(err, &fe) || fe.Kind != flows.KindInput || !namesWorkspace(fe.Field) {
		return nil, "", err
	}
	e, err2 := a.setup(false)
	if err2 != nil {
		return nil, "", err2
	}
	problem := fe.Error()
	if fe.Fix != "" {
		problem += " (" + fe.Fix + ")"
	}
	return e, problem, nil
}

func namesWorkspace(field string) bool {
	for _, f := range []string{"--subscription", "--resource-group", "--workspace"} {
		if strings.Contains(field, f) {
			return true
		}
	}
	return false
}

// sourceText says where the workspace came from.
func sourceText(s flows.WorkspaceSources) string {
	if s.Subscription == s.ResourceGroup && s.ResourceGroup == s.Workspace {
		return s.Workspace
	}
	return fmt.Sprintf("subscription: %s; group: %s; workspace: %s", s.Subscription, s.ResourceGroup, s.Workspace)
}

func isTTYWriter(w any) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
