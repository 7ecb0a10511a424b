package sandbox_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/v2"

	"amlattach/azure/sandbox"
)

const vmPrefix = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/"

func TestSubscriptionsPaging(t *testing.T) {
	var b strings.Builder
	b.WriteString("subscriptions:\n")
	for i := range 5 {
		b.WriteString("  - {id: 00000000-0000-0000-0000-00000000000" + string(rune('1'+i)) + ", name: S" + string(rune('1'+i)) + "}\n")
	}
	b.WriteString("faults: {pageSize: 2}\n")
	srv := startWorld(t, b.String())
	c, err := armsubscriptions.NewClient(staticCred{}, clientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	pages := 0
	for p := c.NewListPager(nil); p.More(); {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range page.Value {
			names = append(names, *s.DisplayName)
		}
	}
	if pages != 3 || strings.Join(names, ",") != "S1,S2,S3,S4,S5" {
		t.Fatalf("pages=%d names=%v", pages, names)
	}
	got, err := c.Get(ctx(t), "00000000-0000-0000-0000-000000000003", nil)
	if err != nil || *got.DisplayName != "S3" || *got.State != armsubscriptions.SubscriptionStateEnabled {
		t.Fatalf("get: %v %+v", err, got)
	}
	_, err = c.Get(ctx(t), "nope", nil)
	assertCode(t, err, 404, "SubscriptionNotFound")
}

func assertCode(t *testing.T, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want *azcore.ResponseError %d %s, got %v", status, code, err)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("want %d %s, got %d %s", status, code, re.StatusCode, re.ErrorCode)
	}
	return re
}

func mlClients(t *testing.T) (*ml.ComputeClient, *ml.WorkspacesClient, *sandbox.Server) {
	srv := startWorld(t, testWorld)
	cc, err := ml.NewComputeClient(sub, staticCred{}, clientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	wc, err := ml.NewWorkspacesClient(sub, staticCred{}, clientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	return cc, wc, srv
}

func TestWorkspaces(t *testing.T) {
	_, wc, _ := mlClients(t)
	ws, err := wc.Get(ctx(t), "rg", "ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *ws.Name != "ws" || *ws.Location != "westeurope" || *ws.Properties.ProvisioningState != ml.ProvisioningStateSucceeded ||
		*ws.ID != "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws" {
		t.Fatalf("workspace: %+v", ws)
	}
	n := 0
	for p := wc.NewListBySubscriptionPager(nil); p.More(); {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 2 {
		t.Fatalf("workspaces by subscription: %d", n)
	}
	// Resource group names are case-insensitive, like ARM's.
	if _, err := wc.Get(ctx(t), "RG", "ws", nil); err != nil {
		t.Fatal(err)
	}
	_, err = wc.Get(ctx(t), "rg", "missing", nil)
	re := assertCode(t, err, 404, "ResourceNotFound")
	if !strings.Contains(re.Error(), "The Resource 'Microsoft.MachineLearningServices/workspaces/missing' under resource group 'rg' was not found.") {
		t.Fatalf("message: %v", re)
	}
	_, err = wc.Get(ctx(t), "nogroup", "ws", nil)
	assertCode(t, err, 404, "ResourceGroupNotFound")
}

func TestComputeListGetAndNoSecrets(t *testing.T) {
	cc, _, srv := mlClients(t)
	var names []string
	pages := 0
	for p := cc.NewListPager("rg", "ws", nil); p.More(); {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page.Value {
			names = append(names, *c.Name)
		}
	}
	if pages != 3 || strings.Join(names, ",") != "c1,c2,c3,c4,c5" {
		t.Fatalf("pages=%d names=%v", pages, names)
	}
	got, err := cc.Get(ctx(t), "rg", "ws", "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	vm, ok := got.Properties.(*ml.VirtualMachine)
	if !ok {
		t.Fatalf("properties are %T", got.Properties)
	}
	if *vm.ProvisioningState != ml.ProvisioningStateSucceeded || !*vm.IsAttachedCompute || *vm.Properties.Address != "20.0.0.1" ||
		*vm.Properties.AdministratorAccount.Username != "azureuser" || vm.Properties.AdministratorAccount.Password != nil {
		t.Fatalf("compute: %+v %+v", vm, vm.Properties)
	}
	failed, err := cc.Get(ctx(t), "rg", "ws", "c2", nil)
	if err != nil {
		t.Fatal(err)
	}
	fv := failed.Properties.(*ml.VirtualMachine)
	if *fv.ProvisioningState != ml.ProvisioningStateFailed || len(fv.ProvisioningErrors) != 1 || *fv.ProvisioningErrors[0].Error.Message != "boom" {
		t.Fatalf("failed compute: %+v", fv)
	}
	_, err = cc.Get(ctx(t), "rg", "ws", "nope", nil)
	assertCode(t, err, 404, "ResourceNotFound")

	// Raw bodies: no secret anywhere in get or list.
	for _, path := range []string{"/computes/c1", "/computes/c5", "/computes", "/computes?$skip=4"} {
		body := rawGet(t, srv.Endpoint(), srv.HTTPClient(), "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"+path, "2024-04-01", 200)
		for _, secret := range []string{"s3cret-One", "PRIVATE-KEY-XYZ", "password", "privateKeyData"} {
			if strings.Contains(body, secret) {
				t.Fatalf("%s leaks %q: %s", path, secret, body)
			}
		}
	}
}

func rawGet(t *testing.T, endpoint string, hc *http.Client, path, api string, want int) string {
	t.Helper()
	u := endpoint + path
	if api != "" {
		if strings.Contains(u, "?") {
			u += "&api-version=" + api
		} else {
			u += "?api-version=" + api
		}
	}
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if resp.Header.Get("x-ms-request-id") == "" {
		t.Fatalf("GET %s: no x-ms-request-id", path)
	}
	return string(b)
}

func TestAPIVersionAndAuth(t *testing.T) {
	srv := startWorld(t, testWorld)
	hc := srv.HTTPClient()
	ws := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
	check := func(body, code string) {
		t.Helper()
		var env struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || env.Error.Code != code || env.Error.Message == "" {
			t.Fatalf("want error %s, got %s", code, body)
		}
	}
	check(rawGet(t, srv.Endpoint(), hc, ws, "", 400), "MissingApiVersionParameter")
	body := rawGet(t, srv.Endpoint(), hc, ws, "2023-10-01", 400)
	check(body, "InvalidApiVersionParameter")
	if !strings.Contains(body, "2024-04-01") {
		t.Fatalf("should name the supported version: %s", body)
	}
	check(rawGet(t, srv.Endpoint(), hc, vmPrefix[:len(vmPrefix)-1]+"/good", "2024-04-01", 400), "InvalidApiVersionParameter")
	rawGet(t, srv.Endpoint(), hc, ws, "2024-04-01", 200)
	// Case-insensitive provider and type segments.
	rawGet(t, srv.Endpoint(), hc, strings.ToLower(ws), "2024-04-01", 200)
	check(rawGet(t, srv.Endpoint(), hc, "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x", "2023-01-01", 404), "NoRegisteredProviderFound")
	check(rawGet(t, srv.Endpoint(), hc, "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Compute/disks/x", "2026-04-01", 404), "InvalidResourceType")

	// No token.
	req, _ := http.NewRequest(http.MethodGet, srv.Endpoint()+ws+"?api-version=2024-04-01", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("x-ms-error-code") != "AuthenticationFailed" {
		t.Fatalf("no token: %d %s", resp.StatusCode, b)
	}
	check(string(b), "AuthenticationFailed")

	// Wrong method.
	req, _ = http.NewRequest(http.MethodPost, srv.Endpoint()+ws+"?api-version=2024-04-01", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("POST workspace: %d", resp.StatusCode)
	}
}

func vmAttach(resourceID, user, password string, port int32) ml.ComputeResource {
	return ml.ComputeResource{
		Location: to.Ptr("westeurope"),
		Properties: &ml.VirtualMachine{
			ComputeType: to.Ptr(ml.ComputeTypeVirtualMachine),
			ResourceID:  to.Ptr(resourceID),
			Properties: &ml.VirtualMachineSchemaProperties{
				SSHPort:              to.Ptr(port),
				AdministratorAccount: &ml.VirtualMachineSSHCredentials{Username: to.Ptr(user), Password: to.Ptr(password)},
			},
		},
	}
}

var fast = &runtime.PollUntilDoneOptions{Frequency: 50 * time.Millisecond}

func TestAttachSucceeds(t *testing.T) {
	cc, _, _ := mlClients(t)
	var first *http.Response
	poller, err := cc.BeginCreateOrUpdate(runtime.WithCaptureResponse(ctx(t), &first), "rg", "ws", "new-vm", vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22), nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.StatusCode != 201 || !strings.Contains(first.Header.Get("Azure-AsyncOperation"), "/computeOperationsStatus/") {
		t.Fatalf("first response: %d %v", first.StatusCode, first.Header)
	}
	mid, err := cc.Get(ctx(t), "rg", "ws", "new-vm", nil)
	if err != nil || *mid.Properties.GetCompute().ProvisioningState != ml.ProvisioningStateCreating {
		t.Fatalf("while attaching: %v %+v", err, mid)
	}
	// A different attach of the same name while Creating is refused; the
	// same request again is the same attach (see faults_test.go).
	_, err = cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", "new-vm", vmAttach(vmPrefix+"good", "azureuser", "Other-Passw0rd!", 22), nil)
	assertCode(t, err, 409, "Conflict")

	res, err := poller.PollUntilDone(ctx(t), fast)
	if err != nil {
		t.Fatal(err)
	}
	vm := res.Properties.(*ml.VirtualMachine)
	if *vm.ProvisioningState != ml.ProvisioningStateSucceeded || *vm.Properties.Address != "20.0.0.1" || vm.Properties.AdministratorAccount.Password != nil {
		t.Fatalf("result: %+v %+v", vm, vm.Properties)
	}
	keys, err := cc.ListKeys(ctx(t), "rg", "ws", "new-vm", nil)
	if err != nil {
		t.Fatal(err)
	}
	sec, ok := keys.ComputeSecretsClassification.(*ml.VirtualMachineSecrets)
	if !ok || *sec.AdministratorAccount.Username != "azureuser" || *sec.AdministratorAccount.Password != "Passw0rd!" {
		t.Fatalf("listKeys: %T %+v", keys.ComputeSecretsClassification, keys)
	}
	// Attaching is not idempotent: a PUT over an existing compute is
	// refused, the same request again included (lenient_test.go has the
	// kinder answers).
	_, err = cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", "c1", vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22), nil)
	assertCode(t, err, 409, "Conflict")
	_, err = cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", "new-vm", vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22), nil)
	if re := assertCode(t, err, 409, "Conflict"); !strings.Contains(re.Error(), "already exists") {
		t.Fatalf("message: %v", re)
	}
}

func TestAttachFails(t *testing.T) {
	cc, _, _ := mlClients(t)
	cases := []struct {
		name, vm, password string
		port               int32
		code, msg          string
	}{
		{"doomed", "good", "Passw0rd!", 22, "QuotaExceeded", "No quota left."},
		{"missing", "nosuchvm", "x", 22, "BadRequest", "nosuchvm"},
		{"closed", "closed", "x", 22, "InternalServerError", "Connection failed to establish within 30000 milliseconds."},
		{"subnet", "subnetblocked", "x", 22, "InternalServerError", "30000 milliseconds"},
		{"stopped", "stopped", "pw", 22, "InternalServerError", "30000 milliseconds"},
		{"private", "private", "x", 22, "InternalServerError", "30000 milliseconds"},
		{"wrongport", "good", "Passw0rd!", 2222, "InternalServerError", "30000 milliseconds"},
		{"wrongpw", "good", "nope", 22, "BadRequest", "authentication failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			poller, err := cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", c.name, vmAttach(vmPrefix+c.vm, "azureuser", c.password, c.port), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = poller.PollUntilDone(ctx(t), fast)
			re := assertCode(t, err, 200, c.code)
			if !strings.Contains(re.Error(), c.msg) {
				t.Fatalf("message: %v", re)
			}
			got, err := cc.Get(ctx(t), "rg", "ws", c.name, nil)
			if err != nil {
				t.Fatal(err)
			}
			p := got.Properties.GetCompute()
			if *p.ProvisioningState != ml.ProvisioningStateFailed || len(p.ProvisioningErrors) != 1 || *p.ProvisioningErrors[0].Error.Code != c.code {
				t.Fatalf("compute after failure: %+v", p)
			}
		})
	}
	// The custom-image VM allows 22 from Internet: reachable (no sim: no login check).
	poller, err := cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", "custom", vmAttach(vmPrefix+"custom", "azureuser", "x", 22), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(ctx(t), fast); err != nil {
		t.Fatal(err)
	}
}

func TestAttachValidation(t *testing.T) {
	cc, _, _ := mlClients(t)
	bad := []ml.ComputeResource{
		{Properties: &ml.VirtualMachine{ComputeType: to.Ptr(ml.ComputeTypeVirtualMachine), ResourceID: to.Ptr(vmPrefix + "good")}},
		{Location: to.Ptr("westeurope"), Properties: &ml.VirtualMachine{ComputeType: to.Ptr(ml.ComputeTypeVirtualMachine)}},
		{Location: to.Ptr("westeurope"), Properties: &ml.VirtualMachine{ComputeType: to.Ptr(ml.ComputeTypeVirtualMachine), ResourceID: to.Ptr(vmPrefix + "good")}},
	}
	for _, body := range bad {
		_, err := cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", "v1", body, nil)
		assertCode(t, err, 400, "ValidationError")
	}
	_, err := cc.BeginCreateOrUpdate(ctx(t), "rg", "ws", "this-name-is-far-too-long", vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22), nil)
	assertCode(t, err, 400, "ValidationError")
}

func TestDetach(t *testing.T) {
	cc, _, srv := mlClients(t)
	var first *http.Response
	poller, err := cc.BeginDelete(runtime.WithCaptureResponse(ctx(t), &first), "rg", "ws", "c1", ml.UnderlyingResourceActionDetach, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.StatusCode != 202 || first.Header.Get("Location") == "" || first.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("first: %d %v", first.StatusCode, first.Header)
	}
	got, err := cc.Get(ctx(t), "rg", "ws", "c1", nil)
	if err != nil || *got.Properties.GetCompute().ProvisioningState != ml.ProvisioningStateDeleting {
		t.Fatalf("while detaching: %v %+v", err, got)
	}
	// The Location URL answers too.
	loc := strings.TrimPrefix(first.Header.Get("Location"), srv.Endpoint())
	rawGet(t, srv.Endpoint(), srv.HTTPClient(), loc, "", 202)
	if _, err := poller.PollUntilDone(ctx(t), fast); err != nil {
		t.Fatal(err)
	}
	rawGet(t, srv.Endpoint(), srv.HTTPClient(), loc, "", 204)
	_, err = cc.Get(ctx(t), "rg", "ws", "c1", nil)
	assertCode(t, err, 404, "ResourceNotFound")
	// Detaching what is not there: 204, done at once.
	p2, err := cc.BeginDelete(runtime.WithCaptureResponse(ctx(t), &first), "rg", "ws", "c1", ml.UnderlyingResourceActionDetach, nil)
	if err != nil || first.StatusCode != 204 {
		t.Fatalf("second detach: %v %d", err, first.StatusCode)
	}
	if !p2.Done() {
		t.Fatal("a 204 detach should be done")
	}
}
