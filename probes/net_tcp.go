package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// DialFunc opens a connection; the sandbox's dialer maps a VM's public IP to a
// local server, the real one is a net.Dialer.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NetTCP connects to addr within timeout. On success it returns the open
// connection, which the SSH probes then use: one TCP connection for all of them.
func NetTCP(ctx context.Context, dial DialFunc, addr string, timeout time.Duration) (Result, net.Conn) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err == nil {
		return passf("connected to %s (this shows the port is open from here, not that Azure ML's service can reach it)", addr), conn
	}
	host, port, _ := net.SplitHostPort(addr)
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return failf(FieldPort, fmt.Sprintf("start sshd on the VM (sudo systemctl enable --now ssh) or give the port it listens on with --ssh-port; check: az vm run-command invoke -g <group> -n <vm> --command-id RunShellScript --scripts 'ss -tlnp | grep sshd'"),
			"connection to %s refused: nothing listens on port %s", addr, port), nil
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return failf(FieldPort, "check the NSG and any firewall between you and the VM (sudo ufw status on the VM); a VM that is stopped does not answer either",
			"no answer from %s within %s: a network security group or firewall drops the traffic, or the host is down", addr, timeout), nil
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return failf(FieldNone, "check your own network route to "+host, "%s is unreachable from here: %v", host, err), nil
	case errors.Is(ctx.Err(), context.Canceled):
		return Skipped("interrupted"), nil
	}
	return failf(FieldNone, "check the address and your network", "cannot connect to %s: %v", addr, err), nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}
