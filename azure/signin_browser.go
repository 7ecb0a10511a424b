package azure

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// newBrowserCredential is azidentity's interactive browser credential.
func newBrowserCredential(cfg SignInConfig, co azcore.ClientOptions, tenant string, tc azidentity.Cache, record azidentity.AuthenticationRecord, discoveryOff bool) (*azidentity.InteractiveBrowserCredential, error) {
	return azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
		ClientOptions: co, TenantID: tenant, Cache: tc, AuthenticationRecord: record,
		DisableInstanceDiscovery: discoveryOff, DisableAutomaticAuthentication: !cfg.Interactive,
		AdditionallyAllowedTenants: []string{"*"}, // for SwitchTenant
	})
}
