package azure_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// Two subscriptions where Microsoft.ContainerInstance and
// Microsoft.KubernetesConfiguration are not registered: in the first the
// caller may do anything, in the second anything but register providers.
// Each has an AKS cluster without extensions; in the first, group "locked"
// may not write extensions.
const fixWorld = `subscriptions:
  - id: %[1]s
    providers: {Microsoft.ContainerInstance: NotRegistered, Microsoft.KubernetesConfiguration: NotRegistered}
    resourceGroups:
      - name: rg
        location: westeurope
        aksClusters:
          - {name: aks1}
          - name: aks2
            extensions: [{name: flux, extensionType: microsoft.flux}]
      - name: locked
        location: westeurope
        permissions: {actions: ["*"], notActions: ["Microsoft.KubernetesConfiguration/extensions/write"]}
        aksClusters:
          - {name: aks3}
  - id: %[2]s
    providers: {Microsoft.ContainerInstance: NotRegistered}
    permissions: {actions: ["*"], notActions: ["*/register/action"]}
    resourceGroups:
      - {name: rg, location: westeurope}
faults: {providerRegisterSeconds: 0.2, extensionInstallSeconds: 0.2}
`

const sub2 = "00000000-0000-0000-0000-000000000002"

func aksID(subscription, group, name string) azure.ResourceID {
	id, err := azure.ParseResourceID(fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s", subscription, group, name))
	if err != nil {
		panic(err)
	}
	return id
}

// RegisterProvider through the SDK: an unregistered namespace refuses its
// requests with 409 MissingSubscriptionRegistration; the registration is
// Registering for a while and then Registered (progress says so), after
// which the requests work. A second registration sends nothing. Where the
// caller may not register, Azure refuses with 403 naming the action, and
// the provider stays as it was.
func TestRegisterProviderThroughTheSDK(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(fixWorld, sub, sub2)), "fix.yaml")
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond})
	ctx := context.Background()
	const ns = "Microsoft.KubernetesConfiguration"

	_, err := c.ListExtensions(ctx, aksID(sub, "rg", "aks1"))
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusConflict || ae.Code != "MissingSubscriptionRegistration" || !strings.Contains(ae.Message, ns) {
		t.Fatalf("extensions of an unregistered namespace: want 409 MissingSubscriptionRegistration, got %v", err)
	}
	var seen []string
	before, err := c.RegisterProvider(ctx, sub, strings.ToLower(ns), func(p azure.Progress) { seen = append(seen, p.Phase+":"+p.State) })
	if err != nil || before != "NotRegistered" {
		t.Fatalf("register: before %q, %v", before, err)
	}
	if len(seen) != 3 || seen[0] != "submitted:Registering" || seen[1] != "polling:Registered" || seen[2] != "done:Registered" {
		t.Fatalf("progress: %v", seen)
	}
	if st, err := c.ProviderState(ctx, sub, ns); err != nil || st != "Registered" {
		t.Fatalf("after the registration: %q %v", st, err)
	}
	if exts, err := c.ListExtensions(ctx, aksID(sub, "rg", "aks2")); err != nil || len(exts) != 1 {
		t.Fatalf("extensions once registered: %+v %v", exts, err)
	}
	// The other namespace of the same subscription is still not registered.
	if st, err := c.ProviderState(ctx, sub, azure.ContainerInstanceRPNS); err != nil || st != "NotRegistered" {
		t.Fatalf("ContainerInstance: %q %v", st, err)
	}
	seen = nil
	if before, err := c.RegisterProvider(ctx, sub, ns, func(p azure.Progress) { seen = append(seen, p.State) }); err != nil || before != "Registered" || len(seen) != 0 {
		t.Fatalf("a second registration: before %q, progress %v, %v", before, seen, err)
	}

	_, err = c.RegisterProvider(ctx, sub2, azure.ContainerInstanceRPNS, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusForbidden || ae.Code != "AuthorizationFailed" ||
		!strings.Contains(ae.Message, azure.ProviderRegisterAction(azure.ContainerInstanceRPNS)) {
		t.Fatalf("register without the permission: want 403 naming the action, got %v", err)
	}
	if st, err := c.ProviderState(ctx, sub2, azure.ContainerInstanceRPNS); err != nil || st != "NotRegistered" {
		t.Fatalf("a refused registration changed the provider: %q %v", st, err)
	}
}

// InstallExtension through the ARM pipeline and the SDK's poller: the
// extension is Creating, then Succeeded, with the body's settings; a second
// PUT over it is refused; a caller who may not write extensions gets 403
// and no extension.
func TestInstallExtensionThroughTheSDK(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(strings.Replace(fmt.Sprintf(fixWorld, sub, sub2), ", Microsoft.KubernetesConfiguration: NotRegistered", "", 1)), "fix.yaml")
	c := sandboxtest.Client(srv, azure.Options{PollInterval: 50 * time.Millisecond})
	ctx := context.Background()
	spec := azure.ExtensionSpec{ExtensionType: azure.AzureMLExtensionType, ReleaseTrain: "stable", AutoUpgradeMinorVersion: true, ReleaseNamespace: "azureml",
		Settings: map[string]string{"enableTraining": "True", "enableInference": "False"}}

	var seen []string
	ext, err := c.InstallExtension(ctx, aksID(sub, "rg", "aks1"), "azureml", spec, func(p azure.Progress) { seen = append(seen, p.Phase+":"+p.State) })
	if err != nil || ext.Name != "azureml" || ext.ExtensionType != azure.AzureMLExtensionType || ext.ProvisioningState != "Succeeded" {
		t.Fatalf("install: %+v %v", ext, err)
	}
	if len(seen) < 3 || seen[0] != "submitted:Creating" || seen[len(seen)-1] != "done:Succeeded" {
		t.Fatalf("progress: %v", seen)
	}
	exts, err := c.ListExtensions(ctx, aksID(sub, "rg", "aks1"))
	if err != nil || len(exts) != 1 || exts[0].Name != "azureml" || exts[0].ProvisioningState != "Succeeded" {
		t.Fatalf("extensions after the install: %+v %v", exts, err)
	}
	id, _ := azure.ParseResourceID(aksID(sub, "rg", "aks1").String())
	g, err := c.GetGeneric(ctx, azure.ResourceID{SubscriptionID: id.SubscriptionID, ResourceGroup: id.ResourceGroup, Provider: id.Provider,
		Type: id.Type + "/" + id.Name + "/providers/Microsoft.KubernetesConfiguration/extensions", Name: "azureml"}, azure.ExtensionsAPIVersion)
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := g.Properties["configurationSettings"].(map[string]any)
	scope, _ := g.Properties["scope"].(map[string]any)
	cluster, _ := scope["cluster"].(map[string]any)
	if settings["enableTraining"] != "True" || settings["enableInference"] != "False" || cluster["releaseNamespace"] != "azureml" || g.Prop("releaseTrain") != "stable" {
		t.Fatalf("the extension as read: %+v", g.Properties)
	}
	if _, err := c.InstallExtension(ctx, aksID(sub, "rg", "aks1"), "azureml", spec, nil); err == nil {
		t.Fatal("a second PUT over the extension was taken")
	}

	_, err = c.InstallExtension(ctx, aksID(sub, "locked", "aks3"), "azureml", spec, nil)
	if ae, ok := azure.AsAzureError(err); !ok || ae.Status != http.StatusForbidden || ae.Code != "AuthorizationFailed" || !strings.Contains(ae.Message, azure.ActionExtensionWrite) {
		t.Fatalf("install without the permission: want 403 naming the action, got %v", err)
	}
	if exts, err := c.ListExtensions(ctx, aksID(sub, "locked", "aks3")); err != nil || len(exts) != 0 {
		t.Fatalf("a refused install left an extension: %+v %v", exts, err)
	}
	perms, err := c.Permissions(ctx, aksID(sub, "locked", "aks3").String())
	if err != nil || len(perms) != 1 || len(perms[0].NotActions) != 1 || perms[0].NotActions[0] != azure.ActionExtensionWrite {
		t.Fatalf("permissions at the cluster's scope: %+v %v", perms, err)
	}
}

// redirect sends what the client addresses to public Azure to the sandbox,
// recording each request.
type redirect struct {
	to   *url.URL
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (r *redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, r.to.Host
	return r.next.RoundTrip(req)
}

// Against public Azure too (no endpoint given), a request refused with 409
// MissingSubscriptionRegistration does not make the SDK register the
// provider on its own: registering is a change only the provider.register
// fix makes, with consent.
func TestNoProviderRegistrationBehindTheUsersBack(t *testing.T) {
	srv := sandboxtest.Start(t, []byte(fmt.Sprintf(fixWorld, sub, sub2)), "fix.yaml")
	to, err := url.Parse(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	rt := &redirect{to: to, next: srv.HTTPClient().Transport}
	c := azure.New(azure.StaticCredential{}, azure.Options{HTTPClient: &http.Client{Transport: rt}, PollInterval: 50 * time.Millisecond,
		Retry: &policy.RetryOptions{MaxRetries: -1}})
	_, err = c.ListExtensions(context.Background(), aksID(sub, "rg", "aks1"))
	if ae, ok := azure.AsAzureError(err); !ok || ae.Code != "MissingSubscriptionRegistration" {
		t.Fatalf("want the 409 MissingSubscriptionRegistration back, got %v", err)
	}
	for _, s := range rt.seen {
		if strings.Contains(strings.ToLower(s), "/register") {
			t.Fatalf("the SDK tried to register the provider itself: %v", rt.seen)
		}
	}
	if len(rt.seen) != 1 {
		t.Fatalf("want the one GET, got %v", rt.seen)
	}
}

// A job on a Kubernetes compute whose cluster had no extension fails with
// E45004; once InstallExtension put it there with training on, the same
// job runs in a pod.
func TestJobRunsOnceTheExtensionIsInstalled(t *testing.T) {
	world := fmt.Sprintf(`subscriptions:
  - id: %[1]s
    resourceGroups:
      - name: ml
        location: eastus
        workspaces:
          - name: ws
            computes:
              - {name: k8s-new, type: Kubernetes, resourceId: /subscriptions/%[1]s/resourceGroups/ml/providers/Microsoft.ContainerService/managedClusters/fresh}
        aksClusters:
          - {name: fresh}
faults: {jobStepSeconds: 0.05, extensionInstallSeconds: 0.1}
`, sub)
	srv := sandboxtest.Start(t, []byte(world), "k8s")
	c := sandboxtest.Client(srv, azure.Options{})
	ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "ml", Name: "ws"}
	ctx := context.Background()
	api, err := c.RunHistoryEndpoint(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string) (string, string) {
		t.Helper()
		spec := jobSpec(ws, "k8s-new", "echo in-a-pod")
		spec.Name = name
		if _, err := c.SubmitJob(ctx, ws, spec); err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, c, ws, spec.Name)
		rd, err := c.GetRunDetails(ctx, api, ws, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status, rd.ErrorMessage
	}
	if st, msg := run("before-the-install"); st != "Failed" || !strings.Contains(msg, "E45004") {
		t.Fatalf("before the install: %s %q", st, msg)
	}
	spec := azure.ExtensionSpec{ExtensionType: azure.AzureMLExtensionType, ReleaseTrain: "stable", AutoUpgradeMinorVersion: true, ReleaseNamespace: "azureml",
		Settings: map[string]string{"enableTraining": "True", "enableInference": "False"}}
	if _, err := c.InstallExtension(ctx, aksID(sub, "ml", "fresh"), "azureml", spec, nil); err != nil {
		t.Fatal(err)
	}
	if st, msg := run("after-the-install"); st != "Completed" || msg != "" {
		t.Fatalf("after the install: %s %q", st, msg)
	}
}
