package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The writes behind the provider.register and k8s.extension fixes:
// registering a resource provider, and installing a cluster extension.
// What they change lives here, beside the world (which handlers read
// without the server's lock), guarded by Server.mu.

// providerReg is a registration asked for with POST .../register: the
// provider is Registering until due, then Registered.
type providerReg struct {
	ns  string // as the world or the request spelled it
	due time.Time
}

// extInstall is an extension created with a PUT: Creating until due, then
// Succeeded.
type extInstall struct {
	clusterID     string
	name, extType string
	releaseTrain  string
	namespace     string
	autoUpgrade   bool
	settings      map[string]string
	protectedKeys []string // names only: the values are never kept or shown
	opID          string
	start, due    time.Time
}

func (e *extInstall) state(now time.Time) string {
	if now.Before(e.due) || !now.After(e.start) { // the PUT's own answer says Creating
		return "Creating"
	}
	return "Succeeded"
}

// fixRoutes are the routes of those writes and of the permissions API at a
// cluster's scope (k8s.extension reads it there before it is offered).
func (s *Server) fixRoutes(mk func(string, string, map[string]handler) route) []route {
	const (
		sub   = "subscriptions/{}"
		rg    = sub + "/resourceGroups/{}"
		perms = "/providers/Microsoft.Authorization/permissions"
		ext   = "/providers/" + extensionType
	)
	rts := []route{mk(sub+"/providers/{}/register", apiResources, map[string]handler{http.MethodPost: s.registerProvider})}
	for _, typ := range []string{aksType, arcType} {
		rts = append(rts,
			mk(rg+"/providers/"+typ+"/{}"+ext+"/{}/operations/{}", apiExtensions, map[string]handler{http.MethodGet: s.extensionOperation(typ)}),
			mk(rg+"/providers/"+typ+"/{}"+perms, apiAuthorization, map[string]handler{http.MethodGet: s.clusterPermissions(typ)}),
		)
	}
	return rts
}

// providerState is the registration state of ns in the subscription now,
// and the namespace as the world spells it. Callers hold s.mu.
func (s *Server) providerState(sub *Subscription, ns string) (string, string) {
	state := "Registered"
	for k, v := range sub.Providers {
		if strings.EqualFold(k, ns) {
			ns, state = k, v
		}
	}
	if r := s.provRegs[key(sub.ID, ns)]; r != nil {
		state = "Registering"
		if !s.now().Before(r.due) {
			state = "Registered"
		}
		ns = r.ns
	}
	return state, ns
}

func providerJSON(sub *Subscription, ns, state string) map[string]any {
	return map[string]any{
		"id":                 "/subscriptions/" + sub.ID + "/providers/" + ns,
		"namespace":          ns,
		"registrationState":  state,
		"registrationPolicy": "RegistrationRequired",
		"resourceTypes":      []any{},
	}
}

// getProvider answers a resource provider's registration state.
func (s *Server) getProvider(w http.ResponseWriter, _ *http.Request, m *match) {
	s.mu.Lock()
	state, ns := s.providerState(m.sub, m.vars[0])
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, providerJSON(m.sub, ns, state))
}

// registerProvider serves POST /subscriptions/{s}/providers/{ns}/register
// as Resource Manager does: 200 with the provider, Registering until
// faults.providerRegisterSeconds have passed (a registered one stays as it
// is). A caller whose permissions in the subscription do not grant
// {ns}/register/action is refused before (authorize).
func (s *Server) registerProvider(w http.ResponseWriter, _ *http.Request, m *match) {
	ns := m.vars[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	state, name := s.providerState(m.sub, ns)
	if state != "Registered" {
		if s.provRegs == nil {
			s.provRegs = map[string]*providerReg{}
		}
		if s.provRegs[key(m.sub.ID, name)] == nil {
			s.provRegs[key(m.sub.ID, name)] = &providerReg{ns: name, due: s.now().Add(seconds(s.world.Faults.ProviderRegisterSeconds))}
		}
		state = "Registering"
	}
	writeJSON(w, http.StatusOK, providerJSON(m.sub, name, state))
}

// unregistered answers 409 MissingSubscriptionRegistration, as Resource
// Manager does, for a request to a resource provider the world marks as not
// registered in the subscription (until a registration completes). The
// namespace is the last one in the path (an extension of a cluster is
// Microsoft.KubernetesConfiguration's); the providers API itself and
// Microsoft.Authorization are always served.
func (s *Server) unregistered(w http.ResponseWriter, segs []string, m *match) bool {
	if m.sub == nil || len(m.sub.Providers) == 0 {
		return false
	}
	i := -1
	for j := 2; j+1 < len(segs); j++ {
		if strings.EqualFold(segs[j], "providers") {
			i = j
		}
	}
	if i < 0 {
		return false
	}
	ns := segs[i+1]
	if i == 2 && (len(segs) == 4 || len(segs) == 5 && strings.EqualFold(segs[4], "register")) {
		return false // the providers API
	}
	if strings.EqualFold(ns, "Microsoft.Authorization") || strings.EqualFold(ns, "Microsoft.Resources") {
		return false
	}
	s.mu.Lock()
	state, name := s.providerState(m.sub, ns)
	s.mu.Unlock()
	if state == "Registered" {
		return false
	}
	armError(w, http.StatusConflict, "MissingSubscriptionRegistration", fmt.Sprintf(
		"The subscription is not registered to use namespace '%s'. Register it with POST /subscriptions/%s/providers/%s/register.", name, m.sub.ID, name))
	return true
}

// extensionRequest is the part of an extension's PUT body the sandbox reads.
type extensionRequest struct {
	Properties *struct {
		ExtensionType           string `json:"extensionType"`
		AutoUpgradeMinorVersion *bool  `json:"autoUpgradeMinorVersion"`
		ReleaseTrain            string `json:"releaseTrain"`
		Scope                   *struct {
			Cluster *struct {
				ReleaseNamespace string `json:"releaseNamespace"`
			} `json:"cluster"`
			Namespace *struct {
				TargetNamespace string `json:"targetNamespace"`
			} `json:"namespace"`
		} `json:"scope"`
		ConfigurationSettings          map[string]string `json:"configurationSettings"`
		ConfigurationProtectedSettings map[string]string `json:"configurationProtectedSettings"`
	} `json:"properties"`
}

// putExtension serves the PUT of a cluster extension: 201 Created with the
// extension (provisioningState Creating) and an Azure-AsyncOperation
// header, as Microsoft.KubernetesConfiguration answers; the extension is
// Succeeded after faults.extensionInstallSeconds; over an extension of
// that name that exists, 412 PreconditionFailed when the PUT carries
// If-None-Match: * (create only), else 409 Conflict (the sandbox does not
// update one). faults.extensionRaces makes the first N PUTs find one made
// by another client just before them (the Azure ML extension, Succeeded). A
// caller whose permissions in the group do not grant
// Microsoft.KubernetesConfiguration/extensions/write is refused before
// (authorize).
// Protected settings are accepted and never kept, echoed or logged.
func (s *Server) putExtension(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, m *match) {
		cluster, exts, ok := clusterExtensions(m.rg, typ, m.vars[0])
		if !ok {
			notFound(w, typ, m.vars[0], m.rg.Name)
			return
		}
		clusterID := rgPrefix(m.sub, m.rg) + "/providers/" + typ + "/" + cluster
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var req extensionRequest
		if err != nil || json.Unmarshal(raw, &req) != nil {
			armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized as an extension.")
			return
		}
		p := req.Properties
		if p == nil || strings.TrimSpace(p.ExtensionType) == "" {
			armError(w, http.StatusBadRequest, "InvalidRequestContent", "properties.extensionType is required.")
			return
		}
		if p.Scope != nil && p.Scope.Cluster != nil && p.Scope.Namespace != nil {
			armError(w, http.StatusBadRequest, "InvalidRequestContent", "properties.scope takes either cluster or namespace, not both.")
			return
		}
		name := m.vars[1]
		createOnly := strings.TrimSpace(r.Header.Get("If-None-Match")) == "*"
		exists := func(n string) {
			if createOnly {
				armError(w, http.StatusPreconditionFailed, "PreconditionFailed",
					fmt.Sprintf("The extension '%s' already exists on the cluster '%s' and the request's If-None-Match: * asks to create it only.", n, cluster))
				return
			}
			armError(w, http.StatusConflict, "Conflict", fmt.Sprintf("The extension '%s' already exists on the cluster '%s'.", n, cluster))
		}
		for _, e := range exts {
			if strings.EqualFold(e.Name, name) {
				exists(e.Name)
				return
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.installs == nil {
			s.installs = map[string]*extInstall{}
		}
		k := key(clusterID, name)
		now := s.now()
		if s.extRaces < s.world.Faults.ExtensionRaces && s.installs[k] == nil {
			// Another client's install, finished, just before this PUT.
			s.extRaces++
			s.installs[k] = &extInstall{clusterID: clusterID, name: name, extType: "microsoft.azureml.kubernetes", releaseTrain: "Stable", autoUpgrade: true,
				namespace: "azureml", settings: map[string]string{"enableTraining": "True"}, opID: randomUUID(), start: now.Add(-time.Hour), due: now.Add(-time.Hour)}
		}
		if e := s.installs[k]; e != nil {
			exists(e.name)
			return
		}
		e := &extInstall{clusterID: clusterID, name: name, extType: p.ExtensionType, releaseTrain: p.ReleaseTrain, autoUpgrade: true,
			settings: map[string]string{}, opID: randomUUID(), start: now, due: now.Add(seconds(s.world.Faults.ExtensionInstallSeconds))}
		if e.releaseTrain == "" {
			e.releaseTrain = "Stable"
		}
		if p.AutoUpgradeMinorVersion != nil {
			e.autoUpgrade = *p.AutoUpgradeMinorVersion
		}
		switch {
		case p.Scope != nil && p.Scope.Cluster != nil:
			e.namespace = p.Scope.Cluster.ReleaseNamespace
		case p.Scope != nil && p.Scope.Namespace != nil:
			e.namespace = p.Scope.Namespace.TargetNamespace
		}
		if e.namespace == "" {
			e.namespace = name
		}
		for k, v := range p.ConfigurationSettings {
			e.settings[k] = v
		}
		for k := range p.ConfigurationProtectedSettings {
			e.protectedKeys = append(e.protectedKeys, k)
		}
		sort.Strings(e.protectedKeys)
		s.installs[k] = e
		w.Header().Set("Azure-AsyncOperation", fmt.Sprintf("%s%s/providers/%s/%s/operations/%s?api-version=%s",
			s.endpoint, clusterID, extensionType, name, e.opID, apiExtensions))
		writeJSON(w, http.StatusCreated, e.json(now))
	}
}

// json renders an installed extension as the extensions API does.
func (e *extInstall) json(now time.Time) map[string]any {
	protected := map[string]any{}
	for _, k := range e.protectedKeys {
		protected[k] = nil
	}
	return map[string]any{
		"id":   e.clusterID + "/providers/" + extensionType + "/" + e.name,
		"name": e.name,
		"type": extensionType,
		"properties": map[string]any{
			"extensionType":                  e.extType,
			"autoUpgradeMinorVersion":        e.autoUpgrade,
			"releaseTrain":                   e.releaseTrain,
			"currentVersion":                 extensionVersion(e.extType),
			"scope":                          map[string]any{"cluster": map[string]any{"releaseNamespace": e.namespace}},
			"provisioningState":              e.state(now),
			"configurationSettings":          e.settings,
			"configurationProtectedSettings": protected,
			"statuses":                       []any{},
			"isSystemExtension":              false,
		},
		"systemData": map[string]any{"createdAt": e.start.UTC().Format(time.RFC3339Nano), "createdByType": "User"},
	}
}

// installedExtensions are the extensions created on the cluster with a PUT,
// by name, rendered as of now.
func (s *Server) installedExtensions(clusterID string) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	byName := map[string]*extInstall{}
	for _, e := range s.installs {
		if strings.EqualFold(e.clusterID, clusterID) {
			names = append(names, e.name)
			byName[e.name] = e
		}
	}
	sort.Strings(names)
	now := s.now()
	out := make([]any, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n].json(now))
	}
	return out
}

// extensionsNow are a cluster's extensions as they stand (what a job on it
// sees): the world's, then those created with a PUT, with their state and
// enableTraining setting as of now.
func (s *Server) extensionsNow(clusterID string, world []Extension) []Extension {
	out := append([]Extension(nil), world...)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, e := range s.installs {
		if !strings.EqualFold(e.clusterID, clusterID) {
			continue
		}
		x := Extension{Name: e.name, ExtensionType: e.extType, ProvisioningState: e.state(now)}
		if v, ok := e.settings["enableTraining"]; ok {
			on := strings.EqualFold(v, "true")
			x.EnableTraining = &on
		}
		out = append(out, x)
	}
	return out
}

// installedExtension is one of them, or nil.
func (s *Server) installedExtension(clusterID, name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.installs[key(clusterID, name)]; e != nil {
		return e.json(s.now())
	}
	return nil
}

// extensionOperation serves the Azure-AsyncOperation URL of an install:
// InProgress while the extension is Creating, then Succeeded.
func (s *Server) extensionOperation(typ string) handler {
	return func(w http.ResponseWriter, _ *http.Request, m *match) {
		clusterID := rgPrefix(m.sub, m.rg) + "/providers/" + typ + "/" + m.vars[0]
		s.mu.Lock()
		e := s.installs[key(clusterID, m.vars[1])]
		now := s.now()
		s.mu.Unlock()
		if e == nil || !strings.EqualFold(e.opID, m.vars[2]) {
			armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The operation '%s' was not found.", m.vars[2]))
			return
		}
		body := map[string]any{
			"id":        e.clusterID + "/providers/" + extensionType + "/" + e.name + "/operations/" + e.opID,
			"name":      e.opID,
			"status":    "InProgress",
			"startTime": e.start.UTC().Format(time.RFC3339Nano),
		}
		if e.state(now) == "Succeeded" {
			body["status"], body["endTime"] = "Succeeded", e.due.UTC().Format(time.RFC3339Nano)
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// clusterPermissions answers the permissions API at a cluster's scope (the
// group's setting); the cluster must exist.
func (s *Server) clusterPermissions(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, m *match) {
		if _, _, ok := clusterExtensions(m.rg, typ, m.vars[0]); !ok {
			notFound(w, typ, m.vars[0], m.rg.Name)
			return
		}
		s.writePermissions(w, r, m)
	}
}
