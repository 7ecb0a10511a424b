package probes

import (
	"context"
	"errors"
	"testing"
)

func TestLocalPython(t *testing.T) {
	type prog struct {
		path, out string
		err       error
	}
	cases := []struct {
		name   string
		progs  map[string]prog
		status Status
		detail []string
	}{
		{"python3 and conda", map[string]prog{
			"python3": {"/usr/bin/python3", "Python 3.11.4", nil},
			"conda":   {"/opt/conda/bin/conda", "conda 23.7.4", nil},
		}, Pass, parts("python3 3.11.4 (/usr/bin/python3)", "conda 23.7.4 (/opt/conda/bin/conda)")},
		{"python only", map[string]prog{"python": {"/usr/bin/python", "Python 3.9.2", nil}}, Pass, parts("python 3.9.2", "!conda", "!3.8 or later")},
		{"old python", map[string]prog{"python": {"/usr/bin/python", "Python 2.7.18", nil}}, Pass, parts("python 2.7.18", "3.8 or later")},
		{"old python and a new python3", map[string]prog{
			"python3": {"/usr/bin/python3", "Python 3.12.1", nil},
			"python":  {"/usr/bin/python", "Python 2.7.18", nil},
		}, Pass, parts("python3 3.12.1", "!2.7.18")},
		{"conda only", map[string]prog{"conda": {"/c/conda", "conda 24.1.0", nil}}, Pass, parts("conda 24.1.0")},
		{"version fails", map[string]prog{"python3": {"/usr/bin/python3", "", errors.New("exit status 9009")}}, Pass, parts("--version failed: exit status 9009")},
		{"nothing", nil, Skip, parts("none is needed to attach anything", "3.8 or later")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			look := func(name string) (string, error) {
				if p, ok := c.progs[name]; ok {
					return p.path, nil
				}
				return "", errors.New("executable file not found in $PATH")
			}
			run := func(_ context.Context, name string, args ...string) (string, error) {
				for _, p := range c.progs {
					if p.path == name {
						return p.out, p.err
					}
				}
				t.Fatalf("ran %s, which was not found", name)
				return "", nil
			}
			r := LocalPython(context.Background(), look, run)
			want(t, r, c.status, c.detail, nil)
		})
	}
}
