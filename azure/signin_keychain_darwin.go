//go:build darwin && cgo

package azure

import (
	"context"

	"github.com/AzureAD/microsoft-authentication-extensions-for-go/cache/accessor"
)

// forgetCacheKey deletes the cache's keychain items (azidentity/cache
// keeps the data there on macOS, account MSALCache).
func forgetCacheKey(name string) {
	for _, n := range []string{name, name + ".cae"} {
		if s, err := accessor.New(n, accessor.WithAccount("MSALCache")); err == nil {
			_ = s.Delete(context.Background())
		}
	}
}
