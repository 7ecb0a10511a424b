package azure

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// cacheFiles are the files of the persistent token cache called name, as
// azidentity/cache lays them out on Linux: encrypted data under
// $XDG_CACHE_HOME (or ~/.cache)/.IdentityService, with lock files beside.
func cacheFiles(name string) []string {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(home, ".cache")
	}
	return identityServiceFiles(filepath.Join(dir, ".IdentityService"), name)
}

// forgetCacheKey invalidates the cache's encryption key in the user's
// keyring (a key of type "user" described by the cache's name), so that a
// copy of the encrypted file is of no use either. Best effort.
func forgetCacheKey(name string) {
	for _, n := range []string{name, name + ".cae"} {
		if id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", n, 0); err == nil {
			_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		}
	}
}

// noCacheReason says in a few words why the cache could not be opened.
func noCacheReason(err error) string {
	return "no usable user keyring or cache folder here (" + err.Error() + ")"
}
