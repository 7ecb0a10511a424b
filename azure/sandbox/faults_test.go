package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"amlattach/azure/sandbox"
)

// faultWorld is a workspace and one simulated VM, with the faults appended.
const faultWorld = `
subscriptions:
  - id: 00000000-0000-0000-0000-0000000000aa
    resourceGroups:
      - name: rg
        location: westeurope
        workspaces:
          - name: ws
        virtualMachines:
          - name: good
            publicIP: 20.0.0.1
            nsgRules:
              - {name: AllowAMLSSH, priority: 100, access: Allow, source: AzureMachineLearning, protocol: Tcp, ports: "22"}
            ssh:
              sim:
                users:
                  azureuser: {password: "Passw0rd!"}
%s
faults:
  attachSeconds: 0.3
  detachSeconds: 0.2
%s`

func faultServer(t *testing.T, simExtra, faults string) *sandbox.Server {
	t.Helper()
	return startWorld(t, fmt.Sprintf(faultWorld, simExtra, faults))
}

const wsPath = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"

// send makes one raw ARM request (no retries) and returns the status, the
// headers and the body; a lost answer is status 0 with the error.
func send(t *testing.T, srv *sandbox.Server, method, path string, body []byte) (int, http.Header, string, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := path
	if !strings.HasPrefix(u, "https://") {
		u = srv.Endpoint() + path
		if strings.Contains(u, "?") {
			u += "&api-version=2024-04-01"
		} else {
			u += "?api-version=2024-04-01"
		}
	}
	req, _ := http.NewRequestWithContext(ctx(t), method, u, rd)
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), nil
}

func errorCode(body string) string {
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &env)
	return env.Error.Code
}

func TestFaultKeysAreCheckedLikeTheOthers(t *testing.T) {
	for yaml, want := range map[string]string{
		"  armErrorRate: 1.5":         "armErrorRate in faults: 1.5 is not a share between 0 and 1",
		"  armThrottleEvery: -1":      "armThrottleEvery in faults: must not be negative",
		"  tokenExpiresAfter: -3":     "tokenExpiresAfter in faults: must not be negative",
		"  pollFailures: many":        "pollFailures in faults: want a whole number",
		"  armResetEvry: 2":           `unknown key "armResetEvry"`,
		"  faultSeed: 1.5":            "faultSeed in faults: want a whole number",
		"  armErrorRate: 0.2\n  x: 1": `unknown key "x"`,
	} {
		_, err := sandbox.ParseWorld([]byte(fmt.Sprintf(faultWorld, "", yaml)), "w.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", yaml, err, want)
		}
	}
	_, err := sandbox.ParseWorld([]byte(fmt.Sprintf(faultWorld, "                latencyMs: -5\n", "")), "w.yaml")
	if err == nil || !strings.Contains(err.Error(), "latencyMs in virtualMachines[0].ssh.sim: must not be negative") {
		t.Errorf("negative latencyMs: %v", err)
	}
	w, err := sandbox.ParseWorld([]byte(fmt.Sprintf(faultWorld, "                latencyMs: 10\n                dropAfterCommands: 2\n",
		"  armThrottleEvery: 3\n  armErrorRate: 0.25\n  faultSeed: 7\n  armResetEvery: 5\n  tokenExpiresAfter: 0\n  pollFailures: 4\n")), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := w.Faults
	if f.ARMThrottleEvery != 3 || f.ARMErrorRate != 0.25 || f.FaultSeed != 7 || f.ARMResetEvery != 5 || f.TokenExpiresAfter == nil || *f.TokenExpiresAfter != 0 || f.PollFailures != 4 {
		t.Errorf("faults: %+v", f)
	}
	sim := w.Subscriptions[0].ResourceGroups[0].VirtualMachines[0].SSH.Sim
	if sim.LatencyMs != 10 || sim.DropAfterCommands != 2 {
		t.Errorf("sim: %+v", sim)
	}
	// Absent keys: no fault at all.
	w, err = sandbox.ParseWorld([]byte(fmt.Sprintf(faultWorld, "", "")), "w.yaml")
	if err != nil || w.Faults.TokenExpiresAfter != nil || w.Faults.ARMErrorRate != 0 || w.Faults.ARMThrottleEvery != 0 {
		t.Fatalf("defaults: %+v %v", w.Faults, err)
	}
}

func TestThrottleEveryNthRequest(t *testing.T) {
	srv := faultServer(t, "", "  armThrottleEvery: 3\n")
	for i := 1; i <= 6; i++ {
		status, h, body, err := send(t, srv, http.MethodGet, wsPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 != 0 {
			if status != 200 {
				t.Fatalf("request %d: %d %s", i, status, body)
			}
			continue
		}
		if status != 429 || h.Get("Retry-After") != "1" || errorCode(body) != "TooManyRequests" || h.Get("x-ms-error-code") != "TooManyRequests" {
			t.Fatalf("request %d: %d Retry-After=%q %s", i, status, h.Get("Retry-After"), body)
		}
	}
	if st := srv.FaultStats(); st.Requests != 6 || st.Throttled != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// statuses sends n GETs of the workspace and returns their statuses.
func statusRun(t *testing.T, srv *sandbox.Server, n int) []int {
	var out []int
	for range n {
		status, _, body, err := send(t, srv, http.MethodGet, wsPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if status == 500 && errorCode(body) != "InternalServerError" {
			t.Fatalf("500 without the envelope: %s", body)
		}
		out = append(out, status)
	}
	return out
}

func TestErrorRateIsRepeatableFromTheSeed(t *testing.T) {
	a := statusRun(t, faultServer(t, "", "  armErrorRate: 0.3\n  faultSeed: 42\n"), 60)
	b := statusRun(t, faultServer(t, "", "  armErrorRate: 0.3\n  faultSeed: 42\n"), 60)
	c := statusRun(t, faultServer(t, "", "  armErrorRate: 0.3\n  faultSeed: 43\n"), 60)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different answers:\n%v\n%v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatalf("another seed gives the same answers: %v", a)
	}
	fails := strings.Count(fmt.Sprint(a), "500")
	if fails < 8 || fails > 30 {
		t.Fatalf("%d of 60 answered 500 at a rate of 0.3: %v", fails, a)
	}
	for _, s := range statusRun(t, faultServer(t, "", "  armErrorRate: 1\n"), 5) {
		if s != 500 {
			t.Fatalf("rate 1: %d", s)
		}
	}
}

func TestResetLosesTheAnswerButDoesTheWork(t *testing.T) {
	srv := faultServer(t, "", "  armResetEvery: 2\n")
	if status, _, body, err := send(t, srv, http.MethodGet, wsPath, nil); err != nil || status != 200 {
		t.Fatalf("request 1: %d %v %s", status, err, body)
	}
	// Request 2 is the attach: carried out, its answer lost.
	body, _ := json.Marshal(vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22))
	status, _, _, err := send(t, srv, http.MethodPut, wsPath+"/computes/lost", body)
	if err == nil {
		t.Fatalf("request 2 answered %d; want the connection closed", status)
	}
	status, _, got, err := send(t, srv, http.MethodGet, wsPath+"/computes/lost", nil)
	if err != nil || status != 200 || !strings.Contains(got, `"provisioningState":"Creating"`) {
		t.Fatalf("the lost PUT did not attach: %d %v %s", status, err, got)
	}
	if st := srv.FaultStats(); st.Resets != 1 || st.Requests != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTokenExpiresAfterNRequests(t *testing.T) {
	srv := faultServer(t, "", "  tokenExpiresAfter: 2\n")
	for i := 1; i <= 4; i++ {
		status, h, body, err := send(t, srv, http.MethodGet, wsPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i <= 2 {
			if status != 200 {
				t.Fatalf("request %d: %d %s", i, status, body)
			}
			continue
		}
		if status != 401 || errorCode(body) != "ExpiredAuthenticationToken" || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("request %d: %d %q %s", i, status, h.Get("WWW-Authenticate"), body)
		}
	}
	srv = faultServer(t, "", "  tokenExpiresAfter: 0\n")
	if status, _, _, _ := send(t, srv, http.MethodGet, wsPath, nil); status != 401 {
		t.Fatalf("tokenExpiresAfter 0: the first request answered %d", status)
	}
}

func TestPollFailuresThenTheOperationAnswers(t *testing.T) {
	srv := faultServer(t, "", "  pollFailures: 2\n")
	body, _ := json.Marshal(vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22))
	status, h, _, err := send(t, srv, http.MethodPut, wsPath+"/computes/polled", body)
	if err != nil || status != 201 {
		t.Fatalf("PUT: %d %v", status, err)
	}
	op := h.Get("Azure-AsyncOperation")
	for i := 1; i <= 2; i++ {
		if status, _, body, _ := send(t, srv, http.MethodGet, op, nil); status != 500 || errorCode(body) != "InternalServerError" {
			t.Fatalf("poll %d: %d %s", i, status, body)
		}
	}
	time.Sleep(400 * time.Millisecond)
	if status, _, body, _ := send(t, srv, http.MethodGet, op, nil); status != 200 || !strings.Contains(body, `"status":"Succeeded"`) {
		t.Fatalf("poll 3: %d %s", status, body)
	}
	// A detach's polls fail the same way, counted for its own operation.
	status, h, _, err = send(t, srv, http.MethodDelete, wsPath+"/computes/polled?underlyingResourceAction=Detach", nil)
	if err != nil || status != 202 {
		t.Fatalf("DELETE: %d %v", status, err)
	}
	if status, _, _, _ := send(t, srv, http.MethodGet, h.Get("Location"), nil); status != 500 {
		t.Fatalf("first poll of the detach: %d", status)
	}
	if st := srv.FaultStats(); st.PollFailures != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// Azure ML refuses the same attach PUT again (attaching is not
// idempotent); the lenient sandbox takes it as the attach already running.
// The same DELETE again is the same detach either way.
func TestRepeatedAttachAndDetachAreTheSameRequest(t *testing.T) {
	t.Run("azure", func(t *testing.T) { repeatedAttachAndDetach(t, "") })
	t.Run("lenient", func(t *testing.T) { repeatedAttachAndDetach(t, "  lenient: {reattach: true}\n") })
}

func repeatedAttachAndDetach(t *testing.T, faults string) {
	srv := faultServer(t, "", faults)
	body, _ := json.Marshal(vmAttach(vmPrefix+"good", "azureuser", "Passw0rd!", 22))
	s1, h1, _, err := send(t, srv, http.MethodPut, wsPath+"/computes/twice", body)
	if err != nil || s1 != 201 {
		t.Fatalf("first PUT: %d %v", s1, err)
	}
	s2, h2, b2, err := send(t, srv, http.MethodPut, wsPath+"/computes/twice", body)
	if faults == "" {
		if err != nil || s2 != 409 || errorCode(b2) != "Conflict" {
			t.Fatalf("the same PUT again: %d %v %s", s2, err, b2)
		}
	} else if err != nil || s2 != 201 || h2.Get("Azure-AsyncOperation") != h1.Get("Azure-AsyncOperation") || !strings.Contains(b2, `"provisioningState":"Creating"`) {
		t.Fatalf("the same PUT again: %d %v %q %s", s2, err, h2.Get("Azure-AsyncOperation"), b2)
	}
	other, _ := json.Marshal(vmAttach(vmPrefix+"good", "azureuser", "Another-Passw0rd!", 22))
	if s, _, b, _ := send(t, srv, http.MethodPut, wsPath+"/computes/twice", other); s != 409 || errorCode(b) != "Conflict" {
		t.Fatalf("a different PUT while Creating: %d %s", s, b)
	}
	_, _, list, _ := send(t, srv, http.MethodGet, wsPath+"/computes", nil)
	if n := strings.Count(list, `"name":"twice"`); n != 1 {
		t.Fatalf("%d computes named twice: %s", n, list)
	}
	time.Sleep(400 * time.Millisecond)
	d1, dh1, _, _ := send(t, srv, http.MethodDelete, wsPath+"/computes/twice?underlyingResourceAction=Detach", nil)
	d2, dh2, _, _ := send(t, srv, http.MethodDelete, wsPath+"/computes/twice?underlyingResourceAction=Detach", nil)
	if d1 != 202 || d2 != 202 || dh1.Get("Location") != dh2.Get("Location") {
		t.Fatalf("detach twice: %d %d %q %q", d1, d2, dh1.Get("Location"), dh2.Get("Location"))
	}
}

func TestSlowHostAndDroppedConnection(t *testing.T) {
	srv := faultServer(t, "                latencyMs: 300\n                dropAfterCommands: 2\n", "")
	c, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, _, code := c.run(t, "echo one two"); out != "one two\n" || code != 0 {
		t.Fatalf("first command: %q %d", out, code)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("answered after %s; latencyMs is 300", d)
	}
	// The second command loses its connection halfway through its answer.
	s, err := c.c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s.Stdout = &out
	err = s.Run("echo abcdefgh")
	if err == nil || out.String() != "abcd" {
		t.Fatalf("second command: %v, output %q; want an error and half the output", err, out.String())
	}
	if _, err := c.c.NewSession(); err == nil {
		t.Fatal("the connection is still open")
	}
	// A new connection starts counting again.
	c2, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _ := c2.run(t, "echo again"); out != "again\n" {
		t.Fatalf("new connection: %q", out)
	}
}

func TestSlowHostStopsWaitingWhenClosed(t *testing.T) {
	srv := faultServer(t, "                latencyMs: 60000\n", "")
	c, err := dialSim(t, srv, "20.0.0.1:22", "azureuser", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("true"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close waited %s for a slow command", d)
	}
}
