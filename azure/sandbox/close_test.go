package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"amlattach/azure/sandbox"
)

func TestCloseStopsEverything(t *testing.T) {
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	w, err := sandbox.ParseWorld([]byte(testWorld), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.Start(w)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.Endpoint()+"/subscriptions?api-version=2022-12-01", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// An SSH connection still open when the server closes.
	c, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, code := c.run(t, "true"); code != 0 {
		t.Fatal("true failed")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	c.c.Close()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left (before: %d)\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestCertificate(t *testing.T) {
	srv := startWorld(t, testWorld)
	host := strings.TrimPrefix(srv.Endpoint(), "https://")
	_, port, _ := net.SplitHostPort(host)
	for _, name := range []string{"127.0.0.1", "localhost"} {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: srv.CertPool(), ServerName: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cert := conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || cert.NotAfter.Sub(time.Now()) > 25*time.Hour || cert.NotAfter.Sub(time.Now()) < 23*time.Hour {
			t.Fatalf("certificate: %T valid until %s", cert.PublicKey, cert.NotAfter)
		}
	}
	// A client that does not trust it is refused.
	if _, err := http.Get(srv.Endpoint() + "/subscriptions?api-version=2022-12-01"); err == nil {
		t.Fatal("untrusted client connected")
	}
}

func TestARMLatency(t *testing.T) {
	srv := startWorld(t, "subscriptions: [{id: s}]\nfaults: {armLatencyMs: 150}\n")
	start := time.Now()
	rawGet(t, srv.Endpoint(), srv.HTTPClient(), "/subscriptions/s", "2022-12-01", 200)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered in %s", d)
	}
}
