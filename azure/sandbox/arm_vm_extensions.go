package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// The VM extensions of the sandbox: PUT and GET of
// …/virtualMachines/{vm}/extensions/{name}, the list, and the VM agent's
// side of the VM access extension for Linux, which installs an SSH key for
// a user. The state lives in vmExtensions (Server.exts) and, for the keys
// the agent added on a simulated host, in each vmEntry's agent.

const (
	vmExtensionType   = "Microsoft.Compute/virtualMachines/extensions"
	vmAccessPublisher = "Microsoft.OSTCExtensions"
	vmAccessType      = "VMAccessForLinux"
)

// VMExtensionSpec is an extension a world VM has when the sandbox starts.
type VMExtensionSpec struct {
	Name               string `yaml:"name" required:"true"`
	Publisher          string `yaml:"publisher" required:"true"`
	Type               string `yaml:"type" required:"true"`
	TypeHandlerVersion string `yaml:"typeHandlerVersion" default:"1.0"`
	Line               int    `yaml:"-"`
}

// vmExtensions is every VM's extensions and the operations that change
// them. Its own lock: handlers never hold Server.mu while taking it.
type vmExtensions struct {
	mu   sync.Mutex
	byVM map[string][]*vmExt // by lower(sub/rg/vm), in creation order
	ops  map[string]*vmExtOp // by operation ID
}

// vmExt is one extension of a VM. Its protected settings are not kept:
// the agent uses them when the operation ends, and GET never returns them.
type vmExt struct {
	e                             *vmEntry
	name, publisher, typ, version string
	autoUpgrade                   bool
	forceTag                      string
	settings                      any
	state                         string // Creating, Updating, Succeeded, Failed
	message                       string // the agent's last word on it
}

// vmExtOp is a PUT of an extension in progress; protected holds the
// settings the agent acts on when it ends (never written anywhere).
type vmExtOp struct {
	id, location string
	x            *vmExt
	start, due   time.Time
	done         bool
	protected    map[string]any
	errCode      string
	errMsg       string
}

// vmAgentState is what the VM agent changed on a simulated host: the keys
// it added to users' authorized keys, users it created included.
type vmAgentState struct {
	mu   sync.Mutex
	keys map[string][]string // by user name
}

// simUser is the user of a simulated host as the agent left it: the world's
// user with the keys the agent added, or a user the agent created.
func (e *vmEntry) simUser(name string) (SimUser, bool) {
	var u SimUser
	ok := false
	if e.vm.SSH.Sim != nil {
		u, ok = e.vm.SSH.Sim.Users[name]
	}
	e.agent.mu.Lock()
	added, created := e.agent.keys[name]
	e.agent.mu.Unlock()
	if created {
		u.AuthorizedKeys = append(append([]string(nil), u.AuthorizedKeys...), added...)
	}
	return u, ok || created
}

// addKey adds an authorized_keys line for user on a simulated host,
// creating the user when missing (as VMAccess does); the same key twice is
// one line.
func (e *vmEntry) addKey(name, line string) {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return
	}
	e.agent.mu.Lock()
	defer e.agent.mu.Unlock()
	if e.agent.keys == nil {
		e.agent.keys = map[string][]string{}
	}
	if u, ok := e.vm.SSH.Sim.Users[name]; ok && authorized(u, pk) {
		return // the world's user has it already
	}
	for _, l := range e.agent.keys[name] {
		if k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(l)); err == nil && bytes.Equal(k.Marshal(), pk.Marshal()) {
			return
		}
	}
	e.agent.keys[name] = append(e.agent.keys[name], strings.TrimSpace(line))
}

func (s *Server) vmExtensionRoutes(mk func(pattern, api string, methods map[string]handler) route) []route {
	const vm = "subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}"
	return []route{
		mk(vm+"/extensions", apiCompute, map[string]handler{http.MethodGet: s.listVMExtensions}),
		mk(vm+"/extensions/{}", apiCompute, map[string]handler{http.MethodGet: s.getVMExtension, http.MethodPut: s.putVMExtension}),
	}
}

// extensionsOf returns the VM's extensions, the world's first. Callers hold
// x.mu.
func (x *vmExtensions) extensionsOf(e *vmEntry) []*vmExt {
	if x.byVM == nil {
		x.byVM = map[string][]*vmExt{}
		x.ops = map[string]*vmExtOp{}
	}
	k := key(e.sub.ID, e.rg.Name, e.vm.Name)
	list, ok := x.byVM[k]
	if !ok {
		for _, spec := range e.vm.Extensions {
			list = append(list, &vmExt{e: e, name: spec.Name, publisher: spec.Publisher, typ: spec.Type, version: spec.TypeHandlerVersion,
				autoUpgrade: true, state: "Succeeded"})
		}
		x.byVM[k] = list
	}
	return list
}

func (x *vmExtensions) find(e *vmEntry, name string) *vmExt {
	for _, v := range x.extensionsOf(e) {
		if strings.EqualFold(v.name, name) {
			return v
		}
	}
	return nil
}

func (v *vmExt) id() string { return v.e.id() + "/extensions/" + v.name }

func (v *vmExt) location() string {
	if v.e.vm.Location != "" {
		return v.e.vm.Location
	}
	return v.e.rg.Location
}

// body is the extension as Compute returns it: never its protected settings.
func (v *vmExt) body(expand bool) map[string]any {
	props := map[string]any{
		"autoUpgradeMinorVersion": v.autoUpgrade,
		"provisioningState":       v.state,
		"publisher":               v.publisher,
		"type":                    v.typ,
		"typeHandlerVersion":      v.version,
	}
	if v.forceTag != "" {
		props["forceUpdateTag"] = v.forceTag
	}
	if v.settings != nil {
		props["settings"] = v.settings
	}
	if expand {
		props["instanceView"] = v.instanceView()
	}
	return map[string]any{"id": v.id(), "name": v.name, "type": vmExtensionType, "location": v.location(), "properties": props}
}

// instanceView is the extension's status as the VM agent reports it.
func (v *vmExt) instanceView() map[string]any {
	st := map[string]any{"code": "ProvisioningState/transitioning", "level": "Info", "displayStatus": "Transitioning"}
	switch v.state {
	case "Succeeded":
		st = map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"}
	case "Failed":
		st = map[string]any{"code": "ProvisioningState/failed", "level": "Error", "displayStatus": "Provisioning failed"}
	}
	if v.message != "" {
		st["message"] = v.message
	}
	return map[string]any{"name": v.name, "type": v.publisher + "." + v.typ, "typeHandlerVersion": v.version + ".0", "statuses": []any{st}}
}

// extensionViews are the VM's extensions for its instance view.
func (s *Server) extensionViews(e *vmEntry) []any {
	s.exts.mu.Lock()
	defer s.exts.mu.Unlock()
	s.advanceExtOps()
	var out []any
	for _, v := range s.exts.extensionsOf(e) {
		out = append(out, v.instanceView())
	}
	return out
}

// vmAgentView is the vmAgent part of a running VM's instance view: Ready,
// or (world vmAgent: notReady) the status Azure shows for an agent that
// does not report.
func (s *Server) vmAgentView(e *vmEntry) map[string]any {
	now := s.now().UTC().Format(time.RFC3339Nano)
	if strings.EqualFold(e.vm.VMAgent, "notReady") {
		return map[string]any{
			"vmAgentVersion": "Unknown",
			"statuses": []any{map[string]any{
				"code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
				"message": "VM Agent is unresponsive.", "time": now,
			}},
		}
	}
	return map[string]any{
		"vmAgentVersion": "2.10.0.8",
		"statuses": []any{map[string]any{
			"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
			"message": "Guest Agent is running", "time": now,
		}},
	}
}

func (s *Server) listVMExtensions(w http.ResponseWriter, r *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	expand := strings.EqualFold(r.URL.Query().Get("$expand"), "instanceView")
	s.exts.mu.Lock()
	s.advanceExtOps()
	items := []any{}
	for _, v := range s.exts.extensionsOf(e) {
		items = append(items, v.body(expand))
	}
	s.exts.mu.Unlock()
	// The list is one answer, without paging, as Compute sends it.
	writeJSON(w, http.StatusOK, map[string]any{"value": items})
}

func (s *Server) getVMExtension(w http.ResponseWriter, r *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	s.exts.mu.Lock()
	s.advanceExtOps()
	v := s.exts.find(e, m.vars[1])
	var body map[string]any
	if v != nil {
		body = v.body(strings.EqualFold(r.URL.Query().Get("$expand"), "instanceView"))
	}
	s.exts.mu.Unlock()
	if v == nil {
		notFound(w, vmType+"/"+e.vm.Name+"/extensions", m.vars[1], m.rg.Name)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// putVMExtension serves PUT …/extensions/{name}: 201 (new) or 200 (an
// update) with the extension Creating or Updating, and Azure-AsyncOperation
// to follow; the agent acts when the operation ends (faults.vmExtensionSeconds).
func (s *Server) putVMExtension(w http.ResponseWriter, r *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	name := m.vars[1]
	// The caller's permission (extensions/write) was checked before this
	// handler, with every write (arm_authorize.go).
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content could not be read.")
		return
	}
	var req struct {
		Location   string `json:"location"`
		Properties *struct {
			Publisher               string          `json:"publisher"`
			Type                    string          `json:"type"`
			TypeHandlerVersion      string          `json:"typeHandlerVersion"`
			AutoUpgradeMinorVersion *bool           `json:"autoUpgradeMinorVersion"`
			ForceUpdateTag          string          `json:"forceUpdateTag"`
			Settings                any             `json:"settings"`
			ProtectedSettings       json.RawMessage `json:"protectedSettings"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized as a virtual machine extension.")
		return
	}
	switch {
	case strings.TrimSpace(req.Location) == "":
		armError(w, http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		return
	case req.Properties == nil || req.Properties.Publisher == "" || req.Properties.Type == "" || req.Properties.TypeHandlerVersion == "":
		armError(w, http.StatusBadRequest, "InvalidParameter", "Required parameters 'publisher', 'type' and 'typeHandlerVersion' of the extension are missing (null).")
		return
	case e.powerState() != "running":
		armError(w, http.StatusConflict, "OperationNotAllowed", "Cannot modify extensions in the VM when the VM is not running.")
		return
	}
	p := req.Properties
	var protected map[string]any
	if len(p.ProtectedSettings) > 0 && string(p.ProtectedSettings) != "null" {
		if err := json.Unmarshal(p.ProtectedSettings, &protected); err != nil {
			armError(w, http.StatusBadRequest, "InvalidParameter", "The value of parameter 'protectedSettings' is invalid: a JSON object is expected.")
			return
		}
	}

	s.exts.mu.Lock()
	defer s.exts.mu.Unlock()
	s.advanceExtOps()
	v := s.exts.find(e, name)
	for _, other := range s.exts.extensionsOf(e) {
		if other != v && strings.EqualFold(other.publisher, p.Publisher) && strings.EqualFold(other.typ, p.Type) {
			armError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf(
				"Multiple VMExtensions per handler not supported for OS type '%s'. VMExtension '%s' with handler '%s.%s' already added or specified in input.",
				osType(e.vm), other.name, other.publisher, other.typ))
			return
		}
	}
	status := http.StatusOK
	if v == nil {
		v = &vmExt{e: e, name: name, state: "Creating"}
		k := key(e.sub.ID, e.rg.Name, e.vm.Name)
		s.exts.byVM[k] = append(s.exts.byVM[k], v)
		status = http.StatusCreated
	} else {
		if !strings.EqualFold(v.publisher, p.Publisher) || !strings.EqualFold(v.typ, p.Type) {
			armError(w, http.StatusBadRequest, "PropertyChangeNotAllowed", "Changing property 'type' is not allowed.")
			return
		}
		v.state = "Updating"
	}
	v.publisher, v.typ, v.version = p.Publisher, p.Type, p.TypeHandlerVersion
	v.autoUpgrade = p.AutoUpgradeMinorVersion != nil && *p.AutoUpgradeMinorVersion
	v.forceTag, v.settings, v.message = p.ForceUpdateTag, p.Settings, ""
	now := s.now()
	op := &vmExtOp{id: randomUUID(), location: strings.ToLower(strings.ReplaceAll(v.location(), " ", "")), x: v,
		start: now, due: now.Add(seconds(s.world.Faults.VMExtensionSeconds)), protected: protected}
	s.exts.ops[op.id] = op
	w.Header().Set("Azure-AsyncOperation", fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=%s",
		s.endpoint, m.sub.ID, op.location, op.id, apiCompute))
	writeJSON(w, status, v.body(false))
}

// advanceExtOps ends the extension operations whose time has come: the
// agent acts on each (or does not answer). Callers hold s.exts.mu.
func (s *Server) advanceExtOps() {
	now := s.now()
	for _, op := range s.exts.ops {
		if op.done || now.Before(op.due) {
			continue
		}
		op.done = true
		v := op.x
		code, msg := s.runAgent(v, op.protected)
		op.protected = nil // used once, then forgotten
		if code != "" {
			op.errCode, op.errMsg = code, msg
			v.state, v.message = "Failed", msg
			continue
		}
		v.state, v.message = "Succeeded", msg
	}
}

// runAgent is the VM agent handling the extension: an error code and
// message when it fails, else "" and the extension's status message.
func (s *Server) runAgent(v *vmExt, protected map[string]any) (string, string) {
	e := v.e
	if strings.EqualFold(e.vm.VMAgent, "notReady") || e.powerState() != "running" {
		return "VMAgentStatusCommunicationError", fmt.Sprintf(
			"VM '%s' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage. Please refer to https://aka.ms/vmextensionlinuxtroubleshoot for additional VM agent troubleshooting information.",
			e.vm.Name)
	}
	if !strings.EqualFold(v.publisher, vmAccessPublisher) || !strings.EqualFold(v.typ, vmAccessType) {
		return "", "Enable succeeded" // other extensions are not simulated beyond their state
	}
	failed := func(why string) (string, string) {
		return "VMExtensionProvisioningError", fmt.Sprintf(
			"VM has reported a failure when processing extension '%s' (publisher '%s' and type '%s'). Error message: \"%s\".",
			v.name, v.publisher, v.typ, why)
	}
	if osType(e.vm) != "Linux" {
		return failed("VMAccessForLinux runs on Linux only")
	}
	user, _ := protected["username"].(string)
	key, _ := protected["ssh_key"].(string)
	switch {
	case user == "":
		return failed("No username was given in the protected settings")
	case key == "":
		return failed("the sandbox's VM access agent installs SSH keys (ssh_key) only; nothing else was asked")
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key)); err != nil {
		return failed("ssh_key is not a public key in OpenSSH format")
	}
	switch {
	case e.vm.SSH.Address != "":
		if err := addRealKey(e.vm.SSH.Address, user, key); err != nil {
			return failed(err.Error())
		}
	case e.vm.SSH.Sim != nil:
		e.addKey(user, key)
	default:
		return failed("the VM has no SSH side in the sandbox world (neither ssh.address nor ssh.sim)")
	}
	return "", "Enable succeeded: [{\"status\": \"success\", \"message\": \"Succeeded in resetting ssh_key\"}]"
}

// serveExtensionOperation answers the Azure-AsyncOperation URL of an
// extension PUT; false when the operation is not one of them.
func (s *Server) serveExtensionOperation(w http.ResponseWriter, m *match) bool {
	s.exts.mu.Lock()
	defer s.exts.mu.Unlock()
	s.advanceExtOps()
	op := s.exts.ops[m.vars[1]]
	if op == nil || !strings.EqualFold(op.x.e.sub.ID, m.sub.ID) {
		return false
	}
	body := map[string]any{"name": op.id, "status": "InProgress", "startTime": op.start.UTC().Format(time.RFC3339Nano)}
	if op.done {
		body["endTime"] = op.due.UTC().Format(time.RFC3339Nano)
		body["status"] = "Succeeded"
		if op.errCode != "" {
			body["status"] = "Failed"
			body["error"] = map[string]any{"code": op.errCode, "message": op.errMsg}
		}
	}
	writeJSON(w, http.StatusOK, body)
	return true
}

// addRealKey is the agent on a real host given by ssh.address: it appends
// the key to the user's ~/.ssh/authorized_keys on this computer. Only a
// loopback address is this computer; the user must exist here (the sandbox
// creates no accounts on a real machine). .ssh and the file are made 0700
// and 0600 and given to the user when the sandbox runs as root.
func addRealKey(address, name, line string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("ssh.address %s is not host:port", address)
	}
	if ip := net.ParseIP(host); !(host == "localhost" || ip != nil && ip.IsLoopback()) {
		return fmt.Errorf("the sandbox can act as the VM agent only for a host on this computer (a loopback ssh.address), not %s", host)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("the user %s does not exist on this computer, and the sandbox does not create accounts on a real host", name)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	own := func(p string) {
		if os.Geteuid() == 0 {
			_ = os.Chown(p, uid, gid)
		}
	}
	dir := filepath.Join(u.HomeDir, ".ssh")
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %v", dir, err)
		}
		own(dir)
	}
	file := filepath.Join(dir, "authorized_keys")
	pk, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(line))
	old, err := os.ReadFile(file)
	existed := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %v", file, err)
	}
	for rest := old; len(rest) > 0; {
		k, _, _, r, err := ssh.ParseAuthorizedKey(rest)
		if err != nil {
			break
		}
		if bytes.Equal(k.Marshal(), pk.Marshal()) {
			return nil // in place already
		}
		rest = r
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %v", file, err)
	}
	add := strings.TrimSpace(line) + "\n"
	if len(old) > 0 && old[len(old)-1] != '\n' {
		add = "\n" + add
	}
	_, err = f.WriteString(add)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %v", file, err)
	}
	if !existed {
		own(file)
	}
	return nil
}
