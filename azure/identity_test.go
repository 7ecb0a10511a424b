package azure

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type tokenCred string

func (t tokenCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestSignedInAsReadsTheTokenClaims(t *testing.T) {
	jwt := func(claims string) tokenCred {
		enc := base64.RawURLEncoding.EncodeToString
		return tokenCred(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(claims)) + ".sig")
	}
	for cred, want := range map[tokenCred]string{
		jwt(`{"upn":"alice@contoso.com","appid":"x"}`): "alice@contoso.com",
		jwt(`{"appid":"1234"}`):                        "application 1234",
		tokenCred("sandbox"):                           "",
	} {
		got, err := New(cred, Options{}).SignedInAs(context.Background())
		if err != nil || got != want {
			t.Errorf("SignedInAs = %q, %v; want %q", got, err, want)
		}
	}
}
