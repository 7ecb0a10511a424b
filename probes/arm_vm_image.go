package probes

import (
	"strings"

	"amlattach/azure"
)

// VMImage decides from ARM alone whether the VM runs Ubuntu: the marketplace
// image reference first, then the OS name the VM agent reports. It warns when
// neither tells (a custom image without a running agent); host.os settles it over SSH.
func VMImage(vm azure.VM) Result {
	img := strings.Trim(strings.Join([]string{vm.ImagePublisher, vm.ImageOffer, vm.ImageSKU}, ":"), ":")
	lowImg := strings.ToLower(img)
	osName := strings.TrimSpace(vm.OSName + " " + vm.OSVersion)
	fix := "Azure ML attaches only Ubuntu VMs: create one from an Ubuntu image (e.g. the Data Science Virtual Machine for Linux, microsoft-dsvm:ubuntu-2204:2204) and attach that"
	switch {
	case strings.EqualFold(vm.OSType, "Windows"):
		return failf(FieldResourceID, fix, "%s runs Windows (image %s)", vm.Name, orDash(img))
	case strings.Contains(lowImg, "ubuntu") || strings.EqualFold(vm.ImagePublisher, "Canonical"):
		return passf("image %s is Ubuntu", img)
	case strings.Contains(strings.ToLower(vm.OSName), "ubuntu"):
		return passf("the VM agent reports %s", osName)
	case img != "":
		return failf(FieldResourceID, fix, "image %s is not Ubuntu", img)
	case vm.OSName != "":
		return failf(FieldResourceID, fix, "the VM agent reports %s, not Ubuntu", osName)
	case vm.ImageID != "":
		return warnf("none needed if the image is Ubuntu; host.os checks /etc/os-release over SSH",
			"%s uses a custom image (%s) and its agent reports no OS name: cannot tell from Azure whether it is Ubuntu", vm.Name, lastSegment(vm.ImageID))
	default:
		return warnf("none needed if it is Ubuntu; host.os checks /etc/os-release over SSH",
			"%s has no image reference and no OS name in its instance view", vm.Name)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func lastSegment(id string) string {
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[i+1:]
	}
	return id
}
