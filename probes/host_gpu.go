package probes

import (
	"context"
	"fmt"
	"strings"
)

const gpuQueryCmd = "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader"

// HostGPU reports what nvidia-smi says. It is information: pass with the GPUs,
// skip when there is no NVIDIA driver, warn when the driver is broken.
func HostGPU(ctx context.Context, r Runner) Result {
	res, err := r.Run(ctx, gpuQueryCmd)
	if err != nil {
		return runFail("nvidia-smi", err)
	}
	out := strings.TrimSpace(res.Stdout)
	switch {
	case res.Code == 0 && out != "":
		var gpus []string
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, ",")
			for i := range f {
				f[i] = strings.TrimSpace(f[i])
			}
			if len(f) >= 3 {
				gpus = append(gpus, fmt.Sprintf("%s (driver %s, %s)", f[0], f[1], f[2]))
			} else {
				gpus = append(gpus, strings.TrimSpace(line))
			}
		}
		return passf("%d GPU(s): %s", len(gpus), strings.Join(gpus, "; "))
	case res.Code == 127 || strings.Contains(res.Stderr, "not found"):
		return Skipped("no NVIDIA driver (nvidia-smi not found): jobs will run on CPU")
	}
	return warnf("reinstall the NVIDIA driver (on Ubuntu: sudo ubuntu-drivers install) and reboot",
		"nvidia-smi is present but failed (exit %d): %s", res.Code, firstLine(res.Stderr+res.Stdout))
}
