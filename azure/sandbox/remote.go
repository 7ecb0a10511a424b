package sandbox

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// A sandbox can also run in a process of its own (`amlattach sandbox
// serve`), so that several commands, or several people in a training
// session, share one simulated Azure whose attachments persist between
// commands. The server writes a connection file; clients read it and reach
// Resource Manager over HTTPS and the simulated hosts through the server's
// dial port, which keeps the in-process Dial rules (public IPs, HDInsight
// SSH names, Databricks workspace URLs, hosts that do not answer).

// ConnInfo is the connection file.
type ConnInfo struct {
	// ARMEndpoint is the Resource Manager endpoint, https://127.0.0.1:PORT.
	ARMEndpoint string `json:"armEndpoint"`
	// CertPEM is the server's self-signed certificate, to trust.
	CertPEM string `json:"certPem"`
	// DialAddr is the dial port.
	DialAddr string `json:"dialAddr"`
	// World names the world file the server was started from.
	World string `json:"world"`
	// Workspaces are the world's workspaces, for picking one.
	Workspaces []WorkspaceRef `json:"workspaces"`
	// EntraEndpoint is the simulated Entra ID (reached through the dial
	// port like Resource Manager), and SignInRequired says whether
	// Resource Manager takes only its tokens.
	EntraEndpoint  string `json:"entraEndpoint,omitempty"`
	SignInRequired bool   `json:"signInRequired,omitempty"`
}

// ServeDial accepts connections on ln, one dial request each: a line
// "tcp HOST:PORT" (a host probe's connection, Dial's rules) or "http
// HOST:PORT" (an HTTPS client's connection, HTTPClient's rules). The answer
// is "ok" followed by the spliced connection, or "err KIND message" with
// KIND one of timeout, nosuchhost, refused, other. When ln is closed it
// closes the connections it spliced (clients keep idle ones open) and
// returns once their goroutines are done.
func (s *Server) ServeDial(ln net.Listener) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	defer func() {
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		mu.Lock()
		open[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveDialConn(c)
			mu.Lock()
			delete(open, c)
			mu.Unlock()
		}()
	}
}

func (s *Server) serveDialConn(c net.Conn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	mode, addr, _ := strings.Cut(strings.TrimSpace(line), " ")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	var target net.Conn
	switch mode {
	case "tcp":
		target, err = s.Dial(ctx, "tcp", addr)
	case "http":
		target, err = s.dialHTTP(ctx, "tcp", addr)
	default:
		err = fmt.Errorf("unknown dial mode %q", mode)
	}
	cancel()
	if err != nil {
		fmt.Fprintf(c, "err %s %s\n", dialErrKind(err), strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	defer target.Close()
	if _, err := io.WriteString(c, "ok\n"); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(target, r); closeWrite(target); done <- struct{}{} }()
	go func() { io.Copy(c, target); closeWrite(c); done <- struct{}{} }()
	<-done
	// One side is finished; a closed client ends the other side too.
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

func dialErrKind(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "nosuchhost"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "refused"):
		return "refused"
	}
	return "other"
}

// Info is the connection file's content for a server whose dial port
// listens at dialAddr.
func (s *Server) Info(dialAddr, world string) ConnInfo {
	return ConnInfo{
		ARMEndpoint: s.endpoint,
		CertPEM:     string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.certDER})),
		DialAddr:    dialAddr,
		World:       world,
		Workspaces:  s.world.Workspaces(),

		EntraEndpoint:  s.EntraEndpoint(),
		SignInRequired: s.SignInRequired(),
	}
}

// WriteConnInfo writes the connection file, mode 0600 (it lets its reader
// use the sandbox, nothing more, but it is nobody else's business).
func WriteConnInfo(path string, ci ConnInfo) error {
	data, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// ReadConnInfo reads a connection file.
func ReadConnInfo(path string) (ConnInfo, error) {
	var ci ConnInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return ci, err
	}
	if err := json.Unmarshal(data, &ci); err != nil {
		return ci, fmt.Errorf("%s is not a sandbox connection file: %w", path, err)
	}
	if ci.ARMEndpoint == "" || ci.DialAddr == "" || ci.CertPEM == "" {
		return ci, fmt.Errorf("%s is not a sandbox connection file: endpoint, dial address or certificate missing", path)
	}
	return ci, nil
}

// Remote is a client's side of a sandbox in another process.
type Remote struct {
	info   ConnInfo
	pool   *x509.CertPool
	client *http.Client
}

// NewRemote prepares the client side from a connection file's content.
func NewRemote(ci ConnInfo) (*Remote, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(ci.CertPEM)) {
		return nil, errors.New("the connection file's certificate does not parse")
	}
	r := &Remote{info: ci, pool: pool}
	r.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DialContext:         r.dialer("http"),
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}
	return r, nil
}

// Endpoint is the Resource Manager endpoint.
func (r *Remote) Endpoint() string { return r.info.ARMEndpoint }

// HTTPClient reaches Resource Manager and the Databricks REST API.
func (r *Remote) HTTPClient() *http.Client { return r.client }

// Dial connects as Server.Dial does, through the server's dial port.
func (r *Remote) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return r.dialer("tcp")(ctx, network, addr)
}

// EntraEndpoint is the simulated Entra ID's authority host ("" from a
// server older than the sign-in).
func (r *Remote) EntraEndpoint() string { return r.info.EntraEndpoint }

// SignInRequired reports whether Resource Manager takes only tokens of
// the simulated Entra ID.
func (r *Remote) SignInRequired() bool { return r.info.SignInRequired }

// Workspaces are the world's workspaces.
func (r *Remote) Workspaces() []WorkspaceRef { return r.info.Workspaces }

func (r *Remote) dialer(mode string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", r.info.DialAddr)
		if err != nil {
			return nil, fmt.Errorf("the sandbox at %s does not answer (is amlattach sandbox serve still running?): %w", r.info.DialAddr, err)
		}
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		br := bufio.NewReader(c)
		if _, err := fmt.Fprintf(c, "%s %s\n", mode, addr); err != nil {
			c.Close()
			return nil, err
		}
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: err}
		}
		c.SetDeadline(time.Time{})
		line = strings.TrimSpace(line)
		if line == "ok" {
			return &bufConn{Conn: c, r: br}, nil
		}
		c.Close()
		_, rest, _ := strings.Cut(line, " ")
		kind, msg, _ := strings.Cut(rest, " ")
		host, _, _ := net.SplitHostPort(addr)
		switch kind {
		case "timeout":
			return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: timeoutError{}}
		case "nosuchhost":
			return nil, noSuchHost(network, host)
		case "refused":
			return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: errors.New("connect: connection refused")}
		}
		return nil, &net.OpError{Op: "dial", Net: network, Addr: staticAddr(addr), Err: errors.New(msg)}
	}
}

// bufConn is a connection whose first bytes may sit in a reader's buffer.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *bufConn) CloseWrite() error {
	if cw, ok := b.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
