package flows

import (
	"context"
	"strconv"

	"amlattach/azure"
	"amlattach/probes"
)

// HDInsightKind is the ARM kind of an HDInsight target.
const HDInsightKind = "Microsoft.HDInsight/clusters"

// HDInsightInput is what the user gives to attach an HDInsight cluster: the
// cluster, and an SSH login like a VM's (VMInput's ResourceID and SSHPort
// are not used: the SSH endpoint comes from the cluster).
type HDInsightInput struct {
	Ref TargetRef
	SSH VMInput
}

// ValidateHDInsight checks the input before anything touches the network.
func ValidateHDInsight(in HDInsightInput, forAttach bool) (*Plan, error) {
	p, err := newPlan("hdinsight", "HDInsight", in.SSH.Name, in.Ref, "/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.HDInsight/clusters/<cluster> (az hdinsight show -g <group> -n <cluster> --query id -o tsv)", HDInsightKind)
	if err != nil {
		return nil, err
	}
	id, name := p.ID, p.Name
	vp := &VMPlan{In: in.SSH, ID: id}
	vp.In.Name = name
	vp.In.SSHPort = 22
	if err := vp.validateLogin(forAttach); err != nil {
		return nil, err
	}
	p.secrets = vp.Secrets()
	h := &hdiAttach{vp: vp, host: id.Name + "-ssh.azurehdinsight.net", port: 22}
	h.update(p)
	p.spec = func() azure.AttachSpec { return h.spec(p) }
	p.steps = func(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) { return h.steps(d, ws, p) }
	return p, nil
}

// hdiAttach is the HDInsight plan's state: the SSH endpoint starts as the
// documented <cluster>-ssh.azurehdinsight.net:22 and becomes what the
// cluster's connectivity endpoints say once the preflight has read them.
type hdiAttach struct {
	vp   *VMPlan
	host string
	port int
}

// update shows the endpoint in the plan's summary fields.
func (h *hdiAttach) update(p *Plan) {
	in := h.vp.In
	p.Fields = [][2]string{{"address", h.host}, {"sshPort", strconv.Itoa(h.port)}, {"administratorAccount.username", in.Username}}
	if h.vp.Key != nil {
		p.Fields = append(p.Fields, [2]string{"administratorAccount.privateKeyData", "(contents of " + h.vp.Key.Path + ", hidden)"})
	} else {
		p.Fields = append(p.Fields, [2]string{"administratorAccount.password", "********"})
	}
}

// spec is the request body for the endpoint as it stands.
func (h *hdiAttach) spec(p *Plan) azure.AttachSpec {
	in := h.vp.In
	creds := azure.VMCredentials{Username: in.Username, Password: in.Password}
	if h.vp.Key != nil {
		creds = azure.VMCredentials{Username: in.Username, PrivateKey: h.vp.Key.Text}
	}
	return azure.HDInsightSpec{ResourceID: p.ID.String(), Address: h.host, SSHPort: h.port, Creds: creds}
}

func (h *hdiAttach) steps(d Deps, ws azure.Workspace, p *Plan) ([]Step, func()) {
	st := &vmState{}
	var cluster azure.HDInsightCluster
	h.vp.ID = p.ID
	addr := func() string { return joinHostPort(h.host, strconv.Itoa(h.port)) }
	steps := wsSteps(d, ws, p)
	steps = append(steps,
		resourceStep(d, p, func(ctx context.Context) error {
			c, err := d.Azure.GetHDInsight(ctx, p.ID)
			cluster = c
			return err
		}),
		Step{ID: probes.IDHDIState, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result {
			return probes.HDIState(cluster)
		}},
		Step{ID: probes.IDHDIKind, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result {
			return probes.HDIKind(cluster)
		}},
		Step{ID: probes.IDHDISSH, Needs: []string{probes.IDArmResource}, Run: func(context.Context) probes.Result {
			r, host, port := probes.HDISSH(cluster)
			if host != "" {
				h.host, h.port = host, port
				if h.port == 0 {
					h.port = 22
				}
				h.update(p)
			}
			return r
		}},
		Step{ID: probes.IDNetTCP, Needs: []string{probes.IDHDISSH, probes.IDHDIState}, Run: func(ctx context.Context) probes.Result {
			r, conn := probes.NetTCP(ctx, d.dial(), addr(), d.timeout())
			st.conn = conn
			return r
		}},
	)
	for _, s := range sshSteps(d, st, h.vp, addr, false) {
		if s.ID == probes.IDSSHAuth {
			run := s.Run
			s.Run = func(ctx context.Context) probes.Result {
				r := run(ctx)
				if r.Status == probes.Fail && r.Field == probes.FieldPassword {
					// The VM remedy (az vm user update) does not apply to a cluster.
					r.Remedy = "check the cluster's SSH user and password (set when the cluster was created; the portal's SSH + Cluster login page shows the user), or give the SSH key with --ssh-key"
				}
				return r
			}
		}
		steps = append(steps, s)
	}
	return steps, st.close
}
