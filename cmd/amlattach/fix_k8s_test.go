package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/azure/sandbox"
	"amlattach/flows"
	"amlattach/probes"
)

const demoGroup = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml-rg/providers/"

// k8sDemo starts one demo sandbox for every command of a test, with quick
// installs and registrations and change applied first; it returns a
// function that names a --debug trace file in the test's folder.
func k8sDemo(t *testing.T, change func(*sandbox.World)) func(name string) string {
	t.Helper()
	w := sandbox.DemoWorld()
	w.Faults.ExtensionInstallSeconds = 0.5
	w.Faults.ProviderRegisterSeconds = 0.3
	if change != nil {
		change(w)
	}
	sb, err := sandbox.Start(w)
	must(t, err)
	sharedSandbox = sb
	t.Cleanup(func() { sharedSandbox = nil; sb.Close() })
	dir := t.TempDir()
	return func(name string) string { return filepath.Join(dir, name) }
}

// The demo's AKS cluster without the Azure ML extension: probe offers
// k8s.extension with its permission and undo; without consent and with
// --dry-run nothing is sent; with --yes the extension is installed through
// the PUT and its long-running operation, and the preflight after passes
// (exit 0); a rerun has nothing to fix.
func TestFixInstallsTheAzureMLExtensionOnAKS(t *testing.T) {
	trace := k8sDemo(t, nil)
	args := []string{"kubernetes", "--world", "demo", "--resource-id", demoGroup + "Microsoft.ContainerService/managedClusters/aks-noext", "--timeout", "5s"}
	probe := func() flows.ProbeJSON {
		t.Helper()
		r := runCLI(t, nil, append([]string{"probe"}, append(args, "-o", "json")...)...)
		return probeOf(t, report(t, r).Probes, probes.IDK8sExtension)
	}
	p := probe()
	if p.Status != "fail" || p.Fix == nil || p.Fix.ID != flows.FixK8sExtension || p.Fix.Permission != azure.ActionExtensionWrite || p.Fix.Needs != "" || p.Fix.Advice != "" ||
		!strings.Contains(p.Fix.Undo, "az k8s-extension delete --name azureml --cluster-type managedClusters --cluster-name aks-noext --resource-group ml-rg") ||
		!strings.Contains(strings.Join(p.Fix.Changes, "\n"), "enableInference=False") || !strings.Contains(strings.Join(p.Fix.Changes, "\n"), "enableTraining=True") {
		t.Fatalf("probe: want k8s.extension failing with the k8s.extension fix, got %+v", p.Fix)
	}
	const put = "PUT "
	const path = "/managedClusters/aks-noext/providers/Microsoft.KubernetesConfiguration/extensions/azureml?"

	log := trace("noconsent.log")
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "--debug", log)...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") || strings.Contains(readTrace(t, log), path) {
		t.Fatalf("fix without consent: want exit 2 and nothing sent\n%s", r)
	}
	log = trace("dry.log")
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "--dry-run", "--debug", log)...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "planned") || !strings.Contains(r.stdout, "request: PUT ") || strings.Contains(readTrace(t, log), path) {
		t.Fatalf("--dry-run: want exit 1, the request listed and nothing sent\n%s", r)
	}
	if probe().Status != "fail" {
		t.Fatal("the extension is there before any consented fix")
	}

	log = trace("yes.log")
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", log)...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixK8sExtension)
	if r.code != 0 || !rep.OK || f.Status != flows.FixApplied || probeOf(t, rep.After.Probes, probes.IDK8sExtension).Status != "pass" {
		t.Fatalf("fix --yes: want exit 0, k8s.extension applied and passing after\n%s", r)
	}
	if len(f.Changed) != 1 || f.Changed[0].Before != "no Azure ML extension" || !strings.Contains(f.Changed[0].After, "provisioning Succeeded") {
		t.Fatalf("the change is not recorded: %+v", f.Changed)
	}
	tr := readTrace(t, log)
	if !strings.Contains(tr, put) || !strings.Contains(tr, path) || !strings.Contains(tr, "/operations/") {
		t.Fatalf("the install's PUT and its operation are not in the trace:\n%s", tr)
	}
	if !strings.Contains(r.stderr, "fix k8s.extension: Creating") || !strings.Contains(r.stderr, "fix k8s.extension: Succeeded") {
		t.Fatalf("no progress from Creating to Succeeded on stderr\n%s", r)
	}
	if probe().Status != "pass" {
		t.Fatal("the extension is not there after the fix")
	}

	log = trace("rerun.log")
	r = runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", log)...)...)
	if rep := fixReport(t, r); r.code != 0 || len(rep.Fixes) != 1 || fixOutcome(t, rep, flows.FixK8sExtension).Status != flows.FixUnchanged ||
		!rep.OK || strings.Contains(readTrace(t, log), put) {
		t.Fatalf("rerun: want exit 0, k8s.extension unchanged and nothing sent\n%s", r)
	}
}

// On an Arc cluster without the extension the fix is advice: the command
// that installs it and why amlattach does not (a Relay namespace it does
// not create); nothing is sent, even with --yes, and the probe still fails
// (exit 1).
func TestFixOnArcOnlyPrintsTheCommand(t *testing.T) {
	trace := k8sDemo(t, func(w *sandbox.World) {
		g := &w.Subscriptions[0].ResourceGroups[0]
		for i := range g.ConnectedClusters {
			if g.ConnectedClusters[i].Name == "arc-onprem" {
				g.ConnectedClusters[i].Extensions = nil
			}
		}
	})
	args := []string{"kubernetes", "--world", "demo", "--resource-id", demoGroup + "Microsoft.Kubernetes/connectedClusters/arc-onprem", "--timeout", "5s"}
	log := trace("arc.log")
	r := runCLI(t, nil, append([]string{"fix"}, append(args, "-o", "json", "--yes", "--debug", log)...)...)
	rep := fixReport(t, r)
	f := fixOutcome(t, rep, flows.FixK8sExtension)
	pj := probeOf(t, rep.Before.Probes, probes.IDK8sExtension)
	if r.code != 1 || rep.OK || f.Status != flows.FixAdvice || !strings.Contains(f.Advice, "Relay") || pj.Fix == nil ||
		!strings.Contains(strings.Join(pj.Fix.Changes, " "), "az k8s-extension create --name azureml --extension-type Microsoft.AzureML.Kubernetes --cluster-type connectedClusters --cluster-name arc-onprem --resource-group ml-rg") {
		t.Fatalf("Arc: want exit 1, k8s.extension as advice with the command\n%s", r)
	}
	if tr := readTrace(t, log); strings.Contains(tr, "PUT ") {
		t.Fatalf("something was sent for advice:\n%s", tr)
	}
	r = runCLI(t, nil, append([]string{"fix"}, args...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "fix k8s.extension (for k8s.extension): advice:") || !strings.Contains(r.stdout, "amlattach will not do this itself") ||
		!strings.Contains(r.stdout, "  run: az k8s-extension create --name azureml") {
		t.Fatalf("text: want the advice line\n%s", r)
	}
}

// A subscription where Microsoft.ContainerInstance and
// Microsoft.KubernetesConfiguration are not registered: fix aci registers
// the first and probe aci passes; on the AKS cluster without the extension,
// the extensions cannot even be listed (409 MissingSubscriptionRegistration)
// until fix registers Microsoft.KubernetesConfiguration, after which the
// next fix installs the extension.
func TestFixRegistersTheProvider(t *testing.T) {
	trace := k8sDemo(t, func(w *sandbox.World) {
		w.Subscriptions[0].Providers = map[string]string{"Microsoft.ContainerInstance": "NotRegistered", "Microsoft.KubernetesConfiguration": "NotRegistered"}
	})
	log := trace("dry.log")
	r := runCLI(t, nil, "fix", "aci", "--world", "demo", "-o", "json", "--dry-run", "--debug", log)
	if rep := fixReport(t, r); r.code != 1 || fixOutcome(t, rep, flows.FixProviderRegister).Status != flows.FixPlanned || strings.Contains(readTrace(t, log), "/register?") {
		t.Fatalf("fix aci --dry-run: want exit 1, provider.register planned and nothing sent\n%s", r)
	}
	log = trace("aci.log")
	r = runCLI(t, nil, "fix", "aci", "--world", "demo", "-o", "json", "--yes", "--debug", log)
	rep := fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixProviderRegister); r.code != 0 || !rep.OK || f.Status != flows.FixApplied ||
		probeOf(t, rep.Before.Probes, probes.IDACIProvider).Status != "fail" || probeOf(t, rep.After.Probes, probes.IDACIProvider).Status != "pass" {
		t.Fatalf("fix aci: want exit 0 with provider.register applied\n%s", r)
	}
	if tr := readTrace(t, log); !strings.Contains(tr, "POST ") || !strings.Contains(tr, "/providers/Microsoft.ContainerInstance/register?") {
		t.Fatalf("no registration in the trace:\n%s", tr)
	}
	if r := runCLI(t, nil, "probe", "aci", "--world", "demo"); r.code != 0 {
		t.Fatalf("probe aci after the fix: want exit 0\n%s", r)
	}
	log = trace("aci2.log")
	if r := runCLI(t, nil, "fix", "aci", "--world", "demo", "--yes", "--debug", log); r.code != 0 || strings.Contains(readTrace(t, log), "/register?") ||
		!strings.Contains(r.stdout, "Already in place, nothing sent: provider.register (aci.provider).") {
		t.Fatalf("a second fix aci: want exit 0, provider.register in place and nothing sent\n%s", r)
	}

	args := []string{"fix", "kubernetes", "--world", "demo", "--resource-id", demoGroup + "Microsoft.ContainerService/managedClusters/aks-noext", "-o", "json", "--yes"}
	r = runCLI(t, nil, args...)
	rep = fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixProviderRegister); r.code != 1 || f.Status != flows.FixApplied || len(rep.Fixes) != 1 ||
		!strings.Contains(probeOf(t, rep.Before.Probes, probes.IDK8sExtension).Detail, "MissingSubscriptionRegistration") {
		t.Fatalf("fix kubernetes, provider not registered: want provider.register applied and the extension still missing (exit 1)\n%s", r)
	}
	if p := probeOf(t, rep.After.Probes, probes.IDK8sExtension); p.Status != "fail" || p.Fix == nil || p.Fix.ID != flows.FixK8sExtension {
		t.Fatalf("after the registration the extension's fix is offered: %+v", p)
	}
	r = runCLI(t, nil, args...)
	if rep := fixReport(t, r); r.code != 0 || fixOutcome(t, rep, flows.FixK8sExtension).Status != flows.FixApplied {
		t.Fatalf("the next fix installs the extension\n%s", r)
	}
}

// A caller whose roles grant neither the extension's write nor provider
// registration: both fixes are shown as needing their action, not sent
// even with --yes, and the probes still fail (exit 1).
func TestFixWithoutK8sPermissionsSendsNothing(t *testing.T) {
	trace := k8sDemo(t, func(w *sandbox.World) {
		w.Subscriptions[0].Permissions = &sandbox.Permissions{Actions: []string{"*"}, NotActions: []string{"*/register/action"}}
		for i := range w.Subscriptions[0].ResourceGroups {
			w.Subscriptions[0].ResourceGroups[i].Permissions = &sandbox.Permissions{Actions: []string{"*"}, NotActions: []string{"Microsoft.KubernetesConfiguration/extensions/*"}}
		}
	})
	r := runCLI(t, nil, "probe", "kubernetes", "--world", "demo", "--resource-id", demoGroup+"Microsoft.ContainerService/managedClusters/aks-noext")
	if r.code != 1 || !strings.Contains(r.stdout, "fix k8s.extension") || !strings.Contains(r.stdout, "needs "+azure.ActionExtensionWrite) || !strings.Contains(r.stdout, "Kubernetes Extension Contributor") {
		t.Fatalf("probe: want the fix shown as needing %s\n%s", azure.ActionExtensionWrite, r)
	}
	log := trace("k8s.log")
	r = runCLI(t, nil, "fix", "kubernetes", "--world", "demo", "--resource-id", demoGroup+"Microsoft.ContainerService/managedClusters/aks-noext", "-o", "json", "--yes", "--debug", log)
	rep := fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixK8sExtension); r.code != 1 || f.Status != flows.FixRefused || !strings.Contains(f.Error, azure.ActionExtensionWrite) {
		t.Fatalf("fix --yes without the permission: want exit 1 and k8s.extension refused naming the action\n%s", r)
	}
	if strings.Contains(readTrace(t, log), "PUT ") {
		t.Fatal("an extension write the caller's roles do not grant was sent")
	}
	log = trace("aci.log")
	r = runCLI(t, nil, "fix", "aci", "--world", "demo", "-o", "json", "--yes", "--debug", log)
	rep = fixReport(t, r)
	if f := fixOutcome(t, rep, flows.FixProviderRegister); r.code != 1 || f.Status != flows.FixRefused || !strings.Contains(f.Error, "Microsoft.ContainerInstance/register/action") {
		t.Fatalf("fix aci without the permission: want exit 1 and provider.register refused naming the action\n%s", r)
	}
	if strings.Contains(readTrace(t, log), "/register?") {
		t.Fatal("a registration the caller's roles do not grant was sent")
	}
}

// What amlattach has no safe fix for stays advice, saying why: AKS
// capacity, a Databricks token, a non-Ubuntu VM, a retired ADLA account.
// fix shows each as advice and sends nothing.
func TestAdviceOnlyFixesSayWhy(t *testing.T) {
	trace := k8sDemo(t, nil)
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	must(t, os.WriteFile(pw, []byte("Demo-Passw0rd!\n"), 0o600))
	tok := filepath.Join(dir, "token")
	must(t, os.WriteFile(tok, []byte("dapi-demo-expired-0000\n"), 0o600))
	cases := []struct {
		name, id, why string
		args          []string
	}{
		{"aks", "aks.scale", "billed", []string{"aks", "--resource-name", "aks-small"}},
		{"databricks", "databricks.token", "secret", []string{"databricks", "--resource-name", "dbx-ws", "--token-file", tok}},
		{"centos", "vm.image", "new VM", []string{"vm", "--resource-name", "centos-vm", "--username", "azureuser", "--password-file", pw,
			"--known-hosts", filepath.Join(dir, "kh"), "--accept-new-host-key"}},
	}
	for _, c := range cases {
		log := trace(c.name + ".log")
		r := runCLI(t, nil, append(append([]string{"fix"}, c.args...), "--world", "demo", "-o", "json", "--yes", "--timeout", "5s", "--debug", log)...)
		rep := fixReport(t, r)
		f := fixOutcome(t, rep, c.id)
		if r.code != 1 || f.Status != flows.FixAdvice || !strings.Contains(f.Advice, c.why) {
			t.Fatalf("%s: want exit 1 and %s as advice saying %q\n%s", c.name, c.id, c.why, r)
		}
		for _, l := range strings.Split(readTrace(t, log), "\n") {
			// IP flow verify is a POST that only reads (arm.nsg.ssh asks Network Watcher).
			if strings.Contains(l, "ipFlowVerify") {
				continue
			}
			for _, m := range []string{"PUT ", "POST ", "DELETE ", "PATCH "} {
				if strings.Contains(l, m) {
					t.Fatalf("%s: advice sent a write: %s", c.name, l)
				}
			}
		}
	}
	r := runCLI(t, nil, "probe", "adla", "--world", "demo", "--resource-name", "adlademo")
	if r.code != 0 || !strings.Contains(r.stdout, "fix adla.migrate") || !strings.Contains(r.stdout, "amlattach will not do this itself") {
		t.Fatalf("adla: want the retired warning's advice\n%s", r)
	}
}

// Every broken AKS, Kubernetes and ACI entry of the demo world offers a fix
// for each failing probe, or says as advice why amlattach will not make it.
func TestDemoBrokenClustersAreFixableOrSayWhy(t *testing.T) {
	k8sDemo(t, nil)
	cases := [][]string{
		{"aks", "--resource-name", "aks-small"},
		{"aks", "--resource-name", "aks-old"},
		{"kubernetes", "--resource-id", demoGroup + "Microsoft.ContainerService/managedClusters/aks-noext"},
		{"kubernetes", "--resource-id", demoGroup + "Microsoft.Kubernetes/connectedClusters/arc-offline"},
		{"aci"},
	}
	for _, c := range cases {
		r := runCLI(t, nil, append(append([]string{"probe"}, c...), "--world", "demo", "-o", "json")...)
		failed := 0
		for _, p := range report(t, r).Probes {
			if p.Status != "fail" {
				continue
			}
			failed++
			if p.Fix == nil || p.Fix.Advice == "" && (p.Fix.Permission == "" || p.Fix.Undo == "") {
				t.Errorf("%v: %s fails with neither a fix nor advice: %+v", c, p.ID, p.Fix)
			}
		}
		if r.code != 1 || failed == 0 {
			t.Errorf("%v: want a failing probe (exit 1)\n%s", c, r)
		}
	}
}
