package probes

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseOSRelease(f *testing.F) {
	for _, s := range []string{
		"NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n",
		"PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\r\nID=debian\r\n",
		"# a comment\n\n  ID = \"centos\"  \nNAME=CentOS Linux\n",
		"=ubuntu\nID=\"\"\n",
		"ID=\"ubuntu\nNAME=\"unterminated",
		"ID=ubuntu=focal\n'\"\n\"",
	} {
		f.Add(s, 0, "")
	}
	f.Add("", 1, "cat: /etc/os-release: No such file or directory")
	f.Fuzz(func(t *testing.T, s string, code int, stderr string) {
		m := ParseOSRelease(s)
		for k, v := range m {
			if k == "" {
				t.Fatalf("ParseOSRelease(%q): an empty key (value %q)", s, v)
			}
			if strings.ContainsAny(k, "\n") || strings.ContainsAny(v, "\n") {
				t.Fatalf("ParseOSRelease(%q): a key or value spans lines: %q=%q", s, k, v)
			}
			if v != "" && (strings.ContainsAny(v[:1], `"'`) || strings.ContainsAny(v[len(v)-1:], `"'`)) {
				t.Fatalf("ParseOSRelease(%q): value %q of %q is still quoted", s, v, k)
			}
		}

		// The judgement on top: Ubuntu passes, anything else fails, and the
		// detail is one line of valid text when the host's answer is.
		r := HostOS(context.Background(), fakeRunner{"cat /etc/os-release": {Stdout: s, Stderr: stderr, Code: code}})
		wantPass := code == 0 && strings.EqualFold(m["ID"], "ubuntu")
		if (r.Status == Pass) != wantPass || (r.Status != Pass && r.Status != Fail) {
			t.Fatalf("HostOS on %q (exit %d): status %s, want pass=%v", s, code, r.Status, wantPass)
		}
		if r.Status == Fail && (r.Remedy == "" || r.Detail == "") {
			t.Fatalf("HostOS on %q: a failure without detail or remedy: %+v", s, r)
		}
		if utf8.ValidString(s) && utf8.ValidString(stderr) && !utf8.ValidString(r.Detail) {
			t.Fatalf("HostOS on %q / %q (exit %d): detail %q is not valid UTF-8", s, stderr, code, r.Detail)
		}
	})
}

func FuzzScrubToken(f *testing.F) {
	const tok = "dapi0123456789abcdef0123456789abcdef-2"
	f.Add("Invalid access token "+tok, tok)
	f.Add("token "+tok+" expired; also dapiabcdefabcdefabcdef", " "+tok+"\n")
	f.Add("nothing to hide", "secret-token")
	f.Add("aaaa", "aa")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, msg, token string) {
		out := scrubToken(msg, token)
		// A token inside the placeholder's own letters ("oken") or one
		// holding its brackets cannot be told from the placeholder;
		// Databricks tokens are letters, digits and dashes.
		for _, tk := range []string{token, strings.TrimSpace(token)} {
			if tk == "" || strings.ContainsAny(tk, "[]") || strings.Contains("[token]", tk) {
				continue
			}
			if strings.Contains(out, tk) {
				t.Fatalf("scrubToken(%q, %q) = %q still holds the token", msg, token, out)
			}
		}
		if loc := databricksTokenRE.FindStringIndex(out); loc != nil {
			t.Fatalf("scrubToken(%q, %q) = %q still holds a Databricks token %q", msg, token, out, out[loc[0]:loc[1]])
		}
		// What the probe shows of it: its first line, clipped, still text.
		if shown := clip(firstLine(out), 300); utf8.ValidString(msg) && utf8.ValidString(token) && !utf8.ValidString(shown) {
			t.Fatalf("scrubToken(%q, %q) is shown as %q, not valid UTF-8", msg, token, shown)
		}
	})
}
