// Package buildinfo says which build of amlattach is running. Release
// builds set the variables with the linker:
//
//	go build -ldflags "-X amlattach/internal/buildinfo.version=v1.2.3 -X amlattach/internal/buildinfo.commit=abc123 -X amlattach/internal/buildinfo.date=2026-11-29T00:00:00Z" ./cmd/amlattach
//
// Other builds fall back to what the Go toolchain recorded: the module
// version (go install …@v1.2.3) and the VCS revision and time.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

var (
	version = ""
	commit  = ""
	date    = ""
)

// Info is the build's identity.
type Info struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Date     string `json:"date"`
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// Get returns the linker's values, completed from the build information.
func Get() Info {
	return from(version, commit, date, readBuildInfo)
}

var readBuildInfo = debug.ReadBuildInfo

func from(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	in := Info{Version: v, Commit: c, Date: d, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if in.Date == "" {
					in.Date = s.Value
				}
			case "vcs.modified":
				in.Modified = s.Value == "true" && c == ""
			}
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	return in
}

// Short is the version with a 12-character commit, for headers.
func (i Info) Short() string {
	s := i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (" + c
		if i.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}
