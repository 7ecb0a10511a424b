//go:build !linux && !windows && !(darwin && cgo)

package azure

// forgetCacheKey: this build keeps no tokens, so there is nothing to forget.
func forgetCacheKey(string) {}
