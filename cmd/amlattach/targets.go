package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"amlattach/azure"
	"amlattach/flows"
)

// refFlags name the resource and the compute, for every type but vm.
type refFlags struct {
	name, resourceID, resourceName, resourceGroup, pool string
	yes, force, replace                                 bool
	testJob                                             bool // --test-job: a test job after a successful attach
}

func (f *refFlags) register(c *cobra.Command, attach bool, kind, example string, byName bool) {
	fl := c.Flags()
	fl.StringVar(&f.name, "name", "", "compute name in the workspace (2-16 letters, digits, hyphens; default: from the resource's name)")
	fl.StringVar(&f.resourceID, "resource-id", "", "ARM ID of the "+kind+": "+example)
	if byName {
		fl.StringVar(&f.resourceName, "resource-name", "", "the "+kind+"'s name, instead of --resource-id (in the workspace's subscription)")
		fl.StringVar(&f.resourceGroup, "resource-group-name", "", "the resource group of --resource-name (default: the workspace's)")
	}
	if attach {
		registerAttachFlags(c, f)
	}
}

// registerAttachFlags adds --yes, --force and --replace.
func registerAttachFlags(c *cobra.Command, f *refFlags) {
	fl := c.Flags()
	fl.BoolVarP(&f.yes, "yes", "y", false, "attach without asking for confirmation")
	fl.BoolVar(&f.force, "force", false, "attach even though a probe failed (never over an existing compute name unless --replace)")
	fl.BoolVar(&f.replace, "replace", false, "reattach the existing compute of this --name with new settings: preflight first, then detach and attach again")
}

// registerTestJob adds --test-job (the types whose computes run command jobs).
func registerTestJob(c *cobra.Command, f *refFlags) {
	c.Flags().BoolVar(&f.testJob, "test-job", false, "after a successful attach, run a test job on the compute and follow it (exit 3 if it fails); -o json adds it as \"testJob\"")
}

func (f *refFlags) ref() flows.TargetRef {
	return flows.TargetRef{ResourceID: f.resourceID, ResourceName: f.resourceName, ResourceGroup: f.resourceGroup, Pool: f.pool}
}

// identityFlags are the managed identity of a Kubernetes or Synapse attach.
type identityFlags struct {
	typ string
	ids []string
}

func (f *identityFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.typ, "identity-type", "", "managed identity of the compute: SystemAssigned, UserAssigned or none (default none)")
	c.Flags().StringArrayVar(&f.ids, "user-assigned-identity", nil, "ARM ID of a user-assigned identity (repeatable; with --identity-type UserAssigned)")
}

func (f *identityFlags) input() flows.IdentityInput {
	return flows.IdentityInput{Type: f.typ, IDs: f.ids}
}

// targetCmd is one TYPE under probe or attach.
type targetCmd struct {
	typ, short, example string
	// plan validates the flags into a plan (reading secret files).
	plan func() (*flows.Plan, error)
	ref  *refFlags
}

// verb is what the TYPE commands under probe, attach and fix do.
type verb int

const (
	verbProbe verb = iota
	verbAttach
	verbFix
)

func verbOf(v verb) string {
	return [...]string{"probe", "attach", "fix"}[v]
}

func (a *app) targetCommand(v verb, t targetCmd) *cobra.Command {
	short := [...]string{"Probe " + t.short, "Attach " + t.short, "Fix what the preflight of " + t.short + " finds"}[v]
	var ff fixFlags
	c := &cobra.Command{Use: t.typ, Short: short, Args: cobra.NoArgs, Example: t.example,
		RunE: func(*cobra.Command, []string) error {
			p, err := t.plan()
			if err != nil {
				return err
			}
			if v == verbFix {
				return runFix(a, p, &ff)
			}
			return runPlan(a, p, v == verbAttach, t.ref)
		}}
	if v == verbFix {
		ff.register(c)
	}
	return c
}

// runPlan is probe or attach of any type once its input is valid. The
// workspace is read beside the preflight, which needs only its name: the
// probe lines wait until it is found, and are dropped when it is not.
func runPlan(a *app, p *flows.Plan, attach bool, f *refFlags) error {
	a.addSecrets(p.Secrets()...)
	e, err := a.setupUnread(true)
	if err != nil {
		return err
	}
	p.Bind(e.ws)
	r := newProbePrinter(a)
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	g := &gate{next: r.event}
	var read azure.Workspace
	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		if read, readErr = a.readWorkspace(ctx, e); readErr != nil {
			cancel() // the preflight's results say nothing then
			return
		}
		g.open(func() {
			if !a.json() {
				fmt.Fprintf(a.out, "Preflight of %s %s as %q in workspace %s\n", typeLabel(p.Type), resourceLabel(p), p.Name, read.Name)
			}
		})
	}()
	workspace := func() (azure.Workspace, error) {
		<-readDone
		if readErr != nil && a.ctx.Err() != nil {
			return read, &flows.Error{Kind: flows.KindInterrupted, Msg: "interrupted; nothing was sent to Azure", Err: a.ctx.Err()}
		}
		var fe *flows.Error
		if attach && errors.As(readErr, &fe) {
			x := *fe
			x.Msg += "; nothing was sent to Azure"
			return read, &x
		}
		return read, readErr
	}
	if !attach {
		rs := flows.Probe(ctx, e.deps, e.ws, p, g.emit)
		if e.ws, err = workspace(); err != nil {
			return err
		}
		fixes := flows.FixesFor(ctx, e.deps, p, rs)
		rep := flows.NewReport(p.Type, p.Name, p.ID.String(), rs).WithFixes(fixes)
		if err := r.finish(rep); err != nil {
			return err
		}
		a.printFixOffers(p.Type, fixes)
		if a.ctx.Err() != nil {
			return &flows.Error{Kind: flows.KindInterrupted, Msg: "interrupted"}
		}
		if err := flows.SignInLost(e.deps, "preflight"); err != nil {
			return err
		}
		if !rep.OK {
			return &flows.Error{Kind: flows.KindProbeFailed, Msg: "a probe failed", Fix: "fix what the failed probes say and run again"}
		}
		return nil
	}
	opts := flows.AttachOptions{Force: f.force, Workspace: workspace}
	if !f.yes {
		opts.Confirm = func(s flows.AttachSummary) (bool, error) { return a.confirm(s) }
	}
	var rep *flows.Report
	if f.replace {
		// a reattach reads the compute first: the workspace is known by then
		if e.ws, err = workspace(); err != nil {
			return err
		}
		opts.Workspace = nil
		rep, err = flows.Replace(a.ctx, e.deps, e.ws, p, flows.ReplaceOptions{AttachOptions: opts, Retry: a.retryCommand()}, g.emit)
	} else {
		rep, err = flows.Attach(ctx, e.deps, e.ws, p, opts, g.emit)
	}
	if f.testJob {
		return a.attachThenJob(e, p, r, rep, err)
	}
	if ferr := r.finish(rep); ferr != nil && err == nil {
		err = ferr
	}
	if err == nil && !a.json() {
		for _, n := range p.Notes {
			fmt.Fprintln(a.out, "note: "+n)
		}
	}
	return err
}

// attachWithJob is `attach --test-job -o json`: the attach's document with
// the test job's (that of `job -o json`) as "testJob", null when no job was
// submitted (the attach did not succeed).
type attachWithJob struct {
	*flows.Report
	TestJob *flows.JobReport `json:"testJob"`
}

// attachThenJob ends `attach --test-job`: after a successful attach a test
// job runs on the compute; the exit code is then the job's (3 when it
// fails, 130 when interrupted: the job is canceled). A failed attach runs
// no job and ends as it would have.
func (a *app) attachThenJob(e *env, p *flows.Plan, r *probePrinter, rep *flows.Report, err error) error {
	var job *flows.JobReport
	if err == nil && rep != nil && rep.Compute != nil && rep.Compute.ProvisioningState == "Succeeded" {
		if !a.json() {
			if ferr := r.finish(rep); ferr != nil {
				return ferr
			}
			for _, n := range p.Notes {
				fmt.Fprintln(a.out, "note: "+n)
			}
		}
		job, err = a.runTestJob(e, flows.JobInput{Compute: p.Name})
		if job != nil && !a.json() {
			a.printJobText(job, false)
		}
		if err != nil && job == nil {
			err = &flows.Error{Kind: flows.Kind(flows.ExitCode(err)), Msg: fmt.Sprintf("%q was attached; its test job was not submitted: %s", p.Name, err), Fix: fixOf(err), Err: err}
		}
		var fe *flows.Error
		if !a.json() && errors.As(err, &fe) && fe.Kind == flows.KindAzure && job != nil && job.Error != nil {
			// The report said it all; the last line only sums it up.
			return &flows.Error{Kind: flows.KindAzure, Msg: fmt.Sprintf("%q was attached, and its test job %s ended %s", p.Name, job.Job.Name, job.Job.Status), Err: err}
		}
		if !a.json() {
			return err
		}
	} else if !a.json() {
		if ferr := r.finish(rep); ferr != nil && err == nil {
			err = ferr
		}
		return err
	}
	if rep == nil {
		return err
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if perr := enc.Encode(attachWithJob{Report: rep, TestJob: job}); perr != nil && err == nil {
		err = perr
	}
	return err
}

func typeLabel(typ string) string {
	return map[string]string{"vm": "VM", "hdinsight": "HDInsight cluster", "batch": "Batch account", "databricks": "Databricks workspace",
		"adla": "Data Lake Analytics account", "aks": "AKS cluster", "kubernetes": "Kubernetes cluster", "synapse": "Synapse Spark pool"}[typ]
}

func resourceLabel(p *flows.Plan) string {
	if p.ID.ChildName != "" {
		return p.ID.Name + "/" + p.ID.ChildName
	}
	return p.ID.Name
}

// printFixOffers lists, after a probe's report, the fixes its failures
// offer and those it shows as advice or as needing a permission.
func (a *app) printFixOffers(typ string, fixes []flows.Fix) {
	if a.json() {
		return
	}
	for _, f := range fixes {
		if f.Offered() {
			fmt.Fprintf(a.out, "fix available: %s: %s (amlattach fix %s with the same flags; it asks first)\n", f.ID, f.Summary, typ)
		} else {
			fmt.Fprintf(a.out, "fix %s (%s) not offered: %s\n", f.ID, f.Summary, f.NotOffered())
			if f.Advice != "" {
				for _, c := range f.Changes {
					fmt.Fprintln(a.out, "  "+c)
				}
			}
		}
	}
}

// targetCommands builds the TYPE commands other than vm, local and aci,
// under probe, attach or fix.
func (a *app) targetCommands(v verb) []*cobra.Command {
	attach := v == verbAttach
	var out []*cobra.Command

	// hdinsight
	{
		var rf refFlags
		var sf vmFlags
		c := a.targetCommand(v, targetCmd{typ: "hdinsight", short: "an HDInsight Spark cluster over its SSH endpoint", ref: &rf,
			example: "  amlattach " + verbOf(v) + " hdinsight --resource-name spark-hdi --username sshuser --password-file pw.txt",
			plan: func() (*flows.Plan, error) {
				in, err := sf.input(a)
				if err != nil {
					return nil, err
				}
				in.Name = rf.name
				return flows.ValidateHDInsight(flows.HDInsightInput{Ref: rf.ref(), SSH: in}, attach)
			}})
		rf.register(c, attach, "cluster", "/subscriptions/…/resourceGroups/…/providers/Microsoft.HDInsight/clusters/NAME", true)
		sf.registerLogin(c)
		out = append(out, c)
	}
	// batch
	{
		var rf refFlags
		c := a.targetCommand(v, targetCmd{typ: "batch", short: "an Azure Batch account (the Azure ML SDK v1 Batch compute)", ref: &rf,
			example: "  amlattach " + verbOf(v) + " batch --resource-name mybatch --resource-group-name batch-rg",
			plan: func() (*flows.Plan, error) {
				return flows.ValidateBatch(flows.SimpleInput{Name: rf.name, Ref: rf.ref()})
			}})
		rf.register(c, attach, "Batch account", "/subscriptions/…/resourceGroups/…/providers/Microsoft.Batch/batchAccounts/NAME", true)
		out = append(out, c)
	}
	// databricks
	{
		var rf refFlags
		var tokenFile string
		c := a.targetCommand(v, targetCmd{typ: "databricks", short: "an Azure Databricks workspace with an access token", ref: &rf,
			example: "  AMLATTACH_DATABRICKS_TOKEN=… amlattach " + verbOf(v) + " databricks --resource-name dbx-ws\n  amlattach " + verbOf(v) + " databricks --resource-id /subscriptions/…/workspaces/dbx-ws --token-file token.txt",
			plan: func() (*flows.Plan, error) {
				in := flows.DatabricksInput{Name: rf.name, Ref: rf.ref()}
				if tokenFile != "" {
					t, err := flows.ReadSecretFile("--token-file", expandHome(tokenFile))
					if err != nil {
						return nil, err
					}
					in.Token, in.TokenSource = t, "--token-file"
				} else if t := a.getenv("AMLATTACH_DATABRICKS_TOKEN"); t != "" {
					in.Token, in.TokenSource = t, "AMLATTACH_DATABRICKS_TOKEN"
				}
				a.addSecrets(in.Token)
				return flows.ValidateDatabricks(in)
			}})
		rf.register(c, attach, "Databricks workspace", "/subscriptions/…/resourceGroups/…/providers/Microsoft.Databricks/workspaces/NAME", true)
		c.Flags().StringVar(&tokenFile, "token-file", "", "file holding a Databricks personal access token (or set AMLATTACH_DATABRICKS_TOKEN)")
		out = append(out, c)
	}
	// adla
	{
		var rf refFlags
		c := a.targetCommand(v, targetCmd{typ: "adla", short: "an Azure Data Lake Analytics account (retired service)", ref: &rf,
			example: "  amlattach " + verbOf(v) + " adla --resource-name myadla",
			plan: func() (*flows.Plan, error) {
				return flows.ValidateADLA(flows.SimpleInput{Name: rf.name, Ref: rf.ref()})
			}})
		rf.register(c, attach, "Data Lake Analytics account", "/subscriptions/…/resourceGroups/…/providers/Microsoft.DataLakeAnalytics/accounts/NAME", true)
		out = append(out, c)
	}
	// aks
	{
		var rf refFlags
		var in flows.AKSInput
		c := a.targetCommand(v, targetCmd{typ: "aks", short: "an AKS cluster as an inference target", ref: &rf,
			example: "  amlattach " + verbOf(v) + " aks --resource-name aks-prod --cluster-purpose FastProd\n  amlattach " + verbOf(v) + " aks --resource-name aks-prod --tls custom --tls-cert-file cert.pem --tls-key-file key.pem --tls-cname ml.contoso.com",
			plan: func() (*flows.Plan, error) {
				in.Name, in.Ref = rf.name, rf.ref()
				x := in
				x.CertFile, x.KeyFile = expandHome(in.CertFile), expandHome(in.KeyFile)
				return flows.ValidateAKS(x)
			}})
		rf.register(c, attach, "AKS cluster", "/subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerService/managedClusters/NAME", true)
		fl := c.Flags()
		fl.StringVar(&in.Purpose, "cluster-purpose", "FastProd", "FastProd or DenseProd (production: at least 3 nodes and 12 vCPUs) or DevTest")
		fl.StringVar(&in.LoadBalancerType, "load-balancer-type", "PublicIp", "PublicIp or InternalLoadBalancer")
		fl.StringVar(&in.LoadBalancerSubnet, "load-balancer-subnet", "", "subnet of the internal load balancer")
		fl.StringVar(&in.TLS, "tls", "disabled", "TLS of the scoring endpoint: disabled, auto (a Microsoft certificate for a leaf domain label) or custom (your certificate)")
		fl.StringVar(&in.LeafDomainLabel, "tls-leaf-domain-label", "", "with --tls auto: the label of the endpoint's DNS name")
		fl.BoolVar(&in.OverwriteDomain, "tls-overwrite-domain", false, "with --tls auto: take the label over if it is in use")
		fl.StringVar(&in.CertFile, "tls-cert-file", "", "with --tls custom: PEM certificate file")
		fl.StringVar(&in.KeyFile, "tls-key-file", "", "with --tls custom: PEM private key file (unencrypted)")
		fl.StringVar(&in.CName, "tls-cname", "", "with --tls custom: the DNS name the certificate is for")
		out = append(out, c)
	}
	// kubernetes
	{
		var rf refFlags
		var idf identityFlags
		var ns string
		c := a.targetCommand(v, targetCmd{typ: "kubernetes", short: "an AKS or Arc-connected cluster with the Azure ML extension", ref: &rf,
			example: "  amlattach " + verbOf(v) + " kubernetes --resource-id /subscriptions/…/providers/Microsoft.Kubernetes/connectedClusters/arc1 --namespace azureml --identity-type SystemAssigned",
			plan: func() (*flows.Plan, error) {
				return flows.ValidateKubernetes(flows.KubernetesInput{Name: rf.name, Ref: rf.ref(), Namespace: ns, Identity: idf.input()})
			}})
		rf.register(c, attach, "cluster", "…/Microsoft.ContainerService/managedClusters/NAME or …/Microsoft.Kubernetes/connectedClusters/NAME", false)
		if attach {
			registerTestJob(c, &rf)
		}
		c.Flags().StringVar(&ns, "namespace", "default", "Kubernetes namespace the jobs and endpoints run in")
		idf.register(c)
		out = append(out, c)
	}
	// synapse
	{
		var rf refFlags
		var idf identityFlags
		c := a.targetCommand(v, targetCmd{typ: "synapse", short: "a Synapse Spark pool", ref: &rf,
			example: "  amlattach " + verbOf(v) + " synapse --resource-name synapse-ws --pool-name sparkpool",
			plan: func() (*flows.Plan, error) {
				return flows.ValidateSynapse(flows.SimpleInput{Name: rf.name, Ref: rf.ref(), Identity: idf.input()})
			}})
		rf.register(c, attach, "Spark pool", "/subscriptions/…/providers/Microsoft.Synapse/workspaces/WS/bigDataPools/POOL", true)
		c.Flags().Lookup("resource-name").Usage = "the Synapse workspace's name, instead of --resource-id (with --pool-name)"
		c.Flags().StringVar(&rf.pool, "pool-name", "", "the Spark pool's name, with --resource-name")
		idf.register(c)
		out = append(out, c)
	}
	return out
}

// retryCommand is this command line without --replace, --force and -y:
// what attaches again after a replace failed halfway (it asks first).
func (a *app) retryCommand() string {
	parts := []string{"amlattach"}
	for _, x := range a.args {
		switch x {
		case "--replace", "--force", "--yes", "-y":
			continue
		}
		parts = append(parts, flows.ShellQuote(x))
	}
	return strings.Join(parts, " ")
}
