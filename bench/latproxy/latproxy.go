// Package latproxy is a TCP proxy on loopback that adds network latency, for
// benchmarks that count round trips: every chunk read from one side reaches
// the other half a round-trip time (RTT) later, and a new connection reaches
// the target only when a TCP handshake over that RTT would have completed.
//
// The client's connect returns at once (the proxy accepts on loopback), so
// the proxy makes up for it: bytes the client sends right away arrive at the
// target 1.5 RTT after the accept (SYN, SYN-ACK, then the client's ACK with
// its data), and the target is dialed only then, so the target's first bytes
// reach the client 2 RTT after the accept, as they would over a real link.
// Order and half-closes are kept; nothing is dropped.
package latproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards every connection it accepts to one target address.
type Proxy struct {
	ln     net.Listener
	target string
	rtt    atomic.Int64
	conns  atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on 127.0.0.1 (a port the system picks) and forwards to
// target with the given round-trip time.
func Start(target string, rtt time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, open: map[net.Conn]struct{}{}}
	p.rtt.Store(int64(rtt))
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetRTT changes the round-trip time of the connections accepted from now on.
func (p *Proxy) SetRTT(d time.Duration) { p.rtt.Store(int64(d)) }

// RTT is the round-trip time new connections get.
func (p *Proxy) RTT() time.Duration { return time.Duration(p.rtt.Load()) }

// Conns is the number of connections accepted so far.
func (p *Proxy) Conns() int64 { return p.conns.Load() }

// Close stops accepting, closes every open connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c, p.RTT())
		}()
	}
}

// chunk is a piece of the stream and when it may be delivered; a nil b is
// the end of the stream (a half-close).
type chunk struct {
	b   []byte
	due time.Time
}

func (p *Proxy) handle(client net.Conn, rtt time.Duration) {
	defer p.untrack(client)
	oneWay := rtt / 2
	accepted := time.Now()
	up := make(chan chunk, 4096)
	var readers sync.WaitGroup
	readers.Add(1)
	go func() { defer readers.Done(); pump(client, up, oneWay) }()

	// The server side exists once the client's ACK would have arrived.
	sleepUntil(accepted.Add(rtt + oneWay))
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		readers.Wait()
		return
	}
	if !p.track(server) {
		client.Close()
		readers.Wait()
		return
	}
	defer p.untrack(server)
	down := make(chan chunk, 4096)
	readers.Add(1)
	go func() { defer readers.Done(); pump(server, down, oneWay) }()

	var writers sync.WaitGroup
	writers.Add(2)
	fail := func() { client.Close(); server.Close() }
	go func() { defer writers.Done(); deliver(server, up, fail) }()
	go func() { defer writers.Done(); deliver(client, down, fail) }()
	writers.Wait()
	client.Close()
	server.Close()
	readers.Wait()
}

// pump reads src and queues each chunk with the time it is due at the other end.
func pump(src net.Conn, out chan<- chunk, oneWay time.Duration) {
	defer close(out)
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		now := time.Now()
		if n > 0 {
			out <- chunk{b: buf[:n], due: now.Add(oneWay)}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				out <- chunk{due: now.Add(oneWay)}
			}
			return
		}
	}
}

// deliver writes each chunk to dst when it is due; the end of the stream
// becomes a half-close. On a write error it calls fail and drains.
func deliver(dst net.Conn, in <-chan chunk, fail func()) {
	broken := false
	for c := range in {
		if broken {
			continue
		}
		sleepUntil(c.due)
		if c.b == nil {
			if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			continue
		}
		if _, err := dst.Write(c.b); err != nil {
			broken = true
			fail()
		}
	}
}

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}
