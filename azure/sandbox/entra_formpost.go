package sandbox

import (
	"html"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// formPost answers an authorize request of response_mode=form_post (what
// MSAL asks for since its listener takes only POST) as Entra ID does: a
// page whose form, submitted by its script at once, POSTs the answer's
// fields (the code and state, or the error) to the redirect URI.
func (e *entra) formPost(w http.ResponseWriter, redirect string, fields url.Values) {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(`<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="`)
	b.WriteString(html.EscapeString(redirect))
	b.WriteString(`">`)
	for _, n := range names {
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(n) + `" value="` + html.EscapeString(fields.Get(n)) + `" />`)
	}
	b.WriteString(`<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form>`)
	b.WriteString(`<script language="javascript">document.forms[0].submit();</script></body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}
