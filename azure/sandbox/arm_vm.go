package sandbox

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

const vmType = "Microsoft.Compute/virtualMachines"

func (s *Server) listVMs(w http.ResponseWriter, r *http.Request, m *match) {
	expand := strings.EqualFold(r.URL.Query().Get("$expand"), "instanceView")
	count := func(g *ResourceGroup) int { return len(g.VirtualMachines) }
	build := func(g *ResourceGroup, from, to int) []any {
		out := make([]any, 0, to-from)
		for _, vm := range g.VirtualMachines[from:to] {
			out = append(out, s.vmJSON(s.vms[key(m.sub.ID, g.Name, vm.Name)], expand))
		}
		return out
	}
	s.writeListing(w, r, groupListing(m, count, build))
}

func (s *Server) vmEntry(w http.ResponseWriter, m *match) *vmEntry {
	e := s.vms[key(m.sub.ID, m.rg.Name, m.vars[0])]
	if e == nil {
		notFound(w, vmType, m.vars[0], m.rg.Name)
	}
	return e
}

func (s *Server) getVM(w http.ResponseWriter, r *http.Request, m *match) {
	e := s.vmEntry(w, m)
	if e == nil {
		return
	}
	expand := r.URL.Query().Get("$expand")
	if expand != "" && !strings.EqualFold(expand, "instanceView") && !strings.EqualFold(expand, "userData") && !strings.EqualFold(expand, "resiliencyView") {
		armError(w, http.StatusBadRequest, "InvalidParameter",
			"The value '"+expand+"' of parameter '$expand' is not allowed. Allowed values are 'instanceView', 'userData', 'resiliencyView'.")
		return
	}
	writeJSON(w, http.StatusOK, s.vmJSON(e, strings.EqualFold(expand, "instanceView")))
}

func (s *Server) getInstanceView(w http.ResponseWriter, _ *http.Request, m *match) {
	if e := s.vmEntry(w, m); e != nil {
		writeJSON(w, http.StatusOK, s.instanceView(e))
	}
}

// The body of a VM as Resource Manager sends it. The fields are declared in
// the order of their JSON names, the order a map's keys would take, and
// typed rather than maps: a page of a thousand VMs encodes several times
// faster.
type (
	vmBody struct {
		ID         string   `json:"id"`
		Location   string   `json:"location"`
		Name       string   `json:"name"`
		Properties vmProps  `json:"properties"`
		Tags       struct{} `json:"tags"`
		Type       string   `json:"type"`
	}
	vmProps struct {
		HardwareProfile struct {
			VMSize string `json:"vmSize"`
		} `json:"hardwareProfile"`
		InstanceView      map[string]any   `json:"instanceView,omitempty"`
		NetworkProfile    vmNetworkProfile `json:"networkProfile"`
		OSProfile         vmOSProfile      `json:"osProfile"`
		ProvisioningState string           `json:"provisioningState"`
		StorageProfile    vmStorageProfile `json:"storageProfile"`
		TimeCreated       string           `json:"timeCreated"`
		VMID              string           `json:"vmId"`
	}
	vmNetworkProfile struct {
		NetworkInterfaces []vmNICRef `json:"networkInterfaces"`
	}
	vmNICRef struct {
		ID         string         `json:"id"`
		Properties *vmNICRefProps `json:"properties,omitempty"`
	}
	vmNICRefProps struct {
		DeleteOption string `json:"deleteOption"`
		Primary      bool   `json:"primary"`
	}
	vmOSProfile struct {
		AdminUsername            string                `json:"adminUsername"`
		AllowExtensionOperations bool                  `json:"allowExtensionOperations"`
		ComputerName             string                `json:"computerName"`
		LinuxConfiguration       *vmLinuxConfiguration `json:"linuxConfiguration,omitempty"`
		Secrets                  []struct{}            `json:"secrets"`
		WindowsConfiguration     *vmWindowsConfig      `json:"windowsConfiguration,omitempty"`
	}
	vmPatchSettings struct {
		AssessmentMode string `json:"assessmentMode"`
		PatchMode      string `json:"patchMode"`
	}
	vmLinuxConfiguration struct {
		DisablePasswordAuthentication bool            `json:"disablePasswordAuthentication"`
		PatchSettings                 vmPatchSettings `json:"patchSettings"`
		ProvisionVMAgent              bool            `json:"provisionVMAgent"`
	}
	vmWindowsConfig struct {
		EnableAutomaticUpdates bool            `json:"enableAutomaticUpdates"`
		PatchSettings          vmPatchSettings `json:"patchSettings"`
		ProvisionVMAgent       bool            `json:"provisionVMAgent"`
	}
	vmStorageProfile struct {
		DataDisks      []struct{}     `json:"dataDisks"`
		ImageReference map[string]any `json:"imageReference"`
		OSDisk         struct {
			Caching      string `json:"caching"`
			CreateOption string `json:"createOption"`
			DeleteOption string `json:"deleteOption"`
			DiskSizeGB   int    `json:"diskSizeGB"`
			ManagedDisk  struct {
				ID                 string `json:"id"`
				StorageAccountType string `json:"storageAccountType"`
			} `json:"managedDisk"`
			Name   string `json:"name"`
			OSType string `json:"osType"`
		} `json:"osDisk"`
	}
)

func (s *Server) vmJSON(e *vmEntry, expand bool) *vmBody {
	vm := e.vm
	id := e.id()
	var image map[string]any
	if vm.Image.ID != "" {
		image = map[string]any{imageIDKey(vm.Image.ID): vm.Image.ID}
	} else {
		image = map[string]any{
			"publisher": vm.Image.Publisher, "offer": vm.Image.Offer, "sku": vm.Image.SKU, "version": vm.Image.Version,
		}
		if vm.Image.Version == "latest" {
			image["exactVersion"] = "20240110.0.0"
		} else {
			image["exactVersion"] = vm.Image.Version
		}
	}
	b := &vmBody{ID: id, Location: vm.Location, Name: vm.Name, Type: vmType}
	p := &b.Properties
	p.VMID = stableUUID(id)
	p.HardwareProfile.VMSize = vm.Size

	disk := vm.Name + "_OsDisk_1_" + strings.ReplaceAll(stableUUID(id+"disk"), "-", "")
	sp := &p.StorageProfile
	sp.ImageReference, sp.DataDisks = image, []struct{}{}
	sp.OSDisk.OSType, sp.OSDisk.Name, sp.OSDisk.CreateOption, sp.OSDisk.Caching = osType(vm), disk, "FromImage", "ReadWrite"
	sp.OSDisk.DeleteOption, sp.OSDisk.DiskSizeGB = "Delete", 128
	sp.OSDisk.ManagedDisk.StorageAccountType = "Premium_LRS"
	sp.OSDisk.ManagedDisk.ID = rgPrefix(e.sub, e.rg) + "/providers/Microsoft.Compute/disks/" + disk

	op := &p.OSProfile
	op.ComputerName, op.AdminUsername = vm.Name, vm.AdminUsername
	if osType(vm) == "Windows" {
		op.WindowsConfiguration = &vmWindowsConfig{ProvisionVMAgent: true, EnableAutomaticUpdates: true,
			PatchSettings: vmPatchSettings{PatchMode: "AutomaticByOS", AssessmentMode: "ImageDefault"}}
	} else {
		op.LinuxConfiguration = &vmLinuxConfiguration{DisablePasswordAuthentication: passwordAuthDisabled(vm), ProvisionVMAgent: true,
			PatchSettings: vmPatchSettings{PatchMode: "ImageDefault", AssessmentMode: "ImageDefault"}}
	}
	op.Secrets, op.AllowExtensionOperations = []struct{}{}, true

	// Azure leaves out the properties of a VM's only NIC reference; the
	// lenient sandbox marks it primary.
	nic := vmNICRef{ID: nicID(e)}
	if s.world.Faults.Lenient.PrimaryNIC {
		nic.Properties = &vmNICRefProps{Primary: true, DeleteOption: "Detach"}
	}
	p.NetworkProfile.NetworkInterfaces = []vmNICRef{nic}

	p.ProvisioningState = "Succeeded"
	p.TimeCreated = s.started.Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
	if expand {
		p.InstanceView = s.instanceView(e)
	}
	return b
}

// osType is the OS disk's osType (set by the world's validation; Linux for
// VMs made in code).
func osType(vm *VM) string {
	if vm.OSType == "" {
		return "Linux"
	}
	return vm.OSType
}

func (s *Server) instanceView(e *vmEntry) map[string]any {
	vm := e.vm
	t := s.started.Add(-2 * time.Hour).UTC().Format(time.RFC3339Nano)
	statuses := []any{
		map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "time": t},
	}
	if !vm.HidePowerState {
		statuses = append(statuses, map[string]any{"code": "PowerState/" + e.powerState(), "level": "Info", "displayStatus": "VM " + e.powerState()})
	}
	iv := map[string]any{
		"computerName":     vm.Name,
		"hyperVGeneration": "V2",
		"statuses":         statuses,
	}
	if e.powerState() == "running" {
		// The VM agent reports the OS only while the VM runs.
		name, version := vmOS(vm)
		if name != "" {
			iv["osName"], iv["osVersion"] = name, version
		}
		iv["vmAgent"] = s.vmAgentView(e)
	}
	if exts := s.extensionViews(e); len(exts) > 0 {
		iv["extensions"] = exts
	}
	return iv
}

var (
	twoPartVersionRE = regexp.MustCompile(`(\d{2})[_.-]?(\d{2})`)
	dottedVersionRE  = regexp.MustCompile(`(\d+)[_.](\d+)`)
	majorRE          = regexp.MustCompile(`(\d+)`)
)

// vmOS is what the VM agent would report as osName and osVersion: from the
// simulated host when there is one, else guessed from the image.
func vmOS(vm *VM) (string, string) {
	if vm.SSH.Sim != nil {
		return splitOS(vm.SSH.Sim.OS)
	}
	im := vm.Image
	if osType(vm) == "Windows" {
		return windowsOS(im)
	}
	text := strings.ToLower(im.Publisher + " " + im.Offer + " " + im.SKU)
	switch {
	case strings.Contains(text, "ubuntu") || strings.EqualFold(im.Publisher, "Canonical"):
		for _, s := range []string{im.SKU, im.Offer} {
			if m := twoPartVersionRE.FindStringSubmatch(s); m != nil {
				return "ubuntu", m[1] + "." + m[2]
			}
		}
		return "ubuntu", ""
	case strings.Contains(text, "centos"), strings.Contains(text, "rhel"), strings.Contains(text, "almalinux"), strings.Contains(text, "rocky"):
		name := "centos"
		for _, n := range []string{"rhel", "almalinux", "rocky"} {
			if strings.Contains(text, n) {
				name = n
			}
		}
		if m := dottedVersionRE.FindStringSubmatch(im.SKU); m != nil {
			return name, m[1] + "." + m[2]
		}
		return name, ""
	case strings.Contains(text, "debian"):
		if m := majorRE.FindStringSubmatch(im.SKU); m != nil {
			return "debian", m[1]
		}
		return "debian", ""
	}
	return "", ""
}

// windowsBuilds are the builds of the Windows Server releases, by year.
var windowsBuilds = map[string]string{"2016": "10.0.14393", "2019": "10.0.17763", "2022": "10.0.20348", "2025": "10.0.26100"}

// windowsOS is what the VM agent of a Windows VM reports: the release from
// the image's SKU (2022 when it does not say, as for a gallery image).
func windowsOS(im Image) (string, string) {
	year := "2022"
	for y := range windowsBuilds {
		if strings.Contains(im.SKU, y) {
			year = y
		}
	}
	return "Windows Server " + year + " Datacenter", windowsBuilds[year]
}
