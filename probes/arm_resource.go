package probes

import (
	"errors"
	"fmt"

	"amlattach/azure"
)

// ArmResource reports the outcome of reading the target resource: err is what
// parsing the ID or the GET returned (nil when the resource was found).
func ArmResource(id string, kind string, err error) Result {
	if err == nil {
		return passf("found %s", id)
	}
	var ie *azure.IDError
	if errors.As(err, &ie) {
		return failf(FieldResourceID, "give the full ID, e.g. /subscriptions/<id>/resourceGroups/<group>/providers/"+kind+"/<name> (az resource show -g <group> -n <name> --resource-type "+kind+" --query id -o tsv)", "%s", ie.Error())
	}
	if azure.IsNotFound(err) {
		ae, _ := azure.AsAzureError(err)
		return failf(FieldResourceID, "check the subscription, resource group and name in the ID (az resource list --resource-type "+kind+" -o table)",
			"Azure says %s: %s", ae.Code, ae.Message)
	}
	if ae, ok := azure.AsAzureError(err); ok {
		rem := "check that you may read the resource (Reader role at least) and try again"
		if ae.Status == 403 {
			rem = "ask for the Reader role (or higher) on the resource or its resource group"
		}
		return failf(FieldResourceID, rem, "Azure refused to read %s (HTTP %d %s): %s", id, ae.Status, ae.Code, ae.Message)
	}
	return failf(FieldNone, "check your network connection and try again", "could not read %s: %v", id, err)
}

// VMRunning checks the VM's power state from its instance view.
func VMRunning(vm azure.VM) Result {
	switch vm.PowerState {
	case "running":
		return passf("%s is running", vm.Name)
	case "":
		return warnf("check the VM in the portal; az vm get-instance-view -g <group> -n "+vm.Name,
			"the instance view of %s has no power state", vm.Name)
	case "starting":
		return warnf("wait until it is running, then run the preflight again", "%s is starting: SSH may not answer yet", vm.Name)
	case "stopping", "deallocating":
		return failf(FieldNone, fmt.Sprintf("wait until it has stopped, then start it: az vm start --ids %s", vm.ID),
			"%s is %s: Azure ML can only attach a running VM", vm.Name, vm.PowerState)
	default:
		return failf(FieldNone, fmt.Sprintf("start it: az vm start --ids %s", vm.ID), "%s is %s: Azure ML can only attach a running VM", vm.Name, vm.PowerState)
	}
}
