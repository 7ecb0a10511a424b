package main

import "testing"

// After a reattach fails halfway, the command that finishes it repeats the
// command line without --replace, --force and --yes, each argument quoted
// so that a shell reads it back as it was given.
func TestReattachRetryCommandQuotesForTheShell(t *testing.T) {
	a := &app{args: []string{"attach", "vm", "--name", "doomed", "--replace", "--yes", "--world", "my world.yaml",
		"--username", "o'neil", "--password-file", "pw\nfile", "--known-hosts=", "--force"}}
	want := `amlattach attach vm --name doomed --world 'my world.yaml' --username "o'neil" --password-file $'pw\nfile' '--known-hosts='`
	if got := a.retryCommand(); got != want {
		t.Fatalf("retry command\n%s\nwant\n%s", got, want)
	}
}
