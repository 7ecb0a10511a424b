package probes

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

var tlsNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// selfSignedPEM makes a self-signed certificate for key with the given DNS
// names and validity.
func selfSignedPEM(t *testing.T, key crypto.Signer, names []string, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pkcs8PEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestAKSTLS(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPKCS1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	ecSEC1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})

	year := 365 * 24 * time.Hour
	valid := func(key crypto.Signer, names ...string) []byte {
		return selfSignedPEM(t, key, names, tlsNow.Add(-time.Hour), tlsNow.Add(year))
	}
	rsaCert := valid(rsaKey, "ml.contoso.com", "www.contoso.com")
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	chain := append(append([]byte{}, rsaCert...), valid(ecKey, "ca.contoso.com")...)

	enabled := func(cert, key []byte, cname string) TLSInput {
		return TLSInput{Status: "Enabled", CertPEM: cert, KeyPEM: key, CertFile: "cert.pem", KeyFile: "key.pem", CName: cname}
	}
	cases := []struct {
		name   string
		in     TLSInput
		status Status
		detail []string
		remedy []string
	}{
		{"disabled", TLSInput{Status: "Disabled"}, Pass, parts("plain HTTP", "detach"), nil},
		{"empty status is disabled", TLSInput{}, Pass, parts("plain HTTP"), nil},
		{"auto", TLSInput{Status: "Auto", LeafDomainLabel: "my-service1"}, Pass, parts("my-service1.<region>.cloudapp.azure.com", "region"), nil},
		{"auto uppercase", TLSInput{Status: "Auto", LeafDomainLabel: "MyService"}, Fail, parts(`"MyService"`, "uppercase"), parts("--tls-leaf-domain-label")},
		{"auto leading hyphen", TLSInput{Status: "Auto", LeafDomainLabel: "-svc"}, Fail, parts("hyphen"), parts("lowercase")},
		{"auto trailing hyphen", TLSInput{Status: "Auto", LeafDomainLabel: "svc-"}, Fail, parts("hyphen"), nil},
		{"auto underscore", TLSInput{Status: "Auto", LeafDomainLabel: "my_svc"}, Fail, parts("only lowercase letters"), nil},
		{"auto dot", TLSInput{Status: "Auto", LeafDomainLabel: "a.b"}, Fail, parts("only lowercase letters"), nil},
		{"auto empty", TLSInput{Status: "Auto"}, Fail, parts("is empty"), nil},
		{"auto 63 chars", TLSInput{Status: "Auto", LeafDomainLabel: strings.Repeat("a", 63)}, Pass, parts("cloudapp.azure.com"), nil},
		{"auto 64 chars", TLSInput{Status: "Auto", LeafDomainLabel: strings.Repeat("a", 64)}, Fail, parts("64 characters"), nil},
		{"unknown status", TLSInput{Status: "Maybe"}, Fail, parts(`"Maybe"`), parts("--tls disabled, auto or custom")},

		{"RSA PKCS#1 matching", enabled(rsaCert, rsaPKCS1, "ml.contoso.com"), Pass, parts("cert.pem", "CN=ml.contoso.com", "covers ml.contoso.com", "matches the key in key.pem", "valid until 2026-06-01", "self-signed"), nil},
		{"RSA PKCS#8 matching", enabled(rsaCert, pkcs8PEM(t, rsaKey), "www.contoso.com"), Pass, parts("covers www.contoso.com"), nil},
		{"CNAME case and trailing dot", enabled(rsaCert, rsaPKCS1, "ML.Contoso.com."), Pass, parts("covers ml.contoso.com"), nil},
		{"EC SEC1 matching", enabled(valid(ecKey, "ml.contoso.com"), ecSEC1, "ml.contoso.com"), Pass, parts("matches the key"), nil},
		{"EC PKCS#8 matching", enabled(valid(ecKey, "ml.contoso.com"), pkcs8PEM(t, ecKey), "ml.contoso.com"), Pass, parts("matches the key"), nil},
		{"Ed25519 PKCS#8 matching", enabled(valid(edKey, "ml.contoso.com"), pkcs8PEM(t, edKey), "ml.contoso.com"), Pass, parts("matches the key"), nil},
		{"chain: first certificate counts", enabled(chain, rsaPKCS1, "ml.contoso.com"), Pass, parts("CN=ml.contoso.com"), nil},
		{"key after a certificate in the key file", enabled(rsaCert, append(append([]byte{}, rsaCert...), rsaPKCS1...), "ml.contoso.com"), Pass, parts("matches"), nil},
		{"mismatched key", enabled(rsaCert, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(otherRSA)}), "ml.contoso.com"), Fail,
			parts("key in key.pem", "does not match the certificate in cert.pem", "RSA key"), parts("same certificate request", "openssl")},
		{"EC key for an RSA certificate", enabled(rsaCert, ecSEC1, "ml.contoso.com"), Fail, parts("ECDSA key", "does not match", "RSA key"), nil},
		{"CNAME not in SANs", enabled(rsaCert, rsaPKCS1, "api.fabrikam.com"), Fail, parts("does not cover api.fabrikam.com", "ml.contoso.com, www.contoso.com"), parts("--tls-cname", "ml.contoso.com")},
		{"wildcard SAN", enabled(valid(rsaKey, "*.contoso.com"), rsaPKCS1, "ml.contoso.com"), Pass, parts("covers ml.contoso.com"), nil},
		{"wildcard covers one label only", enabled(valid(rsaKey, "*.contoso.com"), rsaPKCS1, "a.ml.contoso.com"), Fail, parts("does not cover a.ml.contoso.com", "*.contoso.com"), nil},
		{"no CNAME", enabled(rsaCert, rsaPKCS1, ""), Fail, parts("no CNAME"), parts("--tls-cname", "ml.contoso.com")},
		{"expired", enabled(selfSignedPEM(t, rsaKey, []string{"ml.contoso.com"}, tlsNow.Add(-2*year), tlsNow.Add(-24*time.Hour)), rsaPKCS1, "ml.contoso.com"), Fail,
			parts("expired on 2025-05-31"), parts("renew")},
		{"not yet valid", enabled(selfSignedPEM(t, rsaKey, []string{"ml.contoso.com"}, tlsNow.Add(48*time.Hour), tlsNow.Add(year)), rsaPKCS1, "ml.contoso.com"), Fail,
			parts("not valid until 2025-06-03"), parts("clock")},
		{"expires within 30 days", enabled(selfSignedPEM(t, rsaKey, []string{"ml.contoso.com"}, tlsNow.Add(-year), tlsNow.Add(10*24*time.Hour)), rsaPKCS1, "ml.contoso.com"), Warn,
			parts("in 10 days"), parts("renew")},
		{"garbage certificate", enabled([]byte("hello, not a certificate"), rsaPKCS1, "ml.contoso.com"), Fail, parts("cert.pem is not PEM"), parts("-----BEGIN CERTIFICATE-----")},
		{"CERTIFICATE block with junk", enabled(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), rsaPKCS1, "ml.contoso.com"), Fail, parts("does not parse as an X.509 certificate"), nil},
		{"swapped files", enabled(rsaPKCS1, rsaCert, "ml.contoso.com"), Fail, parts("no CERTIFICATE block, only RSA PRIVATE KEY", "swapped"), nil},
		{"empty certificate", enabled(nil, rsaPKCS1, "ml.contoso.com"), Fail, parts("cert.pem is empty"), nil},
		{"empty key", enabled(rsaCert, nil, "ml.contoso.com"), Fail, parts("key.pem is empty"), parts("--tls-key-file")},
		{"garbage key", enabled(rsaCert, []byte("not a key"), "ml.contoso.com"), Fail, parts("key.pem is not PEM"), parts("PKCS#8")},
		{"key block with junk", enabled(rsaCert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junkjunkjunk")}), "ml.contoso.com"), Fail, parts("does not parse as a PKCS#1, PKCS#8 or EC private key", "!junk"), nil},
		{"encrypted key", enabled(rsaCert, encrypted, "ml.contoso.com"), Fail, parts("encrypted"), parts("openssl pkey")},
		{"custom is Enabled", TLSInput{Status: "custom", CertPEM: rsaCert, KeyPEM: rsaPKCS1, CName: "ml.contoso.com"}, Pass, parts("the certificate file", "the key file"), nil},
	}
	keys := [][]byte{rsaPKCS1, ecSEC1, pkcs8PEM(t, rsaKey), pkcs8PEM(t, ecKey)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := AKSTLS(c.in, tlsNow)
			want(t, r, c.status, c.detail, c.remedy)
			if r.Status == Fail && r.Field != FieldTLS {
				t.Errorf("field %q, want %q", r.Field, FieldTLS)
			}
			// No key material in any message.
			for _, k := range keys {
				b, _ := pem.Decode(k)
				body := string(pem.EncodeToMemory(b))
				lines := strings.Split(body, "\n")
				for _, text := range []string{r.Detail, r.Remedy} {
					if strings.Contains(text, lines[0]) || strings.Contains(text, lines[1][:32]) {
						t.Errorf("key material in %q", text)
					}
				}
			}
		})
	}
}
