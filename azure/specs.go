package azure

import (
	"encoding/json"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	ml "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/machinelearning/armmachinelearning/v4"
)

// AttachSpec is the type-specific part of an attach request. Each spec
// builds the compute properties the SDK sends; secrets in it go only there.
type AttachSpec interface {
	properties() ml.ComputeClassification
	identity() *ml.ManagedServiceIdentity
}

func creds(c VMCredentials) *ml.VirtualMachineSSHCredentials {
	a := &ml.VirtualMachineSSHCredentials{Username: to.Ptr(c.Username)}
	if c.Password != "" {
		a.Password = to.Ptr(c.Password)
	}
	if c.PrivateKey != "" {
		a.PrivateKeyData = to.Ptr(c.PrivateKey)
	}
	return a
}

// VMSpec attaches a virtual machine over SSH.
type VMSpec struct {
	ResourceID string
	SSHPort    int
	Creds      VMCredentials
}

func (s VMSpec) properties() ml.ComputeClassification {
	return &ml.VirtualMachine{
		ComputeType: to.Ptr(ml.ComputeTypeVirtualMachine),
		ResourceID:  to.Ptr(s.ResourceID),
		Properties:  &ml.VirtualMachineSchemaProperties{SSHPort: to.Ptr(int32(s.SSHPort)), AdministratorAccount: creds(s.Creds)},
	}
}
func (VMSpec) identity() *ml.ManagedServiceIdentity { return nil }

// HDInsightSpec attaches an HDInsight cluster over its SSH endpoint.
type HDInsightSpec struct {
	ResourceID string
	Address    string // <cluster>-ssh.azurehdinsight.net
	SSHPort    int
	Creds      VMCredentials
}

func (s HDInsightSpec) properties() ml.ComputeClassification {
	return &ml.HDInsight{
		ComputeType: to.Ptr(ml.ComputeTypeHDInsight),
		ResourceID:  to.Ptr(s.ResourceID),
		Properties:  &ml.HDInsightProperties{Address: to.Ptr(s.Address), SSHPort: to.Ptr(int32(s.SSHPort)), AdministratorAccount: creds(s.Creds)},
	}
}
func (HDInsightSpec) identity() *ml.ManagedServiceIdentity { return nil }

// DatabricksSpec attaches a Databricks workspace with an access token.
type DatabricksSpec struct {
	ResourceID   string
	WorkspaceURL string
	Token        string
}

func (s DatabricksSpec) properties() ml.ComputeClassification {
	p := &ml.DatabricksProperties{DatabricksAccessToken: to.Ptr(s.Token)}
	if s.WorkspaceURL != "" {
		p.WorkspaceURL = to.Ptr(s.WorkspaceURL)
	}
	return &ml.Databricks{ComputeType: to.Ptr(ml.ComputeTypeDatabricks), ResourceID: to.Ptr(s.ResourceID), Properties: p}
}
func (DatabricksSpec) identity() *ml.ManagedServiceIdentity { return nil }

// ADLASpec attaches a Data Lake Analytics account.
type ADLASpec struct {
	ResourceID   string
	StoreAccount string // optional dataLakeStoreAccountName
}

func (s ADLASpec) properties() ml.ComputeClassification {
	c := &ml.DataLakeAnalytics{ComputeType: to.Ptr(ml.ComputeTypeDataLakeAnalytics), ResourceID: to.Ptr(s.ResourceID)}
	if s.StoreAccount != "" {
		c.Properties = &ml.DataLakeAnalyticsSchemaProperties{DataLakeStoreAccountName: to.Ptr(s.StoreAccount)}
	}
	return c
}
func (ADLASpec) identity() *ml.ManagedServiceIdentity { return nil }

// AKSTLS is the TLS setting of an AKS attach.
type AKSTLS struct {
	Status          string // Disabled, Auto, Enabled
	LeafDomainLabel string // Auto
	Overwrite       bool
	Cert, Key       string // Enabled: PEM text (Key is a secret)
	CName           string
}

// AKSSpec attaches an AKS cluster as an inference target.
type AKSSpec struct {
	ResourceID         string
	Purpose            string // FastProd, DenseProd, DevTest
	LoadBalancerType   string // PublicIp, InternalLoadBalancer
	LoadBalancerSubnet string
	TLS                AKSTLS
}

func (s AKSSpec) properties() ml.ComputeClassification {
	p := &ml.AKSSchemaProperties{ClusterPurpose: to.Ptr(ml.ClusterPurpose(s.Purpose))}
	if s.LoadBalancerType != "" {
		p.LoadBalancerType = to.Ptr(ml.LoadBalancerType(s.LoadBalancerType))
	}
	if s.LoadBalancerSubnet != "" {
		p.LoadBalancerSubnet = to.Ptr(s.LoadBalancerSubnet)
	}
	tls := &ml.SSLConfiguration{Status: to.Ptr(ml.SSLConfigStatusDisabled)}
	switch s.TLS.Status {
	case "Auto":
		tls = &ml.SSLConfiguration{Status: to.Ptr(ml.SSLConfigStatusAuto), LeafDomainLabel: to.Ptr(s.TLS.LeafDomainLabel), OverwriteExistingDomain: to.Ptr(s.TLS.Overwrite)}
	case "Enabled":
		tls = &ml.SSLConfiguration{Status: to.Ptr(ml.SSLConfigStatusEnabled), Cert: to.Ptr(s.TLS.Cert), Key: to.Ptr(s.TLS.Key), Cname: to.Ptr(s.TLS.CName)}
	}
	p.SSLConfiguration = tls
	return &ml.AKS{ComputeType: to.Ptr(ml.ComputeTypeAKS), ResourceID: to.Ptr(s.ResourceID), Properties: p}
}
func (AKSSpec) identity() *ml.ManagedServiceIdentity { return nil }

// Identity is the managed identity of a Kubernetes or Synapse attach.
type Identity struct {
	Type           string   // "" (none), SystemAssigned, UserAssigned
	UserAssignedID []string // resource IDs of user-assigned identities
}

func (i Identity) sdk() *ml.ManagedServiceIdentity {
	switch i.Type {
	case "SystemAssigned":
		return &ml.ManagedServiceIdentity{Type: to.Ptr(ml.ManagedServiceIdentityTypeSystemAssigned)}
	case "UserAssigned":
		m := map[string]*ml.UserAssignedIdentity{}
		for _, id := range i.UserAssignedID {
			m[id] = &ml.UserAssignedIdentity{}
		}
		return &ml.ManagedServiceIdentity{Type: to.Ptr(ml.ManagedServiceIdentityTypeUserAssigned), UserAssignedIdentities: m}
	}
	return nil
}

// KubernetesSpec attaches an AKS or Arc-connected cluster with the Azure ML extension.
type KubernetesSpec struct {
	ResourceID string
	Namespace  string
	Identity   Identity
}

func (s KubernetesSpec) properties() ml.ComputeClassification {
	return &ml.Kubernetes{ComputeType: to.Ptr(ml.ComputeTypeKubernetes), ResourceID: to.Ptr(s.ResourceID),
		Properties: &ml.KubernetesProperties{Namespace: to.Ptr(s.Namespace)}}
}
func (s KubernetesSpec) identity() *ml.ManagedServiceIdentity { return s.Identity.sdk() }

// SynapseSpec attaches a Synapse Spark pool.
type SynapseSpec struct {
	ResourceID string // .../Microsoft.Synapse/workspaces/<ws>/bigDataPools/<pool>
	Identity   Identity
}

func (s SynapseSpec) properties() ml.ComputeClassification {
	return &ml.SynapseSpark{ComputeType: to.Ptr(ml.ComputeTypeSynapseSpark), ResourceID: to.Ptr(s.ResourceID)}
}
func (s SynapseSpec) identity() *ml.ManagedServiceIdentity { return s.Identity.sdk() }

// BatchSpec attaches an Azure Batch account with the body SDK v1 sent
// (computeType "Batch"). The current compute API does not list Batch among
// its types: Azure's answer is what tells whether it is still accepted.
type BatchSpec struct{ ResourceID string }

func (s BatchSpec) properties() ml.ComputeClassification {
	return &batchCompute{resourceID: s.ResourceID}
}
func (BatchSpec) identity() *ml.ManagedServiceIdentity { return nil }

// batchCompute implements the SDK's compute interface for the v1 Batch body.
type batchCompute struct{ resourceID string }

// BatchComputeType is the SDK v1 compute type for Azure Batch.
const BatchComputeType ml.ComputeType = "Batch"

func (b *batchCompute) GetCompute() *ml.Compute {
	return &ml.Compute{ComputeType: to.Ptr(BatchComputeType), ResourceID: to.Ptr(b.resourceID)}
}

func (b *batchCompute) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"computeType": string(BatchComputeType), "resourceId": b.resourceID})
}
