package probes

import (
	"strings"
	"testing"
)

// want asserts a Result's status and that its detail and remedy contain the
// given parts (a part starting with "!" must not appear). A non-pass result
// must carry a remedy.
func want(t *testing.T, r Result, status Status, detail []string, remedy []string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %s, want %s\n  detail: %s\n  remedy: %s", r.Status, status, r.Detail, r.Remedy)
	}
	if r.Detail == "" {
		t.Errorf("empty detail")
	}
	if r.Status == Warn || r.Status == Fail {
		if r.Remedy == "" {
			t.Errorf("%s without a remedy: %s", r.Status, r.Detail)
		}
	}
	check := func(what, text string, parts []string) {
		for _, p := range parts {
			if neg, ok := strings.CutPrefix(p, "!"); ok {
				if strings.Contains(text, neg) {
					t.Errorf("%s holds %q: %s", what, neg, text)
				}
			} else if !strings.Contains(text, p) {
				t.Errorf("%s lacks %q: %s", what, p, text)
			}
		}
	}
	check("detail", r.Detail, detail)
	check("remedy", r.Remedy, remedy)
}

func parts(s ...string) []string { return s }
