//go:build !(linux || windows || (darwin && cgo))

package azure

import (
	"runtime"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// openTokenCache: this build has no persistent token cache (on macOS the
// SDK's cache needs the keychain, hence cgo, and this build has none). The
// authentication record alone is kept: the next run asks again, for the
// same account and tenant.
func openTokenCache(string) (azidentity.Cache, string, string) {
	why := "this build of amlattach has no token cache for " + runtime.GOOS
	if runtime.GOOS == "darwin" {
		why = "this build of amlattach for macOS was made without cgo, so it cannot use the keychain"
	}
	return azidentity.Cache{}, CacheRecordOnly, "the sign-in is kept for this run only: " + why + "; the next run asks again"
}
