package azure_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/internal/sandboxtest"
)

// Azure sends provisioningErrors as null for a compute without errors (the
// lenient sandbox sends []): the facade reads both as no errors, and the
// errors of a failed compute word for word.
func TestProvisioningErrorsSentAsNull(t *testing.T) {
	for _, tc := range []struct{ faults, raw string }{
		{"", `"provisioningErrors":null`},
		{"  lenient: {emptyErrors: true}\n", `"provisioningErrors":[]`},
	} {
		srv := sandboxtest.Start(t, []byte(world+tc.faults), "facade.yaml")
		req, _ := http.NewRequest(http.MethodGet, srv.Endpoint()+"/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c1?api-version="+azure.MLAPIVersion, nil)
		req.Header.Set("Authorization", "Bearer x")
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), tc.raw) {
			t.Fatalf("%q: want %s in %s", tc.faults, tc.raw, body)
		}
		c := azure.New(azure.StaticCredential{}, azure.Options{Endpoint: srv.Endpoint(), HTTPClient: srv.HTTPClient()})
		ws := azure.Workspace{SubscriptionID: sub, ResourceGroup: "rg", Name: "ws"}
		got, err := c.GetCompute(context.Background(), ws, "c1")
		if err != nil || got.ProvisioningState != "Succeeded" || len(got.ProvisioningErrors) != 0 {
			t.Fatalf("%q: c1 %+v %v", tc.faults, got, err)
		}
		all, err := c.ListComputes(context.Background(), ws)
		if err != nil || len(all) != 3 || len(all[1].ProvisioningErrors) != 2 || all[1].ProvisioningErrors[1].Message != "another one" || len(all[2].ProvisioningErrors) != 0 {
			t.Fatalf("%q: list %+v %v", tc.faults, all, err)
		}
	}
}
