package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// API versions the SDK modules amlattach builds with send; the server
// accepts exactly these, as Resource Manager accepts only the versions a
// resource type supports.
const (
	apiSubscriptions = "2022-12-01" // armsubscriptions v2
	apiResources     = "2025-04-01" // armresources v4
	apiML            = "2024-04-01" // armmachinelearning v4
	apiCompute       = "2026-04-01" // armcompute v8
	apiNetwork       = "2025-09-01" // armnetwork v11
)

// handler serves one method of one route.
type handler func(w http.ResponseWriter, r *http.Request, m *match)

// route is a path pattern: literal segments are compared case-insensitively,
// "{}" captures one segment. The first capture is the subscription; when the
// pattern has resourceGroups/{}, the second is the resource group.
type route struct {
	segs    []string
	hasRG   bool
	api     string
	methods map[string]handler
}

// match is a request that found its route and whose subscription (and
// resource group) exist.
type match struct {
	sub  *Subscription
	rg   *ResourceGroup
	vars []string // the captures after the subscription and resource group
	api  string
}

func (s *Server) armRoutes() []route {
	mk := func(pattern, api string, methods map[string]handler) route {
		segs := strings.Split(pattern, "/")
		rt := route{segs: segs, api: api, methods: methods}
		for i := 0; i+1 < len(segs); i++ {
			if strings.EqualFold(segs[i], "resourceGroups") && segs[i+1] == "{}" {
				rt.hasRG = true
			}
		}
		return rt
	}
	get := func(h handler) map[string]handler { return map[string]handler{http.MethodGet: h} }
	const (
		sub  = "subscriptions/{}"
		rg   = sub + "/resourceGroups/{}"
		ml   = "/providers/Microsoft.MachineLearningServices"
		comp = "/providers/Microsoft.Compute"
		netw = "/providers/Microsoft.Network"
	)
	rts := append(s.permissionRoutes(mk),
		mk("subscriptions", apiSubscriptions, get(s.listSubscriptions)),
		mk(sub, apiSubscriptions, get(s.getSubscription)),
		mk(sub+"/resourcegroups", apiResources, get(s.listResourceGroups)),
		mk(sub+"/providers/{}", apiResources, get(s.getProvider)),
		mk(rg, apiResources, get(s.getResourceGroup)),

		mk(sub+ml+"/workspaces", apiML, get(s.listWorkspaces)),
		mk(rg+ml+"/workspaces", apiML, get(s.listWorkspaces)),
		mk(rg+ml+"/workspaces/{}", apiML, get(s.getWorkspace)),
		mk(rg+ml+"/workspaces/{}/computes", apiML, get(s.listComputes)),
		mk(rg+ml+"/workspaces/{}/computes/{}", apiML, map[string]handler{
			http.MethodGet: s.getCompute, http.MethodPut: s.putCompute, http.MethodDelete: s.deleteCompute,
		}),
		mk(rg+ml+"/workspaces/{}/computes/{}/listKeys", apiML, map[string]handler{http.MethodPost: s.listKeys}),
		mk(sub+ml+"/locations/{}/computeOperationsStatus/{}", apiML, get(s.operationStatus)),
		mk(sub+ml+"/locations/{}/computeOperationsResults/{}", apiML, get(s.operationResult)),

		mk(sub+comp+"/virtualMachines", apiCompute, get(s.listVMs)),
		mk(rg+comp+"/virtualMachines", apiCompute, get(s.listVMs)),
		mk(rg+comp+"/virtualMachines/{}", apiCompute, get(s.getVM)),
		mk(rg+comp+"/virtualMachines/{}/instanceView", apiCompute, get(s.getInstanceView)),
		mk(rg+comp+"/virtualMachines/{}/start", apiCompute, map[string]handler{http.MethodPost: s.startVM}),
		mk(sub+comp+"/locations/{}/operations/{}", apiCompute, get(s.vmOperationStatus)),
	)
	for _, t := range []string{"networkInterfaces", "publicIPAddresses", "networkSecurityGroups", "virtualNetworks"} {
		rts = append(rts,
			mk(sub+netw+"/"+t, apiNetwork, get(s.listNetwork(t))),
			mk(rg+netw+"/"+t, apiNetwork, get(s.listNetwork(t))),
			mk(rg+netw+"/"+t+"/{}", apiNetwork, s.networkMethods(t)),
		)
	}
	rts = append(rts, s.networkWriteRoutes(mk)...)
	rts = append(rts,
		mk(rg+netw+"/virtualNetworks/{}/subnets", apiNetwork, get(s.listSubnets)),
		mk(rg+netw+"/virtualNetworks/{}/subnets/{}", apiNetwork, get(s.getSubnet)),
	)
	rts = append(rts, s.vmExtensionRoutes(mk)...)
	rts = append(rts, s.watcherRoutes(mk)...)
	rts = append(rts, s.jobRoutes(mk)...)
	rts = append(rts, s.fixRoutes(mk)...)
	rts = append(rts, s.runCommandRoutes(mk)...)
	return append(rts, s.targetRoutes(mk)...)
}

// knownNamespaces are the resource providers the sandbox simulates.
var knownNamespaces = []string{"Microsoft.MachineLearningServices", "Microsoft.Compute", "Microsoft.Network", "Microsoft.Resources",
	"Microsoft.HDInsight", "Microsoft.Batch", "Microsoft.Databricks", "Microsoft.DataLakeAnalytics", "Microsoft.ContainerService",
	"Microsoft.Kubernetes", "Microsoft.KubernetesConfiguration", "Microsoft.Synapse", "Microsoft.Authorization"}

// armHandler serves Resource Manager requests; it keeps ServeHTTP off
// Server's exported API.
type armHandler struct{ s *Server }

// ServeHTTP sends requests for a Databricks workspace host (the Host header)
// to the workspace's REST API, and the others to Resource Manager.
func (h armHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if host := requestHost(r); strings.HasSuffix(host, databricksDomain) {
		h.s.serveDatabricks(w, r, host)
		return
	}
	if strings.HasPrefix(r.URL.Path, mlDataPrefix) {
		h.s.serveMLData(w, r)
		return
	}
	h.s.serveARM(w, r)
}

// serveARM answers one ARM request.
func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	reqID := randomUUID()
	w.Header().Set("x-ms-request-id", reqID)
	w.Header().Set("x-ms-correlation-request-id", reqID)
	if ms := s.world.Faults.ARMLatencyMs; ms > 0 {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up. Abort the exchange rather than return,
			// which would send an empty 200: a client still reading would
			// take that for an answer with nothing in it.
			t.Stop()
			panic(http.ErrAbortHandler)
		}
	}
	if s.injectFault(w, r, s.serveARMRequest) {
		return
	}
	s.serveARMRequest(w, r)
}

// serveARMRequest answers an ARM request that no fault stopped.
func (s *Server) serveARMRequest(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is missing or invalid."`)
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.")
		return
	}
	api := r.URL.Query().Get("api-version")
	if api == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	segs := splitPath(r.URL.EscapedPath())
	rt, caps := s.findRoute(segs)
	if rt == nil {
		s.noRoute(w, segs, api)
		return
	}
	if api != rt.api {
		armError(w, http.StatusBadRequest, "InvalidApiVersionParameter",
			fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'.", api, rt.api))
		return
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		var allow []string
		for m := range rt.methods {
			allow = append(allow, m)
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method))
		return
	}
	m := &match{api: api}
	if len(caps) > 0 {
		m.sub = s.findSub(caps[0])
		if m.sub == nil {
			armError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", caps[0]))
			return
		}
		caps = caps[1:]
	}
	if rt.hasRG {
		m.rg = findRG(m.sub, caps[0])
		if m.rg == nil {
			armError(w, http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", caps[0]))
			return
		}
		caps = caps[1:]
	}
	m.vars = caps
	if !s.authorize(w, r, segs, m) {
		return
	}
	if s.unregistered(w, segs, m) {
		return
	}
	h(w, r, m)
}

func splitPath(escaped string) []string {
	var out []string
	for _, p := range strings.Split(strings.Trim(escaped, "/"), "/") {
		if p == "" {
			continue
		}
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
		out = append(out, p)
	}
	return out
}

func (s *Server) findRoute(segs []string) (*route, []string) {
	for i := range s.routes {
		rt := &s.routes[i]
		if len(rt.segs) != len(segs) {
			continue
		}
		var caps []string
		ok := true
		for j, p := range rt.segs {
			if p == "{}" {
				caps = append(caps, segs[j])
			} else if !strings.EqualFold(p, segs[j]) {
				ok = false
				break
			}
		}
		if ok {
			return rt, caps
		}
	}
	return nil, nil
}

func (s *Server) noRoute(w http.ResponseWriter, segs []string, api string) {
	for i, seg := range segs {
		if !strings.EqualFold(seg, "providers") || i+1 >= len(segs) {
			continue
		}
		ns := segs[i+1]
		known := false
		for _, k := range knownNamespaces {
			known = known || strings.EqualFold(k, ns)
		}
		if !known {
			armError(w, http.StatusNotFound, "NoRegisteredProviderFound",
				fmt.Sprintf("No registered resource provider found for namespace '%s' and API version '%s'. The sandbox simulates %s.", ns, api, strings.Join(knownNamespaces, ", ")))
			return
		}
		var types []string
		for j := i + 2; j < len(segs); j += 2 {
			types = append(types, segs[j])
		}
		armError(w, http.StatusNotFound, "InvalidResourceType",
			fmt.Sprintf("The resource type '%s' could not be found in the namespace '%s' for api version '%s'.", strings.Join(types, "/"), ns, api))
		return
	}
	armError(w, http.StatusNotFound, "InvalidRequestUri",
		fmt.Sprintf("The request URI '/%s' is not a Resource Manager path the sandbox serves.", strings.Join(segs, "/")))
}

func (s *Server) findSub(id string) *Subscription {
	for i := range s.world.Subscriptions {
		if strings.EqualFold(s.world.Subscriptions[i].ID, id) {
			return &s.world.Subscriptions[i]
		}
	}
	return nil
}

func findRG(sub *Subscription, name string) *ResourceGroup {
	for i := range sub.ResourceGroups {
		if strings.EqualFold(sub.ResourceGroups[i].Name, name) {
			return &sub.ResourceGroups[i]
		}
	}
	return nil
}

// armError writes Resource Manager's error envelope.
func armError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("x-ms-error-code", code)
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// notFound is ResourceNotFound for typ/name (typ like "Microsoft.Compute/virtualMachines").
func notFound(w http.ResponseWriter, typ, name, rg string) {
	armError(w, http.StatusNotFound, "ResourceNotFound",
		fmt.Sprintf("The Resource '%s/%s' under resource group '%s' was not found.", typ, name, rg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// defaultPageSize is how many items a page of a list holds when the world
// sets no faults.pageSize. Resource Manager chooses its page sizes per
// provider and does not document them; pages of up to 1,000 keep a long
// list to a few round trips, as against Azure, where a page of 10 would
// make 40,000 VMs cost 4,000 requests one after another.
const defaultPageSize = 1000

// listing is a list the server pages through: how many items it holds, and
// how to build the items from index from up to (not including) to. A page
// builds only the items it carries, so a page of a long list costs what the
// page holds, not what the list holds.
type listing struct {
	n     int
	build func(from, to int) []any
}

// builtListing is a listing of items built already (short lists).
func builtListing(items []any) listing {
	return listing{n: len(items), build: func(from, to int) []any { return items[from:to] }}
}

// indexedListing is a listing of n items, item(i) building the i-th.
func indexedListing(n int, item func(i int) any) listing {
	return listing{n: n, build: func(from, to int) []any {
		out := make([]any, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, item(i))
		}
		return out
	}}
}

// groupListing lists the items of each resource group the request covers
// (its resource group, or every group of its subscription, in world order)
// one group after another: count(g) items in g, build(g, from, to) building
// those from index from up to to within g. A page asks only the groups it
// overlaps to build anything.
func groupListing(m *match, count func(g *ResourceGroup) int, build func(g *ResourceGroup, from, to int) []any) listing {
	var groups []*ResourceGroup
	var counts []int
	n := 0
	for gi := range m.sub.ResourceGroups {
		g := &m.sub.ResourceGroups[gi]
		if m.rg != nil && m.rg != g {
			continue
		}
		c := count(g)
		groups, counts = append(groups, g), append(counts, c)
		n += c
	}
	return listing{n: n, build: func(from, to int) []any {
		out := make([]any, 0, to-from)
		start := 0 // index in the whole list of the group's first item
		for i, g := range groups {
			if start >= to {
				break
			}
			if lo, hi := max(from-start, 0), min(to-start, counts[i]); lo < hi {
				out = append(out, build(g, lo, hi)...)
			}
			start += counts[i]
		}
		return out
	}}
}

// writePage writes one page of a list of items built already; see writeListing.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, items []any) {
	s.writeListing(w, r, builtListing(items))
}

// writeListing writes one page of a list: faults.pageSize items (default
// defaultPageSize) from $skip on, with a nextLink (carrying api-version and
// the next $skip) while more remain. Only the page's items are built.
func (s *Server) writeListing(w http.ResponseWriter, r *http.Request, l listing) {
	q := r.URL.Query()
	skip, err := strconv.Atoi(q.Get("$skip"))
	if q.Get("$skip") != "" && (err != nil || skip < 0) {
		armError(w, http.StatusBadRequest, "InvalidQueryParameterValue", "The value of $skip must be a non-negative whole number.")
		return
	}
	size := s.world.Faults.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	skip = min(skip, l.n)
	end := min(skip+size, l.n)
	page := []any{}
	if skip < end {
		page = l.build(skip, end)
	}
	body := map[string]any{"value": page}
	if end < l.n {
		q.Set("$skip", strconv.Itoa(end))
		body["nextLink"] = s.endpoint + r.URL.EscapedPath() + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

const tenantID = "00000000-0000-0000-0000-0000000000a1"

func subscriptionJSON(sub *Subscription) map[string]any {
	return map[string]any{
		"id":                  "/subscriptions/" + sub.ID,
		"subscriptionId":      sub.ID,
		"displayName":         sub.Name,
		"state":               "Enabled",
		"tenantId":            tenantID,
		"authorizationSource": "RoleBased",
		"managedByTenants":    []any{},
		"tags":                map[string]any{},
		"subscriptionPolicies": map[string]any{
			"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off",
		},
	}
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request, _ *match) {
	subs := s.world.Subscriptions
	s.writeListing(w, r, indexedListing(len(subs), func(i int) any { return subscriptionJSON(&subs[i]) }))
}

func (s *Server) getSubscription(w http.ResponseWriter, _ *http.Request, m *match) {
	writeJSON(w, http.StatusOK, subscriptionJSON(m.sub))
}

func rgJSON(sub *Subscription, g *ResourceGroup) map[string]any {
	return map[string]any{
		"id":         fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", sub.ID, g.Name),
		"name":       g.Name,
		"type":       "Microsoft.Resources/resourceGroups",
		"location":   g.Location,
		"properties": map[string]any{"provisioningState": "Succeeded"},
	}
}

func (s *Server) listResourceGroups(w http.ResponseWriter, r *http.Request, m *match) {
	groups := m.sub.ResourceGroups
	s.writeListing(w, r, indexedListing(len(groups), func(i int) any { return rgJSON(m.sub, &groups[i]) }))
}

func (s *Server) getResourceGroup(w http.ResponseWriter, _ *http.Request, m *match) {
	writeJSON(w, http.StatusOK, rgJSON(m.sub, m.rg))
}

// rgPrefix is the ID prefix of a resource group.
func rgPrefix(sub *Subscription, g *ResourceGroup) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", sub.ID, g.Name)
}
