package sandbox

import (
	"fmt"
	"net"
	"sort"
	"strings"
)

// attachedTypes are the compute types that attach an existing resource (all
// but the ones Azure ML creates itself).
func isAttachedType(t string) bool {
	return t != "AmlCompute" && t != "ComputeInstance"
}

// validate checks what the decoder cannot see field by field, and fills the
// defaults that depend on other fields.
func (d *decoder) validate(w *World) {
	subs := map[string]int{}
	ips := map[string]string{}
	for si := range w.Subscriptions {
		s := &w.Subscriptions[si]
		key := strings.ToLower(s.ID)
		if l, dup := subs[key]; dup {
			d.errorf(s.Line, "duplicate subscription id %q (first at line %d)", s.ID, l)
		}
		subs[key] = s.Line
		if s.Name == "" {
			s.Name = s.ID
		}
		groups := map[string]int{}
		for gi := range s.ResourceGroups {
			g := &s.ResourceGroups[gi]
			if l, dup := groups[strings.ToLower(g.Name)]; dup {
				d.errorf(g.Line, "duplicate resource group %q in subscription %s (first at line %d)", g.Name, s.ID, l)
			}
			groups[strings.ToLower(g.Name)] = g.Line
			d.validateGroup(s, g, ips)
		}
	}
	d.validateTargets(w)
	f := &w.Faults
	if f.AttachError.Compute == "" && (f.AttachError.Code != "" || f.AttachError.Message != "") {
		d.errorf(0, "faults.attachError: give the compute name the error is for (compute: NAME)")
	}
	if f.AttachError.Compute != "" {
		if f.AttachError.Code == "" {
			f.AttachError.Code = "InternalServerError"
		}
		if f.AttachError.Message == "" {
			f.AttachError.Message = "The compute could not be attached (a fault set in the world file)."
		}
	}
}

func (d *decoder) validateGroup(s *Subscription, g *ResourceGroup, ips map[string]string) {
	names := map[string]int{}
	for wi := range g.Workspaces {
		ws := &g.Workspaces[wi]
		if l, dup := names[strings.ToLower(ws.Name)]; dup {
			d.errorf(ws.Line, "duplicate workspace %q in resource group %s (first at line %d)", ws.Name, g.Name, l)
		}
		names[strings.ToLower(ws.Name)] = ws.Line
		if ws.Location == "" {
			ws.Location = g.Location
		}
		if ws.FriendlyName == "" {
			ws.FriendlyName = ws.Name
		}
		computes := map[string]int{}
		for ci := range ws.Computes {
			c := &ws.Computes[ci]
			if l, dup := computes[strings.ToLower(c.Name)]; dup {
				d.errorf(c.Line, "duplicate compute %q in workspace %s (first at line %d)", c.Name, ws.Name, l)
			}
			computes[strings.ToLower(c.Name)] = c.Line
			if c.ResourceID != "" && !strings.HasPrefix(strings.ToLower(c.ResourceID), "/subscriptions/") {
				d.errorf(c.Line, "compute %q: resourceId %q is not an Azure resource ID (/subscriptions/.../providers/...)", c.Name, c.ResourceID)
			}
		}
	}
	vms := map[string]int{}
	for vi := range g.VirtualMachines {
		vm := &g.VirtualMachines[vi]
		if l, dup := vms[strings.ToLower(vm.Name)]; dup {
			d.errorf(vm.Line, "duplicate virtual machine %q in resource group %s (first at line %d)", vm.Name, g.Name, l)
		}
		vms[strings.ToLower(vm.Name)] = vm.Line
		if vm.Location == "" {
			vm.Location = g.Location
		}
		if vm.PublicIP != "" {
			ip := net.ParseIP(vm.PublicIP).String()
			if other, dup := ips[ip]; dup {
				d.errorf(vm.Line, "VM %q: publicIP %s is already the public IP of VM %s", vm.Name, vm.PublicIP, other)
			}
			ips[ip] = vm.Name
		}
		if vm.PrivateIP == "" {
			vm.PrivateIP = "10.0.0.4"
		}
		switch {
		case vm.PublicIPSku == "" && vm.PublicIPAllocation == "Dynamic":
			vm.PublicIPSku = "Basic"
		case vm.PublicIPSku == "":
			vm.PublicIPSku = "Standard"
		case vm.PublicIPSku == "Standard" && vm.PublicIPAllocation == "Dynamic":
			d.errorf(vm.Line, "VM %q: a Standard public IP is always Static; give publicIPSku: Basic for a Dynamic address", vm.Name)
		}
		d.validateImage(vm)
		d.validateRules(vm.Name, "nsgRules", vm.NSGRules)
		d.validateRules(vm.Name, "subnetNsgRules", vm.SubnetNSGRules)
		d.validateAdminRules(vm)
		if vm.SSH.Address != "" && vm.SSH.Sim != nil {
			d.errorf(vm.SSH.Line, "VM %q: ssh has both address and sim; give one", vm.Name)
		}
		d.validateSim(fmt.Sprintf("VM %q", vm.Name), vm.SSH.Sim)
		if vm.AdminUsername == "" {
			vm.AdminUsername = "azureuser"
			if sim := vm.SSH.Sim; sim != nil && len(sim.Users) > 0 {
				vm.AdminUsername = sortedUsers(sim)[0]
			}
		}
		if vm.DisablePasswordAuthentication == nil {
			off := false
			if sim := vm.SSH.Sim; sim != nil {
				off = true
				for _, u := range sim.Users {
					if u.Password != "" {
						off = false
					}
				}
			}
			vm.DisablePasswordAuthentication = &off
		}
	}
}

// validateSim checks a simulated host; owner names its VM or cluster.
func (d *decoder) validateSim(owner string, sim *Sim) {
	if sim == nil {
		return
	}
	if len(sim.Users) == 0 {
		d.errorf(sim.Line, "%s: ssh.sim needs at least one user (users: {azureuser: {password: ...}})", owner)
	}
	for _, name := range sortedUsers(sim) {
		u := sim.Users[name]
		if u.Password == "" && len(u.AuthorizedKeys) == 0 {
			d.errorf(u.Line, "%s: sim user %q needs a password or authorizedKeys", owner, name)
		}
	}
	if sim.Docker == "" && (sim.DockerDaemon || sim.DockerSudoOnly) {
		d.errorf(sim.Line, "%s: dockerDaemon/dockerSudoOnly need docker (the installed version, e.g. \"24.0.7\")", owner)
	}
}

func sortedUsers(sim *Sim) []string {
	out := make([]string, 0, len(sim.Users))
	for n := range sim.Users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (d *decoder) validateImage(vm *VM) {
	im := &vm.Image
	switch {
	case im.ID != "" && (im.Publisher != "" || im.Offer != "" || im.SKU != "" || im.Version != ""):
		d.errorf(im.Line, "VM %q: image has both id and publisher/offer/sku; give one", vm.Name)
	case im.ID != "":
		if imageIDKey(im.ID) == "" {
			d.errorf(im.Line, "VM %q: image id %q is not an image's Azure resource ID (/subscriptions/...), a shared gallery image (/SharedGalleries/...) or a community gallery image (/CommunityGalleries/...)", vm.Name, im.ID)
		}
	case im.Publisher == "" && im.Offer == "" && im.SKU == "":
		*im = defaultImage(vm.SSH.Sim)
	case im.Publisher == "" || im.Offer == "" || im.SKU == "":
		d.errorf(im.Line, "VM %q: image needs publisher, offer and sku (or id)", vm.Name)
	}
	if im.ID == "" && im.Version == "" {
		im.Version = "latest"
	}
	if vm.OSType == "" {
		vm.OSType = "Linux"
		if windowsImage(*im) {
			vm.OSType = "Windows"
		}
	}
	if vm.OSType == "Windows" && vm.SSH.Sim != nil {
		d.errorf(vm.SSH.Line, "VM %q: a Windows VM cannot have ssh.sim (simulated hosts run Linux); use ssh.address or leave ssh out", vm.Name)
	}
}

// imageIDKey is the imageReference key Azure uses for an image ID: id for
// an image or gallery image version, sharedGalleryImageId or
// communityGalleryImageId; "" when the ID is none of them.
func imageIDKey(id string) string {
	low := strings.ToLower(id)
	switch {
	case strings.HasPrefix(low, "/subscriptions/"):
		return "id"
	case strings.HasPrefix(low, "/sharedgalleries/"):
		return "sharedGalleryImageId"
	case strings.HasPrefix(low, "/communitygalleries/"):
		return "communityGalleryImageId"
	}
	return ""
}

// windowsImage says whether a marketplace image is Windows.
func windowsImage(im Image) bool {
	return strings.Contains(strings.ToLower(im.Publisher+" "+im.Offer), "windows")
}

// defaultImage picks a marketplace image that matches the sim's OS.
func defaultImage(sim *Sim) Image {
	distro, version := "ubuntu", "22.04"
	if sim != nil {
		distro, version = splitOS(sim.OS)
	}
	switch {
	case distro == "ubuntu" && version == "20.04":
		return Image{Publisher: "Canonical", Offer: "0001-com-ubuntu-server-focal", SKU: "20_04-lts-gen2"}
	case distro == "ubuntu" && version == "18.04":
		return Image{Publisher: "Canonical", Offer: "UbuntuServer", SKU: "18_04-lts-gen2"}
	case distro == "ubuntu" && version == "24.04":
		return Image{Publisher: "Canonical", Offer: "ubuntu-24_04-lts", SKU: "server"}
	case distro == "debian":
		v := strings.Split(version, ".")[0]
		return Image{Publisher: "Debian", Offer: "debian-" + v, SKU: v + "-gen2"}
	case distro == "centos":
		return Image{Publisher: "OpenLogic", Offer: "CentOS", SKU: strings.ReplaceAll(version, ".", "_")}
	case distro == "rhel":
		return Image{Publisher: "RedHat", Offer: "RHEL", SKU: strings.ReplaceAll(version, ".", "_") + "-gen2"}
	}
	return Image{Publisher: "Canonical", Offer: "0001-com-ubuntu-server-jammy", SKU: "22_04-lts-gen2"}
}

// splitOS splits "Ubuntu 20.04" into ("ubuntu", "20.04").
func splitOS(s string) (string, string) {
	f := strings.Fields(strings.ToLower(s))
	switch len(f) {
	case 0:
		return "ubuntu", "20.04"
	case 1:
		return f[0], ""
	}
	return f[0], f[1]
}

func (d *decoder) validateRules(vm, key string, rules *[]NSGRule) {
	if rules == nil {
		return
	}
	names := map[string]int{}
	prios := map[string]string{}
	for _, r := range *rules {
		if l, dup := names[strings.ToLower(r.Name)]; dup {
			d.errorf(r.Line, "VM %q: %s: duplicate rule name %q (first at line %d)", vm, key, r.Name, l)
		}
		names[strings.ToLower(r.Name)] = r.Line
		if r.Priority < 100 || r.Priority > 4096 {
			d.errorf(r.Line, "VM %q: %s: rule %q: priority %d is outside 100-4096", vm, key, r.Name, r.Priority)
		}
		pk := r.Direction + "/" + itoa(r.Priority)
		if other, dup := prios[pk]; dup {
			d.errorf(r.Line, "VM %q: %s: rules %q and %q have the same priority %d and direction", vm, key, other, r.Name, r.Priority)
		}
		prios[pk] = r.Name
	}
}
