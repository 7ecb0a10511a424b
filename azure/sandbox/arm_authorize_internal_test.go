package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The actions of DESIGN §8's writes, as Azure names them, including the
// routes the sandbox does not serve yet.
func TestRequiredActionOfEachWrite(t *testing.T) {
	const rg = "/subscriptions/s1/resourceGroups/rg1/providers/"
	cases := []struct{ method, path, action, scope string }{
		{"PUT", rg + "Microsoft.MachineLearningServices/workspaces/ws/computes/c1", "Microsoft.MachineLearningServices/workspaces/computes/write", ""},
		{"DELETE", rg + "Microsoft.MachineLearningServices/workspaces/ws/computes/c1", "Microsoft.MachineLearningServices/workspaces/computes/delete", ""},
		{"POST", rg + "Microsoft.MachineLearningServices/workspaces/ws/computes/c1/listKeys", "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action",
			rg + "Microsoft.MachineLearningServices/workspaces/ws/computes/c1"},
		{"PUT", rg + "Microsoft.MachineLearningServices/workspaces/ws/jobs/j1", "Microsoft.MachineLearningServices/workspaces/jobs/write", ""},
		{"POST", rg + "Microsoft.MachineLearningServices/workspaces/ws/jobs/j1/cancel", "Microsoft.MachineLearningServices/workspaces/jobs/cancel/action", ""},
		{"POST", rg + "Microsoft.Compute/virtualMachines/vm1/start", "Microsoft.Compute/virtualMachines/start/action", rg + "Microsoft.Compute/virtualMachines/vm1"},
		{"POST", rg + "Microsoft.Compute/virtualMachines/vm1/runCommand", "Microsoft.Compute/virtualMachines/runCommand/action", ""},
		{"PUT", rg + "Microsoft.Compute/virtualMachines/vm1/extensions/enablevmaccess", "Microsoft.Compute/virtualMachines/extensions/write", ""},
		{"PUT", rg + "Microsoft.Compute/virtualMachines/vm1/runCommands/rc1", "Microsoft.Compute/virtualMachines/runCommands/write", ""},
		{"DELETE", rg + "Microsoft.Compute/virtualMachines/vm1/runCommands/rc1", "Microsoft.Compute/virtualMachines/runCommands/delete", ""},
		{"PUT", rg + "Microsoft.Network/networkSecurityGroups/nsg1", "Microsoft.Network/networkSecurityGroups/write", ""},
		{"PUT", rg + "Microsoft.Network/networkSecurityGroups/nsg1/securityRules/AllowAML", "Microsoft.Network/networkSecurityGroups/securityRules/write",
			rg + "Microsoft.Network/networkSecurityGroups/nsg1/securityRules/AllowAML"},
		{"PUT", rg + "Microsoft.Network/networkInterfaces/nic1", "Microsoft.Network/networkInterfaces/write", ""},
		{"PUT", rg + "Microsoft.Network/publicIPAddresses/ip1", "Microsoft.Network/publicIPAddresses/write", ""},
		{"POST", rg + "Microsoft.Network/networkWatchers/nw/ipFlowVerify", "Microsoft.Network/networkWatchers/ipFlowVerify/action", ""},
		{"POST", "/subscriptions/s1/providers/Microsoft.ContainerInstance/register", "Microsoft.ContainerInstance/register/action", "/subscriptions/s1"},
		{"PUT", rg + "Microsoft.ContainerService/managedClusters/k1/providers/Microsoft.KubernetesConfiguration/extensions/azureml",
			"Microsoft.KubernetesConfiguration/extensions/write", ""},
		{"PUT", rg + "Microsoft.Kubernetes/connectedClusters/k1/providers/Microsoft.KubernetesConfiguration/extensions/azureml",
			"Microsoft.KubernetesConfiguration/extensions/write", ""},
		// Writes no rule names: derived from the path as ARM does.
		{"PUT", rg + "Microsoft.Network/virtualNetworks/vnet1", "Microsoft.Network/virtualNetworks/write", ""},
		{"POST", rg + "Microsoft.Compute/virtualMachines/vm1/deallocate", "Microsoft.Compute/virtualMachines/deallocate/action", ""},
		{"DELETE", "/subscriptions/s1/resourceGroups/rg1", "Microsoft.Resources/subscriptions/resourceGroups/delete", "/subscriptions/s1/resourceGroups/rg1"},
	}
	for _, c := range cases {
		action, scope, _ := requiredAction(c.method, splitPath(c.path))
		if action != c.action {
			t.Errorf("%s %s: action %q, want %q", c.method, c.path, action, c.action)
		}
		want := c.scope
		if want == "" && c.method != http.MethodPost {
			want = c.path
		}
		if want != "" && scope != want {
			t.Errorf("%s %s: scope %q, want %q", c.method, c.path, scope, want)
		}
	}
}

// Every rule names the action ARM derives from its path (no typo in the
// table), and every write route the sandbox serves (those other files add
// too) has an action to check.
func TestWriteRulesAgreeWithARMAndCoverEveryWriteRoute(t *testing.T) {
	sample := func(pattern string) []string {
		segs := strings.Split(pattern, "/")
		for i, s := range segs {
			if s == "{}" {
				segs[i] = "x" + string(rune('a'+i%26))
			}
		}
		return segs
	}
	for _, wr := range writeRules {
		if strings.Contains(wr.action, "{ns}") {
			continue
		}
		for _, m := range wr.methods {
			if got, _ := armAction(m, sample(wr.pattern)); got != wr.action {
				t.Errorf("rule %s %s says %s; ARM derives %s", m, wr.pattern, wr.action, got)
			}
		}
	}
	w, err := ParseWorld([]byte("subscriptions: [{id: s1, resourceGroups: [{name: rg, location: eastus}]}]\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(w)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	writes := 0
	for _, rt := range srv.routes {
		for m := range rt.methods {
			if !isWrite(m) {
				continue
			}
			writes++
			if a, _, _ := requiredAction(m, sample(strings.Join(rt.segs, "/"))); a == "" || !strings.Contains(a, "/") {
				t.Errorf("%s %s: no action to check", m, strings.Join(rt.segs, "/"))
			}
		}
	}
	if writes < 4 {
		t.Fatalf("only %d write routes found", writes)
	}
}

// authWorld has a group whose permissions deny the network's join actions
// and one that denies NIC writes; the sandbox serves no NIC PUT yet, so the
// test adds one, as a helper's file would.
const authWorld = `subscriptions:
  - id: 00000000-0000-0000-0000-0000000000ab
    resourceGroups:
      - name: apps
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Network/networkInterfaces/write", "Microsoft.Compute/virtualMachines/*/action"]}
      - name: netops
        location: eastus
        permissions: {actions: ["*"], notActions: ["Microsoft.Network/*/join/action"]}
      - name: open
        location: eastus
`

// Writes the permissions deny are refused before any handler runs, with
// Azure's messages; the ones they grant reach the handler with their body
// intact; a linked resource whose join the caller lacks is refused as
// LinkedAuthorizationFailed.
func TestAuthorizeRefusesDeniedWritesBeforeTheHandler(t *testing.T) {
	w, err := ParseWorld([]byte(authWorld), "auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(w)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var got []string
	record := func(w http.ResponseWriter, r *http.Request, m *match) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+m.rg.Name+" "+string(b))
		writeJSON(w, http.StatusOK, map[string]any{})
	}
	// Add a method to the route of pattern (a new route when none has it).
	addRoute := func(pattern, method string) {
		for i := range srv.routes {
			if strings.Join(srv.routes[i].segs, "/") == pattern {
				srv.routes[i].methods[method] = record
				return
			}
		}
		srv.routes = append(srv.routes, route{segs: strings.Split(pattern, "/"), hasRG: true, api: apiNetwork, methods: map[string]handler{method: record}})
	}
	addRoute("subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkInterfaces/{}", http.MethodPut)
	addRoute("subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}/deallocate", http.MethodPost)

	const subID = "00000000-0000-0000-0000-0000000000ab"
	send := func(method, path, body string) (int, map[string]map[string]string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.Endpoint()+path+"?api-version="+apiNetwork, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer t")
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e map[string]map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}
	nic := func(rg string) string {
		return "/subscriptions/" + subID + "/resourceGroups/" + rg + "/providers/Microsoft.Network/networkInterfaces/nic1"
	}
	nsg := "/subscriptions/" + subID + "/resourceGroups/netops/providers/Microsoft.Network/networkSecurityGroups/nsg1"
	body := `{"location": "eastus", "properties": {"networkSecurityGroup": {"id": "` + nsg + `"}, "ipConfigurations": [{"name": "ipconfig1", "properties": {}}]}}`

	code, e := send(http.MethodPut, nic("apps"), body)
	if code != http.StatusForbidden || e["error"]["code"] != "AuthorizationFailed" || e["error"]["message"] != "The client '"+callerObjectID+"' with object id '"+callerObjectID+
		"' does not have authorization to perform action 'Microsoft.Network/networkInterfaces/write' over scope '"+nic("apps")+
		"' or the scope is invalid. If access was recently granted, please refresh your credentials." {
		t.Fatalf("NIC write in apps: %d %v", code, e)
	}
	code, e = send(http.MethodPut, nic("open"), body)
	if code != http.StatusForbidden || e["error"]["code"] != "LinkedAuthorizationFailed" ||
		!strings.Contains(e["error"]["message"], "has permission to perform action 'Microsoft.Network/networkInterfaces/write' on scope '"+nic("open")+"'") ||
		!strings.Contains(e["error"]["message"], "does not have permission to perform action 'Microsoft.Network/networkSecurityGroups/join/action' on the linked scope(s) '"+nsg+"'") {
		t.Fatalf("NIC write linking a denied NSG: %d %v", code, e)
	}
	if len(got) != 0 {
		t.Fatalf("a refused write reached its handler: %v", got)
	}
	openNSG := strings.Replace(nsg, "/netops/", "/open/", 1)
	okBody := strings.Replace(body, nsg, openNSG, 1)
	if code, e = send(http.MethodPut, nic("open"), okBody); code != http.StatusOK || len(got) != 1 || got[0] != "PUT open "+okBody {
		t.Fatalf("a granted NIC write: %d %v; handler saw %v", code, e, got)
	}
	// A write no rule names: the action derived from its path decides.
	vm := "/subscriptions/" + subID + "/resourceGroups/apps/providers/Microsoft.Compute/virtualMachines/vm1"
	if code, e = send(http.MethodPost, vm+"/deallocate", ""); code != http.StatusForbidden ||
		!strings.Contains(e["error"]["message"], "'Microsoft.Compute/virtualMachines/deallocate/action' over scope '"+vm+"'") {
		t.Fatalf("deallocate in apps: %d %v", code, e)
	}
	if code, _ = send(http.MethodPost, strings.Replace(vm, "/apps/", "/open/", 1)+"/deallocate", ""); code != http.StatusOK || len(got) != 2 {
		t.Fatalf("deallocate in open: %d, handler saw %v", code, got)
	}
}
