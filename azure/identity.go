package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// SignedInAs names who the credential signs in as, read from the claims of
// a Resource Manager token: the user's sign-in name, or the application ID
// of a service principal or managed identity. It is "" when the token holds
// no readable claims (the sandbox's). The token itself is never returned.
func (c *Client) SignedInAs(ctx context.Context) (string, error) {
	aud := "https://management.core.windows.net/"
	if s, ok := c.opts.Cloud.Services[cloud.ResourceManager]; ok && s.Audience != "" {
		aud = s.Audience
	}
	// The very request Resource Manager's bearer policy makes (its scope,
	// with CAE), so that a kept sign-in answers from its cache: azidentity
	// keeps CAE and other tokens apart, and a token of another scope would
	// make an interactive credential ask the user again.
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{aud + "/.default"}, EnableCAE: true})
	if err != nil {
		return "", err
	}
	parts := strings.Split(tok.Token, ".")
	if len(parts) != 3 {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", nil
	}
	var claims map[string]any
	if json.Unmarshal(raw, &claims) != nil {
		return "", nil
	}
	for _, k := range []string{"upn", "preferred_username", "unique_name", "email"} {
		if s, _ := claims[k].(string); s != "" {
			return s, nil
		}
	}
	if s, _ := claims["appid"].(string); s != "" {
		return "application " + s, nil
	}
	if s, _ := claims["oid"].(string); s != "" {
		return "object " + s, nil
	}
	return "", nil
}
