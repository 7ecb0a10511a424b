package latproxy

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// echo serves one connection at a time: it copies what it reads back, then
// half-closes when the client does.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProxyKeepsBytesOrderAndHalfClose(t *testing.T) {
	for _, rtt := range []time.Duration{0, 4 * time.Millisecond} {
		p, err := Start(echo(t), rtt)
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Repeat([]byte("0123456789abcdef"), 20000) // several chunks
		go func() {
			for i := 0; i < len(want); i += 1000 {
				c.Write(want[i:min(i+1000, len(want))])
			}
			c.(*net.TCPConn).CloseWrite()
		}()
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("rtt %s: got %d bytes back, want %d, or they differ", rtt, len(got), len(want))
		}
		c.Close()
		if p.Conns() != 1 {
			t.Fatalf("conns = %d", p.Conns())
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCloseEndsOpenConnections(t *testing.T) {
	p, err := Start(echo(t), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	p.Close() // must not hang on the open connection
	if _, err := c.Read(buf); err == nil {
		t.Fatal("the connection is still open after Close")
	}
}
