package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// How a job runs. Its status moves NotStarted → Queued → Preparing →
// Running → Finalizing → Completed (or Failed, Canceled, NotResponding),
// each step lasting faults.jobStepSeconds besides the work done in it.
//
// On a VirtualMachine compute the sandbox does what Azure ML does: it logs
// in over SSH with the address, port and account stored at attach (through
// the same routing as everyone else: the VM's public IP leads to its
// simulated host or to the real SSH server of ssh.address), checks that
// `sudo -n docker` works, makes sure the job's image is there (pulling it),
// and runs the command in a container with `sudo -n docker run`. A
// simulated host answers from its world state; a real one really runs it.
// On a Kubernetes compute the job follows the Azure ML extension's state
// and runs in a simulated pod.

// Messages of the service, word for word where they are known.
const (
	dockerSudoMsg = "Unable to run docker with sudo. Check that sudo is configured to run docker without a password."
	sshFailMsg    = "Unable to establish SSH connection to the compute at %s. Check that the virtual machine is running, that its public IP address has not changed since it was attached, and that its network security group allows inbound SSH from the AzureMachineLearning service tag."
	e45004Msg     = "E45004: Training feature is not enabled on the Azure Machine Learning extension of cluster %s. Update the extension with enableTraining=True."
)

// jobError is how a job ended badly: the run history's error.
type jobError struct{ code, msg string }

// jobHost is where a job runs.
type jobHost interface {
	// prepare readies the host (Preparing); a jobError fails the job.
	prepare(ctx context.Context) *jobError
	// run runs the command, writing its output to out, and gives its exit status.
	run(ctx context.Context, out io.Writer) (int, *jobError)
	// stop removes what a run that was stopped left (a container).
	stop()
	close()
}

// runJob moves j through its statuses until it ends. ctx ends when the job
// is canceled or the server closes.
func (s *Server) runJob(ctx context.Context, j *jobState) {
	step := seconds(s.world.Faults.JobStepSeconds)
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return ctx.Err() == nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	set := func(status string) {
		s.jobs.mu.Lock()
		defer s.jobs.mu.Unlock()
		if !j.cancelAsked {
			s.setJobStatus(j, status)
		}
	}
	end := func(status string, e *jobError) {
		s.jobs.mu.Lock()
		defer s.jobs.mu.Unlock()
		if j.cancelAsked && status != jobCanceled {
			status, e = jobCanceled, nil
		}
		if e != nil {
			j.errCode, j.errMsg = e.code, e.msg
		}
		s.setJobStatus(j, status)
	}
	canceled := func() { end(jobCanceled, nil) }

	if !wait(step) {
		canceled()
		return
	}
	set(jobQueued)
	if !wait(step) {
		canceled()
		return
	}
	if f := s.world.Faults.JobStaysQueued; f != "" && strings.EqualFold(f, j.computeName) {
		<-ctx.Done()
		canceled()
		return
	}
	set(jobPreparing)
	host, jerr := s.jobHostFor(j)
	if jerr != nil {
		end(jobFailed, jerr)
		return
	}
	defer host.close()
	if jerr := host.prepare(ctx); jerr != nil {
		if ctx.Err() != nil {
			canceled()
			return
		}
		end(jobFailed, jerr)
		return
	}
	if !wait(step) {
		canceled()
		return
	}
	set(jobRunning)
	if f := s.world.Faults.JobNotResponding; f != "" && strings.EqualFold(f, j.computeName) {
		if !wait(step) {
			canceled()
			return
		}
		host.stop()
		end(jobNotResponding, &jobError{"ServiceError", fmt.Sprintf("The job stopped reporting from compute '%s' and is considered not responding.", j.computeName)})
		return
	}
	rctx, rcancel := ctx, context.CancelFunc(func() {})
	if j.timeout > 0 {
		rctx, rcancel = context.WithTimeout(ctx, j.timeout)
	}
	ran := time.Now()
	code, jerr := host.run(rctx, jobLog{s, j})
	// A run is seen Running for a step at least, however quick its command.
	if jerr == nil && rctx.Err() == nil {
		wait(step - time.Since(ran))
	}
	timedOut := rctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	rcancel()
	switch {
	case ctx.Err() != nil:
		host.stop()
		canceled()
		return
	case timedOut:
		host.stop()
		end(jobCanceled, &jobError{"UserError", fmt.Sprintf("The job ran longer than its time limit of %s and was canceled.", isoOf(j.timeout))})
		return
	case jerr != nil:
		end(jobFailed, jerr)
		return
	case code != 0:
		end(jobFailed, &jobError{"UserError", fmt.Sprintf("Execution failed. User process '/bin/sh' exited with status code %d. Please check log file 'user_logs/std_log.txt' for error details.", code)})
		return
	}
	set(jobFinalizing)
	if !wait(step) {
		canceled()
		return
	}
	end(jobCompleted, nil)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// jobLog appends to a job's user log as its output arrives.
type jobLog struct {
	s *Server
	j *jobState
}

func (l jobLog) Write(b []byte) (int, error) {
	l.s.jobs.mu.Lock()
	defer l.s.jobs.mu.Unlock()
	if l.j.log.Len() < 1<<20 {
		l.j.log.Write(b)
	}
	return len(b), nil
}

// jobHostFor finds where j runs from the compute's stored settings.
func (s *Server) jobHostFor(j *jobState) (jobHost, *jobError) {
	s.mu.Lock()
	ws := s.workspaces[j.wsKey]
	var c computeState
	found := false
	if ws != nil {
		if _, cs := ws.find(j.computeName); cs != nil {
			c, found = *cs, true
		}
	}
	s.mu.Unlock()
	switch {
	case !found:
		return nil, &jobError{"UserError", fmt.Sprintf("Compute '%s' was not found in the workspace.", j.computeName)}
	case c.state != "Succeeded":
		return nil, &jobError{"UserError", fmt.Sprintf("Compute '%s' is in provisioning state '%s'; jobs run only on a compute whose state is Succeeded.", c.name, c.state)}
	case c.typ == "Kubernetes":
		return s.podHost(j, &c)
	}
	return s.vmHost(j, &c)
}

// vmJobHost runs a job on a VM over SSH.
type vmJobHost struct {
	j      *jobState
	client *ssh.Client
	gpu    bool
}

func (s *Server) vmHost(j *jobState, c *computeState) (jobHost, *jobError) {
	port := c.sshPort
	if port == 0 {
		port = 22
	}
	hostport := net.JoinHostPort(c.address, strconv.Itoa(port))
	unreachable := &jobError{"UserError", fmt.Sprintf(sshFailMsg, hostport)}
	// Azure ML connects from the AzureMachineLearning service tag, to the
	// address stored at attach: only world VMs answer it, and only as their
	// network stands now (the NSGs and public IP after any writes, judged
	// as an attach is). Nothing is ever dialed outside the sandbox.
	var e *vmEntry
	if ip := net.ParseIP(c.address); ip != nil {
		s.nw.ipMu.RLock()
		e = s.byIP[ip.String()]
		s.nw.ipMu.RUnlock()
	}
	if e == nil || e.powerState() != "running" {
		return nil, unreachable
	}
	if ok, _ := s.reachesAML(e, port, c.location); !ok {
		return nil, unreachable
	}
	cfg := &ssh.ClientConfig{
		User: c.admin.Username,
		// The service keeps no host keys of attached VMs.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         15 * time.Second,
	}
	if c.admin.PrivateKeyData != "" {
		signer, err := ssh.ParsePrivateKey([]byte(c.admin.PrivateKeyData))
		if err != nil {
			return nil, &jobError{"UserError", fmt.Sprintf("Unable to establish SSH connection to the compute at %s: the stored private key cannot be read.", hostport)}
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.admin.Password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(c.admin.Password))
	}
	ctx, cancel := context.WithTimeout(s.jobs.ctx, cfg.Timeout)
	defer cancel()
	raw, err := s.Dial(ctx, "tcp", hostport)
	if err != nil {
		return nil, unreachable
	}
	_ = raw.SetDeadline(time.Now().Add(cfg.Timeout))
	conn, chans, reqs, err := ssh.NewClientConn(raw, hostport, cfg)
	if err != nil {
		raw.Close()
		return nil, &jobError{"UserError", fmt.Sprintf("Unable to establish SSH connection to the compute at %s: authentication as '%s' failed. Check the credentials stored at attach.", hostport, c.admin.Username)}
	}
	_ = raw.SetDeadline(time.Time{})
	h := &vmJobHost{j: j, client: ssh.NewClient(conn, chans, reqs)}
	h.gpu = e.vm.SSH.Sim != nil && e.vm.SSH.Sim.GPU != ""
	return h, nil
}

// exec runs one command line on the VM; ctx ending closes its session.
func (h *vmJobHost) exec(ctx context.Context, line string, out io.Writer) (int, error) {
	sess, err := h.client.NewSession()
	if err != nil {
		return -1, err
	}
	defer sess.Close()
	// The session copies stdout and stderr in goroutines of their own:
	// one writer for both must take them one at a time.
	w := &lockedWriter{w: out}
	sess.Stdout, sess.Stderr = w, w
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sess.Close()
		case <-done:
		}
	}()
	err = sess.Run(line)
	close(done)
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		return ee.ExitStatus(), nil
	case ctx.Err() != nil:
		return -1, ctx.Err()
	}
	return -1, err
}

func (h *vmJobHost) prepare(ctx context.Context) *jobError {
	var out bytes.Buffer
	code, err := h.exec(ctx, "sudo -n docker version --format '{{.Server.Version}}'", &out)
	if err != nil {
		return &jobError{"ServiceError", "The connection to the compute was lost while preparing the job: " + err.Error()}
	}
	if code != 0 {
		msg := dockerSudoMsg
		if detail := firstLine(out.String()); detail != "" && !strings.Contains(detail, "password is required") && !strings.Contains(detail, "terminal is required") {
			msg += " Details: " + detail
		}
		return &jobError{"UserError", msg}
	}
	image := shQuote(h.j.image)
	out.Reset()
	if code, err = h.exec(ctx, "sudo -n docker image inspect --format '{{.Id}}' "+image, &out); err == nil && code == 0 {
		return nil
	}
	out.Reset()
	code, err = h.exec(ctx, "sudo -n docker pull "+image, &out)
	if err != nil {
		return &jobError{"ServiceError", "The connection to the compute was lost while pulling the job's image: " + err.Error()}
	}
	if code != 0 {
		return &jobError{"UserError", fmt.Sprintf("Failed to pull Docker image %s on the compute: %s", h.j.image, lastLine(out.String()))}
	}
	return nil
}

func (h *vmJobHost) run(ctx context.Context, out io.Writer) (int, *jobError) {
	gpus := ""
	if h.gpu {
		gpus = "--gpus all "
	}
	line := fmt.Sprintf("sudo -n docker run --rm --name %s %s-e AZUREML_RUN_ID=%s %s /bin/sh -c %s",
		shQuote(h.j.name), gpus, shQuote(h.j.name), shQuote(h.j.image), shQuote(h.j.command))
	code, err := h.exec(ctx, line, out)
	if err != nil {
		if ctx.Err() != nil {
			return -1, nil
		}
		return -1, &jobError{"ServiceError", "The connection to the compute was lost while the job ran: " + err.Error()}
	}
	return code, nil
}

func (h *vmJobHost) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = h.exec(ctx, "sudo -n docker rm -f "+shQuote(h.j.name), io.Discard)
}

func (h *vmJobHost) close() { h.client.Close() }

// podJobHost runs a job in a simulated pod of a Kubernetes compute.
type podJobHost struct {
	j   *jobState
	pod *simHost
}

func (s *Server) podHost(j *jobState, c *computeState) (jobHost, *jobError) {
	var name string
	var exts []Extension
	if _, _, k := s.findAKS(c.resourceID); k != nil {
		if k.PowerState != "Running" {
			return nil, &jobError{"UserError", fmt.Sprintf("The AKS cluster '%s' is %s: start it to run jobs.", k.Name, k.PowerState)}
		}
		name, exts = k.Name, k.Extensions
	} else if a := s.findArc(c.resourceID); a != nil {
		if a.ConnectivityStatus != "Connected" {
			return nil, &jobError{"UserError", fmt.Sprintf("The Azure Arc-enabled Kubernetes cluster '%s' is %s: the job cannot reach it.", a.Name, a.ConnectivityStatus)}
		}
		name, exts = a.Name, a.Extensions
	} else {
		return nil, &jobError{"UserError", fmt.Sprintf("Could not find the Kubernetes cluster '%s' behind compute '%s'.", c.resourceID, c.name)}
	}
	exts = s.extensionsNow(c.resourceID, exts)
	var ext *Extension
	for i := range exts {
		if strings.EqualFold(exts[i].ExtensionType, azureMLExtension) {
			ext = &exts[i]
		}
	}
	switch {
	case ext == nil || ext.ProvisioningState != "Succeeded":
		return nil, &jobError{"UserError", fmt.Sprintf("E45004: The Azure Machine Learning extension is not installed and running on cluster %s, so it cannot run training jobs.", name)}
	case ext.EnableTraining != nil && !*ext.EnableTraining:
		return nil, &jobError{"UserError", fmt.Sprintf(e45004Msg, name)}
	}
	pod := containerHost(j.sub, nil, j.name+"-"+strings.ReplaceAll(randomUUID(), "-", "")[:5], "")
	return &podJobHost{j: j, pod: pod}, nil
}

func (h *podJobHost) prepare(context.Context) *jobError { return nil }

func (h *podJobHost) run(ctx context.Context, out io.Writer) (int, *jobError) {
	env := map[string]string{"HOME": "/root", "PATH": "/opt/conda/bin:/usr/local/bin:/usr/bin:/bin", "HOSTNAME": h.pod.e.vm.Name, "AZUREML_RUN_ID": h.j.name}
	code := h.pod.runIn(h.j.command, env, nil, out, out)
	if ctx.Err() != nil {
		return -1, nil
	}
	return code, nil
}

func (h *podJobHost) stop()  {}
func (h *podJobHost) close() {}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(ls[len(ls)-1])
}
