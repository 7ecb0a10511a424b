//go:build !linux && !windows

package azure

import (
	"os"
	"path/filepath"
)

// cacheFiles are the lock files azidentity/cache keeps in
// ~/.IdentityService on macOS (the data is in the keychain, see
// forgetCacheKey).
func cacheFiles(name string) []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return identityServiceFiles(filepath.Join(home, ".IdentityService"), name)
}

func noCacheReason(err error) string { return "the keychain cannot be used (" + err.Error() + ")" }
