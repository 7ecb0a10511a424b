package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amlattach/azure/sandbox"
	"amlattach/internal/sandboxtest"
)

const sub = "00000000-0000-0000-0000-0000000000aa"

// testWorld has everything the ARM and SSH tests need.
const testWorld = `
subscriptions:
  - id: 00000000-0000-0000-0000-0000000000aa
    name: Test Sub
    resourceGroups:
      - name: rg
        location: westeurope
        workspaces:
          - name: ws
            computes:
              - {name: c1, resourceId: /subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/good,
                 properties: {address: 20.0.0.1, sshPort: 22, administratorAccount: {username: azureuser, password: "s3cret-One"}}}
              - {name: c2, provisioningState: Failed, provisioningErrors: [{code: InternalServerError, message: boom}]}
              - {name: c3}
              - {name: c4}
              - {name: c5, type: HDInsight, properties: {administratorAccount: {username: admin, privateKeyData: "PRIVATE-KEY-XYZ"}}}
          - name: other-ws
        virtualMachines:
          - name: good
            image: {publisher: microsoft-dsvm, offer: ubuntu-2004, sku: 2004-gen2}
            publicIP: 20.0.0.1
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            ssh:
              sim:
                os: ubuntu 20.04
                docker: 24.0.7
                dockerDaemon: true
                freeDiskGB: 80
                users:
                  azureuser: {password: "Passw0rd!"}
          - name: sudoonly
            publicIP: 20.0.0.2
            ssh:
              sim: {os: ubuntu 22.04, docker: 24.0.5, dockerDaemon: true, dockerSudoOnly: true,
                    gpu: "Tesla T4, 535.104.05, 15360 MiB", freeDiskGB: 7, users: {azureuser: {password: pw}}}
          - name: nodaemon
            publicIP: 20.0.0.3
            subnetNsgRules: []
            ssh:
              sim: {os: debian 12, docker: 20.10.5, users: {azureuser: {password: pw}}}
          - name: nodocker
            publicIP: 20.0.0.4
            ssh:
              sim: {os: centos 7, sudoNeedsPassword: true, users: {azureuser: {password: pw}}}
          - name: closed
            publicIP: 20.0.0.5
            nsgRules: []
          - name: subnetblocked
            publicIP: 20.0.0.6
            subnetNsgRules:
              - {name: DenyAML, priority: 200, access: Deny, source: AzureMachineLearning, protocol: "*", ports: "*"}
          - name: stopped
            powerState: deallocated
            publicIP: 20.0.0.7
            ssh:
              sim: {users: {azureuser: {password: pw}}}
          - name: private
          - name: custom
            image: {id: /subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.Compute/images/golden}
            publicIP: 20.0.0.8
            nsgRules:
              - {name: Ports, priority: 100, access: Allow, source: "Internet", protocol: Tcp, ports: "2200-2300,22"}
faults:
  attachSeconds: 0.2
  detachSeconds: 0.1
  pageSize: 2
  attachError: {compute: doomed, code: QuotaExceeded, message: "No quota left."}
`

func startWorld(t *testing.T, yaml string) *sandbox.Server {
	t.Helper()
	srv := sandboxtest.Start(t, []byte(yaml), "test.yaml")
	return srv
}

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func clientOptions(srv *sandbox.Server) *arm.ClientOptions {
	return &arm.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud: cloud.Configuration{
				ActiveDirectoryAuthorityHost: srv.Endpoint(),
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
					cloud.ResourceManager: {Endpoint: srv.Endpoint(), Audience: "https://management.core.windows.net/"},
				},
			},
			Transport: srv.HTTPClient(),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
		DisableRPRegistration: true,
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}
