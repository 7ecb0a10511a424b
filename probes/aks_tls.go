package probes

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// FieldTLS points at the TLS settings (--tls and the --tls-* flags).
const FieldTLS Field = "tls"

// TLSInput is the scoring endpoint's TLS configuration for an AKS attach.
type TLSInput struct {
	Status            string // Disabled, Auto, Enabled
	LeafDomainLabel   string // Auto
	CertPEM, KeyPEM   []byte // Enabled (KeyPEM is a secret)
	CertFile, KeyFile string // for messages only
	CName             string
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// AKSTLS checks the TLS settings before they are sent: a valid leaf domain
// label for Auto; for Enabled, a certificate and key that parse, belong
// together, cover the CNAME and are valid at now. No key material ever
// reaches the Result.
func AKSTLS(t TLSInput, now time.Time) Result {
	switch strings.ToLower(strings.TrimSpace(t.Status)) {
	case "", "disabled":
		return passf("TLS is disabled: the scoring endpoint serves plain HTTP; changing TLS later needs a detach and a new attach")
	case "auto":
		label := t.LeafDomainLabel
		if problem := dnsLabelProblem(label); problem != "" {
			return failf(FieldTLS, "give a label of 1-63 lowercase letters, digits and hyphens that starts and ends with a letter or digit, e.g. --tls-leaf-domain-label myservice",
				"leaf domain label %q %s", label, problem)
		}
		return passf("Azure will issue a certificate for %s.<region>.cloudapp.azure.com, where <region> is the cluster's Azure region", label)
	case "enabled", "custom":
		return customTLS(t, now)
	}
	return failf(FieldTLS, "use --tls disabled, auto or custom", "%q is not a TLS status", t.Status)
}

func dnsLabelProblem(label string) string {
	switch {
	case label == "":
		return "is empty"
	case len(label) > 63:
		return fmt.Sprintf("is %d characters long (at most 63)", len(label))
	case strings.ToLower(label) != label:
		return "has uppercase letters"
	case strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-"):
		return "starts or ends with a hyphen"
	case !dnsLabelRE.MatchString(label):
		return "may hold only lowercase letters, digits and hyphens"
	}
	return ""
}

func customTLS(t TLSInput, now time.Time) Result {
	certFile := orPlaceholder(t.CertFile, "the certificate file")
	keyFile := orPlaceholder(t.KeyFile, "the key file")
	certFix := "give the server certificate in PEM form (-----BEGIN CERTIFICATE-----) with --tls-cert-file, e.g. openssl x509 -in cert.crt -out cert.pem -outform PEM"
	if len(t.CertPEM) == 0 {
		return failf(FieldTLS, certFix, "%s is empty", certFile)
	}
	cert, problem := firstCertificate(t.CertPEM)
	if problem != "" {
		return failf(FieldTLS, certFix, "%s %s", certFile, problem)
	}
	keyFix := "give the certificate's unencrypted private key in PEM form (PKCS#1, PKCS#8 or EC) with --tls-key-file; to remove a passphrase: openssl pkey -in key.pem -out key-plain.pem"
	if len(t.KeyPEM) == 0 {
		return failf(FieldTLS, keyFix, "%s is empty", keyFile)
	}
	key, problem := privateKey(t.KeyPEM)
	if problem != "" {
		return failf(FieldTLS, keyFix, "%s %s", keyFile, problem)
	}
	subject := certName(cert)
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return failf(FieldTLS, "give the key the certificate was issued for: the two files must come from the same certificate request (compare openssl x509 -in cert.pem -noout -pubkey with openssl pkey -in key.pem -pubout)",
			"the key in %s (%s) does not match the certificate in %s (%s, %s key)", keyFile, keyKindName(key), certFile, subject, cert.PublicKeyAlgorithm)
	}
	cname := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(t.CName)), ".")
	sans := "none"
	if len(cert.DNSNames) > 0 {
		sans = strings.Join(cert.DNSNames, ", ")
	}
	if cname == "" {
		return failf(FieldTLS, "give the DNS name clients will use with --tls-cname, one of the certificate's names: "+sans,
			"no CNAME was given for the certificate (%s)", subject)
	}
	if len(cert.DNSNames) == 0 {
		return failf(FieldTLS, "use a certificate whose subject alternative names include "+cname+": clients ignore the common name",
			"the certificate in %s (%s) has no DNS subject alternative names, so it cannot cover %s", certFile, subject, cname)
	}
	if err := cert.VerifyHostname(cname); err != nil {
		return failf(FieldTLS, "give a CNAME the certificate covers (--tls-cname with one of: "+sans+"), or a certificate issued for "+cname,
			"the certificate in %s does not cover %s: its DNS names are %s", certFile, cname, sans)
	}
	day := "2006-01-02 15:04 MST"
	switch {
	case now.Before(cert.NotBefore):
		return failf(FieldTLS, "wait until it becomes valid, or check this computer's clock; otherwise use a certificate valid now",
			"the certificate in %s is not valid until %s (now %s)", certFile, cert.NotBefore.UTC().Format(day), now.UTC().Format(day))
	case now.After(cert.NotAfter):
		return failf(FieldTLS, "renew the certificate and give the new one with --tls-cert-file",
			"the certificate in %s expired on %s", certFile, cert.NotAfter.UTC().Format(day))
	}
	left := cert.NotAfter.Sub(now)
	detail := fmt.Sprintf("the certificate in %s (%s) covers %s, matches the key in %s and is valid until %s", certFile, subject, cname, keyFile, cert.NotAfter.UTC().Format(day))
	if selfSigned(cert) {
		detail += "; it is self-signed, so clients must be told to trust it"
	}
	if left < 30*24*time.Hour {
		return warnf("renew it soon: changing the certificate later needs a detach and a new attach with the new files",
			"%s: that is in %d days", detail, int(left.Hours()/24))
	}
	return passf("%s", detail)
}

// firstCertificate parses the first CERTIFICATE block of a PEM file.
func firstCertificate(data []byte) (*x509.Certificate, string) {
	var types []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			types = append(types, b.Type)
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, "has a CERTIFICATE block that does not parse as an X.509 certificate: " + err.Error()
		}
		return c, ""
	}
	if len(types) > 0 {
		msg := "has no CERTIFICATE block, only " + strings.Join(types, ", ")
		if strings.Contains(strings.Join(types, " "), "PRIVATE KEY") {
			msg += " (were the certificate and key files swapped?)"
		}
		return nil, msg
	}
	return nil, "is not PEM: no -----BEGIN CERTIFICATE----- block (a DER or PFX file must be converted first)"
}

// privateKey parses the first private key block of a PEM file. Its
// messages never quote the key's bytes or the parser's errors, which may.
func privateKey(data []byte) (crypto.Signer, string) {
	var types []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			types = append(types, b.Type)
			continue
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "" {
			return nil, "holds an encrypted private key: Azure ML needs it without a passphrase"
		}
		if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
			return k, ""
		}
		if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
			return k, ""
		}
		if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
			if s, ok := k.(crypto.Signer); ok {
				return s, ""
			}
			return nil, "holds a private key of a kind that cannot be used for TLS"
		}
		return nil, "has a " + b.Type + " block that does not parse as a PKCS#1, PKCS#8 or EC private key"
	}
	if len(types) > 0 {
		msg := "has no PRIVATE KEY block, only " + strings.Join(types, ", ")
		if strings.Contains(strings.Join(types, " "), "CERTIFICATE") {
			msg += " (were the certificate and key files swapped?)"
		}
		return nil, msg
	}
	return nil, "is not PEM: no -----BEGIN ... PRIVATE KEY----- block"
}

func keyKindName(k crypto.Signer) string {
	switch k.(type) {
	case *rsa.PrivateKey:
		return "RSA key"
	case *ecdsa.PrivateKey:
		return "ECDSA key"
	case ed25519.PrivateKey:
		return "Ed25519 key"
	}
	return fmt.Sprintf("%T", k)
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return "for " + c.DNSNames[0]
	}
	return "serial " + c.SerialNumber.String()
}

func selfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
