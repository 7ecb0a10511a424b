package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const netWriteWorld = `subscriptions:
  - id: ` + sub + `
    resourceGroups:
      - name: rg
        location: westeurope
        virtualMachines:
          - {name: a, publicIP: 20.6.0.1, nsgRules: [], ssh: {sim: {users: {azureuser: {password: pw}}}}}
      - name: ro
        location: westeurope
        permissions: {actions: ["*/read"]}
        virtualMachines:
          - {name: b, publicIP: 20.6.0.2, nsgRules: []}
faults: {networkWriteSeconds: 30}
`

// The raw answers of a network write, as Microsoft.Network gives them: 201
// on a create and 200 on an update, each with the body in Updating and an
// Azure-AsyncOperation URL that answers InProgress while the write goes on;
// a new etag on every write, shared by the NSG's rules; 412 on a stale
// If-Match and on If-None-Match: * over an existing resource; 403 naming the
// action where the world's permissions do not grant it.
func TestNetworkWriteAnswers(t *testing.T) {
	srv := startWorld(t, netWriteWorld)
	hc := srv.HTTPClient()
	do := func(method, path, body string, hdr map[string]string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx(t), method, srv.Endpoint()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer x")
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp, v
	}
	const api = "?api-version=2025-09-01"
	nsg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/a-nsg"
	_, g := do(http.MethodGet, nsg+api, "", nil)
	etag, _ := g["etag"].(string)
	if etag == "" {
		t.Fatalf("the NSG has no etag: %v", g)
	}
	rule := `{"properties": {"protocol": "Tcp", "sourceAddressPrefix": "AzureMachineLearning", "sourcePortRange": "*",
		"destinationAddressPrefix": "*", "destinationPortRange": "22", "access": "Allow", "direction": "Inbound", "priority": 1000}}`
	resp, body := do(http.MethodPut, nsg+"/securityRules/aml"+api, rule, map[string]string{"If-Match": etag})
	op := resp.Header.Get("Azure-AsyncOperation")
	props, _ := body["properties"].(map[string]any)
	if resp.StatusCode != http.StatusCreated || props["provisioningState"] != "Updating" || !strings.Contains(op, "/providers/Microsoft.Network/locations/westeurope/operations/") {
		t.Fatalf("create a rule: %d %v (operation %q)", resp.StatusCode, body, op)
	}
	_, st := do(http.MethodGet, strings.TrimPrefix(op, srv.Endpoint()), "", nil)
	if st["status"] != "InProgress" {
		t.Fatalf("the operation: %v", st)
	}
	_, g = do(http.MethodGet, nsg+api, "", nil)
	rules := g["properties"].(map[string]any)["securityRules"].([]any)
	if g["etag"] == etag || len(rules) != 1 || rules[0].(map[string]any)["etag"] != g["etag"] {
		t.Fatalf("after the write: etag %v (was %s), rules %v", g["etag"], etag, rules)
	}
	// The same PUT with the etag read before it: 412, nothing changes.
	resp, body = do(http.MethodPut, nsg+"/securityRules/aml"+api, rule, map[string]string{"If-Match": etag})
	if resp.StatusCode != http.StatusPreconditionFailed || body["error"].(map[string]any)["code"] != "PreconditionFailed" {
		t.Fatalf("a stale If-Match: %d %v", resp.StatusCode, body)
	}
	// With the current etag: an update, 200.
	resp, _ = do(http.MethodPut, nsg+"/securityRules/aml"+api, rule, map[string]string{"If-Match": g["etag"].(string)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("an update: %d", resp.StatusCode)
	}
	// A create over an existing NSG with If-None-Match: *: 412.
	resp, _ = do(http.MethodPut, nsg+api, `{"location": "westeurope"}`, map[string]string{"If-None-Match": "*"})
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("If-None-Match over an existing NSG: %d", resp.StatusCode)
	}
	// A reader may not write: 403 naming the action.
	ro := "/subscriptions/" + sub + "/resourceGroups/ro/providers/Microsoft.Network/networkSecurityGroups/b-nsg"
	resp, body = do(http.MethodPut, ro+"/securityRules/aml"+api, rule, nil)
	msg, _ := body["error"].(map[string]any)["message"].(string)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(msg, "Microsoft.Network/networkSecurityGroups/securityRules/write") {
		t.Fatalf("a reader's write: %d %v", resp.StatusCode, body)
	}
	// A Standard address is never dynamic.
	resp, body = do(http.MethodPut, "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/x"+api,
		`{"location": "westeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Dynamic"}}`, nil)
	if resp.StatusCode != http.StatusBadRequest || body["error"].(map[string]any)["code"] != "StandardSkuPublicIPAddressesMustBeStatic" {
		t.Fatalf("a dynamic Standard IP: %d %v", resp.StatusCode, body)
	}
}
