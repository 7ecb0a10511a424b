//go:build linux || windows || (darwin && cgo)

package azure

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity/cache"
)

// openTokenCache opens the SDK's persistent token cache called name. When
// the system gives it no safe place (on Linux: no user keyring the process
// may use, or a cache folder it cannot write), it returns the zero cache
// (tokens in memory for this run only), CacheRecordOnly and a one-line
// notice saying so. It never falls back to a plain-text file.
func openTokenCache(name string) (azidentity.Cache, string, string) {
	c, err := cache.New(&cache.Options{Name: name})
	if err != nil {
		return azidentity.Cache{}, CacheRecordOnly, "the sign-in is kept for this run only: " + noCacheReason(err) + "; the next run asks again (amlattach writes no tokens in plain text)"
	}
	return c, CachePersistent, ""
}
