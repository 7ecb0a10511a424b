package probes

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"amlattach/azure"
)

func TestDatabricksState(t *testing.T) {
	id := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/d-rg/providers/Microsoft.Databricks/workspaces/dbx"
	cases := []struct {
		name   string
		state  string
		url    string
		status Status
		detail []string
		remedy []string
	}{
		{"ready", "Succeeded", "adb-1.1.azuredatabricks.net", Pass, parts("dbx", "adb-1.1.azuredatabricks.net"), nil},
		{"no url", "Succeeded", "", Fail, parts("no workspace URL"), parts("az databricks workspace show -g d-rg -n dbx")},
		{"updating", "Updating", "adb-1.1.azuredatabricks.net", Fail, parts("Updating, not Succeeded"), parts("az databricks workspace show -g d-rg -n dbx")},
		{"failed", "Failed", "", Fail, parts("Failed"), parts("attach another")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want(t, DatabricksState(azure.DatabricksWorkspace{ID: id, Name: "dbx", ProvisioningState: c.state, WorkspaceURL: c.url}), c.status, c.detail, c.remedy)
		})
	}
}

func TestDatabricksSubscription(t *testing.T) {
	a := "00000000-0000-0000-0000-0000000000AA"
	b := "00000000-0000-0000-0000-0000000000bb"
	want(t, DatabricksSubscription(a, strings.ToLower(a)), Pass, parts("in the Azure ML workspace's subscription"), nil)
	want(t, DatabricksSubscription(a, b), Warn, parts(a, b, "Contributor role on the Databricks workspace"), parts("Contributor", a))
	want(t, DatabricksSubscription("", b), Warn, parts("cannot compare"), parts("Contributor"))
}

const secretToken = "dapi0123456789abcdef0123456789abcdef-2"

// dbxServer answers SCIM Me like Databricks: 200 for the good token, else
// the given status and body.
func dbxServer(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/2.0/preview/scim/v2/Me" {
			http.Error(w, "wrong path "+r.URL.Path, http.StatusTeapot)
			return
		}
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if status == http.StatusOK && got != secretToken {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error_code":"403","message":"wrong token in test"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, strings.ReplaceAll(body, "$TOKEN", got))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case makes handshakes fail
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestDatabricksToken(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	cases := []struct {
		name   string
		status int
		body   string
		want   Status
		field  Field
		detail []string
		remedy []string
	}{
		{"valid", 200, `{"userName":"ana@contoso.com","displayName":"Ana Lima"}`, Pass, FieldNone, parts("accepts the token", "ana@contoso.com", "Ana Lima"), nil},
		{"valid without a name", 200, `{}`, Pass, FieldNone, parts("names no user"), nil},
		{"403 with message", 403, `{"error_code":"403","message":"Invalid access token."}`, Fail, FieldToken,
			parts("rejected the token", "HTTP 403", `"Invalid access token."`), parts("Access tokens", "--token-file", "AMLATTACH_DATABRICKS_TOKEN")},
		{"401 without JSON", 401, `<html>Unauthorized</html>`, Fail, FieldToken, parts("rejected the token", "HTTP 401", "!says"), parts("new personal access token")},
		{"500", 500, `{"error_code":"INTERNAL_ERROR","message":"Something broke"}`, Fail, FieldNone, parts("not checked", "HTTP 500", "Something broke"), parts("try again")},
		{"SCIM error form", 403, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User not in workspace","status":"403"}`, Fail, FieldToken,
			parts("User not in workspace"), parts("--token-file")},
		{"echoes the token", 403, `{"error_code":"403","message":"Token $TOKEN is invalid; prefix dapi0123456789abcdef0123"}`, Fail, FieldToken,
			parts("[token] is invalid", "!dapi0123456789abcdef"), parts("!dapi")},
		{"echoes the token at the cut", 403, `{"message":"` + strings.Repeat("y", 295) + ` $TOKEN"}`, Fail, FieldToken, parts("!dapi", "!0123456789abcdef"), nil},
		{"huge body is not read whole", 403, `{"message":"` + big + `"}`, Fail, FieldToken, parts("HTTP 403", "!says"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := dbxServer(t, c.status, c.body)
			host := strings.TrimPrefix(srv.URL, "https://")
			r := DatabricksToken(context.Background(), srv.Client(), host, secretToken)
			want(t, r, c.want, append(c.detail, "!"+secretToken, host), append(c.remedy, "!"+secretToken))
			if r.Field != c.field {
				t.Errorf("field %q, want %q", r.Field, c.field)
			}
		})
	}
}

func TestDatabricksTokenURLForms(t *testing.T) {
	srv := dbxServer(t, 200, `{"userName":"ana@contoso.com"}`)
	for _, u := range []string{srv.URL, srv.URL + "/", strings.TrimPrefix(srv.URL, "https://"), " " + srv.URL + "/?o=123 "} {
		want(t, DatabricksToken(context.Background(), srv.Client(), u, secretToken), Pass, parts("ana@contoso.com"), nil)
	}
	want(t, DatabricksToken(context.Background(), srv.Client(), "", secretToken), Fail, parts("not checked", "no URL"), parts("workspaceUrl"))
	r := DatabricksToken(context.Background(), srv.Client(), srv.URL, "  ")
	want(t, r, Fail, parts("no Databricks access token"), parts("--token-file"))
	if r.Field != FieldToken {
		t.Errorf("field %q", r.Field)
	}
}

func TestDatabricksTokenNetworkErrors(t *testing.T) {
	// A closed port: listen, note the address, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	r := DatabricksToken(context.Background(), &http.Client{Timeout: 5 * time.Second}, closed, secretToken)
	want(t, r, Fail, parts("NOT checked", closed, "could not be reached", "connection refused", "!"+secretToken), parts("network", "proxy"))

	// A server whose certificate this client does not trust.
	srv := dbxServer(t, 200, `{"userName":"x"}`)
	r = DatabricksToken(context.Background(), &http.Client{Timeout: 5 * time.Second}, srv.URL, secretToken)
	want(t, r, Fail, parts("NOT checked", "TLS handshake failed"), parts("CA"))

	// A server that never answers within the client's timeout.
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	c := slow.Client()
	c.Timeout = 200 * time.Millisecond
	r = DatabricksToken(context.Background(), c, slow.URL, secretToken)
	want(t, r, Fail, parts("NOT checked", "timed out"), parts("proxy"))

	// A name that does not resolve (.invalid never does).
	r = DatabricksToken(context.Background(), &http.Client{Timeout: 5 * time.Second}, "adb-1.1.invalid", secretToken)
	want(t, r, Fail, parts("NOT checked", "adb-1.1.invalid"), parts("network"))
}

func TestScrubToken(t *testing.T) {
	for in, out := range map[string]string{
		"Bearer " + secretToken:                        "Bearer [token]",
		"other dapiabcdef0123456789abcdef0123456789 x": "other [token] x",
		"no secret here":                               "no secret here",
	} {
		if got := scrubToken(in, secretToken); got != out {
			t.Errorf("scrubToken(%q) = %q, want %q", in, got, out)
		}
	}
}
