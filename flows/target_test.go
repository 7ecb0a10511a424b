package flows

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"amlattach/azure"
	"amlattach/probes"
)

const testSub = "00000000-0000-0000-0000-000000000001"

func wantField(t *testing.T, err error, field string, msgPart string) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("want an input error on %s, got %v", field, err)
	}
	if fe.Kind != KindInput || fe.Field != field || !strings.Contains(fe.Msg, msgPart) || fe.Fix == "" {
		t.Fatalf("want input error on %s containing %q with a fix, got %+v", field, msgPart, fe)
	}
}

func TestWrongKindOfResourceIDNamesTheExpectedKind(t *testing.T) {
	vm := "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/dsvm"
	cases := []struct {
		typ  string
		plan func() (*Plan, error)
		want string
	}{
		{"batch", func() (*Plan, error) { return ValidateBatch(SimpleInput{Ref: TargetRef{ResourceID: vm}}) }, BatchKind},
		{"adla", func() (*Plan, error) { return ValidateADLA(SimpleInput{Ref: TargetRef{ResourceID: vm}}) }, ADLAKind},
		{"synapse", func() (*Plan, error) { return ValidateSynapse(SimpleInput{Ref: TargetRef{ResourceID: vm}}) }, SynapseKind},
		{"databricks", func() (*Plan, error) {
			return ValidateDatabricks(DatabricksInput{Ref: TargetRef{ResourceID: vm}, Token: "x"})
		}, DatabricksKind},
		{"aks", func() (*Plan, error) { return ValidateAKS(AKSInput{Ref: TargetRef{ResourceID: vm}}) }, AKSKind},
		{"kubernetes", func() (*Plan, error) { return ValidateKubernetes(KubernetesInput{Ref: TargetRef{ResourceID: vm}}) }, ConnectedKind},
		{"hdinsight", func() (*Plan, error) {
			return ValidateHDInsight(HDInsightInput{Ref: TargetRef{ResourceID: vm}, SSH: VMInput{Username: "u", Password: "p", KnownHosts: "kh"}}, true)
		}, HDInsightKind},
	}
	for _, c := range cases {
		_, err := c.plan()
		wantField(t, err, "--resource-id", c.want)
		if !strings.Contains(err.Error(), "Microsoft.Compute/virtualMachines") {
			t.Errorf("%s: the message should say what the ID names: %v", c.typ, err)
		}
	}
}

func TestByNameBindsToTheWorkspaceSubscription(t *testing.T) {
	p, err := ValidateBatch(SimpleInput{Ref: TargetRef{ResourceName: "batchdemo"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "batchdemo" || p.ComputeType != "Batch" {
		t.Fatalf("plan %+v", p)
	}
	p.Bind(azure.Workspace{SubscriptionID: testSub, ResourceGroup: "ml-rg", Name: "ws"})
	want := "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Batch/batchAccounts/batchdemo"
	if p.ID.String() != want {
		t.Fatalf("bound ID %s, want %s", p.ID, want)
	}
	p2, err := ValidateSynapse(SimpleInput{Ref: TargetRef{ResourceName: "synapse-ws", ResourceGroup: "data-rg", Pool: "sparkpool"}})
	if err != nil {
		t.Fatal(err)
	}
	p2.Bind(azure.Workspace{SubscriptionID: testSub, ResourceGroup: "ml-rg"})
	if got := p2.ID.String(); got != "/subscriptions/"+testSub+"/resourceGroups/data-rg/providers/Microsoft.Synapse/workspaces/synapse-ws/bigDataPools/sparkpool" {
		t.Fatalf("synapse ID %s", got)
	}
	if p2.Name != "sparkpool" {
		t.Fatalf("compute name from the pool: %q", p2.Name)
	}
	_, err = ValidateSynapse(SimpleInput{Ref: TargetRef{ResourceName: "synapse-ws"}})
	wantField(t, err, "--pool-name", "pool name")
	_, err = ValidateBatch(SimpleInput{Ref: TargetRef{ResourceName: "a", ResourceID: "/subscriptions/x"}})
	wantField(t, err, "--resource-id", "both")
	_, err = ValidateBatch(SimpleInput{Ref: TargetRef{ResourceGroup: "g"}})
	wantField(t, err, "--resource-name", "without --resource-name")
	_, err = ValidateADLA(SimpleInput{})
	wantField(t, err, "--resource-id", "required")
	_, err = ValidateKubernetes(KubernetesInput{Ref: TargetRef{ResourceName: "aks-ml"}})
	wantField(t, err, "--resource-name", "resource ID")
}

func TestDatabricksTokenIsASecretAndRequired(t *testing.T) {
	id := "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/dbx-ws"
	_, err := ValidateDatabricks(DatabricksInput{Ref: TargetRef{ResourceID: id}})
	wantField(t, err, "--token-file", "no Databricks access token")
	_, err = ValidateDatabricks(DatabricksInput{Ref: TargetRef{ResourceID: id}, Token: "dapi abc", TokenSource: "AMLATTACH_DATABRICKS_TOKEN"})
	wantField(t, err, "AMLATTACH_DATABRICKS_TOKEN", "spaces")
	if strings.Contains(err.Error(), "dapi") {
		t.Fatalf("the error quotes the token: %v", err)
	}
	p, err := ValidateDatabricks(DatabricksInput{Ref: TargetRef{ResourceID: id}, Token: "dapi-secret-token\n", TokenSource: "--token-file"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Secrets(), []string{"dapi-secret-token"}) {
		t.Fatalf("secrets %q", p.Secrets())
	}
	for _, l := range Summarize(azure.Workspace{Name: "ws"}, p, nil).Lines() {
		if strings.Contains(l, "dapi-secret-token") {
			t.Fatalf("the summary shows the token: %s", l)
		}
	}
}

func TestAKSInputRules(t *testing.T) {
	id := TargetRef{ResourceID: "/subscriptions/" + testSub + "/resourceGroups/ml-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod"}
	p, err := ValidateAKS(AKSInput{Ref: id, Purpose: "devtest"})
	if err != nil {
		t.Fatal(err)
	}
	spec := p.Spec().(azure.AKSSpec)
	if spec.Purpose != "DevTest" || spec.LoadBalancerType != "PublicIp" || spec.TLS.Status != "Disabled" {
		t.Fatalf("defaults and casing: %+v", spec)
	}
	if len(p.Notes) == 0 || !strings.Contains(p.Notes[0], "--replace") {
		t.Fatalf("the result should say a TLS change needs a reattach: %v", p.Notes)
	}
	_, err = ValidateAKS(AKSInput{Ref: id, Purpose: "Prod"})
	wantField(t, err, "--cluster-purpose", "not a cluster purpose")
	_, err = ValidateAKS(AKSInput{Ref: id, LoadBalancerSubnet: "sn"})
	wantField(t, err, "--load-balancer-subnet", "internal load balancer")
	_, err = ValidateAKS(AKSInput{Ref: id, TLS: "auto"})
	wantField(t, err, "--tls-leaf-domain-label", "needs a leaf domain label")
	_, err = ValidateAKS(AKSInput{Ref: id, TLS: "custom", CertFile: "c.pem"})
	wantField(t, err, "--tls-key-file", "required")
	_, err = ValidateAKS(AKSInput{Ref: id, CName: "x.contoso.com"})
	wantField(t, err, "--tls", "disabled")
	_, err = ValidateAKS(AKSInput{Ref: id, TLS: "custom", CertFile: filepath.Join(t.TempDir(), "missing.pem"), KeyFile: "k", CName: "x"})
	wantField(t, err, "--tls-cert-file", "cannot read")

	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(cert, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n"), 0o600)
	p, err = ValidateAKS(AKSInput{Ref: id, TLS: "custom", CertFile: cert, KeyFile: key, CName: "ml.contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Secrets()) != 1 || !strings.Contains(p.Secrets()[0], "SECRETKEYMATERIAL") {
		t.Fatalf("the key is a secret: %q", p.Secrets())
	}
	for _, l := range Summarize(azure.Workspace{Name: "ws"}, p, nil).Lines() {
		if strings.Contains(l, "SECRETKEYMATERIAL") {
			t.Fatalf("summary shows the key: %s", l)
		}
	}
}

func TestIdentityRules(t *testing.T) {
	id := TargetRef{ResourceID: "/subscriptions/" + testSub + "/resourceGroups/g/providers/Microsoft.Kubernetes/connectedClusters/arc"}
	uai := "/subscriptions/" + testSub + "/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi"
	p, err := ValidateKubernetes(KubernetesInput{Ref: id, Identity: IdentityInput{Type: "userassigned", IDs: []string{uai}}})
	if err != nil {
		t.Fatal(err)
	}
	spec := p.Spec().(azure.KubernetesSpec)
	if spec.Namespace != "default" || spec.Identity.Type != "UserAssigned" || len(spec.Identity.UserAssignedID) != 1 {
		t.Fatalf("spec %+v", spec)
	}
	_, err = ValidateKubernetes(KubernetesInput{Ref: id, Identity: IdentityInput{Type: "UserAssigned"}})
	wantField(t, err, "--user-assigned-identity", "at least one")
	_, err = ValidateKubernetes(KubernetesInput{Ref: id, Identity: IdentityInput{Type: "UserAssigned", IDs: []string{"/subscriptions/" + testSub + "/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v"}}})
	wantField(t, err, "--user-assigned-identity", "userAssignedIdentities")
	_, err = ValidateKubernetes(KubernetesInput{Ref: id, Identity: IdentityInput{Type: "Both"}})
	wantField(t, err, "--identity-type", "not an identity type")
}

func TestPlansListTheirProbesInOrder(t *testing.T) {
	ref := func(kind, name string) TargetRef {
		return TargetRef{ResourceID: "/subscriptions/" + testSub + "/resourceGroups/g/providers/" + kind + "/" + name}
	}
	k, _ := ValidateKubernetes(KubernetesInput{Ref: ref(ConnectedKind, "arc")})
	if got := k.ProbeIDs(); !reflect.DeepEqual(got, []string{probes.IDWsPermission, probes.IDWsName, probes.IDWsDuplicate, probes.IDArmResource, probes.IDK8sConnected, probes.IDK8sExtension, probes.IDK8sNamespace}) {
		t.Fatalf("arc plan %v", got)
	}
	a, _ := ValidateKubernetes(KubernetesInput{Ref: ref(AKSKind, "aks")})
	if got := a.ProbeIDs(); got[4] != probes.IDAKSRunning {
		t.Fatalf("AKS kubernetes plan %v", got)
	}
	h, err := ValidateHDInsight(HDInsightInput{Ref: ref(HDInsightKind, "spark-hdi"), SSH: VMInput{Username: "sshuser", Password: "pw", KnownHosts: "kh"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{probes.IDWsPermission, probes.IDWsName, probes.IDWsDuplicate, probes.IDArmResource, probes.IDHDIState, probes.IDHDIKind, probes.IDHDISSH, probes.IDNetTCP, probes.IDSSHHostKey, probes.IDSSHAuth, probes.IDHostOS}
	if got := h.ProbeIDs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("hdinsight plan %v", got)
	}
	spec := h.Spec().(azure.HDInsightSpec)
	if spec.Address != "spark-hdi-ssh.azurehdinsight.net" || spec.SSHPort != 22 || spec.Creds.Password != "pw" {
		t.Fatalf("hdinsight spec before the preflight %+v", spec)
	}
}
