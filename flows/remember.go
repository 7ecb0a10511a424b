package flows

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// WorkspaceMemory remembers the workspace last chosen in the wizard, per
// signed-in account, so that the next run offers it first. It is a small
// JSON file of mode 0600 under the user's config folder; it holds names and
// IDs, no secret.
type WorkspaceMemory struct {
	Path string
}

// DefaultWorkspaceMemory is the memory for Azure (sandbox false) or for the
// sandbox, in os.UserConfigDir()/amlattach.
func DefaultWorkspaceMemory(sandbox bool) (*WorkspaceMemory, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, err
	}
	name := "last-workspace.json"
	if sandbox {
		name = "sandbox-last-workspace.json"
	}
	return &WorkspaceMemory{Path: filepath.Join(dir, "amlattach", name)}, nil
}

type rememberedWorkspace struct {
	SubscriptionID string `json:"subscriptionId"`
	ResourceGroup  string `json:"resourceGroup"`
	Name           string `json:"name"`
	Location       string `json:"location,omitempty"`
}

type workspaceMemoryFile struct {
	Version  int                            `json:"version"`
	Accounts map[string]rememberedWorkspace `json:"accounts"`
}

func accountKey(account string) string { return strings.ToLower(strings.TrimSpace(account)) }

func (m *WorkspaceMemory) read() workspaceMemoryFile {
	f := workspaceMemoryFile{Version: 1, Accounts: map[string]rememberedWorkspace{}}
	if m == nil {
		return f
	}
	data, err := os.ReadFile(m.Path)
	if err != nil {
		return f
	}
	var got workspaceMemoryFile
	if json.Unmarshal(data, &got) == nil && got.Accounts != nil {
		f.Accounts = got.Accounts
	}
	return f
}

// Last is the workspace account chose last ("" is the account of a
// credential that does not say who it is).
func (m *WorkspaceMemory) Last(account string) (Workspace, bool) {
	r, ok := m.read().Accounts[accountKey(account)]
	if !ok || r.Name == "" || r.SubscriptionID == "" {
		return Workspace{}, false
	}
	return Workspace{SubscriptionID: r.SubscriptionID, ResourceGroup: r.ResourceGroup, Name: r.Name, Location: r.Location}, true
}

// Remember makes ws the last choice of account. The file is written whole
// (a temporary file renamed over it), mode 0600, in a folder of mode 0700.
func (m *WorkspaceMemory) Remember(account string, ws Workspace) error {
	if m == nil {
		return errors.New("no place to remember the workspace")
	}
	f := m.read()
	f.Accounts[accountKey(account)] = rememberedWorkspace{SubscriptionID: ws.SubscriptionID, ResourceGroup: ws.ResourceGroup, Name: ws.Name, Location: ws.Location}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(m.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".last-workspace-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), m.Path)
}
