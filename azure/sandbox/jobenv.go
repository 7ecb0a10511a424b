package sandbox

import (
	"regexp"
	"strings"
)

// Environment is a job environment the sandbox knows (world key
// environments[]): its ID as a job names it, and the Docker image a job on
// it runs. On a real SSH host (ssh.address) the image must be there
// already, as nothing can be pulled here (tests build one with docker
// import); on a simulated host any name is pulled and run.
type Environment struct {
	ID    string `yaml:"id" required:"true"`
	Image string `yaml:"image" required:"true"`
	Line  int    `yaml:"-"`
}

// curatedEnvRE matches the azureml registry's curated environments at a
// label or a version, as the Azure ML tutorials submit them.
var curatedEnvRE = regexp.MustCompile(`^azureml://registries/azureml/environments/([A-Za-z0-9._-]+)/(labels/latest|versions/[0-9]+)$`)

// curatedEnvs are the azureml registry environments the sandbox knows
// without a world entry (a small, common subset of the real list).
var curatedEnvs = []string{
	"sklearn-1.5", "sklearn-1.1", "lightgbm-3.3", "tensorflow-2.16-cuda12", "acpt-pytorch-2.2-cuda12.1",
	"minimal-ubuntu22.04-py39-cpu-inference",
}

// environment resolves an environment ID: a world entry first (exact
// match), then a curated environment of the azureml registry, whose image
// is its name in the curated repository. ok is false for an ID the
// workspace cannot find.
func (s *Server) environment(id string) (Environment, bool) {
	for _, e := range s.world.Environments {
		if e.ID == id {
			return e, true
		}
	}
	if m := curatedEnvRE.FindStringSubmatch(id); m != nil {
		for _, name := range curatedEnvs {
			if name == m[1] {
				tag := "latest"
				if v, ok := strings.CutPrefix(m[2], "versions/"); ok {
					tag = v
				}
				return Environment{ID: id, Image: "mcr.microsoft.com/azureml/curated/" + name + ":" + tag}, true
			}
		}
	}
	return Environment{}, false
}
