package ui

import "testing"

// Goldens of the fix loop through the real program loop: the preflight
// offering vm.start (the fix under the probe, f in the help), the fix
// screen before anything is sent, and the preflight after the fix.
func TestGoldenFixOffered(t *testing.T) {
	s := startSession(t, testOptions(stoppedFake()), 80, 24)
	s.toPreflight("f fix: vm.start")
	s.golden()
}

func TestGoldenFixScreen(t *testing.T) {
	s := startSession(t, testOptions(stoppedFake()), 80, 24)
	s.toPreflight("f fix: vm.start")
	s.key("f")
	s.wait("Nothing has been sent yet.")
	s.golden()
}

func TestGoldenFixApplied(t *testing.T) {
	s := startSession(t, testOptions(stoppedFake()), 80, 24)
	s.toPreflight("f fix: vm.start")
	s.key("f")
	s.wait("Nothing has been sent yet.")
	s.key("enter")
	s.wait("Ready to attach")
	s.golden()
}
