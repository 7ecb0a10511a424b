package flows

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"amlattach/azure"
)

// WorkspaceFlags are the global flags that name a workspace.
type WorkspaceFlags struct {
	Subscription, ResourceGroup, Workspace string
}

// WorkspaceSources says where each part of the resolved workspace came from.
type WorkspaceSources struct {
	Subscription, ResourceGroup, Workspace string
}

// ResolveWorkspace finds the workspace to use, in this order: flags, then
// AZURE_SUBSCRIPTION_ID, then .azureml/config.json (or config.json) from cwd
// up through its parents, then the az configure defaults. getenv and cwd come
// from the caller so the lookup is testable.
func ResolveWorkspace(f WorkspaceFlags, cwd string, getenv func(string) string) (azure.Workspace, WorkspaceSources, error) {
	var ws azure.Workspace
	var src WorkspaceSources
	set := func(dst *string, dsrc *string, v, from string) {
		if *dst == "" && v != "" {
			*dst, *dsrc = v, from
		}
	}
	set(&ws.SubscriptionID, &src.Subscription, f.Subscription, "--subscription")
	set(&ws.ResourceGroup, &src.ResourceGroup, f.ResourceGroup, "--resource-group")
	set(&ws.Name, &src.Workspace, f.Workspace, "--workspace")
	set(&ws.SubscriptionID, &src.Subscription, getenv("AZURE_SUBSCRIPTION_ID"), "AZURE_SUBSCRIPTION_ID")
	if ws.SubscriptionID == "" || ws.ResourceGroup == "" || ws.Name == "" {
		path, cfg, err := findMLConfig(cwd)
		if err != nil {
			return ws, src, err
		}
		if path != "" {
			set(&ws.SubscriptionID, &src.Subscription, cfg.sub, path)
			set(&ws.ResourceGroup, &src.ResourceGroup, cfg.rg, path)
			set(&ws.Name, &src.Workspace, cfg.ws, path)
		}
	}
	if ws.ResourceGroup == "" || ws.Name == "" {
		dir := getenv("AZURE_CONFIG_DIR")
		if dir == "" {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".azure")
			}
		}
		if dir != "" {
			p := filepath.Join(dir, "config")
			d := readAzDefaults(p)
			set(&ws.ResourceGroup, &src.ResourceGroup, d["group"], p+" [defaults] group")
			set(&ws.Name, &src.Workspace, d["workspace"], p+" [defaults] workspace")
		}
	}
	var missing []string
	if ws.SubscriptionID == "" {
		missing = append(missing, "--subscription")
	}
	if ws.ResourceGroup == "" {
		missing = append(missing, "-g/--resource-group")
	}
	if ws.Name == "" {
		missing = append(missing, "-w/--workspace")
	}
	if len(missing) > 0 {
		return ws, src, inputErr(strings.Join(missing, ", "),
			"pass the flags, put the workspace's config.json (Download config file in Azure ML studio) in .azureml/ here, or run az configure --defaults group=<group> workspace=<workspace>",
			"no workspace chosen")
	}
	return ws, src, nil
}

type mlConfig struct{ sub, rg, ws string }

// findMLConfig looks for .azureml/config.json or config.json from dir up.
func findMLConfig(dir string) (string, mlConfig, error) {
	for d := dir; d != ""; {
		for _, name := range []string{filepath.Join(".azureml", "config.json"), "config.json"} {
			p := filepath.Join(d, name)
			data, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return "", mlConfig{}, inputErr(p, "make it readable", "cannot read the workspace config: %v", err)
			}
			c, err := parseMLConfig(p, data)
			if name == "config.json" && err != nil {
				continue // a config.json of some other tool
			}
			return p, c, err
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", mlConfig{}, nil
}

func parseMLConfig(path string, data []byte) (mlConfig, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return mlConfig{}, inputErr(path, "download the workspace's config.json again from Azure ML studio", "not valid JSON: %v", err)
	}
	str := func(k string) string { s, _ := raw[k].(string); return s }
	c := mlConfig{sub: str("subscription_id"), rg: str("resource_group"), ws: str("workspace_name")}
	if scope := str("Scope"); scope != "" && (c.sub == "" || c.rg == "" || c.ws == "") {
		id, err := azure.ParseResourceIDOf(scope, "Microsoft.MachineLearningServices/workspaces")
		if err != nil {
			return mlConfig{}, inputErr(path, "Scope must be the workspace's ARM ID", "key Scope: %v", err)
		}
		c = mlConfig{sub: id.SubscriptionID, rg: id.ResourceGroup, ws: id.Name}
	}
	for k, v := range map[string]string{"subscription_id": c.sub, "resource_group": c.rg, "workspace_name": c.ws} {
		if v == "" {
			return mlConfig{}, inputErr(path, "the file needs subscription_id, resource_group and workspace_name (or Scope)", "key %s is missing", k)
		}
	}
	return c, nil
}

// readAzDefaults reads the [defaults] section of the az CLI's INI config.
func readAzDefaults(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = strings.EqualFold(line, "[defaults]")
			continue
		}
		if !in || line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// PickWorldWorkspace chooses among a sandbox world's workspaces with the flags:
// the only one, or the one the flags name.
func PickWorldWorkspace(f WorkspaceFlags, all []azure.Workspace) (azure.Workspace, error) {
	var match []azure.Workspace
	for _, w := range all {
		if (f.Subscription == "" || strings.EqualFold(f.Subscription, w.SubscriptionID)) &&
			(f.ResourceGroup == "" || strings.EqualFold(f.ResourceGroup, w.ResourceGroup)) &&
			(f.Workspace == "" || strings.EqualFold(f.Workspace, w.Name)) {
			match = append(match, w)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return azure.Workspace{}, inputErr("-w/--workspace", "name one of the world's workspaces: "+names(all), "the world has no workspace matching the flags")
	}
	return azure.Workspace{}, inputErr("-w/--workspace", "choose one with -w (and -g, --subscription): "+names(match), "the world has %d workspaces", len(match))
}

func names(ws []azure.Workspace) string {
	var s []string
	for _, w := range ws {
		s = append(s, fmt.Sprintf("%s/%s", w.ResourceGroup, w.Name))
	}
	return strings.Join(s, ", ")
}
