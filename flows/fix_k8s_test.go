package flows

import (
	"context"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
	"amlattach/probes"
)

// Advice-only fixes come from the results alone: no permission is read for
// them (Deps has no Azure client here), they are never offered, applying
// one sends nothing and says advice, and their lines say why.
func TestAdviceFixesAreShownNeverApplied(t *testing.T) {
	rs := []probes.Result{
		{ID: probes.IDAKSCapacity, Status: probes.Fail},
		{ID: probes.IDADLARetired, Status: probes.Warn},
		{ID: probes.IDDatabricksToken, Status: probes.Fail, Field: probes.FieldResourceID}, // not the token's fault
		{ID: probes.IDHostDisk, Status: probes.Warn},                                       // a warning, not a failure
		{ID: probes.IDK8sConnected, Status: probes.Pass},
	}
	fixes := FixesFor(context.Background(), Deps{}, &Plan{}, rs)
	if len(fixes) != 2 || fixes[0].ID != "aks.scale" || fixes[1].ID != "adla.migrate" {
		t.Fatalf("want aks.scale and adla.migrate, got %+v", fixes)
	}
	for _, f := range fixes {
		if f.Offered() || !strings.HasPrefix(f.NotOffered(), "amlattach will not do this itself: ") || f.Permission != "" {
			t.Fatalf("%s: advice is offered or says nothing: %+v", f.ID, f)
		}
		if oc := ApplyFix(context.Background(), Deps{}, f, nil); oc.Status != FixAdvice || oc.Advice != f.Advice || oc.Error != "" {
			t.Fatalf("%s: applying advice: %+v", f.ID, oc)
		}
		lines := strings.Join(f.Lines(), "\n")
		if !strings.Contains(lines, "not offered: amlattach will not do this itself") || strings.Contains(lines, "permission:") {
			t.Fatalf("%s: lines: %s", f.ID, lines)
		}
	}
	rep := NewReport("aks", "x", "", rs).WithFixes(fixes)
	if rep.Probes[0].Fix == nil || rep.Probes[0].Fix.Advice == "" || rep.Probes[2].Fix != nil {
		t.Fatalf("report: %+v", rep.Probes)
	}
}

// One AKS cluster without extensions, one whose extension named azureml is
// not Azure ML's.
const k8sFixWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-000000000001
    resourceGroups:
      - name: rg
        location: West Europe
        aksClusters:
          - {name: aks1}
          - name: aks2
            extensions: [{name: azureml, extensionType: microsoft.flux}]
          - {name: aks3, powerState: Stopped}
faults: {extensionInstallSeconds: 0.1}
`

// The k8s.extension fix reads before it writes: applied once, the next
// apply finds the extension and sends nothing; over an extension of that
// name that is not Azure ML's it is advice, never a PUT.
func TestK8sExtensionFixReadsBeforeItWrites(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(k8sFixWorld), "k8s.yaml")
	d := Deps{Azure: sandboxtest.Client(srv, azure.Options{PollInterval: 20 * time.Millisecond}), Timeout: 5 * time.Second}
	ctx := context.Background()
	id, err := azure.ParseResourceID("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1")
	if err != nil {
		t.Fatal(err)
	}
	f := k8sExtensionFix(ctx, d, id)
	if f == nil || !f.Offered() || !strings.Contains(strings.Join(f.Changes, "\n"), "location=westeurope") {
		t.Fatalf("fix: %+v", f)
	}
	var states []string
	st, ch, err := f.apply(ctx, d, func(e Event) { states = append(states, e.State) })
	if st != FixApplied || err != nil || len(ch) != 1 || len(states) < 2 || states[0] != "Creating" || states[len(states)-1] != "Succeeded" {
		t.Fatalf("apply: %s %+v %v, progress %v", st, ch, err, states)
	}
	if st, ch, err := f.apply(ctx, d, nil); st != FixUnchanged || err != nil || len(ch) != 0 {
		t.Fatalf("second apply: %s %+v %v", st, ch, err)
	}
	if k8sExtensionFix(ctx, d, id) != nil {
		t.Fatal("a fix is built for a cluster that has the extension")
	}
	id.Name = "aks2"
	f = k8sExtensionFix(ctx, d, id)
	if f == nil || f.Offered() || !strings.Contains(f.Advice, "does not overwrite") || f.apply != nil {
		t.Fatalf("over another extension named azureml: %+v", f)
	}
	id.Name = "aks3"
	if f = k8sExtensionFix(ctx, d, id); f == nil || f.Offered() || !strings.Contains(f.Advice, "az aks start") || f.apply != nil {
		t.Fatalf("on a stopped cluster: %+v", f)
	}
}
