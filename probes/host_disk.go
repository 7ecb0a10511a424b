package probes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Disk thresholds: Azure ML builds Docker images for jobs, several GB each.
const (
	DiskFailGB = 5
	DiskWarnGB = 20
)

// HostDisk reports the free space in the user's home folder (df -Pk .).
func HostDisk(ctx context.Context, r Runner) Result {
	res, err := r.Run(ctx, "df -Pk .")
	if err != nil {
		return runFail("df -Pk .", err)
	}
	kb, mount, perr := parseDF(res.Stdout)
	if res.Code != 0 || perr != nil {
		return warnf("check the disk on the VM with df -h", "could not read free space (exit %d): %s", res.Code, orDash(firstLine(res.Stderr+res.Stdout)))
	}
	gb := float64(kb) / (1 << 20)
	free := fmt.Sprintf("%.1f GB free on %s", gb, mount)
	fix := "free space (docker system prune) or grow the OS disk: az vm deallocate, az disk update --size-gb <n>, az vm start"
	switch {
	case gb < DiskFailGB:
		return failf(FieldNone, fix, "%s: job images need more than %d GB", free, DiskFailGB)
	case gb < DiskWarnGB:
		return warnf(fix, "%s: below %d GB, large job images may not fit", free, DiskWarnGB)
	}
	return passf("%s", free)
}

// parseDF reads POSIX df output: the available 1K-blocks of the last line.
func parseDF(s string) (int64, string, error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) < 2 {
		return 0, "", fmt.Errorf("no data line")
	}
	// A long device name may wrap onto its own line; join the rest.
	f := strings.Fields(strings.Join(lines[1:], " "))
	if len(f) < 6 {
		return 0, "", fmt.Errorf("short data line")
	}
	n, err := strconv.ParseInt(f[len(f)-3], 10, 64)
	return n, f[len(f)-1], err
}
