package sandbox

import (
	_ "embed"
	"fmt"
	"os"
)

// World is the parsed world file. Its fields mirror the YAML keys (see
// docs/world.md). Line fields say where an item starts in the file (0 when
// the item was built in code). A World is not changed by Start or by the
// server: the server copies what it mutates.
type World struct {
	Subscriptions []Subscription `yaml:"subscriptions"`
	// KubernetesVersions are the versions AKS supports in every region
	// ("1.30.14", or "1.30" for every patch of a minor version); nil means
	// DefaultKubernetesVersions.
	KubernetesVersions []string `yaml:"kubernetesVersions" check:"k8sversions"`
	Faults             Faults   `yaml:"faults"`
	// Environments are the job environments the workspaces know besides the
	// curated ones (see jobenv.go), with the Docker image a job on them runs.
	Environments []Environment `yaml:"environments"`
	// SignIn is the simulated Microsoft Entra ID: the account, its tenants,
	// and whether Resource Manager requires its tokens (see entra.go).
	SignIn *SignIn `yaml:"signIn"`
	// Source names the file the world came from, for messages.
	Source string `yaml:"-"`
}

// Subscription is an Azure subscription.
type Subscription struct {
	ID             string          `yaml:"id" required:"true" check:"subscription"`
	Name           string          `yaml:"name"`
	ResourceGroups []ResourceGroup `yaml:"resourceGroups"`
	// Providers maps a resource provider namespace to its registration
	// state (Registered, NotRegistered, ...); a namespace not listed is Registered.
	Providers map[string]string `yaml:"providers"`
	// Permissions is what the caller may do in the subscription (nil:
	// everything); a resource group's own replaces it there.
	Permissions *Permissions `yaml:"permissions"`
	// NoNetworkWatcherIn lists the regions without a Network Watcher ("*":
	// none anywhere, as when the subscription opted out of automatic
	// creation); elsewhere each region of a VM has NetworkWatcher_<region>
	// in NetworkWatcherRG (see arm_watcher.go).
	NoNetworkWatcherIn []string `yaml:"noNetworkWatcherIn"`
	// TenantID is the Entra tenant the subscription belongs to; "" means
	// the account's home tenant (the first of signIn.tenants).
	TenantID string `yaml:"tenantId"`
	Line     int    `yaml:"-"`
}

// ResourceGroup is a resource group with the resources the sandbox knows.
type ResourceGroup struct {
	Name            string      `yaml:"name" required:"true" check:"name"`
	Location        string      `yaml:"location" required:"true"`
	Workspaces      []Workspace `yaml:"workspaces"`
	VirtualMachines []VM        `yaml:"virtualMachines"`
	// The other attachable resources (see targets.go).
	HDInsightClusters         []HDInsightCluster    `yaml:"hdinsightClusters"`
	BatchAccounts             []BatchAccount        `yaml:"batchAccounts"`
	DatabricksWorkspaces      []DatabricksWorkspace `yaml:"databricksWorkspaces"`
	DataLakeAnalyticsAccounts []ADLAAccount         `yaml:"dataLakeAnalyticsAccounts"`
	AKSClusters               []AKSCluster          `yaml:"aksClusters"`
	ConnectedClusters         []ConnectedCluster    `yaml:"connectedClusters"`
	SynapseWorkspaces         []SynapseWorkspace    `yaml:"synapseWorkspaces"`
	// Permissions is what the caller may do in the group (nil: the
	// subscription's).
	Permissions *Permissions `yaml:"permissions"`
	Line        int          `yaml:"-"`
}

// Workspace is an Azure ML workspace.
type Workspace struct {
	Name string `yaml:"name" required:"true" check:"name"`
	// Location defaults to the resource group's.
	Location     string    `yaml:"location"`
	FriendlyName string    `yaml:"friendlyName"`
	Computes     []Compute `yaml:"computes"`
	Line         int       `yaml:"-"`
}

// Compute is an attachment that already exists when the sandbox starts.
type Compute struct {
	Name               string              `yaml:"name" required:"true" check:"name"`
	Type               string              `yaml:"type" default:"VirtualMachine" oneof:"AKS|Kubernetes|AmlCompute|ComputeInstance|DataFactory|VirtualMachine|HDInsight|Databricks|DataLakeAnalytics|SynapseSpark|Batch"`
	ResourceID         string              `yaml:"resourceId"`
	Description        string              `yaml:"description"`
	ProvisioningState  string              `yaml:"provisioningState" default:"Succeeded" oneof:"Unknown|Updating|Creating|Deleting|Succeeded|Failed|Canceled"`
	ProvisioningErrors []ProvisioningError `yaml:"provisioningErrors"`
	CreatedOn          string              `yaml:"createdOn" check:"time"`
	Properties         ComputeProperties   `yaml:"properties"`
	Line               int                 `yaml:"-"`
}

// ProvisioningError is one entry of a compute's provisioningErrors.
type ProvisioningError struct {
	Code    string `yaml:"code" required:"true"`
	Message string `yaml:"message"`
}

// ComputeProperties is what Azure ML stored for a compute: address, port
// and account for a VM or HDInsight compute, the workspace URL and token
// for Databricks, the namespace for Kubernetes.
type ComputeProperties struct {
	Address              string       `yaml:"address"`
	SSHPort              int          `yaml:"sshPort" check:"port0"`
	AdministratorAccount AdminAccount `yaml:"administratorAccount"`
	WorkspaceURL         string       `yaml:"workspaceUrl"`
	// DatabricksAccessToken is a secret: only listKeys returns it.
	DatabricksAccessToken string `yaml:"databricksAccessToken"`
	Namespace             string `yaml:"namespace"`
}

// AdminAccount is the login Azure ML uses; the secrets are only ever
// returned by listKeys.
type AdminAccount struct {
	Username       string `yaml:"username"`
	Password       string `yaml:"password"`
	PrivateKeyData string `yaml:"privateKeyData"`
	PublicKeyData  string `yaml:"publicKeyData"`
}

// VM is a virtual machine with its generated network resources.
type VM struct {
	Name string `yaml:"name" required:"true" check:"name"`
	// Location defaults to the resource group's.
	Location string `yaml:"location"`
	Size     string `yaml:"size" default:"Standard_D4s_v3"`
	// PowerState is the VM's power state; starting, stopping and
	// deallocating are the states Azure reports while a start, stop or
	// deallocate runs (the VM does not answer then).
	PowerState string `yaml:"powerState" default:"running" oneof:"running|starting|stopping|stopped|deallocating|deallocated"`
	// HidePowerState leaves the PowerState status out of the instance view,
	// as Azure does while an operation changes the VM.
	HidePowerState bool  `yaml:"hidePowerState"`
	Image          Image `yaml:"image"`
	// OSType is the OS disk's osType; "" means Windows for a Windows
	// marketplace image, Linux otherwise (see validateImage).
	OSType   string `yaml:"osType" oneof:"Linux|Windows"`
	PublicIP string `yaml:"publicIP" check:"ip"`
	// PublicIPAllocation is Static (a Standard SKU address, the default) or
	// Dynamic (a Basic SKU address, released while the VM is deallocated).
	PublicIPAllocation string `yaml:"publicIPAllocation" default:"Static" oneof:"Static|Dynamic"`
	// PublicIPSku is the public IP's SKU: Standard (the default), closed to
	// inbound traffic unless an NSG on the NIC or subnet allows it, or Basic
	// (the default with a Dynamic allocation), open unless an NSG denies.
	PublicIPSku string `yaml:"publicIPSku" oneof:"Standard|Basic"`
	PrivateIP   string `yaml:"privateIP" check:"ip"`
	// AdminUsername defaults to the first sim user (by name), else azureuser.
	AdminUsername string `yaml:"adminUsername"`
	// DisablePasswordAuthentication is reported in osProfile.linuxConfiguration;
	// nil means: true when no sim user has a password.
	DisablePasswordAuthentication *bool `yaml:"disablePasswordAuthentication"`
	// NSGRules: nil means no NSG on the NIC; an empty list means an NSG
	// with only Azure's default rules.
	NSGRules *[]NSGRule `yaml:"nsgRules"`
	// SubnetNSGRules is the same for an NSG on the VM's subnet.
	SubnetNSGRules *[]NSGRule `yaml:"subnetNsgRules"`
	// AdminRules are network manager security admin rules on the VM's
	// virtual network: only IP flow verify sees them (see arm_watcher.go).
	AdminRules []AdminRule `yaml:"adminRules"`
	SSH        SSH         `yaml:"ssh"`
	// VMAgent is the VM agent's state: notReady makes extensions and Run
	// Commands fail as Azure fails them when the agent does not report.
	VMAgent string `yaml:"vmAgent" default:"ready" oneof:"ready|notReady"`
	// Extensions are the VM's extensions when the sandbox starts.
	Extensions []VMExtensionSpec `yaml:"extensions"`
	Line       int               `yaml:"-"`
}

// Image is a marketplace image reference, or a custom image by ID.
type Image struct {
	Publisher string `yaml:"publisher"`
	Offer     string `yaml:"offer"`
	SKU       string `yaml:"sku"`
	Version   string `yaml:"version"`
	ID        string `yaml:"id"`
	Line      int    `yaml:"-"`
}

// NSGRule is one custom security rule.
type NSGRule struct {
	Name      string `yaml:"name" required:"true"`
	Priority  int    `yaml:"priority" required:"true"`
	Direction string `yaml:"direction" default:"Inbound" oneof:"Inbound|Outbound"`
	Access    string `yaml:"access" required:"true" oneof:"Allow|Deny"`
	// Source is a service tag, "*", or an IP or CIDR; several may be given
	// separated by commas.
	Source   string `yaml:"source" default:"*" check:"source"`
	Protocol string `yaml:"protocol" default:"*" oneof:"Tcp|Udp|Icmp|*"`
	// Ports are destination ports: "22", "22,2222", "1000-2000" or "*".
	Ports string `yaml:"ports" default:"*" check:"ports"`
	Line  int    `yaml:"-"`
}

// SSH says what answers on the VM's public IP.
type SSH struct {
	// Address of a real SSH server (host:port) to dial instead.
	Address string `yaml:"address" check:"hostport"`
	// Sim describes a simulated host.
	Sim  *Sim `yaml:"sim"`
	Line int  `yaml:"-"`
}

// Sim describes a simulated SSH host.
type Sim struct {
	// OS is "<distro> <version>", e.g. "ubuntu 20.04", "debian 12", "centos 7".
	OS string `yaml:"os" default:"ubuntu 20.04" check:"os"`
	// Docker is the installed version; "" means not installed.
	Docker            string             `yaml:"docker"`
	DockerDaemon      bool               `yaml:"dockerDaemon"`
	DockerSudoOnly    bool               `yaml:"dockerSudoOnly"`
	SudoNeedsPassword bool               `yaml:"sudoNeedsPassword"`
	GPU               string             `yaml:"gpu"`
	FreeDiskGB        int                `yaml:"freeDiskGB" default:"80" check:"nonneg"`
	Users             map[string]SimUser `yaml:"users"`
	HostKeySeed       string             `yaml:"hostKeySeed"`
	// LatencyMs delays the answer to every command, as on a very slow host.
	LatencyMs int `yaml:"latencyMs" check:"nonneg"`
	// DropAfterCommands makes the host close each SSH connection in the
	// middle of its Nth command (0: never).
	DropAfterCommands int `yaml:"dropAfterCommands" check:"nonneg"`
	// Python is the python version a job's container answers (set on the
	// containers of jobs, never from the world file).
	Python string `yaml:"-"`
	Line   int    `yaml:"-"`

	// AptLocked: another process holds apt's and dpkg's locks (as
	// unattended-upgrades does after boot), so apt-get update and install
	// fail with exit status 100.
	AptLocked bool `yaml:"aptLocked"`
}

// SimUser is a login on a simulated host.
type SimUser struct {
	Password       string   `yaml:"password"`
	AuthorizedKeys []string `yaml:"authorizedKeys" check:"authkeys"`
	Line           int      `yaml:"-"`
}

// Faults change how the simulated Azure behaves.
type Faults struct {
	// AttachSeconds is how long an attach stays Creating.
	AttachSeconds float64 `yaml:"attachSeconds" default:"3" check:"nonneg"`
	// DetachSeconds is how long a detach stays Deleting.
	DetachSeconds float64     `yaml:"detachSeconds" default:"1" check:"nonneg"`
	AttachError   AttachFault `yaml:"attachError"`
	// ARMLatencyMs delays every ARM request.
	ARMLatencyMs int `yaml:"armLatencyMs" check:"nonneg"`
	// PageSize is the most items a page of a list holds (defaultPageSize
	// unless set); the paging tests set it small to see several pages.
	PageSize int `yaml:"pageSize" default:"1000" check:"positive"`
	// RefuseBatch makes an attach with computeType Batch fail the way an
	// unknown compute type does; otherwise the SDK v1 Batch body is accepted.
	RefuseBatch bool `yaml:"refuseBatch"`
	// ForbidListKeys makes listKeys answer 403, as for a caller without the
	// computes/listKeys/action permission.
	ForbidListKeys bool `yaml:"forbidListKeys"`
	// VMStartSeconds is how long a VM start stays in progress (the VM
	// "starting") before the VM runs.
	VMStartSeconds float64 `yaml:"vmStartSeconds" check:"nonneg"`
	// RunCommandSeconds is how long a Run Command stays in progress before
	// the VM agent runs its script.
	RunCommandSeconds float64 `yaml:"runCommandSeconds" check:"nonneg"`
	// VMExtensionSeconds is how long an extension PUT stays in progress
	// before the VM agent has acted on it.
	VMExtensionSeconds float64 `yaml:"vmExtensionSeconds" check:"nonneg"`
	// IPFlowVerifySeconds is how long a Network Watcher IP flow verify
	// stays in progress before its verdict is given.
	IPFlowVerifySeconds float64 `yaml:"ipFlowVerifySeconds" check:"nonneg"`
	// JobStepSeconds is how long a job stays in each of NotStarted, Queued,
	// Preparing (besides the preparation itself) and Finalizing.
	JobStepSeconds float64 `yaml:"jobStepSeconds" default:"1" check:"nonneg"`
	// JobStaysQueued names a compute whose jobs never leave Queued.
	JobStaysQueued string `yaml:"jobStaysQueued"`
	// JobNotResponding names a compute whose jobs end NotResponding once
	// they run.
	JobNotResponding string `yaml:"jobNotResponding"`
	// NetworkWriteSeconds is how long a write to a network resource (a
	// security rule, NSG, NIC or public IP PUT) stays Updating.
	NetworkWriteSeconds float64 `yaml:"networkWriteSeconds" check:"nonneg"`
	// ETagConflicts makes the first N network writes that carry If-Match
	// find their resource changed by another client in the meantime (its
	// etag moves, a tag says so), so that they are answered 412.
	ETagConflicts int `yaml:"etagConflicts" check:"nonneg"`
	// ProviderRegisterSeconds is how long a resource provider stays
	// Registering after a registration is asked for.
	ProviderRegisterSeconds float64 `yaml:"providerRegisterSeconds" check:"nonneg"`
	// ExtensionInstallSeconds is how long a cluster extension created with
	// a PUT stays Creating before it is Succeeded.
	ExtensionInstallSeconds float64 `yaml:"extensionInstallSeconds" check:"nonneg"`
	// ExtensionRaces makes the first N cluster extension PUTs find an
	// extension of that name made by another client just before them (the
	// Azure ML extension, Succeeded).
	ExtensionRaces int `yaml:"extensionRaces" check:"nonneg"`

	// The faults below make Resource Manager unreliable; see docs/world.md.
	// Requests are numbered from 1 in the order they arrive.

	// ARMThrottleEvery makes every Nth request answer 429 TooManyRequests
	// with Retry-After (0: never).
	ARMThrottleEvery int `yaml:"armThrottleEvery" check:"nonneg"`
	// ARMErrorRate is the share of requests that answer 500, chosen from
	// FaultSeed and the request's number, so a run can be repeated.
	ARMErrorRate float64 `yaml:"armErrorRate" check:"rate"`
	FaultSeed    int     `yaml:"faultSeed"`
	// ARMResetEvery makes every Nth request lose its answer: the request is
	// carried out, then its connection is closed before anything is sent.
	ARMResetEvery int `yaml:"armResetEvery" check:"nonneg"`
	// TokenExpiresAfter makes every request after the first N answer 401
	// ExpiredAuthenticationToken; nil means the token never expires.
	TokenExpiresAfter *int `yaml:"tokenExpiresAfter" check:"nonneg"`
	// PollFailures makes the first N polls of each attach or detach
	// operation answer 500.
	PollFailures int `yaml:"pollFailures" check:"nonneg"`

	// The sign-in faults shape the simulated Entra ID (entra.go).

	// SignInApproveSeconds is how long a device code waits
	// (authorization_pending) before the simulated user approves it.
	SignInApproveSeconds float64 `yaml:"signInApproveSeconds" default:"3" check:"nonneg"`
	// SignInDeclined makes the simulated user decline every device code
	// and browser sign-in.
	SignInDeclined bool `yaml:"signInDeclined"`
	// DeviceCodeSeconds is how long a device code stays valid.
	DeviceCodeSeconds float64 `yaml:"deviceCodeSeconds" default:"900" check:"nonneg"`
	// AccessTokenSeconds is the lifetime of the access tokens the sandbox
	// issues; under five minutes, MSAL refreshes on every token request.
	AccessTokenSeconds int `yaml:"accessTokenSeconds" default:"3600" check:"positive"`
	// RefreshTokenSeconds is the lifetime of its refresh tokens.
	RefreshTokenSeconds int `yaml:"refreshTokenSeconds" default:"7776000" check:"positive"`

	// Lenient brings back answers kinder than Azure's, for a test that
	// needs one; by default the sandbox answers as Azure does.
	Lenient Lenient `yaml:"lenient"`
}

// Lenient lists answers the sandbox can give more kindly than Azure.
type Lenient struct {
	// Reattach takes a second attach PUT over an existing compute as the
	// same attach (the same body while it is Creating) or as a replacement
	// (once it ended); Azure refuses it with 409 Conflict.
	Reattach bool `yaml:"reattach"`
	// PrimaryNIC marks a VM's only network interface primary in its
	// networkProfile; Azure leaves the reference's properties out.
	PrimaryNIC bool `yaml:"primaryNIC"`
	// EmptyErrors sends provisioningErrors as [] for a compute without
	// errors; Azure sends null.
	EmptyErrors bool `yaml:"emptyErrors"`
}

// AttachFault makes the attach of one compute name end Failed.
type AttachFault struct {
	Compute string `yaml:"compute"`
	Code    string `yaml:"code"`
	Message string `yaml:"message"`
}

// WorkspaceRef locates a workspace of the world.
type WorkspaceRef struct{ SubscriptionID, SubscriptionName, ResourceGroup, Name, Location string }

// Workspaces lists the world's workspaces in file order.
func (w *World) Workspaces() []WorkspaceRef {
	var out []WorkspaceRef
	for _, s := range w.Subscriptions {
		for _, g := range s.ResourceGroups {
			for _, ws := range g.Workspaces {
				out = append(out, WorkspaceRef{
					SubscriptionID: s.ID, SubscriptionName: s.Name,
					ResourceGroup: g.Name, Name: ws.Name, Location: ws.Location,
				})
			}
		}
	}
	return out
}

//go:embed demo.yaml
var demoYAML []byte

// DemoWorld is the built-in world (`--world demo`, `amlattach demo`).
func DemoWorld() *World {
	w, err := ParseWorld(demoYAML, "demo.yaml")
	if err != nil {
		// The embedded file is checked by the tests; reaching this is a build mistake.
		panic("sandbox: the built-in world does not parse: " + err.Error())
	}
	return w
}

// LoadWorldFile reads and parses a world file.
func LoadWorldFile(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read world file: %w", err)
	}
	return ParseWorld(data, path)
}

// ParseWorld parses and checks a world file. Unknown keys, values of the
// wrong kind and inconsistent contents are errors that name source and line;
// when there are several, they are joined one per line. source is used only
// in messages.
func ParseWorld(data []byte, source string) (*World, error) {
	if source == "" {
		source = "world"
	}
	w := &World{}
	d := &decoder{source: source}
	d.decodeDocument(data, w)
	if len(d.errs) == 0 {
		d.validate(w)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	w.Source = source
	return w, nil
}
