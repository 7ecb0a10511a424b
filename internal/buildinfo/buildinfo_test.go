package buildinfo

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestLinkerValuesWin(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.0.9"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ffff"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	got := from("v1.2.3", "abc", "2026-11-29T00:00:00Z", read)
	if got.Version != "v1.2.3" || got.Commit != "abc" || got.Date != "2026-11-29T00:00:00Z" || got.Modified {
		t.Fatalf("%+v", got)
	}
}

func TestBuildInfoFallback(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-28T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	got := from("", "", "", read)
	if got.Version != "dev" || got.Commit != "0123456789abcdef0123" || got.Date != "2026-11-28T10:00:00Z" || !got.Modified {
		t.Fatalf("%+v", got)
	}
	if got.Short() != "dev (0123456789ab, modified)" {
		t.Fatalf("short %q", got.Short())
	}
	got = from("", "", "", func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v2.0.0"}}, true
	})
	if got.Version != "v2.0.0" {
		t.Fatalf("go install …@v2.0.0 should report v2.0.0: %+v", got)
	}
}

// The -X flags with the full package path reach the variables.
func TestLdflagsReachTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "amlattach")
	const pkg = "amlattach/internal/buildinfo"
	cmd := exec.Command("go", "build", "-o", bin, "-ldflags", "-X "+pkg+".version=v9.8.7 -X "+pkg+".commit=cafe -X "+pkg+".date=2026-01-02T03:04:05Z", "amlattach/cmd/amlattach")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v9.8.7") || !strings.Contains(string(out), "cafe") || !strings.Contains(string(out), "2026-01-02T03:04:05Z") {
		t.Fatalf("version: %v\n%s", err, out)
	}
}
