package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The browser of the sandbox's browser sign-in. azidentity's interactive
// browser credential hands the authorize address to MSAL, which opens it
// with the system's opener (xdg-open, open, ...) found through PATH, with
// no option to replace it. Against the sandbox, SignInCredential puts a
// private folder of shims first on this process's PATH for the time of an
// interactive sign-in (signin_opener_unix.go); the shims hand the address
// back to this process, which gives it to SignInConfig.OpenURL: here, the
// simulated user's browser, which fetches it from the sandbox's Entra ID
// (which signs in at once) and follows the redirect to MSAL's listener on
// localhost, as a browser would. The real azidentity and MSAL code runs
// unchanged. Against Azure OpenURL is nil and nothing of this happens: the
// user's own browser opens.

// SandboxBrowser is the simulated user's browser for the sandbox whose
// Entra ID is authority ("https://127.0.0.1:PORT"), reached with client
// (which trusts the sandbox's certificate). It opens only addresses of that
// authority, and takes the answer back only to http://localhost or
// 127.0.0.1: a redirect it follows (response_mode=query), or the page of
// response_mode=form_post (what MSAL asks for) whose form it submits, as a
// browser's script does. Nothing it fetches (the answer carries the
// authorization code) is written anywhere.
func SandboxBrowser(authority string, client *http.Client) func(ctx context.Context, addr string) error {
	return func(ctx context.Context, addr string) error {
		u, err := url.Parse(addr)
		if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Scheme+"://"+u.Host, strings.TrimSuffix(authority, "/")) {
			return fmt.Errorf("the sandbox's browser opens only its own Entra ID (%s), not %s", authority, hostOf(addr))
		}
		c := *client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if c.Timeout == 0 {
			c.Timeout = 30 * time.Second
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return errors.New("the sandbox's browser: a malformed address")
		}
		ans, err := browse(&c, req)
		if err != nil {
			return fmt.Errorf("the sandbox's Entra ID did not sign in: %w", err)
		}
		if ans.Location == "" && ans.Form == nil {
			return fmt.Errorf("the sandbox's Entra ID answered %s, neither a redirect nor a form", ans.Status)
		}
		back := ans.Location
		if ans.Form != nil {
			back = ans.Form.Action
		}
		bu, err := url.Parse(back)
		if err != nil || bu.Scheme != "http" || (bu.Hostname() != "localhost" && bu.Hostname() != "127.0.0.1") {
			return fmt.Errorf("the sandbox's Entra ID sent the answer to %s, not to the sign-in's own localhost address", hostOf(back))
		}
		if ans.Form != nil {
			req, err = http.NewRequestWithContext(ctx, http.MethodPost, bu.String(), strings.NewReader(ans.Form.Values.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, err = http.NewRequestWithContext(ctx, http.MethodGet, bu.String(), nil)
		}
		if err != nil {
			return errors.New("the sandbox's browser: a malformed address")
		}
		// MSAL's listener: plain HTTP on the loopback, never through a proxy.
		local := &http.Client{Timeout: 30 * time.Second,
			Transport:     &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		ans, err = browse(local, req)
		if err == nil && ans.Code >= 400 {
			err = errors.New(ans.Status)
		}
		if err != nil {
			return fmt.Errorf("the sign-in's listener on %s did not take the answer: %w", bu.Host, err)
		}
		return nil
	}
}

// page is what the simulated browser saw: a status, a redirect's
// Location, the page's first form.
type page struct {
	Code     int
	Status   string
	Location string
	Form     *form
}

type form struct {
	Action string
	Values url.Values
}

// browse sends req and reads the answer. Errors never carry the address's
// query.
func browse(c *http.Client, req *http.Request) (page, error) {
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole address, query included
		}
		return page{}, err
	}
	defer resp.Body.Close()
	p := page{Code: resp.StatusCode, Status: resp.Status}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		p.Location = resp.Header.Get("Location")
	case resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
		p.Form = firstForm(body)
	}
	return p, nil
}

// firstForm is the first POST form of an HTML page: its action and the
// values of its named inputs.
func firstForm(body []byte) *form {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	var f *form
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Form:
				if f != nil || !strings.EqualFold(attr(n, "method"), "post") {
					return
				}
				f = &form{Action: attr(n, "action"), Values: url.Values{}}
				in = true
			case atom.Input:
				if in && attr(n, "name") != "" {
					f.Values.Add(attr(n, "name"), attr(n, "value"))
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, in)
		}
	}
	walk(doc, false)
	return f
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, name) {
			return a.Val
		}
	}
	return ""
}

// hostOf is an address's scheme and host, without its path and query.
func hostOf(addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return "an address that is not a URL"
	}
	return u.Scheme + "://" + u.Host
}

// withBrowser runs fn, a call of the credential that may open the browser
// (asks), with the shims first on PATH when OpenURL replaces the browser.
// An error of OpenURL ends the sign-in at once (MSAL would otherwise wait
// for a redirect that never comes) and is the error returned.
func (c *SignInCredential) withBrowser(ctx context.Context, asks bool, fn func(context.Context) error) error {
	if !asks || c.cfg.Method != MethodBrowser || c.cfg.OpenURL == nil {
		return fn(ctx)
	}
	ctx2, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	shim, err := startShim(ctx2, c.cfg.OpenURL, cancel)
	if err != nil {
		return err
	}
	defer shim.stop()
	err = fn(ctx2)
	if err != nil && ctx.Err() == nil {
		if cause := context.Cause(ctx2); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
	}
	return err
}
