package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ComputeFile is an Azure ML SDK v2 / CLI v2 compute YAML file of an
// attachable type (what `az ml compute attach --file` reads): virtualmachine,
// kubernetes or synapsespark.
type ComputeFile struct {
	Schema      string            `yaml:"$schema"`
	Name        string            `yaml:"name"`
	Type        string            `yaml:"type"`
	Description string            `yaml:"description"`
	ResourceID  string            `yaml:"resource_id"`
	Location    string            `yaml:"location"`
	Tags        map[string]string `yaml:"tags"`
	SSHSettings *struct {
		AdminUsername     string `yaml:"admin_username"`
		AdminPassword     string `yaml:"admin_password"`
		SSHPrivateKeyFile string `yaml:"ssh_private_key_file"`
		SSHPort           int    `yaml:"ssh_port"`
	} `yaml:"ssh_settings"`
	Namespace string `yaml:"namespace"`
	Identity  *struct {
		Type                   string `yaml:"type"`
		UserAssignedIdentities []struct {
			ResourceID string `yaml:"resource_id"`
		} `yaml:"user_assigned_identities"`
	} `yaml:"identity"`

	// Path is the file's path; Dir is where its relative paths start.
	Path, Dir string `yaml:"-"`
}

// TargetType is the TYPE the file's type stands for.
func (f *ComputeFile) TargetType() string {
	switch strings.ToLower(f.Type) {
	case "virtualmachine", "virtual_machine", "vm":
		return "vm"
	case "kubernetes":
		return "kubernetes"
	case "synapsespark", "synapse_spark":
		return "synapse"
	}
	return ""
}

// IdentityInput is the file's identity in the form the flows take.
func (f *ComputeFile) IdentityInput() IdentityInput {
	var in IdentityInput
	if f.Identity == nil {
		return in
	}
	in.Type = strings.ReplaceAll(f.Identity.Type, "_", "")
	for _, u := range f.Identity.UserAssignedIdentities {
		in.IDs = append(in.IDs, u.ResourceID)
	}
	return in
}

// KeyPath is the key file's path, relative paths taken from the YAML file's folder.
func (f *ComputeFile) KeyPath() string {
	if f.SSHSettings == nil || f.SSHSettings.SSHPrivateKeyFile == "" {
		return ""
	}
	p := ExpandHome(f.SSHSettings.SSHPrivateKeyFile)
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.Dir, p)
	}
	return p
}

var yamlErrLine = regexp.MustCompile(`line (\d+): `)

// LoadComputeFile reads and checks a compute YAML file. Unknown fields and
// values of the wrong kind are errors naming the file and the line.
func LoadComputeFile(path string) (*ComputeFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, inputErr("-f/--file", "give the path of a compute YAML file (the one az ml compute attach --file takes)", "cannot read %s: %s", path, msg)
	}
	return ParseComputeFile(data, path)
}

// ParseComputeFile parses compute YAML; path is used in messages and to
// resolve relative key paths.
func ParseComputeFile(data []byte, path string) (*ComputeFile, error) {
	f := &ComputeFile{Path: path, Dir: filepath.Dir(path)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, inputErr("-f/--file", "write the compute's name, type and resource_id in it", "%s is empty", path)
		}
		return nil, yamlFileErr(path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, inputErr("-f/--file", "keep one compute per file", "%s holds more than one YAML document", path)
	}
	line := func(key string) string {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
			m := doc.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == key {
					return ":" + strconv.Itoa(m.Content[i].Line)
				}
			}
		}
		return ""
	}
	switch {
	case f.Type == "":
		return nil, inputErr("-f/--file", "add type: virtualmachine, kubernetes or synapsespark", "%s has no type", path)
	case f.TargetType() == "":
		return nil, inputErr("-f/--file", "amlattach attaches type virtualmachine, kubernetes or synapsespark from a file; use amlattach attach TYPE with flags for the others",
			"%s%s: type %q is not an attachable compute type", path, line("type"), f.Type)
	case f.SSHSettings != nil && f.TargetType() != "vm":
		return nil, inputErr("-f/--file", "remove ssh_settings: only type virtualmachine uses them", "%s%s: ssh_settings is not a field of type %s", path, line("ssh_settings"), f.Type)
	case f.Namespace != "" && f.TargetType() != "kubernetes":
		return nil, inputErr("-f/--file", "remove namespace: only type kubernetes uses it", "%s%s: namespace is not a field of type %s", path, line("namespace"), f.Type)
	case f.Identity != nil && f.TargetType() == "vm":
		return nil, inputErr("-f/--file", "remove identity: type virtualmachine has none", "%s%s: identity is not a field of type %s", path, line("identity"), f.Type)
	}
	return f, nil
}

// yamlFileErr turns a YAML decoding error into one naming the file and line.
func yamlFileErr(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if m := yamlErrLine.FindStringSubmatchIndex(l); m != nil {
			n := l[m[2]:m[3]]
			rest := l[m[1]:]
			rest = strings.Replace(rest, "not found in type flows.ComputeFile", "is not a compute YAML field", 1)
			rest = regexp.MustCompile(`not found in type struct \{[^}]*\}+`).ReplaceAllString(rest, "is not a field here")
			l = fmt.Sprintf("%s:%s: %s", path, n, rest)
		} else {
			l = path + ": " + l
		}
		parts = append(parts, l)
	}
	return inputErr("-f/--file", "fix the file: the fields are those of the Azure ML CLI v2 compute YAML schema (name, type, resource_id, ssh_settings, namespace, identity, description)", "%s", strings.Join(parts, "; "))
}
