package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Managed Run Commands (PUT/GET/DELETE .../virtualMachines/{vm}/runCommands/{name}),
// as Compute serves them: the PUT is a long-running operation that ends
// once the VM agent has run the script, the instance view reports its
// execution state, exit code, output and error, and the DELETE is
// long-running too. The sandbox acts as the VM agent of simulated hosts
// only: it runs the script as root in the host's shell (shell.go), whose
// command emulations (shell_admin.go) change the host the way the probes
// read it. A VM whose ssh.address is a real SSH server gets a clear 409:
// the sandbox does not run scripts on real machines.

const (
	// actionRunCommandRead is checked here (a read); the writes are checked
	// in authorize, before any handler.
	actionRunCommandRead = "Microsoft.Compute/virtualMachines/runCommands/read"
	runCommandType       = "Microsoft.Compute/virtualMachines/runCommands"
	// runCommandOutputMax is how much of the output and error streams the
	// instance view keeps (their last 4 KB, as Azure documents).
	runCommandOutputMax = 4096
)

// runCommandStore is the Run Commands of every VM. Guarded by Server.mu.
type runCommandStore struct {
	cmds map[string]*runCommand   // by lower(sub/rg/vm/name)
	ops  map[string]*runCommandOp // by operation ID
}

// runCommand is one Run Command resource.
type runCommand struct {
	e                    *vmEntry
	name, location       string
	tags                 map[string]any
	script, runAs        string
	timeout              int32
	treatFailure, async  bool
	provisioning         string // Creating, Updating, Succeeded, Failed, Deleting
	ran                  bool
	execState            string // Pending, Succeeded, Failed
	exitCode             int
	output, errOut       string
	execStart, execEnd   time.Time
	lastModified, create time.Time
}

// sameRun says whether rc asks for what r asked for: the same script, as
// the same user, with the same timeout and failure handling.
func (r *runCommand) sameRun(rc *runCommand) bool {
	return r.script == rc.script && r.runAs == rc.runAs && r.timeout == rc.timeout && r.treatFailure == rc.treatFailure && r.async == rc.async
}

// runCommandOp is a PUT or DELETE of a Run Command in progress.
type runCommandOp struct {
	id, key    string
	rc         *runCommand
	delete     bool
	start, due time.Time
	done       bool
	err        map[string]any // the error of an operation that failed
}

func (s *Server) runCommandRoutes(mk func(pattern, api string, methods map[string]handler) route) []route {
	return []route{
		mk("subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}/runCommands/{}", apiCompute, map[string]handler{
			http.MethodGet: s.getRunCommand, http.MethodPut: s.putRunCommand, http.MethodDelete: s.deleteRunCommand,
		}),
	}
}

func (st *runCommandStore) init() {
	if st.cmds == nil {
		st.cmds, st.ops = map[string]*runCommand{}, map[string]*runCommandOp{}
	}
}

// runCommandBody is the part of a Run Command PUT the sandbox reads.
type runCommandBody struct {
	Location   string         `json:"location"`
	Tags       map[string]any `json:"tags"`
	Properties *struct {
		Source *struct {
			Script    string `json:"script"`
			ScriptURI string `json:"scriptUri"`
			CommandID string `json:"commandId"`
		} `json:"source"`
		TimeoutInSeconds                *int32 `json:"timeoutInSeconds"`
		TreatFailureAsDeploymentFailure *bool  `json:"treatFailureAsDeploymentFailure"`
		AsyncExecution                  *bool  `json:"asyncExecution"`
		RunAsUser                       string `json:"runAsUser"`
	} `json:"properties"`
}

func vmLocation(e *vmEntry) string {
	if e.vm.Location != "" {
		return normLocation(e.vm.Location)
	}
	return normLocation(e.rg.Location)
}

// putRunCommand creates or replaces a Run Command and schedules its run.
func (s *Server) putRunCommand(w http.ResponseWriter, r *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	name := m.vars[1]
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var body runCommandBody
	if err != nil || json.Unmarshal(raw, &body) != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized as a run command.")
		return
	}
	p := body.Properties
	switch {
	case body.Location == "":
		armError(w, http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		return
	case normLocation(body.Location) != vmLocation(e):
		armError(w, http.StatusBadRequest, "InvalidParameter", fmt.Sprintf(
			"The location '%s' of the run command does not match the location '%s' of the virtual machine '%s'.", body.Location, vmLocation(e), e.vm.Name))
		return
	case p == nil || p.Source == nil || (p.Source.Script == "" && p.Source.ScriptURI == "" && p.Source.CommandID == ""):
		armError(w, http.StatusBadRequest, "InvalidParameter", "Required parameter 'properties.source' is missing: give one of script, scriptUri or commandId.")
		return
	case p.Source.Script == "":
		armError(w, http.StatusBadRequest, "InvalidParameter", "The sandbox runs inline scripts only (properties.source.script); scriptUri and commandId are not simulated.")
		return
	case p.TimeoutInSeconds != nil && *p.TimeoutInSeconds < 0:
		armError(w, http.StatusBadRequest, "InvalidParameter", "The value of parameter 'properties.timeoutInSeconds' must not be negative.")
		return
	case p.RunAsUser != "" && (e.sim == nil || !e.sim.knownUser(p.RunAsUser)):
		armError(w, http.StatusBadRequest, "InvalidParameter", fmt.Sprintf("The user '%s' given in properties.runAsUser does not exist on the virtual machine.", p.RunAsUser))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceVMOps()
	s.advanceRunCommands()
	switch {
	case e.sim == nil:
		armError(w, http.StatusConflict, "OperationNotAllowed", fmt.Sprintf(
			"The sandbox runs Run Commands only on simulated hosts (ssh.sim); VM '%s' has none (its ssh.address is a real machine the sandbox will not run scripts on). Nothing was run.", e.vm.Name))
		return
	case e.powerState() != "running":
		armError(w, http.StatusConflict, "OperationNotAllowed", fmt.Sprintf(
			"Cannot run a Run Command on VM '%s' while it is not running (power state %s). Start the VM first.", e.vm.Name, e.powerState()))
		return
	}
	st := &s.runCmds
	st.init()
	for _, op := range st.ops {
		if !op.done && op.rc.e == e {
			armError(w, http.StatusConflict, "Conflict", fmt.Sprintf(
				"Run Command '%s' is still in progress on VM '%s'; only one runs at a time. Wait for it to finish and try again.", op.rc.name, e.vm.Name))
			return
		}
	}
	k := key(e.sub.ID, e.rg.Name, e.vm.Name, name)
	now := s.now()
	rc := &runCommand{e: e, name: name, location: vmLocation(e), tags: body.Tags, script: p.Source.Script, runAs: p.RunAsUser,
		treatFailure: p.TreatFailureAsDeploymentFailure != nil && *p.TreatFailureAsDeploymentFailure,
		async:        p.AsyncExecution != nil && *p.AsyncExecution,
		provisioning: "Creating", execState: "Pending", create: now, lastModified: now}
	if p.TimeoutInSeconds != nil {
		rc.timeout = *p.TimeoutInSeconds
	}
	status := http.StatusCreated
	if old := st.cmds[k]; old != nil {
		if old.ran && old.provisioning != "Deleting" && old.sameRun(rc) {
			// Nothing in the body changed: the agent has nothing new to do,
			// so the script is not run again (as Azure: identical settings
			// may not re-run). The answer and the instance view are the
			// earlier run's.
			old.tags, old.lastModified = body.Tags, now
			op := &runCommandOp{id: randomUUID(), key: k, rc: old, start: now, due: now, done: true}
			st.ops[op.id] = op
			w.Header().Set("Azure-AsyncOperation", s.computeOperationURL(m, old.location, op.id))
			writeJSON(w, http.StatusOK, runCommandJSON(old, false))
			return
		}
		rc.provisioning, rc.create, status = "Updating", old.create, http.StatusOK
	}
	st.cmds[k] = rc
	op := &runCommandOp{id: randomUUID(), key: k, rc: rc, start: now, due: now.Add(seconds(s.world.Faults.RunCommandSeconds))}
	st.ops[op.id] = op
	w.Header().Set("Azure-AsyncOperation", s.computeOperationURL(m, rc.location, op.id))
	writeJSON(w, status, runCommandJSON(rc, false))
}

// computeOperationURL is the Azure-AsyncOperation URL of a Compute
// operation (served by vmOperationStatus).
func (s *Server) computeOperationURL(m *match, location, id string) string {
	return fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=%s",
		s.endpoint, m.sub.ID, location, id, apiCompute)
}

// getRunCommand answers a Run Command; with $expand=instanceView its
// execution state, exit code, output and error too.
func (s *Server) getRunCommand(w http.ResponseWriter, r *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	expand := r.URL.Query().Get("$expand")
	if expand != "" && !strings.EqualFold(expand, "instanceView") {
		armError(w, http.StatusBadRequest, "InvalidParameter", "The value '"+expand+"' of parameter '$expand' is not allowed. Allowed values are 'instanceView'.")
		return
	}
	if !allows(m, actionRunCommandRead) {
		authorizationFailed(w, actionRunCommandRead, e.id()+"/runCommands/"+m.vars[1])
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceRunCommands()
	s.runCmds.init()
	rc := s.runCmds.cmds[key(e.sub.ID, e.rg.Name, e.vm.Name, m.vars[1])]
	if rc == nil {
		notFound(w, "Microsoft.Compute/virtualMachines/"+e.vm.Name+"/runCommands", m.vars[1], m.rg.Name)
		return
	}
	writeJSON(w, http.StatusOK, runCommandJSON(rc, expand != ""))
}

// deleteRunCommand removes a Run Command: 202 and an operation that ends
// with the resource gone; 204 when there is none.
func (s *Server) deleteRunCommand(w http.ResponseWriter, _ *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceRunCommands()
	st := &s.runCmds
	st.init()
	k := key(e.sub.ID, e.rg.Name, e.vm.Name, m.vars[1])
	rc := st.cmds[k]
	if rc == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	now := s.now()
	rc.provisioning = "Deleting"
	op := &runCommandOp{id: randomUUID(), key: k, rc: rc, delete: true, start: now, due: now}
	st.ops[op.id] = op
	u := s.computeOperationURL(m, rc.location, op.id)
	w.Header().Set("Azure-AsyncOperation", u)
	w.Header().Set("Location", u+"&monitor=true")
	w.WriteHeader(http.StatusAccepted)
}

// advanceRunCommands ends the operations whose time has come: a PUT's
// script runs then, a DELETE's resource goes. Callers hold s.mu.
func (s *Server) advanceRunCommands() {
	st := &s.runCmds
	now := s.now()
	for _, op := range st.ops {
		if op.done || now.Before(op.due) {
			continue
		}
		op.done = true
		if op.delete {
			if st.cmds[op.key] == op.rc {
				delete(st.cmds, op.key)
			}
			continue
		}
		op.err = s.runAsAgent(op.rc, op.due)
	}
}

// runAsAgent runs a Run Command's script on its VM's simulated host, as
// the VM agent would (as root unless runAsUser says otherwise), and
// records the result; it returns the operation's error when the run
// failed the deployment.
func (s *Server) runAsAgent(rc *runCommand, at time.Time) map[string]any {
	rc.lastModified = at
	if strings.EqualFold(rc.e.vm.VMAgent, "notReady") {
		rc.provisioning = "Failed"
		return map[string]any{"code": "VMAgentStatusCommunicationError", "message": fmt.Sprintf(
			"VM '%s' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage.", rc.e.vm.Name)}
	}
	user := rc.runAs
	if user == "" {
		user = "root"
	}
	out, errOut, code := rc.e.sim.run(user, rc.script)
	rc.ran, rc.exitCode = true, code
	rc.output, rc.errOut = lastBytes(out, runCommandOutputMax), lastBytes(errOut, runCommandOutputMax)
	rc.execStart, rc.execEnd = at, at.Add(time.Second)
	rc.execState, rc.provisioning = "Succeeded", "Succeeded"
	if code == 0 {
		return nil
	}
	rc.execState = "Failed"
	if !rc.treatFailure {
		return nil
	}
	rc.provisioning = "Failed"
	return map[string]any{"code": "VMExtensionProvisioningError", "message": fmt.Sprintf(
		"VM has reported a failure when processing extension '%s' (publisher 'Microsoft.CPlat.Core' and type 'RunCommandHandlerLinux'). Error message: 'Execution failed: the script exited with status %d; see the run command's instance view for its output and error'.",
		rc.name, code)}
}

// lastBytes is the end of s, at most n bytes, cut on a character boundary.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[len(s)-n:], "")
}

// runCommandOperationStatus answers the operation URL of a Run Command's
// PUT or DELETE, when id is one; false when it is not. Callers hold s.mu.
func (s *Server) runCommandOperationStatus(w http.ResponseWriter, m *match, id string) bool {
	s.advanceRunCommands()
	op := s.runCmds.ops[id]
	if op == nil || !strings.EqualFold(op.rc.e.sub.ID, m.sub.ID) {
		return false
	}
	body := map[string]any{"name": op.id, "status": "InProgress", "startTime": op.start.UTC().Format(time.RFC3339Nano)}
	if op.done {
		body["status"], body["endTime"] = "Succeeded", op.due.UTC().Format(time.RFC3339Nano)
		if op.err != nil {
			body["status"], body["error"] = "Failed", op.err
		}
	}
	writeJSON(w, http.StatusOK, body)
	return true
}

// runCommandJSON is a Run Command as Compute sends it.
func runCommandJSON(rc *runCommand, expand bool) map[string]any {
	props := map[string]any{
		"source":                          map[string]any{"script": rc.script},
		"parameters":                      []any{},
		"asyncExecution":                  rc.async,
		"treatFailureAsDeploymentFailure": rc.treatFailure,
		"timeoutInSeconds":                rc.timeout,
		"provisioningState":               rc.provisioning,
	}
	if rc.runAs != "" {
		props["runAsUser"] = rc.runAs
	}
	if expand {
		iv := map[string]any{"executionState": rc.execState, "executionMessage": ""}
		if rc.ran {
			iv["exitCode"], iv["output"], iv["error"] = rc.exitCode, rc.output, rc.errOut
			iv["startTime"], iv["endTime"] = rc.execStart.UTC().Format(time.RFC3339Nano), rc.execEnd.UTC().Format(time.RFC3339Nano)
		}
		code, level, display := "ProvisioningState/"+strings.ToLower(rc.provisioning), "Info", "Provisioning "+strings.ToLower(rc.provisioning)
		if rc.provisioning == "Failed" {
			level = "Error"
		}
		iv["statuses"] = []any{map[string]any{"code": code, "level": level, "displayStatus": display, "time": rc.lastModified.UTC().Format(time.RFC3339Nano)}}
		props["instanceView"] = iv
	}
	body := map[string]any{
		"id":         rc.e.id() + "/runCommands/" + rc.name,
		"name":       rc.name,
		"type":       runCommandType,
		"location":   rc.location,
		"properties": props,
	}
	if rc.tags != nil {
		body["tags"] = rc.tags
	}
	return body
}
