package probes

import (
	"fmt"
	"regexp"
	"strings"

	"amlattach/azure"
)

var computeNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]$`)

// NameProblem says what is wrong with a compute name's form, or "" when it is fine.
// Azure ML accepts 2 to 16 characters for attached computes: letters, digits
// and hyphens, starting with a letter and not ending with a hyphen.
func NameProblem(name string) string {
	switch {
	case name == "":
		return "the compute name is empty"
	case len(name) < 2:
		return fmt.Sprintf("%q is too short: use 2 to 16 characters", name)
	case len(name) > 16:
		return fmt.Sprintf("%q has %d characters: attached computes allow at most 16", name, len(name))
	case !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z'):
		return fmt.Sprintf("%q must start with a letter", name)
	case strings.HasSuffix(name, "-"):
		return fmt.Sprintf("%q must not end with a hyphen", name)
	case !computeNameRE.MatchString(name):
		return fmt.Sprintf("%q may hold only letters, digits and hyphens", name)
	}
	return ""
}

// WsName checks the compute name's form and that the workspace has no compute
// of that name (Azure's PUT would silently overwrite it).
func WsName(name, workspace string, existing []azure.Compute) Result {
	if p := NameProblem(name); p != "" {
		return failf(FieldName, "choose a name of 2-16 letters, digits and hyphens that starts with a letter, e.g. "+SuggestName(name, existing), "%s", p)
	}
	for _, c := range existing {
		if strings.EqualFold(c.Name, name) {
			return failf(FieldName, fmt.Sprintf("choose another name (e.g. --name %s); to replace the existing compute, detach it first: amlattach detach %s", SuggestName(name, existing), c.Name),
				"%q is already used in %s by a %s compute (%s)", name, workspace, c.Type, orUnknown(c.ProvisioningState))
		}
	}
	return passf("%q is free in %s", name, workspace)
}

// SuggestName proposes a valid name not used in the workspace, derived from base.
func SuggestName(base string, existing []azure.Compute) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else if r == '_' || r == '.' || r == ' ' {
			b.WriteRune('-')
		}
	}
	s := strings.TrimLeft(b.String(), "-0123456789")
	if s == "" {
		s = "attached-vm"
	}
	if len(s) > 16 {
		s = s[:16]
	}
	s = strings.TrimRight(s, "-")
	if len(s) < 2 {
		s = "vm-" + s
	}
	used := func(n string) bool {
		for _, c := range existing {
			if strings.EqualFold(c.Name, n) {
				return true
			}
		}
		return false
	}
	if !used(s) {
		return s
	}
	for i := 2; ; i++ {
		suf := fmt.Sprintf("-%d", i)
		stem := s
		if len(stem)+len(suf) > 16 {
			stem = strings.TrimRight(stem[:16-len(suf)], "-")
		}
		if !used(stem + suf) {
			return stem + suf
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "state unknown"
	}
	return s
}
