package probes

import (
	"fmt"
	"strings"
)

// ACIProvider judges the Microsoft.ContainerInstance registration state of
// the workspace's subscription; err is the read's failure.
func ACIProvider(subscriptionID, state string, err error) Result {
	if err != nil {
		return readFail("the Microsoft.ContainerInstance provider", err)
	}
	fix := fmt.Sprintf("register it (needs Contributor on the subscription): az provider register --namespace Microsoft.ContainerInstance --subscription %s", subscriptionID)
	switch strings.ToLower(state) {
	case "registered":
		return passf("Microsoft.ContainerInstance is registered in subscription %s: deployments can create container instances", subscriptionID)
	case "registering":
		return warnf("wait a few minutes: az provider show --namespace Microsoft.ContainerInstance --query registrationState", "Microsoft.ContainerInstance is still registering in subscription %s", subscriptionID)
	}
	return failf(FieldNone, fix, "Microsoft.ContainerInstance is %s in subscription %s: a deployment to ACI would fail", orDash(state), subscriptionID)
}
