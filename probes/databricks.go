package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"amlattach/azure"
)

// FieldToken points at the Databricks access token (--token-file or
// AMLATTACH_DATABRICKS_TOKEN).
const FieldToken Field = "token"

// DatabricksState checks that the Databricks workspace is provisioned and
// has a workspace URL.
func DatabricksState(d azure.DatabricksWorkspace) Result {
	g, n := groupAndName(d.ID, d.Name)
	show := fmt.Sprintf("az databricks workspace show -g %s -n %s --query \"{state:provisioningState, url:workspaceUrl}\"", g, n)
	ok := strings.EqualFold(d.ProvisioningState, "Succeeded")
	switch {
	case ok && d.WorkspaceURL != "":
		return passf("Databricks workspace %s is ready at %s", n, d.WorkspaceURL)
	case ok:
		return failf(FieldResourceID, "look at the workspace in the portal or with: "+show,
			"Databricks workspace %s is provisioned but Azure reports no workspace URL", n)
	}
	return failf(FieldResourceID, "wait for the workspace to be provisioned, or attach another one; to follow it: "+show,
		"Databricks workspace %s is in provisioning state %s, not Succeeded", n, orDash(d.ProvisioningState))
}

// DatabricksSubscription compares the Databricks workspace's subscription
// with the Azure ML workspace's.
func DatabricksSubscription(dbxSub, wsSub string) Result {
	if dbxSub == "" || wsSub == "" {
		return warnf("make sure you have the Contributor role on the Databricks workspace if it is in another subscription",
			"cannot compare subscriptions: the Databricks workspace's is %s and the Azure ML workspace's is %s", orDash(dbxSub), orDash(wsSub))
	}
	if strings.EqualFold(dbxSub, wsSub) {
		return passf("the Databricks workspace is in the Azure ML workspace's subscription %s", wsSub)
	}
	return warnf("make sure you have the Contributor role on the Databricks workspace (az role assignment list --all --assignee <you> --subscription "+dbxSub+" -o table), or ask its owner for it",
		"the Databricks workspace is in subscription %s and the Azure ML workspace in %s: a cross-subscription attach needs the Contributor role on the Databricks workspace", dbxSub, wsSub)
}

const (
	databricksMePath  = "/api/2.0/preview/scim/v2/Me"
	databricksMaxBody = 4 << 10
	newTokenRemedy    = "create a new personal access token (Databricks workspace > Settings > Developer > Access tokens) and give it with --token-file or AMLATTACH_DATABRICKS_TOKEN"
)

// DatabricksToken asks the workspace who the token belongs to
// (SCIM Me). workspaceURL is the host Azure reports (a scheme is
// tolerated); c may be nil. The token never appears in the Result, even
// when the server echoes it.
func DatabricksToken(ctx context.Context, c *http.Client, workspaceURL, token string) Result {
	r := databricksToken(ctx, c, workspaceURL, token)
	r.Detail, r.Remedy = scrubToken(r.Detail, token), scrubToken(r.Remedy, token)
	return r
}

func databricksToken(ctx context.Context, c *http.Client, workspaceURL, token string) Result {
	host := databricksHost(workspaceURL)
	if host == "" {
		return failf(FieldResourceID, "check the workspace in the portal: az databricks workspace show --ids <id> --query workspaceUrl",
			"the token was not checked: the Databricks workspace has no URL")
	}
	if strings.TrimSpace(token) == "" {
		return failf(FieldToken, newTokenRemedy, "no Databricks access token was given")
	}
	if c == nil {
		c = &http.Client{Timeout: 20 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+databricksMePath, nil)
	if err != nil {
		return failf(FieldResourceID, "check the workspace URL Azure reports (az databricks workspace show --ids <id> --query workspaceUrl)",
			"the token was not checked: %q is not a usable host name", host)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		kind, why := netErrorKind(err)
		return failf(FieldNone, "check your network connection to "+host+" (curl -sI https://"+host+"); behind a proxy, set HTTPS_PROXY; with TLS inspection, add the proxy's CA to the system's trusted certificates",
			"the token was NOT checked: %s could not be reached (%s: %s)", host, kind, why)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, databricksMaxBody))
	var ans struct {
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
		ErrorCode   string `json:"error_code"`
		Message     string `json:"message"`
		Detail      string `json:"detail"` // SCIM error form
	}
	_ = json.Unmarshal(body, &ans)
	// Scrub before quoting and clipping: either could leave part of an
	// echoed token behind.
	msg := scrubToken(firstNonBlank(ans.Message, ans.Detail), token)
	quoted := ""
	if msg != "" {
		quoted = fmt.Sprintf(": Databricks says %q", clip(firstLine(msg), 300))
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		switch {
		case ans.UserName != "" && ans.DisplayName != "" && ans.DisplayName != ans.UserName:
			return passf("%s accepts the token: it belongs to %s (%s)", host, ans.UserName, ans.DisplayName)
		case ans.UserName != "":
			return passf("%s accepts the token: it belongs to %s", host, ans.UserName)
		}
		return passf("%s accepts the token (its answer names no user)", host)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return failf(FieldToken, newTokenRemedy, "%s rejected the token (HTTP %d)%s", host, resp.StatusCode, quoted)
	case resp.StatusCode == http.StatusNotFound:
		return failf(FieldResourceID, "check that "+host+" is the workspace URL Azure reports (az databricks workspace show --ids <id> --query workspaceUrl)",
			"the token was not checked: %s answered HTTP 404 for %s%s", host, databricksMePath, quoted)
	}
	return failf(FieldNone, "try again in a few minutes; if it persists, check the workspace's status in the Azure portal and on the Azure Databricks status page",
		"the token was not checked: %s answered HTTP %d%s", host, resp.StatusCode, quoted)
}

// databricksHost reduces a workspace URL to its host[:port].
func databricksHost(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}

// netErrorKind names the kind of a failed HTTP request and gives its most
// specific message.
func netErrorKind(err error) (kind, why string) {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	why = inner.Error()
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var recHdr tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled", why
	case errors.As(err, &dnsErr):
		return "DNS lookup failed", why
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", why
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset", why
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid), errors.As(err, &verify), errors.As(err, &recHdr):
		return "TLS handshake failed", why
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out", why
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host", why
	}
	return "network error", why
}

// databricksTokenRE matches Databricks personal access tokens, so that one
// echoed back in another form than the one given is still hidden.
var databricksTokenRE = regexp.MustCompile(`dapi[0-9a-fA-F]{16,}(-\d+)?`)

// scrubToken removes the token (and anything shaped like a Databricks
// token) from s.
func scrubToken(s, token string) string {
	for _, t := range []string{token, strings.TrimSpace(token)} {
		if t != "" {
			s = strings.ReplaceAll(s, t, "[token]")
		}
	}
	return databricksTokenRE.ReplaceAllString(s, "[token]")
}

func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// clip cuts s to at most n bytes, at a rune boundary, and marks the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
