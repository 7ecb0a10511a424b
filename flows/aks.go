package flows

import (
	"context"
	"errors"
	"os"
	"strings"

	"amlattach/azure"
	"amlattach/probes"
)

// ARM kinds of the Kubernetes targets.
const (
	AKSKind       = "Microsoft.ContainerService/managedClusters"
	ConnectedKind = "Microsoft.Kubernetes/connectedClusters"
)

// AKSInput is what the user gives to attach an AKS cluster as an inference
// target (the Azure ML SDK v1 AksCompute attach).
type AKSInput struct {
	Name               string
	Ref                TargetRef
	Purpose            string // FastProd (default), DenseProd, DevTest
	LoadBalancerType   string // PublicIp (default), InternalLoadBalancer
	LoadBalancerSubnet string
	TLS                string // disabled (default), auto, custom
	LeafDomainLabel    string // auto
	OverwriteDomain    bool   // auto
	CertFile, KeyFile  string // custom (PEM)
	CName              string // custom
}

// canonical returns the allowed value that matches s case-insensitively.
func canonical(s string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a, true
		}
	}
	return "", false
}

// ValidateAKS checks an AKS attach before anything touches the network. The
// TLS files are read here; whether they make a usable certificate is the
// aks.tls probe's question.
func ValidateAKS(in AKSInput) (*Plan, error) {
	p, err := newPlan("aks", "AKS", in.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<cluster> (az aks show -g <group> -n <cluster> --query id -o tsv)", AKSKind)
	if err != nil {
		return nil, err
	}
	name := p.Name
	purpose, ok := canonical(orFlag(in.Purpose, "FastProd"), "FastProd", "DenseProd", "DevTest")
	if !ok {
		return nil, inputErr("--cluster-purpose", "use FastProd, DenseProd or DevTest", "%q is not a cluster purpose", in.Purpose)
	}
	lb, ok := canonical(orFlag(in.LoadBalancerType, "PublicIp"), "PublicIp", "InternalLoadBalancer")
	if !ok {
		return nil, inputErr("--load-balancer-type", "use PublicIp or InternalLoadBalancer", "%q is not a load balancer type", in.LoadBalancerType)
	}
	if in.LoadBalancerSubnet != "" && lb != "InternalLoadBalancer" {
		return nil, inputErr("--load-balancer-subnet", "add --load-balancer-type InternalLoadBalancer, or drop the subnet", "a load balancer subnet is used only with an internal load balancer")
	}
	tlsIn := probes.TLSInput{}
	spec := azure.AKSSpec{Purpose: purpose, LoadBalancerType: lb, LoadBalancerSubnet: in.LoadBalancerSubnet}
	var secrets []string
	fields := [][2]string{{"clusterPurpose", purpose}, {"loadBalancerType", lb}}
	if in.LoadBalancerSubnet != "" {
		fields = append(fields, [2]string{"loadBalancerSubnet", in.LoadBalancerSubnet})
	}
	custom := in.CertFile != "" || in.KeyFile != "" || in.CName != ""
	switch mode := strings.ToLower(orFlag(in.TLS, "disabled")); {
	case mode == "disabled" && (custom || in.LeafDomainLabel != ""):
		return nil, inputErr("--tls", "add --tls auto (with --tls-leaf-domain-label) or --tls custom (with --tls-cert-file, --tls-key-file, --tls-cname)", "TLS settings were given but --tls is disabled")
	case mode == "disabled":
		tlsIn.Status = "Disabled"
		spec.TLS = azure.AKSTLS{Status: "Disabled"}
		fields = append(fields, [2]string{"sslConfiguration.status", "Disabled"})
	case mode == "auto":
		if custom {
			return nil, inputErr("--tls", "use --tls custom for your own certificate, or drop --tls-cert-file, --tls-key-file and --tls-cname", "--tls auto takes a leaf domain label, not a certificate")
		}
		if in.LeafDomainLabel == "" {
			return nil, inputErr("--tls-leaf-domain-label", "give a label, e.g. --tls-leaf-domain-label myservice: Azure issues a certificate for it", "--tls auto needs a leaf domain label")
		}
		tlsIn.Status, tlsIn.LeafDomainLabel = "Auto", in.LeafDomainLabel
		spec.TLS = azure.AKSTLS{Status: "Auto", LeafDomainLabel: in.LeafDomainLabel, Overwrite: in.OverwriteDomain}
		fields = append(fields, [2]string{"sslConfiguration.status", "Auto"}, [2]string{"sslConfiguration.leafDomainLabel", in.LeafDomainLabel})
	case mode == "custom" || mode == "enabled":
		if in.LeafDomainLabel != "" {
			return nil, inputErr("--tls-leaf-domain-label", "drop it: a leaf domain label is for --tls auto", "--tls custom uses your certificate, not a leaf domain label")
		}
		for _, f := range [][2]string{{"--tls-cert-file", in.CertFile}, {"--tls-key-file", in.KeyFile}, {"--tls-cname", in.CName}} {
			if f[1] == "" {
				return nil, inputErr(f[0], "--tls custom needs --tls-cert-file, --tls-key-file and --tls-cname", "%s is required with --tls custom", f[0])
			}
		}
		cert, err := readPEMFile("--tls-cert-file", in.CertFile)
		if err != nil {
			return nil, err
		}
		key, err := readPEMFile("--tls-key-file", in.KeyFile)
		if err != nil {
			return nil, err
		}
		tlsIn = probes.TLSInput{Status: "Enabled", CertPEM: cert, KeyPEM: key, CertFile: in.CertFile, KeyFile: in.KeyFile, CName: in.CName}
		spec.TLS = azure.AKSTLS{Status: "Enabled", Cert: string(cert), Key: string(key), CName: in.CName}
		secrets = append(secrets, string(key))
		fields = append(fields, [2]string{"sslConfiguration.status", "Enabled"}, [2]string{"sslConfiguration.cname", in.CName},
			[2]string{"sslConfiguration.cert", "(contents of " + in.CertFile + ")"}, [2]string{"sslConfiguration.key", "(contents of " + in.KeyFile + ", hidden)"})
	default:
		return nil, inputErr("--tls", "use disabled, auto or custom", "%q is not a TLS mode", in.TLS)
	}
	p.secrets, p.Fields = secrets, fields
	p.Notes = []string{"TLS settings are fixed at attach time: to change them later, reattach the cluster with the new settings (amlattach attach aks --name " + name + " --replace --tls …)."}
	p.spec = func() azure.AttachSpec {
		s := spec
		s.ResourceID = p.ID.String()
		return s
	}
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
		var cl azure.AKSCluster
		steps := append(wsSteps(d, ws, p),
			resourceStep(d, p, func(ctx context.Context) (err error) {
				cl, err = d.Azure.GetAKS(ctx, p.ID)
				return err
			}),
			Step{ID: probes.IDAKSRunning, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.AKSRunning(cl) }},
			Step{ID: probes.IDAKSVersion, Needs: []string{probes.IDArmResource}, Run: func(ctx context.Context) probes.Result {
				c, cancel := d.withTimeout(ctx)
				defer cancel()
				vs, err := d.Azure.AKSVersions(c, p.ID.SubscriptionID, cl.Location)
				return probes.AKSVersion(cl, vs, err)
			}},
			Step{ID: probes.IDAKSCapacity, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.AKSCapacity(cl, purpose) }},
			Step{ID: probes.IDAKSTLS, Run: func(ctx context.Context) probes.Result { return probes.AKSTLS(tlsIn, d.now()) }},
		)
		return steps, noCleanup
	}
	return p, nil
}

// readPEMFile reads a certificate or key file; the error never holds its content.
func readPEMFile(flag, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, inputErr(flag, "give the path of a readable PEM file", "cannot read %s: %s", path, msg)
	}
	if len(data) == 0 {
		return nil, inputErr(flag, "give a PEM file (-----BEGIN ...-----)", "%s is empty", path)
	}
	return data, nil
}

// KubernetesInput is what the user gives to attach an AKS or Arc-connected
// cluster that has the Azure ML extension (computeType Kubernetes).
type KubernetesInput struct {
	Name      string
	Ref       TargetRef
	Namespace string
	Identity  IdentityInput
}

// ValidateKubernetes checks a Kubernetes attach.
func ValidateKubernetes(in KubernetesInput) (*Plan, error) {
	if in.Ref.ResourceName != "" {
		return nil, inputErr("--resource-name", "give the cluster's ARM ID with --resource-id: an AKS cluster and an Arc-connected cluster have different IDs", "a Kubernetes cluster is given by its resource ID")
	}
	p, err := newPlan("kubernetes", "Kubernetes", in.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<cluster> or …/providers/Microsoft.Kubernetes/connectedClusters/<cluster>", AKSKind, ConnectedKind)
	if err != nil {
		return nil, err
	}
	ident, err := in.Identity.validate()
	if err != nil {
		return nil, err
	}
	ns := orFlag(in.Namespace, "default")
	p.Fields = append([][2]string{{"namespace", ns}}, identityFields(ident)...)
	p.spec = func() azure.AttachSpec {
		return azure.KubernetesSpec{ResourceID: p.ID.String(), Namespace: ns, Identity: ident}
	}
	arc := strings.EqualFold(p.ID.Kind(), ConnectedKind)
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
		var cl azure.AKSCluster
		var g azure.Generic
		steps := append(wsSteps(d, ws, p), resourceStep(d, p, func(ctx context.Context) (err error) {
			if arc {
				g, err = d.Azure.GetGeneric(ctx, p.ID, azure.ConnectedAPIVersion)
			} else {
				cl, err = d.Azure.GetAKS(ctx, p.ID)
			}
			return err
		}))
		if arc {
			steps = append(steps, Step{ID: probes.IDK8sConnected, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.K8sConnected(g) }})
		} else {
			steps = append(steps, Step{ID: probes.IDAKSRunning, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result { return probes.AKSRunning(cl) }})
		}
		steps = append(steps,
			Step{ID: probes.IDK8sExtension, Needs: []string{probes.IDArmResource}, Run: func(ctx context.Context) probes.Result {
				c, cancel := d.withTimeout(ctx)
				defer cancel()
				exts, err := d.Azure.ListExtensions(c, p.ID)
				return probes.K8sExtension(p.ID, exts, err)
			}},
			Step{ID: probes.IDK8sNamespace, Run: func(context.Context) probes.Result { return probes.K8sNamespace(in.Namespace) }},
		)
		return steps, noCleanup
	}
	return p, nil
}
