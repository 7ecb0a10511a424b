package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// actionVMStart is the RBAC action a VM start needs.
const actionVMStart = "Microsoft.Compute/virtualMachines/start/action"

// vmStartOp is a VM start in progress: the VM is "starting" until due, then
// "running". Guarded by Server.mu.
type vmStartOp struct {
	id, location string
	e            *vmEntry
	start, due   time.Time
	done         bool
}

// vmPower holds a VM's power state once the sandbox changed it; until then
// the world's PowerState stands. Kept apart from the world's VM, which
// handlers read without the server's lock.
type vmPower struct{ p atomic.Pointer[string] }

func (v *vmPower) get(world string) string {
	if p := v.p.Load(); p != nil {
		return *p
	}
	return world
}

func (v *vmPower) set(state string) { v.p.Store(&state) }

// powerState is the VM's power state as it stands now.
func (e *vmEntry) powerState() string { return e.power.get(e.vm.PowerState) }

// startVM serves POST .../virtualMachines/{vm}/start: a long-running
// operation (202 with Azure-AsyncOperation, as Compute answers). A caller
// whose permissions do not grant the start action never gets here: see
// authorize.
func (s *Server) startVM(w http.ResponseWriter, _ *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceVMOps()
	now := s.now()
	op := &vmStartOp{id: randomUUID(), location: strings.ToLower(strings.ReplaceAll(e.vm.Location, " ", "")), e: e,
		start: now, due: now.Add(seconds(s.world.Faults.VMStartSeconds))}
	if op.location == "" {
		op.location = strings.ToLower(m.rg.Location)
	}
	if e.powerState() != "running" {
		e.power.set("starting")
	}
	s.vmOps[op.id] = op
	w.Header().Set("Azure-AsyncOperation", fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=%s",
		s.endpoint, m.sub.ID, op.location, op.id, apiCompute))
	w.WriteHeader(http.StatusAccepted)
}

// advanceVMOps finishes the VM starts whose time has come. Callers hold s.mu.
func (s *Server) advanceVMOps() {
	now := s.now()
	for _, op := range s.vmOps {
		if !op.done && !now.Before(op.due) {
			op.done = true
			op.e.power.set("running")
		}
	}
}

// vmOperationStatus serves the Azure-AsyncOperation URL of a VM start.
func (s *Server) vmOperationStatus(w http.ResponseWriter, r *http.Request, m *match) {
	if s.serveExtensionOperation(w, m) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceVMOps()
	op := s.vmOps[m.vars[1]]
	if op == nil && s.runCommandOperationStatus(w, m, m.vars[1]) {
		return
	}
	if op == nil || !strings.EqualFold(op.e.sub.ID, m.sub.ID) {
		armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The operation '%s' was not found.", m.vars[1]))
		return
	}
	body := map[string]any{"name": op.id, "status": "InProgress", "startTime": op.start.UTC().Format(time.RFC3339Nano)}
	if op.done {
		body["status"], body["endTime"] = "Succeeded", op.due.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, body)
}

// allows reports whether the permissions the world gives the caller where m
// points (the group's, else the subscription's, else everything) grant
// action.
func allows(m *match, action string) bool {
	p := permissionsAt(m)
	return grants(p.Actions, action) && !grants(p.NotActions, action)
}

// grants reports whether one of the wildcard patterns matches action, case
// aside ("*" matches any run of characters, "/" included).
func grants(patterns []string, action string) bool {
	for _, pat := range patterns {
		re := "(?i)^" + strings.ReplaceAll(regexp.QuoteMeta(pat), `\*`, ".*") + "$"
		if ok, _ := regexp.MatchString(re, action); ok {
			return true
		}
	}
	return false
}
