package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Databricks workspaces have a REST API at their workspace URL,
// adb-<16 digits>.<n>.azuredatabricks.net. The sandbox's HTTP client sends
// those host names to the sandbox's own listener, which tells them from
// Resource Manager by the Host header. Only the call a preflight needs is
// served: GET /api/2.0/preview/scim/v2/Me, which says whether a personal
// access token works.

const (
	databricksDomain = ".azuredatabricks.net"
	hdiDomain        = ".azurehdinsight.net"
	mePath           = "/api/2.0/preview/scim/v2/Me"
)

// dbxEntry is a world Databricks workspace with where it lives.
type dbxEntry struct {
	sub  *Subscription
	rg   *ResourceGroup
	ws   *DatabricksWorkspace
	host string // lower case
}

func (e *dbxEntry) id() string {
	return rgPrefix(e.sub, e.rg) + "/providers/" + dbxType + "/" + e.ws.Name
}

// databricksNumber is the workspace's stable 16-digit ID, and the small
// number of its host name's second label.
func databricksNumber(sub, rg, name string) (uint64, int) {
	h := sha256.Sum256([]byte(strings.ToLower(sub + "/" + rg + "/" + name)))
	n := binary.BigEndian.Uint64(h[:8])
	return 1_000_000_000_000_000 + n%9_000_000_000_000_000, 1 + int(h[8])%19
}

// databricksHost is the host of a workspace URL, without the scheme.
func databricksHost(sub, rg, name string) string {
	id, n := databricksNumber(sub, rg, name)
	return fmt.Sprintf("adb-%d.%d%s", id, n, databricksDomain)
}

// requestHost is the request's Host without the port, in lower case.
func requestHost(r *http.Request) string {
	h := r.Host
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// dialHTTP is the DialContext of HTTPClient: a Databricks host of the world
// goes to the sandbox's listener, unless the workspace is unreachable (the
// dial times out); any other azuredatabricks.net name does not resolve.
// Other addresses are dialled as they are.
func (s *Server) dialHTTP(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err == nil {
		lower := strings.ToLower(strings.TrimSuffix(host, "."))
		if strings.HasSuffix(lower, databricksDomain) {
			e := s.dbx[lower]
			switch {
			case e == nil:
				return nil, noSuchHost(network, host)
			case !e.ws.Reachable:
				return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: timeoutError{}}
			}
			if err := ctx.Err(); err != nil {
				return nil, &net.OpError{Op: "dial", Net: network, Err: err}
			}
			addr = s.ln.Addr().String()
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// databricksError writes the error body the Databricks REST API uses.
func databricksError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error_code": code, "message": msg})
}

// tokenIn compares a token with a list in constant time per entry.
func tokenIn(token string, list []string) bool {
	found := false
	for _, t := range list {
		if subtle.ConstantTimeCompare([]byte(token), []byte(t)) == 1 {
			found = true
		}
	}
	return found
}

// serveDatabricks answers a request to a workspace host. No answer ever
// holds the token.
func (s *Server) serveDatabricks(w http.ResponseWriter, r *http.Request, host string) {
	e := s.dbx[host]
	if e == nil {
		// Only reachable by a client that connects by IP and sets Host itself.
		databricksError(w, http.StatusNotFound, "ENDPOINT_NOT_FOUND", "No workspace answers at this host name.")
		return
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		databricksError(w, http.StatusUnauthorized, "401", "Credential was not sent or was of an unsupported type for this API.")
		return
	}
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	switch {
	case !strings.EqualFold(scheme, "Bearer") || token == "":
		databricksError(w, http.StatusUnauthorized, "401", "Credential was not sent or was of an unsupported type for this API.")
		return
	case tokenIn(token, e.ws.ExpiredTokens):
		databricksError(w, http.StatusForbidden, "403", "Invalid access token: the token has expired.")
		return
	case !tokenIn(token, e.ws.Tokens):
		databricksError(w, http.StatusForbidden, "403", "Invalid access token.")
		return
	}
	if r.URL.Path != mePath {
		databricksError(w, http.StatusNotFound, "ENDPOINT_NOT_FOUND", fmt.Sprintf("No API found for '%s %s'", r.Method, r.URL.Path))
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		databricksError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	id, _ := databricksNumber(e.sub.ID, e.rg.Name, e.ws.Name+"/user")
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"},
		"id":          fmt.Sprint(id),
		"userName":    databricksUser,
		"displayName": "Databricks User",
		"active":      true,
		"emails":      []any{map[string]any{"type": "work", "value": databricksUser, "primary": true}},
		"groups":      []any{map[string]any{"display": "admins", "type": "direct", "value": fmt.Sprint(id % 1_000_000_000)}},
	})
}

// databricksUser is the user every working token belongs to.
const databricksUser = "databricks-user@contoso.com"
