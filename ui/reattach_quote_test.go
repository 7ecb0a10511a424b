package ui

import (
	"reflect"
	"testing"

	"amlattach/flows"
)

// The retry command a reattach prints is pasted into a shell: each value is
// one word there, whatever it holds.
func TestReattachRetryArgsQuoteForTheShell(t *testing.T) {
	got := formRetryArgs("vm", map[string]string{"username": "o'neil", "ssh-port": "2222", "login": flows.LoginKeyFile, "ssh-key": "/home/me/my\tkey"})
	want := []string{"--ssh-port", "2222", "--username", `"o'neil"`, "--ssh-key", `$'/home/me/my\tkey'`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("vm retry args %q, want %q", got, want)
	}
	got = formRetryArgs("vm", map[string]string{"username": "azureuser", "ssh-port": "22", "login": flows.LoginPassword, "password": "typed"})
	if want := []string{"--ssh-port", "22", "--username", "azureuser", "--password-file", "PASSWORD-FILE"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("plain values are left as they are, the secret as a file to give: %q, want %q", got, want)
	}
}
