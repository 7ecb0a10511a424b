package sandbox

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
)

// Resource Manager faults (faults.armThrottleEvery, armErrorRate,
// armResetEvery, tokenExpiresAfter, pollFailures). Every request the ARM
// endpoint receives gets the next number, from 1; the faults are decided
// from that number alone, so a world gives the same sequence of answers
// every time its requests arrive in the same order.

// retryAfterSeconds is the Retry-After of a throttled answer.
const retryAfterSeconds = 1

// faultCounters count the requests and what was done to them.
type faultCounters struct {
	requests, throttled, errors, resets, unauthorized, pollFailures atomic.Int64
}

// FaultStats says how many ARM requests the server received and how many
// of them a fault changed.
type FaultStats struct {
	Requests     int // every ARM request (Databricks REST calls are not counted)
	Throttled    int // answered 429 (armThrottleEvery)
	Errors       int // answered 500 (armErrorRate)
	Resets       int // carried out, then the connection closed (armResetEvery)
	Unauthorized int // answered 401 (tokenExpiresAfter)
	PollFailures int // operation polls answered 500 (pollFailures)
}

// FaultStats reports the faults injected so far.
func (s *Server) FaultStats() FaultStats {
	c := &s.faults
	return FaultStats{
		Requests: int(c.requests.Load()), Throttled: int(c.throttled.Load()), Errors: int(c.errors.Load()),
		Resets: int(c.resets.Load()), Unauthorized: int(c.unauthorized.Load()), PollFailures: int(c.pollFailures.Load()),
	}
}

// injectFault numbers the request and applies the first fault that hits it,
// in the order: expired token, lost answer, throttling, internal error. It
// reports whether the request has been dealt with; serve carries a request
// out (the lost answer needs it).
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) bool {
	f := &s.world.Faults
	n := s.faults.requests.Add(1)
	switch {
	case f.TokenExpiresAfter != nil && n > int64(*f.TokenExpiresAfter):
		s.faults.unauthorized.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The access token has expired."`)
		armError(w, http.StatusUnauthorized, "ExpiredAuthenticationToken",
			"The access token has expired. Get a new token (sign in again) and retry the request.")
		return true
	case f.ARMResetEvery > 0 && n%int64(f.ARMResetEvery) == 0:
		s.faults.resets.Add(1)
		serve(&discardWriter{h: http.Header{}}, r)
		resetConnection(w)
		return true
	case f.ARMThrottleEvery > 0 && n%int64(f.ARMThrottleEvery) == 0:
		s.faults.throttled.Add(1)
		w.Header().Set("Retry-After", fmt.Sprint(retryAfterSeconds))
		armError(w, http.StatusTooManyRequests, "TooManyRequests",
			"The request was throttled: this subscription sent too many requests. Retry after the time in the Retry-After header.")
		return true
	case f.ARMErrorRate > 0 && faultRoll(f.FaultSeed, n) < f.ARMErrorRate:
		s.faults.errors.Add(1)
		armError(w, http.StatusInternalServerError, "InternalServerError",
			"Encountered an internal server error. Retry the request; if the problem persists, check the Azure status page.")
		return true
	}
	return false
}

// faultRoll is a number in [0, 1) that depends only on seed and n.
func faultRoll(seed int, n int64) float64 {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(n))
	h := sha256.Sum256(b[:])
	return float64(binary.LittleEndian.Uint64(h[:8])>>11) / (1 << 53)
}

// pollFault answers 500 to the first faults.pollFailures polls of op. The
// caller holds s.mu.
func (s *Server) pollFault(w http.ResponseWriter, op *operation) bool {
	if op.polls >= s.world.Faults.PollFailures {
		return false
	}
	op.polls++
	s.faults.pollFailures.Add(1)
	armError(w, http.StatusInternalServerError, "InternalServerError",
		"Encountered an internal server error while reading the operation's status. Retry the request.")
	return true
}

// resetConnection closes the request's connection without an answer: the
// TCP connection is reset, as by a proxy that gave up on it.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: the stream is reset instead
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	raw.Close()
}

// discardWriter takes the answer of a request whose answer is lost.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// ComputeStates is the provisioning state of every compute, keyed
// "workspace/compute", read without going through Resource Manager, so that
// tests can see what a faulty run left behind even when every ARM request
// fails.
func (s *Server) ComputeStates() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	out := map[string]string{}
	for _, ws := range s.workspaces {
		for _, c := range ws.computes {
			out[ws.ws.Name+"/"+c.name] = c.state
		}
	}
	return out
}
