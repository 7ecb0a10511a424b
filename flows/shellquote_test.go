package flows

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

func TestShellQuote(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "''"},
		{"contoso-ws", "contoso-ws"},
		{"/subscriptions/0000/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm1", "/subscriptions/0000/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm1"},
		{"my key.pem", "'my key.pem'"},
		{"it's", `"it's"`},
		{"$HOME", "'$HOME'"},
		{"--world=demo", "'--world=demo'"},
		{"~/.ssh/id_rsa", "'~/.ssh/id_rsa'"},
		{"if", "'if'"},
		{"wow!", "'wow!'"},
		{"key's!x.pem", `'key'\''s!x.pem'`},
		{"line\nnext", `$'line\nnext'`},
		{"tab\there", `$'tab\there'`},
		{"a\x00b", "ab"},
		{"\x00", "''"},
	}
	for _, c := range cases {
		if got := ShellQuote(c.in); got != c.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestShellQuoteRoundTrips reads each quoted word back with a shell parser:
// it must be one word that expands (braces, splitting and all) to the string given (NUL bytes aside).
func TestShellQuoteRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", "it's", `"dq"`, "back\\slash", "$(rm -rf /)", "`id`", "a;b&&c||d", "x > y", "*?[a]",
		"{a,b}", "~root", "#not a comment", "new\nline", "bell\a", "\xff\xfe", "ünïcödé", "wow!", "it's!x", "a=b", "nul\x00byte", "'", "''"} {
		q := ShellQuote(s)
		f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader("echo "+q), "")
		if err != nil {
			t.Errorf("%q quoted as %s does not parse: %v", s, q, err)
			continue
		}
		call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
		if !ok || len(f.Stmts) != 1 || len(call.Args) != 2 {
			t.Errorf("%q quoted as %s is not one word", s, q)
			continue
		}
		got, err := expand.Fields(&expand.Config{}, call.Args[1])
		if want := strings.ReplaceAll(s, "\x00", ""); err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("%q quoted as %s reads back as %q (%v)", s, q, got, err)
		}
	}
}
