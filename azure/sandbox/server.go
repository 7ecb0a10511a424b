package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Server is a running sandbox: the ARM server and the simulated SSH hosts.
// It is safe for concurrent use.
type Server struct {
	world    *World
	now      func() time.Time
	started  time.Time
	endpoint string
	pool     *x509.CertPool
	client   *http.Client
	http     *http.Server
	ln       net.Listener
	routes   []route

	vms  map[string]*vmEntry // by lower(sub/rg/name)
	byIP map[string]*vmEntry // by public IP
	// The generated network resources, registered a resource group at a
	// time on the first request that needs them (see groupNets): a world of
	// 40,000 VMs starts without building 240,000 of them.
	netMu     sync.Mutex
	netGroups map[string]bool      // the groups registered, by lower(sub/rg)
	nets      map[string][]*netRes // by lower(sub/rg/type), in world order
	netByName map[string]*netRes   // the same by lower(sub/rg/type/name)
	hdis      map[string]*vmEntry  // HDInsight clusters' SSH sides, by lower(cluster name)
	nw        netWrites            // the network writes (arm_network_write.go)
	dbx       map[string]*dbxEntry // Databricks workspaces, by lower(workspace host)

	sims []*simHost

	faults faultCounters
	jobs   jobTable // the workspaces' jobs (arm_jobs.go)
	entra  *entra   // the simulated Entra ID (entra.go)

	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
	certDER   []byte // the ARM server's self-signed certificate

	// mu guards everything below: the state the ARM server changes.
	mu         sync.Mutex
	workspaces map[string]*wsState // by lower(sub/rg/ws)
	ops        map[string]*operation
	vmOps      map[string]*vmStartOp
	flowOps    map[string]*ipFlowOp    // IP flow verify operations (arm_watcher.go), made on first use
	provRegs   map[string]*providerReg // registrations asked for, by lower(sub/namespace)
	installs   map[string]*extInstall  // extensions created with a PUT, by lower(cluster ID/name)
	extRaces   int                     // faults.extensionRaces used so far (under mu)
	runCmds    runCommandStore         // the VMs' Run Commands (arm_vm_runcommands.go)
	opSeq      int

	exts vmExtensions // VM extensions and their operations (own lock)
}

// vmEntry is a world VM with where it lives, or the SSH side of an
// HDInsight cluster: then hdi is set and vm is its head node, made up from
// the cluster (see hdiHeadNode).
type vmEntry struct {
	sub *Subscription
	rg  *ResourceGroup
	vm  *VM
	sim *simHost
	hdi *HDInsightCluster
	// power is the power state once a start changed it (see powerState).
	power vmPower
	// agent is what the VM agent changed on a simulated host (see simUser).
	agent vmAgentState
}

func (e *vmEntry) id() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", e.sub.ID, e.rg.Name, e.vm.Name)
}

func key(parts ...string) string { return strings.ToLower(strings.Join(parts, "/")) }

// Start starts the ARM server and one SSH listener per simulated host, all
// on 127.0.0.1 with ports chosen by the system. The server works on its own
// copy of w. Close stops it.
func Start(w *World) (*Server, error) {
	if w == nil {
		return nil, errors.New("sandbox: no world")
	}
	w = cloneWorld(w)
	s := &Server{
		world: w, now: time.Now,
		vms: map[string]*vmEntry{}, byIP: map[string]*vmEntry{},
		netGroups: map[string]bool{}, nets: map[string][]*netRes{}, netByName: map[string]*netRes{},
		hdis: map[string]*vmEntry{}, dbx: map[string]*dbxEntry{},
		workspaces: map[string]*wsState{}, ops: map[string]*operation{},
		vmOps: map[string]*vmStartOp{}, nw: netWrites{ops: map[string]*netOp{}},
	}
	s.started = s.now()
	s.routes = s.armRoutes()
	for si := range w.Subscriptions {
		sub := &w.Subscriptions[si]
		for gi := range sub.ResourceGroups {
			g := &sub.ResourceGroups[gi]
			for vi := range g.VirtualMachines {
				e := &vmEntry{sub: sub, rg: g, vm: &g.VirtualMachines[vi]}
				s.vms[key(sub.ID, g.Name, e.vm.Name)] = e
				if e.vm.PublicIP != "" {
					s.byIP[net.ParseIP(e.vm.PublicIP).String()] = e
				}
			}
			s.addTargets(sub, g)
		}
	}
	// Workspaces last: their computes look up the resources they attach.
	for si := range w.Subscriptions {
		sub := &w.Subscriptions[si]
		for gi := range sub.ResourceGroups {
			g := &sub.ResourceGroups[gi]
			for wi := range g.Workspaces {
				s.addWorkspace(sub, g, &g.Workspaces[wi])
			}
		}
	}

	for _, e := range s.vms {
		if e.vm.SSH.Sim == nil {
			continue
		}
		h, err := startSimHost(e)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sandbox: start the simulated host of VM %s: %w", e.vm.Name, err)
		}
		e.sim = h
		s.sims = append(s.sims, h)
	}
	for _, e := range s.hdis {
		if e.vm.SSH.Sim == nil {
			continue
		}
		h, err := startSimHost(e)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sandbox: start the simulated head node of HDInsight cluster %s: %w", e.hdi.Name, err)
		}
		e.sim = h
		s.sims = append(s.sims, h)
	}
	extraNames := []string{"*.azuredatabricks.net"}
	for host := range s.dbx {
		extraNames = append(extraNames, host)
	}
	cert, pool, err := selfSignedCert(s.now(), extraNames)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.pool = pool
	s.certDER = cert.Certificate[0]
	if err := s.startEntra(cert); err != nil {
		s.Close()
		return nil, err
	}
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DialContext:         s.dialHTTP,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	s.endpoint = "https://" + ln.Addr().String()
	s.http = &http.Server{
		Handler:           armHandler{s},
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // no handshake noise on the user's terminal
	}
	s.ln = ln
	tlsLn := tls.NewListener(ln, s.http.TLSConfig)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(tlsLn)
	}()

	return s, nil
}

// Endpoint is the Resource Manager endpoint, "https://127.0.0.1:PORT".
func (s *Server) Endpoint() string { return s.endpoint }

// CertPool trusts the server's self-signed certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// HTTPClient is a client that trusts the server's certificate; pass it as
// the SDK's ClientOptions.Transport. It also reaches the REST API of the
// world's Databricks workspaces: any *.azuredatabricks.net host is sent to
// the sandbox (see dialHTTP).
func (s *Server) HTTPClient() *http.Client { return s.client }

// Dial connects like net.Dialer.DialContext, except that an address whose
// host is the public IP of a world VM (any port) goes to that VM's SSH side:
// its ssh.address, or its simulated host. A VM that is not running, or that
// has neither, does not answer. Likewise <cluster>-ssh.azurehdinsight.net
// (any port, any case) goes to the SSH side of that HDInsight cluster; a
// cluster that is not Running does not answer, and the name of a cluster
// the world lacks, or of one without an SSH endpoint, does not resolve.
func (s *Server) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil {
			s.nw.ipMu.RLock()
			e, ok := s.byIP[ip.String()]
			s.nw.ipMu.RUnlock()
			if ok {
				return s.dialVM(ctx, network, addr, e)
			}
		}
		lower := strings.ToLower(strings.TrimSuffix(host, "."))
		if strings.HasSuffix(lower, hdiDomain) {
			e := s.hdis[strings.TrimSuffix(lower, "-ssh"+hdiDomain)]
			if e == nil || !e.hdi.SSHEndpoint || !strings.HasSuffix(lower, "-ssh"+hdiDomain) {
				return nil, noSuchHost(network, host)
			}
			return s.dialVM(ctx, network, addr, e)
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// noSuchHost is the error of dialing a name DNS does not know.
func noSuchHost(network, host string) error {
	return &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
}

// timeoutError is what dialing a machine that does not answer returns.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func (s *Server) dialVM(ctx context.Context, network, addr string, e *vmEntry) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var target string
	switch {
	case e.powerState() != "running":
		return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: timeoutError{}}
	case e.vm.SSH.Address != "":
		target = e.vm.SSH.Address
	case e.sim != nil:
		target = e.sim.addr()
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: errors.New("connect: connection refused")}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, target)
}

type staticAddr string

func (a staticAddr) Network() string { return "tcp" }
func (a staticAddr) String() string  { return string(a) }

// Close stops the servers and waits for their goroutines.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.http != nil {
			if err := s.http.Close(); err != nil {
				errs = append(errs, err)
			}
			s.ln.Close() // in case Serve had not started yet
		}
		s.entra.close()
		s.jobs.stop()
		for _, h := range s.sims {
			h.close()
		}
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
		s.wg.Wait()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// selfSignedCert makes an ECDSA P-256 certificate for 127.0.0.1, localhost
// and extraNames, valid for a day, and a pool that trusts it.
func selfSignedCert(now time.Time, extraNames []string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sandbox: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "amlattach sandbox", Organization: []string{"amlattach sandbox"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              append([]string{"localhost"}, extraNames...),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sandbox: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// stableUUID derives a name-based (version 5) UUID from a name, case
// folded, so that IDs such as a VM's vmId stay the same across runs.
func stableUUID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("amlattach-sandbox:"+strings.ToLower(name))).String()
}

// randomUUID is a fresh version-4 UUID.
func randomUUID() string { return uuid.NewString() }

func itoa(i int) string { return strconv.Itoa(i) }
