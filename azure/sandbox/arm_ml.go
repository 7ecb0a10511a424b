package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

const (
	wsType      = "Microsoft.MachineLearningServices/workspaces"
	computeType = "Microsoft.MachineLearningServices/workspaces/computes"

	// unreachableMsg is what Azure ML reports when it cannot open SSH to a VM.
	unreachableMsg = "Connection failed to establish within 30000 milliseconds."
)

var computeTypes = []string{"AKS", "Kubernetes", "AmlCompute", "ComputeInstance", "DataFactory", "VirtualMachine", "HDInsight", "Databricks", "DataLakeAnalytics", "SynapseSpark"}

// computeNameRE is the rule for names of attached computes: 2-16 letters,
// digits and hyphens, starting with a letter and ending with a letter or digit.
var computeNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]$`)

// wsState is a workspace and its computes, as the server changes them.
type wsState struct {
	sub      *Subscription
	rg       *ResourceGroup
	ws       *Workspace
	computes []*computeState
}

func (ws *wsState) id() string {
	return rgPrefix(ws.sub, ws.rg) + "/providers/" + wsType + "/" + ws.ws.Name
}

func (ws *wsState) find(name string) (int, *computeState) {
	for i, c := range ws.computes {
		if strings.EqualFold(c.name, name) {
			return i, c
		}
	}
	return -1, nil
}

// computeState is one compute of a workspace. It holds the secrets, which
// only listKeys returns.
type computeState struct {
	name, typ, resourceID, description string
	location, computeLocation          string
	state                              string
	errors                             []ProvisioningError
	created, modified                  time.Time
	address                            string
	sshPort                            int
	admin                              AdminAccount
	vmSize                             string
	hasVMProps                         bool
	// The other types: token (Databricks) and sslKey (AKS) are secrets,
	// props the type's public properties, identity the managed identity.
	token, sslKey string
	props         map[string]any
	identity      map[string]any
	req           typedProps // what the attach asked for, for attachOutcome
	// putSum is the SHA-256 of the body of the PUT that made the compute:
	// the same PUT again while it is Creating is the same request.
	putSum [sha256.Size]byte
}

// operation is an attach or a detach in flight (or finished).
type operation struct {
	id, location string
	attach       bool
	ws           *wsState
	c            *computeState
	start, due   time.Time
	fail         *ProvisioningError
	done         bool
	fillAddress  string
	polls        int // polls answered 500 so far (faults.pollFailures)
}

func (s *Server) addWorkspace(sub *Subscription, g *ResourceGroup, ws *Workspace) {
	st := &wsState{sub: sub, rg: g, ws: ws}
	for _, c := range ws.Computes {
		created := s.started.Add(-72 * time.Hour)
		if c.CreatedOn != "" {
			if t, err := time.Parse(time.RFC3339, c.CreatedOn); err == nil {
				created = t
			}
		}
		cs := &computeState{
			name: c.Name, typ: c.Type, resourceID: c.ResourceID, description: c.Description,
			location: ws.Location, computeLocation: ws.Location,
			state: c.ProvisioningState, errors: append([]ProvisioningError(nil), c.ProvisioningErrors...),
			created: created, modified: created,
			address: c.Properties.Address, sshPort: c.Properties.SSHPort, admin: c.Properties.AdministratorAccount,
			hasVMProps: c.Type == "VirtualMachine" || c.Type == "HDInsight",
			token:      c.Properties.DatabricksAccessToken,
		}
		if e := s.vmByID(c.ResourceID); e != nil {
			cs.computeLocation, cs.vmSize = e.vm.Location, e.vm.Size
		}
		cs.req = typedProps{WorkspaceURL: c.Properties.WorkspaceURL, Namespace: c.Properties.Namespace}
		s.fillTypeProps(cs)
		st.computes = append(st.computes, cs)
	}
	s.workspaces[key(sub.ID, g.Name, ws.Name)] = st
}

// vmByID finds a world VM by its resource ID (case-insensitively).
func (s *Server) vmByID(id string) *vmEntry {
	p := strings.Split(strings.Trim(id, "/"), "/")
	if len(p) != 8 || !strings.EqualFold(p[0], "subscriptions") || !strings.EqualFold(p[2], "resourceGroups") ||
		!strings.EqualFold(p[4], "providers") || !strings.EqualFold(p[5], "Microsoft.Compute") || !strings.EqualFold(p[6], "virtualMachines") {
		return nil
	}
	return s.vms[key(p[1], p[3], p[7])]
}

// advance finishes the operations whose time has come. Callers hold s.mu.
func (s *Server) advance() {
	now := s.now()
	for _, op := range s.ops {
		if op.done || now.Before(op.due) {
			continue
		}
		op.done = true
		i, cur := op.ws.find(op.c.name)
		if cur != op.c {
			continue // replaced or removed meanwhile
		}
		op.c.modified = op.due
		if !op.attach {
			op.ws.computes = append(op.ws.computes[:i], op.ws.computes[i+1:]...)
			continue
		}
		if op.fail != nil {
			op.c.state = "Failed"
			op.c.errors = []ProvisioningError{*op.fail}
			continue
		}
		op.c.state = "Succeeded"
		if op.c.address == "" {
			op.c.address = op.fillAddress
		}
	}
}

func (ws *wsState) json() map[string]any {
	return map[string]any{
		"id":       ws.id(),
		"name":     ws.ws.Name,
		"type":     wsType,
		"location": ws.ws.Location,
		"kind":     "Default",
		"sku":      map[string]any{"name": "Basic", "tier": "Basic"},
		"identity": map[string]any{"type": "SystemAssigned", "principalId": stableUUID("principal" + ws.id()), "tenantId": tenantID},
		"properties": map[string]any{
			"friendlyName":        ws.ws.FriendlyName,
			"provisioningState":   "Succeeded",
			"workspaceId":         stableUUID(ws.id()),
			"publicNetworkAccess": "Enabled",
			"storageAccount":      rgPrefix(ws.sub, ws.rg) + "/providers/Microsoft.Storage/storageAccounts/" + storageName(ws.ws.Name),
			"keyVault":            rgPrefix(ws.sub, ws.rg) + "/providers/Microsoft.KeyVault/vaults/" + ws.ws.Name + "-kv",
			"v1LegacyMode":        false,
			"hbiWorkspace":        false,
		},
	}
}

func storageName(ws string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(ws) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if len(out) > 16 {
		out = out[:16]
	}
	return out + "storage"
}

// computeJSON is the compute's ARM body. Azure sends provisioningErrors
// as null for a compute without errors; a lenient sandbox sends [].
func (s *Server) computeJSON(ws *wsState, c *computeState) map[string]any {
	out := c.json(ws)
	if len(c.errors) == 0 && s.world.Faults.Lenient.EmptyErrors {
		out["properties"].(map[string]any)["provisioningErrors"] = []any{}
	}
	return out
}

func (c *computeState) json(ws *wsState) map[string]any {
	var errs []any
	for _, e := range c.errors {
		errs = append(errs, map[string]any{"error": map[string]any{"code": e.Code, "message": e.Message}})
	}
	props := map[string]any{
		"computeType":        c.typ,
		"computeLocation":    c.computeLocation,
		"provisioningState":  c.state,
		"provisioningErrors": errs,
		"isAttachedCompute":  isAttachedType(c.typ),
		"createdOn":          c.created.UTC().Format(time.RFC3339Nano),
		"modifiedOn":         c.modified.UTC().Format(time.RFC3339Nano),
		"disableLocalAuth":   false,
	}
	if c.resourceID != "" {
		props["resourceId"] = c.resourceID
	}
	if c.description != "" {
		props["description"] = c.description
	}
	if c.hasVMProps {
		inner := map[string]any{
			// Only the user name: secrets are for listKeys.
			"administratorAccount": map[string]any{"username": c.admin.Username},
		}
		if c.address != "" {
			inner["address"] = c.address
		}
		if c.sshPort != 0 {
			inner["sshPort"] = c.sshPort
		}
		if c.typ == "VirtualMachine" {
			inner["isNotebookInstanceCompute"] = false
			if c.vmSize != "" {
				inner["virtualMachineSize"] = c.vmSize
			}
		}
		props["properties"] = inner
	} else if c.props != nil {
		props["properties"] = c.props
	}
	out := map[string]any{
		"id":         ws.id() + "/computes/" + c.name,
		"name":       c.name,
		"type":       computeType,
		"location":   c.location,
		"tags":       map[string]any{},
		"properties": props,
	}
	if c.identity != nil {
		out["identity"] = c.identity
	}
	return out
}

// workspace resolves the workspace of m.vars[0], or writes the 404.
func (s *Server) workspace(w http.ResponseWriter, m *match) *wsState {
	ws := s.workspaces[key(m.sub.ID, m.rg.Name, m.vars[0])]
	if ws == nil {
		notFound(w, wsType, m.vars[0], m.rg.Name)
	}
	return ws
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, m *match) {
	s.mu.Lock()
	var items []any
	for gi := range m.sub.ResourceGroups {
		g := &m.sub.ResourceGroups[gi]
		if m.rg != nil && m.rg != g {
			continue
		}
		for _, ws := range g.Workspaces {
			items = append(items, s.workspaceJSON(s.workspaces[key(m.sub.ID, g.Name, ws.Name)]))
		}
	}
	s.mu.Unlock()
	s.writePage(w, r, items)
}

func (s *Server) getWorkspace(w http.ResponseWriter, _ *http.Request, m *match) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ws := s.workspace(w, m); ws != nil {
		writeJSON(w, http.StatusOK, s.workspaceJSON(ws))
	}
}

func (s *Server) listComputes(w http.ResponseWriter, r *http.Request, m *match) {
	s.mu.Lock()
	s.advance()
	ws := s.workspace(w, m)
	if ws == nil {
		s.mu.Unlock()
		return
	}
	items := make([]any, 0, len(ws.computes))
	for _, c := range ws.computes {
		items = append(items, s.computeJSON(ws, c))
	}
	s.mu.Unlock()
	s.writePage(w, r, items)
}

// computeOr404 finds the compute the path names, or answers 404 and returns
// a nil compute. The caller holds s.mu.
func (s *Server) computeOr404(w http.ResponseWriter, m *match) (*wsState, *computeState) {
	s.advance()
	ws := s.workspace(w, m)
	if ws == nil {
		return nil, nil
	}
	_, c := ws.find(m.vars[1])
	if c == nil {
		notFound(w, wsType+"/"+ws.ws.Name+"/computes", m.vars[1], m.rg.Name)
	}
	return ws, c
}

func (s *Server) getCompute(w http.ResponseWriter, _ *http.Request, m *match) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, c := s.computeOr404(w, m)
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.computeJSON(ws, c))
}

// attachBody is the part of a ComputeResource the server reads.
type attachBody struct {
	Location   string `json:"location"`
	Properties *struct {
		ComputeType     string          `json:"computeType"`
		ResourceID      string          `json:"resourceId"`
		Description     string          `json:"description"`
		ComputeLocation string          `json:"computeLocation"`
		Properties      json.RawMessage `json:"properties"`
	} `json:"properties"`
	Identity *identityBody `json:"identity"`
}

type vmAttachProps struct {
	Address              string `json:"address"`
	SSHPort              int    `json:"sshPort"`
	VirtualMachineSize   string `json:"virtualMachineSize"`
	AdministratorAccount *struct {
		Username       string `json:"username"`
		Password       string `json:"password"`
		PublicKeyData  string `json:"publicKeyData"`
		PrivateKeyData string `json:"privateKeyData"`
	} `json:"administratorAccount"`
}

// attachRequest is a checked attach PUT: the compute it asks for (not yet
// in any workspace) and the SHA-256 of its body.
type attachRequest struct {
	c   *computeState
	sum [sha256.Size]byte
}

// putCompute attaches (or, for the types Azure ML creates, creates) a
// compute: the body is checked first, then the workspace decides whether
// the PUT is a retry, a conflict, or a new attach to schedule.
func (s *Server) putCompute(w http.ResponseWriter, r *http.Request, m *match) {
	req, code, msg := s.readAttach(r, m.vars[1])
	if msg != "" {
		armError(w, http.StatusBadRequest, code, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	ws := s.workspace(w, m)
	if ws == nil {
		return
	}
	idx, old := ws.find(req.c.name)
	if old != nil && s.sameAttachAgain(w, m, ws, old, req.sum) {
		return
	}
	if old != nil && s.attachConflict(w, ws, old) {
		return
	}
	s.scheduleAttach(w, m, ws, idx, old, req)
}

// readAttach reads and checks the body of an attach PUT for the compute
// name. It returns the request, or the error code and message of the 400.
// Messages never quote the body, which holds secrets.
func (s *Server) readAttach(r *http.Request, name string) (*attachRequest, string, string) {
	const invalid = "ValidationError"
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, "InvalidRequestContent", "The request content could not be read."
	}
	var body attachBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, "InvalidRequestContent", "The request content was invalid and could not be deserialized as a compute resource."
	}
	if msg := s.checkAttachBase(body, name); msg != "" {
		return nil, invalid, msg
	}
	p := body.Properties
	var tp typedProps
	if len(p.Properties) > 0 && string(p.Properties) != "null" {
		if err := json.Unmarshal(p.Properties, &tp); err != nil {
			return nil, invalid, "properties.properties is not valid for compute type " + p.ComputeType + "."
		}
	}
	if msg := tp.check(p.ComputeType); msg != "" {
		return nil, invalid, msg
	}
	ident, msg := body.Identity.state(p.ComputeType)
	if msg != "" {
		return nil, invalid, msg
	}
	hasVMProps := p.ComputeType == "VirtualMachine" || p.ComputeType == "HDInsight"
	if hasVMProps {
		if msg := checkVMAttachProps(&tp.vmAttachProps); msg != "" {
			return nil, invalid, msg
		}
	}
	c := &computeState{
		name: name, typ: p.ComputeType, resourceID: p.ResourceID, description: p.Description,
		location: body.Location, computeLocation: body.Location, state: "Creating",
		hasVMProps: hasVMProps, req: tp, identity: ident,
	}
	if p.ComputeLocation != "" {
		c.computeLocation = p.ComputeLocation
	}
	if hasVMProps {
		vp := tp.vmAttachProps
		a := vp.AdministratorAccount
		c.address, c.sshPort = vp.Address, vp.SSHPort
		c.admin = AdminAccount{Username: a.Username, Password: a.Password, PrivateKeyData: a.PrivateKeyData, PublicKeyData: a.PublicKeyData}
		c.vmSize = vp.VirtualMachineSize
	}
	if tp.DatabricksAccessToken != nil {
		c.token = *tp.DatabricksAccessToken
	}
	if tp.SSLConfiguration != nil {
		c.sslKey = tp.SSLConfiguration.Key
	}
	return &attachRequest{c: c, sum: sha256.Sum256(raw)}, "", ""
}

// checkAttachBase checks what every compute type needs: a known type, a
// location, and for an attach the resource ID and a valid name.
func (s *Server) checkAttachBase(body attachBody, name string) string {
	p := body.Properties
	switch {
	case p == nil || p.ComputeType == "":
		return "The compute definition needs properties.computeType."
	case !contains(computeTypes, p.ComputeType) && (p.ComputeType != batchComputeType || s.world.Faults.RefuseBatch):
		return fmt.Sprintf("'%s' is not a compute type; use one of %s.", p.ComputeType, strings.Join(computeTypes, ", "))
	case body.Location == "":
		return "The location of the compute is required; use the workspace's location."
	case !isAttachedType(p.ComputeType):
		return ""
	case p.ResourceID == "":
		return "properties.resourceId is required to attach an existing resource."
	case !computeNameRE.MatchString(name):
		return fmt.Sprintf("Compute name '%s' is invalid. It can include letters, digits and dashes. It must start with a letter, end with a letter or digit, and be between 2 and 16 characters in length.", name)
	}
	return checkResourceKind(p.ComputeType, p.ResourceID)
}

// checkVMAttachProps checks the login of a VM or HDInsight attach and
// fills the default SSH port.
func checkVMAttachProps(vp *vmAttachProps) string {
	a := vp.AdministratorAccount
	switch {
	case a == nil || a.Username == "":
		return "properties.properties.administratorAccount.username is required."
	case a.Password == "" && a.PrivateKeyData == "":
		return "properties.properties.administratorAccount needs a password or privateKeyData."
	case vp.SSHPort < 0 || vp.SSHPort > 65535:
		return fmt.Sprintf("properties.properties.sshPort %d is not a port.", vp.SSHPort)
	}
	if vp.SSHPort == 0 {
		vp.SSHPort = 22
	}
	return ""
}

// sameAttachAgain answers a lenient sandbox's retry: the same PUT again
// while the compute is Creating (a client retrying after a lost answer)
// gets the current state and the operation already running, and starts
// nothing new. It reports whether it answered. The caller holds s.mu.
func (s *Server) sameAttachAgain(w http.ResponseWriter, m *match, ws *wsState, old *computeState, sum [sha256.Size]byte) bool {
	if !s.world.Faults.Lenient.Reattach || old.state != "Creating" || old.putSum != sum {
		return false
	}
	if op := s.pendingOp(old); op != nil {
		w.Header().Set("Azure-AsyncOperation", s.opURL(m.sub, op, "computeOperationsStatus"))
	}
	writeJSON(w, http.StatusCreated, s.computeJSON(ws, old))
	return true
}

// attachConflict refuses a PUT over an existing compute, as Azure ML does:
// attaching is not idempotent, and a retried PUT whose first answer was
// lost is refused like any other. A lenient sandbox refuses only while an
// operation runs, and otherwise replaces the compute. It reports whether it
// answered. The caller holds s.mu.
func (s *Server) attachConflict(w http.ResponseWriter, ws *wsState, old *computeState) bool {
	switch {
	case old.state == "Creating" || old.state == "Deleting":
		armError(w, http.StatusConflict, "Conflict",
			fmt.Sprintf("Compute '%s' is %s; wait for that operation to finish before changing it.", old.name, strings.ToLower(old.state)))
	case !s.world.Faults.Lenient.Reattach:
		armError(w, http.StatusConflict, "Conflict",
			fmt.Sprintf("A compute named '%s' already exists in workspace '%s'; a compute cannot be attached over it. Detach it first, or use another name.", old.name, ws.ws.Name))
	default:
		return false
	}
	return true
}

// scheduleAttach puts the new compute in the workspace (in old's place at
// idx when it replaces one), Creating, and starts the operation that ends
// it. The caller holds s.mu.
func (s *Server) scheduleAttach(w http.ResponseWriter, m *match, ws *wsState, idx int, old *computeState, req *attachRequest) {
	now := s.now()
	c := req.c
	c.created, c.modified, c.putSum = now, now, req.sum
	s.fillTypeProps(c)
	op := &operation{
		id: randomUUID(), location: strings.ToLower(strings.ReplaceAll(ws.ws.Location, " ", "")),
		attach: true, ws: ws, c: c, start: now,
		due: now.Add(seconds(s.world.Faults.AttachSeconds)),
	}
	op.fail, op.fillAddress = s.attachOutcome(c)
	if c.typ == "VirtualMachine" {
		if e := s.vmByID(c.resourceID); e != nil {
			c.computeLocation = e.vm.Location
			if c.vmSize == "" {
				c.vmSize = e.vm.Size
			}
		}
	}
	if old != nil {
		ws.computes[idx] = c
	} else {
		ws.computes = append(ws.computes, c)
	}
	s.ops[op.id] = op
	w.Header().Set("Azure-AsyncOperation", s.opURL(m.sub, op, "computeOperationsStatus"))
	writeJSON(w, http.StatusCreated, s.computeJSON(ws, c))
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) opURL(sub *Subscription, op *operation, kind string) string {
	return fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.MachineLearningServices/locations/%s/%s/%s?api-version=%s",
		s.endpoint, sub.ID, op.location, kind, op.id, apiML)
}

// attachOutcome decides how an attach will end: nil for success (with the
// address to fill in when the request gave none), or the provisioning error.
func (s *Server) attachOutcome(c *computeState) (*ProvisioningError, string) {
	f := s.world.Faults.AttachError
	if f.Compute != "" && strings.EqualFold(f.Compute, c.name) {
		return &ProvisioningError{Code: f.Code, Message: f.Message}, ""
	}
	if c.typ != "VirtualMachine" {
		return s.targetOutcome(c)
	}
	e := s.vmByID(c.resourceID)
	if e == nil {
		return &ProvisioningError{Code: "BadRequest", Message: fmt.Sprintf(
			"Could not find the virtual machine '%s'. Check that the resource ID is right and that the VM exists in a subscription the workspace can read.", c.resourceID)}, ""
	}
	unreachable := &ProvisioningError{Code: "InternalServerError", Message: unreachableMsg}
	ok, address := s.reachesAML(e, c.sshPort, c.location)
	if e.powerState() != "running" || !ok {
		return unreachable, ""
	}
	if e.vm.SSH.Sim != nil && !simAccepts(e, c.admin) {
		return &ProvisioningError{Code: "BadRequest", Message: fmt.Sprintf(
			"Could not log in to the virtual machine over SSH as '%s': authentication failed. Check the user name and the password or private key.", c.admin.Username)}, address
	}
	return nil, address
}

// simAccepts says whether a simulated host would let Azure ML log in.
func simAccepts(e *vmEntry, a AdminAccount) bool {
	vm := e.vm
	u, ok := e.simUser(a.Username)
	if !ok {
		return false
	}
	if a.Password != "" && u.Password != "" && !passwordAuthDisabled(vm) &&
		subtle.ConstantTimeCompare([]byte(a.Password), []byte(u.Password)) == 1 {
		return true
	}
	if a.PrivateKeyData != "" {
		signer, err := ssh.ParsePrivateKey([]byte(a.PrivateKeyData))
		if err != nil {
			return false
		}
		return authorized(u, signer.PublicKey())
	}
	return false
}

// passwordAuthDisabled is the VM's disablePasswordAuthentication, defaulting
// to "disabled when no sim user has a password".
func passwordAuthDisabled(vm *VM) bool {
	if vm.DisablePasswordAuthentication != nil {
		return *vm.DisablePasswordAuthentication
	}
	if vm.SSH.Sim != nil {
		for _, u := range vm.SSH.Sim.Users {
			if u.Password != "" {
				return false
			}
		}
		return true
	}
	return false
}

func authorized(u SimUser, key ssh.PublicKey) bool {
	want := key.Marshal()
	for _, line := range u.AuthorizedKeys {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err == nil && subtle.ConstantTimeCompare(k.Marshal(), want) == 1 {
			return true
		}
	}
	return false
}

func (s *Server) deleteCompute(w http.ResponseWriter, r *http.Request, m *match) {
	action := r.URL.Query().Get("underlyingResourceAction")
	if !strings.EqualFold(action, "Detach") && !strings.EqualFold(action, "Delete") {
		armError(w, http.StatusBadRequest, "BadRequest",
			"The underlyingResourceAction query parameter is required: 'Detach' to detach the compute, or 'Delete' to delete it.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	ws := s.workspace(w, m)
	if ws == nil {
		return
	}
	_, c := ws.find(m.vars[1])
	if c == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if c.state == "Deleting" {
		// The same detach again (a retry after a lost answer): the one
		// already running is the answer.
		if op := s.pendingOp(c); op != nil {
			w.Header().Set("Azure-AsyncOperation", s.opURL(m.sub, op, "computeOperationsStatus"))
			w.Header().Set("Location", s.opURL(m.sub, op, "computeOperationsResults"))
			w.WriteHeader(http.StatusAccepted)
			return
		}
	}
	if c.state == "Creating" || c.state == "Deleting" {
		armError(w, http.StatusConflict, "Conflict",
			fmt.Sprintf("Compute '%s' is %s; wait for that operation to finish before changing it.", c.name, strings.ToLower(c.state)))
		return
	}
	now := s.now()
	c.state, c.modified = "Deleting", now
	op := &operation{
		id: randomUUID(), location: strings.ToLower(strings.ReplaceAll(ws.ws.Location, " ", "")),
		ws: ws, c: c, start: now, due: now.Add(seconds(s.world.Faults.DetachSeconds)),
	}
	s.ops[op.id] = op
	w.Header().Set("Azure-AsyncOperation", s.opURL(m.sub, op, "computeOperationsStatus"))
	w.Header().Set("Location", s.opURL(m.sub, op, "computeOperationsResults"))
	w.WriteHeader(http.StatusAccepted)
}

// pendingOp is the unfinished operation of c, if any. The caller holds s.mu.
func (s *Server) pendingOp(c *computeState) *operation {
	for _, op := range s.ops {
		if op.c == c && !op.done {
			return op
		}
	}
	return nil
}

// operation resolves m.vars[1] (after the location) to an operation, or writes the 404.
func (s *Server) operation(w http.ResponseWriter, m *match) *operation {
	op := s.ops[m.vars[1]]
	if op == nil || !strings.EqualFold(op.ws.sub.ID, m.sub.ID) {
		armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The operation '%s' was not found.", m.vars[1]))
		return nil
	}
	return op
}

func (s *Server) operationStatus(w http.ResponseWriter, r *http.Request, m *match) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	op := s.operation(w, m)
	if op == nil || s.pollFault(w, op) {
		return
	}
	body := map[string]any{
		"id":        r.URL.Path,
		"name":      op.id,
		"status":    "InProgress",
		"startTime": op.start.UTC().Format(time.RFC3339Nano),
	}
	if op.done {
		body["endTime"] = op.due.UTC().Format(time.RFC3339Nano)
		body["status"] = "Succeeded"
		if op.fail != nil {
			body["status"] = "Failed"
			body["error"] = map[string]any{"code": op.fail.Code, "message": op.fail.Message}
		}
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) operationResult(w http.ResponseWriter, _ *http.Request, m *match) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	op := s.operation(w, m)
	if op == nil || s.pollFault(w, op) {
		return
	}
	switch {
	case !op.done:
		w.Header().Set("Location", s.opURL(m.sub, op, "computeOperationsResults"))
		w.WriteHeader(http.StatusAccepted)
	case op.fail != nil:
		armError(w, http.StatusBadRequest, op.fail.Code, op.fail.Message)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) listKeys(w http.ResponseWriter, _ *http.Request, m *match) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, c := s.computeOr404(w, m)
	if c == nil {
		return
	}
	if s.world.Faults.ForbidListKeys {
		armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client does not have authorization to perform action 'Microsoft.MachineLearningServices/workspaces/computes/listKeys/action' over scope '%s/computes/%s' or the scope is invalid.", ws.id(), c.name))
		return
	}
	body := map[string]any{"computeType": c.typ}
	if c.hasVMProps {
		acct := map[string]any{"username": c.admin.Username}
		for k, v := range map[string]string{"password": c.admin.Password, "publicKeyData": c.admin.PublicKeyData, "privateKeyData": c.admin.PrivateKeyData} {
			if v != "" {
				acct[k] = v
			}
		}
		body["administratorAccount"] = acct
	}
	s.typeSecrets(c, body)
	writeJSON(w, http.StatusOK, body)
}
