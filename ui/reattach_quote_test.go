package ui

import (
	"reflect"
	"testing"

	"amlattach/flows"
)

// The retry command a reattach prints is pasted into a shell: each value is
// one word there, whatever it holds.
func TestReattachRetryArgsQuoteForTheShell(t *testing.T) {
	got := vmRetryArgs(flows.VMInput{Username: "o'neil", SSHPort: 2222, KeyFile: "/home/me/my key\n"})
	want := []string{"--username", `"o'neil"`, "--ssh-port", "2222", "--ssh-key", `$'/home/me/my key\n'`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("vm retry args %q, want %q", got, want)
	}
	got = vmRetryArgs(flows.VMInput{Username: "azureuser"})
	if want := []string{"--username", "azureuser", "--password-file", "PASSWORD-FILE"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("plain values are left as they are: %q, want %q", got, want)
	}
}
