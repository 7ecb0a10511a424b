package main

import (
	"amlattach/internal/buildinfo"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
)

// version is this build's version, for messages and the User-Agent.
var version = buildinfo.Get().Short()

// app holds what every command shares: streams, environment, global flags,
// and the dependencies built from them.
type app struct {
	ctx    context.Context
	io     *streams
	out    *redactor // stdout, scrubbed of secrets
	errw   *redactor // stderr, scrubbed of secrets
	getenv func(string) string

	wsFlags flows.WorkspaceFlags
	output  string
	world   string
	debug   string
	timeout time.Duration

	debugW      *redactor
	args        []string // the command line, for messages that repeat it
	auth        string   // --auth
	sandboxFile string   // --sandbox or AMLATTACH_SANDBOX
	tenant      string   // --tenant
	closers     []func()

	// wizardSignIn: the wizard signs in itself (wizardCredential), and
	// signIn is its sign-in step's operations (nil: nothing to offer).
	wizardSignIn bool
	signIn       *flows.SignIn
}

func (a *app) addSecrets(s ...string) {
	a.out.add(s...)
	a.errw.add(s...)
	if a.debugW != nil {
		a.debugW.add(s...)
	}
}

func (a *app) json() bool { return a.output == "json" }

// env is a built environment: the deps and the workspace.
type env struct {
	deps    flows.Deps
	ws      azure.Workspace
	sources flows.WorkspaceSources
	sandbox sandboxConn // nil against Azure
}

// sandboxConn is a sandbox in this process (--world) or in another one
// (--sandbox, from amlattach sandbox serve).
type sandboxConn interface {
	Endpoint() string
	HTTPClient() *http.Client
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
	EntraEndpoint() string
	SignInRequired() bool
}

// sharedSandbox, when set (by tests), is used instead of starting a sandbox
// from the world, so that several commands see one simulated Azure.
var sharedSandbox *sandbox.Server

// setup builds the dependencies: the sandbox when --world is given, real
// Azure otherwise; then resolves the workspace and reads it.
func (a *app) setup(needWorkspace bool) (*env, error) {
	e, err := a.setupUnread(needWorkspace)
	if err != nil || !needWorkspace {
		return e, err
	}
	if e.ws, err = a.readWorkspace(a.ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// setupUnread is setup without the read of the workspace: e.ws names it
// (subscription, group, name) but its location is not known yet.
func (a *app) setupUnread(needWorkspace bool) (*env, error) {
	if a.output != "text" && a.output != "json" {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "-o/--output", Msg: fmt.Sprintf("%q is not an output format", a.output), Fix: "use -o text or -o json"}
	}
	if a.timeout <= 0 {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "--timeout", Msg: "must be positive", Fix: "e.g. --timeout 15s"}
	}
	if err := a.openDebug(); err != nil {
		return nil, err
	}
	e := &env{deps: flows.Deps{Timeout: a.timeout, AddSecret: a.addSecrets}}
	if a.sandboxFile == "" {
		a.sandboxFile = a.getenv("AMLATTACH_SANDBOX")
	}
	if a.world != "" && a.sandboxFile != "" {
		return nil, &flows.Error{Kind: flows.KindInput, Field: "--sandbox", Msg: "both --world and a shared sandbox (--sandbox or AMLATTACH_SANDBOX) were given", Fix: "use one: --world starts a sandbox for this command, --sandbox uses one started by amlattach sandbox serve"}
	}
	if a.world != "" || a.sandboxFile != "" {
		sb, refs, err := a.openSandbox()
		if err != nil {
			return nil, err
		}
		e.sandbox = sb
		cred, err := a.credential(sb)
		if err != nil {
			return nil, err
		}
		e.deps.Azure = azure.New(cred, azure.Options{
			Endpoint: sb.Endpoint(), HTTPClient: sb.HTTPClient(), PollInterval: 200 * time.Millisecond,
			// MaxRetryDelay lets a Retry-After of a second or two be honoured.
			Retry: &policy.RetryOptions{MaxRetries: 2, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
		})
		a.bindSignIn(e)
		e.deps.Dial = sb.Dial
		e.deps.HTTP = sb.HTTPClient()
		if !needWorkspace {
			return e, nil
		}
		var all []azure.Workspace
		for _, r := range refs {
			all = append(all, azure.Workspace{SubscriptionID: r.SubscriptionID, ResourceGroup: r.ResourceGroup, Name: r.Name})
		}
		// A world with several workspaces is chosen from as Azure would be:
		// flags, AZURE_SUBSCRIPTION_ID, .azureml/config.json, az defaults.
		pick, sources := a.wsFlags, flows.WorkspaceSources{Subscription: "--world", ResourceGroup: "--world", Workspace: "--world"}
		if len(all) > 1 {
			cwd, _ := os.Getwd()
			if rw, rs, rerr := flows.ResolveWorkspace(a.wsFlags, cwd, a.getenv); rerr == nil {
				pick = flows.WorkspaceFlags{Subscription: rw.SubscriptionID, ResourceGroup: rw.ResourceGroup, Workspace: rw.Name}
				sources = rs
			}
		}
		ws, err := flows.PickWorldWorkspace(pick, all)
		if err != nil {
			return nil, err
		}
		e.ws = ws
		e.sources = sources
	} else {
		if !slices.Contains(azure.AuthMethods, a.auth) {
			return nil, &flows.Error{Kind: flows.KindInput, Field: "--auth", Msg: fmt.Sprintf("%q is not an authentication method", a.auth), Fix: "use one of " + strings.Join(azure.AuthMethods, ", ")}
		}
		cred, err := a.credential(nil)
		if err != nil {
			return nil, err
		}
		e.deps.Azure = azure.New(cred, azure.Options{UserAgent: "amlattach/" + version})
		a.bindSignIn(e)
		if a.debugW != nil {
			sctx, scancel := context.WithTimeout(a.ctx, a.timeout)
			who, werr := e.deps.Azure.SignedInAs(sctx)
			scancel()
			a.debugf("credential --auth %s: signed in as %q (%v)", a.auth, who, werr)
		}
		if !needWorkspace {
			return e, nil
		}
		cwd, _ := os.Getwd()
		ws, src, err := flows.ResolveWorkspace(a.wsFlags, cwd, a.getenv)
		if err != nil {
			return nil, err
		}
		e.ws, e.sources = ws, src
	}
	return e, nil
}

// openSandbox starts the sandbox of --world, or connects to the one of
// --sandbox, and lists its workspaces.
func (a *app) openSandbox() (sandboxConn, []sandbox.WorkspaceRef, error) {
	if a.sandboxFile != "" {
		ci, err := sandbox.ReadConnInfo(expandHome(a.sandboxFile))
		if err != nil {
			return nil, nil, &flows.Error{Kind: flows.KindInput, Field: "--sandbox", Msg: err.Error(), Fix: "give the connection file amlattach sandbox serve printed", Err: err}
		}
		rem, err := sandbox.NewRemote(ci)
		if err != nil {
			return nil, nil, &flows.Error{Kind: flows.KindInput, Field: "--sandbox", Msg: err.Error(), Fix: "start the sandbox again and use its new connection file", Err: err}
		}
		return rem, rem.Workspaces(), nil
	}
	var w *sandbox.World
	if a.world == "demo" {
		w = demoWorld(a.auth)
	} else {
		var err error
		w, err = sandbox.LoadWorldFile(a.world)
		if err != nil {
			return nil, nil, &flows.Error{Kind: flows.KindInput, Field: "--world", Msg: err.Error(), Fix: "fix the world file (see docs/world.md)", Err: err}
		}
	}
	srv := sharedSandbox
	if srv == nil {
		var err error
		srv, err = sandbox.Start(w)
		if err != nil {
			return nil, nil, fmt.Errorf("start the sandbox: %w", err)
		}
		a.closers = append(a.closers, func() { srv.Close() })
	}
	return srv, w.Workspaces(), nil
}

// readWorkspace reads the workspace e names: it must exist, and its
// location goes into the attach request. It leaves e as it is, so that it
// can run beside a preflight that uses e.
func (a *app) readWorkspace(ctx context.Context, e *env) (azure.Workspace, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	ws, err := e.deps.Azure.GetWorkspace(ctx, e.ws)
	if err != nil {
		if azure.IsNotFound(err) {
			ae, _ := azure.AsAzureError(err)
			return ws, &flows.Error{Kind: flows.KindInput, Field: "-w/--workspace", Msg: fmt.Sprintf("workspace %s not found: %s: %s", e.ws, ae.Code, ae.Message),
				Fix: "check --subscription, -g and -w (az ml workspace list -o table)", Err: err}
		}
		return ws, flows.FromAzure("read workspace "+e.ws.Name, err)
	}
	a.debugf("workspace %s/%s/%s (location %s) from subscription:%s group:%s workspace:%s", ws.SubscriptionID, ws.ResourceGroup, ws.Name, ws.Location, e.sources.Subscription, e.sources.ResourceGroup, e.sources.Workspace)
	return ws, nil
}

// openDebug starts the --debug trace: our events and the SDK's log (which
// redacts headers and never logs bodies), in a 0600 file.
func (a *app) openDebug() error {
	if a.debug == "" || a.debugW != nil {
		return nil
	}
	f, err := os.OpenFile(a.debug, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return &flows.Error{Kind: flows.KindInput, Field: "--debug", Msg: err.Error(), Fix: "give a writable file path"}
	}
	if err := f.Chmod(0o600); err != nil { // an existing file keeps its mode otherwise
		f.Close()
		return &flows.Error{Kind: flows.KindInput, Field: "--debug", Msg: err.Error(), Fix: "give a file you own"}
	}
	a.closers = append(a.closers, func() { f.Close() })
	a.debugW = &redactor{w: f}
	a.debugW.secrets = append(a.debugW.secrets, a.out.secrets...)
	a.closers = append(a.closers, func() { a.debugW.Close() }) // before the file closes
	azlog.SetListener(func(ev azlog.Event, msg string) {
		fmt.Fprintf(a.debugW, "%s %s: %s\n", time.Now().UTC().Format(time.RFC3339Nano), ev, msg)
	})
	a.closers = append(a.closers, func() { azlog.SetListener(nil) })
	return nil
}

func (a *app) debugf(format string, args ...any) {
	if a.debugW != nil {
		fmt.Fprintf(a.debugW, "%s amlattach: %s\n", time.Now().UTC().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
	}
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// defaultKnownHosts is ~/.ssh/known_hosts for real Azure. Against a sandbox
// world it is a file of amlattach's own, so that simulated hosts never land
// in the user's real known_hosts.
func (a *app) defaultKnownHosts() string {
	if a.world != "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			dir = os.TempDir()
		}
		return filepath.Join(dir, "amlattach", "sandbox_known_hosts")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, s *streams, getenv func(string) string) int {
	a := &app{ctx: ctx, io: s, getenv: getenv, out: &redactor{w: s.Out}, errw: &redactor{w: s.Err}, args: args}
	defer a.close()
	defer a.errw.Close() // what the redactors hold back goes out before run returns
	defer a.out.Close()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(a.out)
	root.SetErr(a.errw)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	a.printError(err)
	code := flows.ExitCode(err)
	var ue usageError
	if errors.As(err, &ue) {
		code = 2
	}
	return code
}

// usageError marks cobra's own usage errors (unknown flag, wrong args).
type usageError struct{ error }

func (a *app) printError(err error) {
	var fe *flows.Error
	if errors.As(err, &fe) {
		fmt.Fprintf(a.errw, "error: %s\n", fe.Error())
		if fe.Fix != "" {
			fmt.Fprintf(a.errw, "  fix: %s\n", fe.Fix)
		}
		return
	}
	fmt.Fprintf(a.errw, "error: %v\n", err)
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "amlattach",
		Short: "Attach existing compute to an Azure Machine Learning workspace, checked first",
		Long: `amlattach attaches existing compute to an Azure Machine Learning workspace: an Ubuntu VM or
Data Science VM over SSH (vm), an HDInsight Spark cluster (hdinsight), an Azure Batch account
(batch), a Databricks workspace (databricks), a Data Lake Analytics account (adla), an AKS
cluster for inference (aks), an AKS or Arc cluster with the Azure ML extension (kubernetes) or a
Synapse Spark pool (synapse). It checks everything it can first (for a VM: Ubuntu, public IP,
network rules, SSH reachability and login, Docker, GPU; for every type: the resource, the compute
name, duplicate attachments), so that nothing is sent to Azure until it will work, and it says
what to fix when something will not. It also checks this computer (local) and a subscription
for Azure Container Instances (aci), which are never attached.

Exit codes: 0 done; 1 a probe failed, nothing was sent; 2 bad input or usage;
3 Azure refused or the attach ended Failed/Canceled; 4 no Azure credential; 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.wsFlags.Subscription, "subscription", "", "subscription ID of the workspace")
	pf.StringVarP(&a.wsFlags.ResourceGroup, "resource-group", "g", "", "resource group of the workspace")
	pf.StringVarP(&a.wsFlags.Workspace, "workspace", "w", "", "Azure ML workspace name")
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&a.world, "world", "", "run against a sandbox built from this world file instead of Azure (\"demo\": the built-in world)")
	pf.StringVar(&a.sandboxFile, "sandbox", "", "use the shared sandbox whose connection file amlattach sandbox serve wrote (or set AMLATTACH_SANDBOX)")
	pf.StringVar(&a.auth, "auth", "default", "how to sign in to Azure: default (environment, managed identity, az login, ...), cli, device-code, browser or managed-identity")
	pf.StringVar(&a.tenant, "tenant", "", "Microsoft Entra tenant ID to sign in to (default: the credential's own)")
	pf.StringVar(&a.debug, "debug", "", "write a trace of requests and events to this file (secrets removed)")
	pf.DurationVar(&a.timeout, "timeout", 15*time.Second, "timeout of every network step")
	root.AddCommand(newAttachCmd(a), newProbeCmd(a), newBrowseCmd(a), newListCmd(a), newDetachCmd(a), newFixCmd(a), newJobCmd(a), newDoctorCmd(a), newVersionCmd(a), newAuthCmd(a), newDemoCmd(a), newManCmd(), newSandboxCmd(a))
	for _, c := range root.Commands() {
		switch c.Name() {
		case "attach", "probe", "fix":
			addResourceIDCompletion(a, c)
		case "doctor", "detach":
			c.ValidArgsFunction = completeComputes(a)
		}
	}
	addWizard(a, root) // the bare command is the wizard (RunE and --plain)
	return root
}

// credentialFix is the one command that gets a credential for --auth.
func credentialFix(auth string) string {
	switch auth {
	case "device-code":
		return "check the tenant (--tenant) and complete the device code sign-in in a browser"
	case "browser":
		return "complete the sign-in in the browser; on a machine without one use --auth device-code"
	case "managed-identity":
		return "run on an Azure resource with a managed identity, or sign in with az login and --auth cli"
	}
	return "sign in with: az login (on a machine without a browser: amlattach --auth device-code)"
}
