package probes

import (
	"bytes"
	"context"
	"errors"

	"golang.org/x/crypto/ssh"
)

// CmdResult is what a remote command printed and how it exited.
type CmdResult struct {
	Stdout, Stderr string
	Code           int
}

// Runner runs one command on the host. Run may be called from several
// goroutines at once: the SSH runner opens a channel per command on the
// shared connection, so host probes, and the commands of one probe, run in
// parallel.
type Runner interface {
	Run(ctx context.Context, cmd string) (CmdResult, error)
}

// SSHRunner runs commands over an established SSH client.
type SSHRunner struct{ Client *ssh.Client }

const maxOutput = 64 << 10

type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxOutput - c.Len(); room > 0 {
		if len(p) > room {
			c.Buffer.Write(p[:room])
		} else {
			c.Buffer.Write(p)
		}
	}
	return len(p), nil
}

// Run runs cmd in a new session; a non-zero exit is a result, not an error.
func (r SSHRunner) Run(ctx context.Context, cmd string) (CmdResult, error) {
	s, err := r.Client.NewSession()
	if err != nil {
		return CmdResult{}, err
	}
	defer s.Close()
	var out, errb capped
	s.Stdout, s.Stderr = &out, &errb
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	err = s.Run(cmd)
	res := CmdResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitStatus()
	case ctx.Err() != nil:
		return res, ctx.Err()
	default:
		return res, err
	}
	return res, nil
}
