package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The sandbox's simulated Microsoft Entra ID. It listens on a loopback
// HTTPS port of its own (the ARM server's certificate) and answers what
// MSAL asks of an authority whose instance discovery is off: the tenant's
// OpenID configuration, the device code endpoint, the token endpoint
// (device code, refresh token and authorization code grants) and the
// authorize endpoint of the browser flow. The simulated user approves a
// device code by themselves after faults.signInApproveSeconds, and signs in
// at once in the browser flow: the authorize endpoint answers with a
// redirect to the client's own redirect URI, as Entra does after a sign-in.
//
// Tokens are JWTs signed with HMAC-SHA256 under a key of this server's
// alone; when signIn.required is set, Resource Manager takes no other
// (see checkARMToken). Nothing here ever writes a token to a log.

// SignIn is the world's signIn: the account the simulated user signs in
// with and its tenants.
type SignIn struct {
	// Required makes Resource Manager answer 401 to a request without a
	// valid, unexpired token of this Entra ID for the subscription's tenant.
	Required bool `yaml:"required"`
	// Username is the account's sign-in name.
	Username string `yaml:"username"`
	// DisplayName is the account's name.
	DisplayName string `yaml:"name"`
	// Tenants are the account's tenants; the first is its home tenant.
	Tenants []Tenant `yaml:"tenants"`
	Line    int      `yaml:"-"`
}

// Tenant is one Entra tenant of the account.
type Tenant struct {
	ID   string `yaml:"id" required:"true" check:"subscription"`
	Name string `yaml:"name"`
	// BlockDeviceCode makes the tenant refuse the device code flow, as a
	// Conditional Access policy on authentication flows does.
	BlockDeviceCode bool `yaml:"blockDeviceCode"`
	// BlockBrowser makes it refuse the browser (authorization code) flow.
	BlockBrowser bool `yaml:"blockBrowser"`
	Line         int  `yaml:"-"`
}

// Defaults of the simulated account.
const (
	defaultSignInUser = "ada@contoso.example"
	defaultSignInName = "Ada Lovelace"
	// ARMAudience is the audience of the Resource Manager tokens the
	// sandbox issues and accepts (the facade's audience for the sandbox).
	ARMAudience = "https://management.core.windows.net/"
)

// signIn is the world's signIn with its defaults filled in.
func (w *World) signIn() SignIn {
	var si SignIn
	if w.SignIn != nil {
		si = *w.SignIn
	}
	if si.Username == "" {
		si.Username = defaultSignInUser
	}
	if si.DisplayName == "" {
		si.DisplayName = defaultSignInName
	}
	if len(si.Tenants) == 0 {
		si.Tenants = []Tenant{{ID: tenantID, Name: "Contoso"}}
	}
	return si
}

// subTenant is the tenant a subscription belongs to.
func (s *Server) subTenant(sub *Subscription) string {
	if sub != nil && sub.TenantID != "" {
		return sub.TenantID
	}
	return s.entra.si.Tenants[0].ID
}

type entra struct {
	s        *Server
	si       SignIn
	oid      string // the account's object ID
	key      []byte // the HMAC key tokens are signed with
	endpoint string
	http     *http.Server
	ln       net.Listener

	mu        sync.Mutex
	codes     map[string]*deviceCode  // by device_code
	authCodes map[string]*authCode    // by code
	refresh   map[string]*refreshInfo // by refresh token
	issued    []string                // every token and code handed out, for IssuedSecrets

	stats struct{ deviceCodes, deviceGrants, refreshGrants, codeGrants, pending atomic.Int64 }
}

type deviceCode struct {
	userCode, tenant, clientID, scope string
	issued, expires                   time.Time
}

type authCode struct {
	tenant, clientID, scope, redirect, challenge string
	expires                                      time.Time
}

type refreshInfo struct {
	tenant, clientID string
	expires          time.Time
}

// startEntra starts the Entra ID listener with the ARM server's certificate.
func (s *Server) startEntra(cert tls.Certificate) error {
	e := &entra{s: s, si: s.world.signIn(), codes: map[string]*deviceCode{}, authCodes: map[string]*authCode{}, refresh: map[string]*refreshInfo{}}
	e.oid = stableUUID("user:" + e.si.Username)
	e.key = make([]byte, 32)
	if _, err := rand.Read(e.key); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sandbox: listen (Entra ID): %w", err)
	}
	e.ln = ln
	e.endpoint = "https://" + ln.Addr().String()
	e.http = &http.Server{
		Handler:           e,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	s.entra = e
	tlsLn := tls.NewListener(ln, e.http.TLSConfig)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = e.http.Serve(tlsLn)
	}()
	return nil
}

func (e *entra) close() {
	if e != nil && e.http != nil {
		e.http.Close()
		e.ln.Close()
	}
}

// EntraEndpoint is the simulated Entra ID's authority host,
// "https://127.0.0.1:PORT": set it as the credential's
// ActiveDirectoryAuthorityHost, with instance discovery off.
func (s *Server) EntraEndpoint() string { return s.entra.endpoint }

// SignInRequired reports whether Resource Manager takes only tokens of the
// simulated Entra ID (the world's signIn.required).
func (s *Server) SignInRequired() bool { return s.entra.si.Required }

// SignInStats counts what the simulated Entra ID did.
type SignInStats struct {
	DeviceCodes   int // device codes handed out
	DeviceGrants  int // tokens issued for an approved device code
	RefreshGrants int // tokens issued for a refresh token
	CodeGrants    int // tokens issued for an authorization code (browser)
	Pending       int // device code polls answered authorization_pending
}

// SignInStats reports the Entra ID's counters.
func (s *Server) SignInStats() SignInStats {
	st := &s.entra.stats
	return SignInStats{DeviceCodes: int(st.deviceCodes.Load()), DeviceGrants: int(st.deviceGrants.Load()),
		RefreshGrants: int(st.refreshGrants.Load()), CodeGrants: int(st.codeGrants.Load()), Pending: int(st.pending.Load())}
}

// IssuedSecrets returns every token, refresh token, device code and
// authorization code the Entra ID handed out so far, so that a test can
// check none of them shows anywhere.
func (s *Server) IssuedSecrets() []string {
	e := s.entra
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.issued...)
}

// tenant resolves the tenant segment of a path: a tenant of the account,
// or organizations/common (the home tenant). ok is false for any other.
func (e *entra) tenant(seg string) (Tenant, bool) {
	switch strings.ToLower(seg) {
	case "organizations", "common":
		return e.si.Tenants[0], true
	}
	for _, t := range e.si.Tenants {
		if strings.EqualFold(t.ID, seg) {
			return t, true
		}
	}
	return Tenant{}, false
}

func (e *entra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) == 1 && segs[0] == "devicelogin" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "amlattach sandbox: there is nothing to do here; the simulated user approves the code by themselves.\n")
		return
	}
	if len(segs) < 2 {
		http.NotFound(w, r)
		return
	}
	t, ok := e.tenant(segs[0])
	if !ok {
		e.oauthError(w, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. The account %s is not in it; its tenants are %s.", segs[0], e.si.Username, e.tenantList()))
		return
	}
	switch rest := strings.Join(segs[1:], "/"); {
	case rest == "v2.0/.well-known/openid-configuration" && r.Method == http.MethodGet:
		e.openIDConfig(w, segs[0])
	case rest == "oauth2/v2.0/devicecode" && r.Method == http.MethodPost:
		e.deviceCode(w, r, t)
	case rest == "oauth2/v2.0/token" && r.Method == http.MethodPost:
		e.token(w, r, t)
	case rest == "oauth2/v2.0/authorize" && r.Method == http.MethodGet:
		e.authorize(w, r, t)
	default:
		http.NotFound(w, r)
	}
}

func (e *entra) tenantList() string {
	var ids []string
	for _, t := range e.si.Tenants {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, ", ")
}

// openIDConfig answers the tenant's OpenID configuration in Entra's v2.0
// shape. For organizations and common the issuer holds Entra's {tenantid}
// placeholder, as Entra's does.
func (e *entra) openIDConfig(w http.ResponseWriter, seg string) {
	base := e.endpoint + "/" + seg
	issTenant := seg
	if l := strings.ToLower(seg); l == "organizations" || l == "common" {
		issTenant = "{tenantid}"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                e.endpoint + "/" + issTenant + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"HS256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid", "preferred_username", "ver"},
		"request_uri_parameter_supported":       false,
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "sandbox.amlattach",
	})
}

// oauthError writes the error body Entra's endpoints use.
func (e *entra) oauthError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	now := e.s.now().UTC()
	id := randomUUID()
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", aadsts, desc, id, id, now.Format("2006-01-02 15:04:05Z")),
		"error_codes":       []int{aadsts},
		"timestamp":         now.Format("2006-01-02 15:04:05Z"),
		"trace_id":          id,
		"correlation_id":    id,
	})
}

// randomToken is n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// userCode is a code of nine letters and digits without look-alikes.
func userCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (e *entra) remember(secrets ...string) {
	e.issued = append(e.issued, secrets...)
}

func (e *entra) deviceCode(w http.ResponseWriter, r *http.Request, t Tenant) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") == "" {
		e.oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	if t.BlockDeviceCode {
		e.oauthError(w, http.StatusBadRequest, "invalid_grant", 53003,
			fmt.Sprintf("Access has been blocked by Conditional Access policies of tenant %s (%s): the device code flow is not allowed there. Sign in with a browser instead.", t.ID, t.Name))
		return
	}
	f := e.s.world.Faults
	life := time.Duration(f.DeviceCodeSeconds * float64(time.Second))
	if f.DeviceCodeSeconds == 0 && !e.fromFile() {
		life = 15 * time.Minute
	}
	now := e.s.now()
	dc := &deviceCode{userCode: userCode(), tenant: t.ID, clientID: r.PostForm.Get("client_id"), scope: r.PostForm.Get("scope"), issued: now, expires: now.Add(life)}
	code := randomToken(48)
	e.mu.Lock()
	e.codes[code] = dc
	e.remember(code)
	e.mu.Unlock()
	e.stats.deviceCodes.Add(1)
	verify := e.endpoint + "/devicelogin"
	secs := int(life / time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        dc.userCode,
		"device_code":      code,
		"verification_uri": verify,
		"expires_in":       secs,
		"interval":         5,
		"message":          fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, dc.userCode),
	})
}

// fromFile reports whether the world came from YAML (whose decoder fills in
// the defaults); a world built in code has zero faults.
func (e *entra) fromFile() bool { return e.s.world.Source != "" }

func (e *entra) token(w http.ResponseWriter, r *http.Request, t Tenant) {
	if err := r.ParseForm(); err != nil {
		e.oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body is not a form.")
		return
	}
	f := r.PostForm
	clientID := f.Get("client_id")
	if clientID == "" {
		e.oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	now := e.s.now()
	switch f.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code", "device_code":
		e.mu.Lock()
		dc := e.codes[f.Get("device_code")]
		e.mu.Unlock()
		switch {
		case dc == nil || dc.clientID != clientID:
			e.oauthError(w, http.StatusBadRequest, "bad_verification_code", 70000, "The device code is not one this Entra ID handed out, or it was used already.")
			return
		case now.After(dc.expires):
			e.forgetCode(f.Get("device_code"))
			e.oauthError(w, http.StatusBadRequest, "expired_token", 70019, "The device code expired before the user signed in. Ask for a new code.")
			return
		case e.s.world.Faults.SignInDeclined:
			e.forgetCode(f.Get("device_code"))
			e.oauthError(w, http.StatusBadRequest, "authorization_declined", 70000, "The user declined the sign-in request.")
			return
		case now.Sub(dc.issued) < time.Duration(e.s.world.Faults.SignInApproveSeconds*float64(time.Second)):
			e.stats.pending.Add(1)
			e.oauthError(w, http.StatusBadRequest, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
			return
		}
		e.forgetCode(f.Get("device_code"))
		e.stats.deviceGrants.Add(1)
		e.issue(w, dc.tenant, clientID, scopeOr(f.Get("scope"), dc.scope))
	case "refresh_token":
		rt := f.Get("refresh_token")
		e.mu.Lock()
		ri := e.refresh[rt]
		if ri != nil {
			delete(e.refresh, rt) // refresh tokens are used once: the answer holds the next
		}
		e.mu.Unlock()
		switch {
		case ri == nil || ri.clientID != clientID:
			e.oauthError(w, http.StatusBadRequest, "invalid_grant", 9002313, "The refresh token is not valid (malformed, revoked, or used already). Sign in again.")
			return
		case now.After(ri.expires):
			e.oauthError(w, http.StatusBadRequest, "invalid_grant", 700082, "The refresh token has expired due to inactivity. Sign in again.")
			return
		}
		tenant := ri.tenant
		if t.ID != tenant && !isCommon(r.URL.Path) {
			// A refresh token of the account serves any of its tenants.
			tenant = t.ID
		}
		e.stats.refreshGrants.Add(1)
		e.issue(w, tenant, clientID, f.Get("scope"))
	case "authorization_code":
		code := f.Get("code")
		e.mu.Lock()
		ac := e.authCodes[code]
		delete(e.authCodes, code)
		e.mu.Unlock()
		switch {
		case ac == nil || ac.clientID != clientID || now.After(ac.expires):
			e.oauthError(w, http.StatusBadRequest, "invalid_grant", 70008, "The provided authorization code is expired, used already or not valid.")
			return
		case f.Get("redirect_uri") != ac.redirect:
			e.oauthError(w, http.StatusBadRequest, "invalid_grant", 50148, "The redirect_uri does not match the one of the authorization request.")
			return
		case ac.challenge != "" && !pkceMatches(f.Get("code_verifier"), ac.challenge):
			e.oauthError(w, http.StatusBadRequest, "invalid_grant", 501481, "The code_verifier does not match the code_challenge supplied in the authorization request.")
			return
		}
		e.stats.codeGrants.Add(1)
		e.issue(w, ac.tenant, clientID, scopeOr(f.Get("scope"), ac.scope))
	default:
		e.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", f.Get("grant_type")))
	}
}

func isCommon(path string) bool {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	seg = strings.ToLower(seg)
	return seg == "organizations" || seg == "common"
}

func scopeOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (e *entra) forgetCode(code string) {
	e.mu.Lock()
	delete(e.codes, code)
	e.mu.Unlock()
}

// pkceMatches checks an S256 code challenge.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// authorize is the browser flow's sign-in page: the simulated user signs in
// at once, and the answer redirects to the client's redirect URI with the
// code (or with the error when the tenant refuses the flow or the user
// declines), as Entra does. Only loopback redirect URIs are accepted.
func (e *entra) authorize(w http.ResponseWriter, r *http.Request, t Tenant) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || ru.Scheme != "http" || (ru.Hostname() != "localhost" && ru.Hostname() != "127.0.0.1") {
		e.oauthError(w, http.StatusBadRequest, "invalid_request", 50011, fmt.Sprintf("The redirect URI '%s' does not match the redirect URIs configured for the application: the sandbox takes http://localhost only.", redirect))
		return
	}
	back := url.Values{}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	switch {
	case q.Get("client_id") == "":
		back.Set("error", "invalid_request")
		back.Set("error_description", "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
	case t.BlockBrowser:
		back.Set("error", "access_denied")
		back.Set("error_description", fmt.Sprintf("AADSTS53003: Access has been blocked by Conditional Access policies of tenant %s (%s): sign-in in a browser is not allowed there. Use the device code flow.", t.ID, t.Name))
	case e.s.world.Faults.SignInDeclined:
		back.Set("error", "access_denied")
		back.Set("error_description", "AADSTS65004: The user declined to consent to access the app.")
	default:
		code := randomToken(48)
		e.mu.Lock()
		e.authCodes[code] = &authCode{tenant: t.ID, clientID: q.Get("client_id"), scope: q.Get("scope"), redirect: redirect,
			challenge: q.Get("code_challenge"), expires: e.s.now().Add(10 * time.Minute)}
		e.remember(code)
		e.mu.Unlock()
		back.Set("code", code)
		back.Set("client_info", e.clientInfo(t.ID))
	}
	if q.Get("response_mode") == "form_post" {
		e.formPost(w, ru.String(), back)
		return
	}
	ru.RawQuery = back.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func (e *entra) clientInfo(tenant string) string {
	b, _ := json.Marshal(map[string]string{"uid": e.oid, "utid": e.si.Tenants[0].ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// issue answers a token request: an access token for the requested
// resource, an ID token, client_info for the account, and a refresh token.
func (e *entra) issue(w http.ResponseWriter, tenant, clientID, scope string) {
	f := e.s.world.Faults
	atLife := time.Duration(f.AccessTokenSeconds) * time.Second
	if atLife <= 0 {
		atLife = time.Hour
	}
	rtLife := time.Duration(f.RefreshTokenSeconds) * time.Second
	if rtLife <= 0 {
		rtLife = 90 * 24 * time.Hour
	}
	now := e.s.now()
	aud := ARMAudience
	for _, sc := range strings.Fields(scope) {
		if res, ok := strings.CutSuffix(sc, "/.default"); ok {
			aud = strings.TrimSuffix(res, "/") + "/"
		}
	}
	access := e.sign(map[string]any{
		"aud": aud, "iss": "https://sts.windows.net/" + tenant + "/", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(atLife).Unix(),
		"appid": clientID, "name": e.si.DisplayName, "oid": e.oid, "tid": tenant, "upn": e.si.Username, "unique_name": e.si.Username,
		"scp": "user_impersonation", "ver": "1.0",
	})
	id := e.sign(map[string]any{
		"aud": clientID, "iss": e.endpoint + "/" + tenant + "/v2.0", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"name": e.si.DisplayName, "oid": e.oid, "preferred_username": e.si.Username, "sub": stableUUID("sub:" + e.si.Username + clientID),
		"tid": tenant, "ver": "2.0",
	})
	refresh := randomToken(64)
	e.mu.Lock()
	e.refresh[refresh] = &refreshInfo{tenant: tenant, clientID: clientID, expires: now.Add(rtLife)}
	e.remember(access, id, refresh)
	e.mu.Unlock()
	// The scopes granted are those asked for, as Entra grants a .default
	// scope; OpenID's own are not echoed.
	var granted []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access":
		default:
			granted = append(granted, sc)
		}
	}
	secs := int(atLife / time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"scope":          strings.Join(granted, " "),
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   access,
		"refresh_token":  refresh,
		"id_token":       id,
		"client_info":    e.clientInfo(tenant),
	})
}

// sign makes an HS256 JWT of claims under the server's key.
func (e *entra) sign(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	msg := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte(msg))
	return msg + "." + enc.EncodeToString(m.Sum(nil))
}

// tokenClaims are the claims Resource Manager checks.
type tokenClaims struct {
	Aud string `json:"aud"`
	Tid string `json:"tid"`
	Exp int64  `json:"exp"`
}

var errNotOurs = errors.New("not a token of this sandbox's Entra ID")

// verify checks a token's signature and returns its claims.
func (e *entra) verify(tok string) (tokenClaims, error) {
	var c tokenClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, errNotOurs
	}
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return c, errNotOurs
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return c, errNotOurs
	}
	return c, nil
}

// checkARMToken enforces signIn.required on a Resource Manager request: a
// token of this Entra ID, for Resource Manager, unexpired, and for the
// tenant of the subscription the request is about (sub nil: any of the
// account's tenants). It answers 401 as Resource Manager does and reports
// false when the request must stop. tid is the token's tenant.
func (s *Server) checkARMToken(w http.ResponseWriter, token string, sub *Subscription) (tid string, ok bool) {
	e := s.entra
	if !e.si.Required {
		return "", true
	}
	c, err := e.verify(token)
	if err != nil {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token is invalid."`, e.endpoint, e.si.Tenants[0].ID))
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken",
			"The access token is invalid: this sandbox requires sign-in (its world sets signIn.required), and the token was not issued by its Entra ID. Sign in with --auth device-code or --auth browser.")
		return "", false
	}
	if strings.TrimSuffix(c.Aud, "/") != strings.TrimSuffix(ARMAudience, "/") && strings.TrimSuffix(c.Aud, "/") != "https://management.azure.com" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token has the wrong audience."`, e.endpoint, c.Tid))
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken",
			fmt.Sprintf("The access token has an invalid audience '%s': it must be issued for Resource Manager.", c.Aud))
		return "", false
	}
	if !s.now().Before(time.Unix(c.Exp, 0)) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token expiry UTC time '%s' is earlier than current UTC time '%s'."`,
			e.endpoint, c.Tid, time.Unix(c.Exp, 0).UTC().Format(time.RFC3339), s.now().UTC().Format(time.RFC3339)))
		armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken",
			"The access token expiry UTC time '"+time.Unix(c.Exp, 0).UTC().Format("1/2/2006 3:04:05 PM")+"' is earlier than current UTC time '"+s.now().UTC().Format("1/2/2006 3:04:05 PM")+"'.")
		return "", false
	}
	if sub != nil {
		if want := s.subTenant(sub); !strings.EqualFold(want, c.Tid) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="The access token is from the wrong issuer."`, e.endpoint, want))
			armError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant",
				fmt.Sprintf("The access token is from the wrong issuer 'https://sts.windows.net/%s/'. It must match the tenant 'https://sts.windows.net/%s/' associated with this subscription. Please use the authority (URL) '%s/%s' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
					c.Tid, want, e.endpoint, want))
			return "", false
		}
	}
	return c.Tid, true
}

// listTenants answers GET /tenants (armsubscriptions TenantsClient): the
// account's tenants, the home tenant first.
func (s *Server) listTenants(w http.ResponseWriter, r *http.Request, _ *match) {
	ts := s.entra.si.Tenants
	s.writeListing(w, r, indexedListing(len(ts), func(i int) any {
		t := ts[i]
		name := t.Name
		if name == "" {
			name = t.ID
		}
		domain := strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".onmicrosoft.com"
		return map[string]any{
			"id": "/tenants/" + t.ID, "tenantId": t.ID, "tenantCategory": "Home", "displayName": name,
			"defaultDomain": domain, "domains": []string{domain}, "tenantType": "AAD", "countryCode": "NL", "country": "Netherlands",
		}
	}))
}
