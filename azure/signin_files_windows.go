package azure

import (
	"path/filepath"

	"golang.org/x/sys/windows"
)

// cacheFiles are the files of the persistent token cache called name, as
// azidentity/cache lays them out on Windows: DPAPI-encrypted data under
// %LOCALAPPDATA%\.IdentityService, with lock files beside.
func cacheFiles(name string) []string {
	dir, err := windows.KnownFolderPath(windows.FOLDERID_LocalAppData, 0)
	if err != nil {
		return nil
	}
	return identityServiceFiles(filepath.Join(dir, ".IdentityService"), name)
}

func forgetCacheKey(string) {}

func noCacheReason(err error) string { return "the token cache cannot be used (" + err.Error() + ")" }
