package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Azure ML data plane the job commands read, on the sandbox's own HTTPS
// listener under /mlservices/:
//
//	/mlservices/{region}/discovery   the document a workspace's discoveryUrl names ("api": the host below)
//	/mlservices/{region}/history/v1.0/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.MachineLearningServices/workspaces/{w}/runs/{job}/details
//	                                 a job's run: status, times, error, logFiles (bearer token required)
//	/mlservices/blob/{storage}/ExperimentRun/dcid.{job}/user_logs/std_log.txt?...&se=…&sig=…
//	                                 the user log, readable with the signed URL alone (like a SAS URL)

const mlDataPrefix = "/mlservices/"

// logTTL is how long a log URL stays valid.
const logTTL = time.Hour

// discoveryURL is the workspace's properties.discoveryUrl.
func (s *Server) discoveryURL(ws *wsState) string {
	return s.endpoint + mlDataPrefix + strings.ToLower(strings.ReplaceAll(ws.ws.Location, " ", "")) + "/discovery"
}

// workspaceJSON is the workspace's ARM body with its discoveryUrl.
func (s *Server) workspaceJSON(ws *wsState) map[string]any {
	out := ws.json()
	out["properties"].(map[string]any)["discoveryUrl"] = s.discoveryURL(ws)
	return out
}

// serveMLData answers the data-plane requests.
func (s *Server) serveMLData(w http.ResponseWriter, r *http.Request) {
	reqID := randomUUID()
	w.Header().Set("x-ms-request-id", reqID)
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		mlError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Only GET is served here.")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, mlDataPrefix)
	if strings.HasPrefix(rest, "blob/") {
		s.serveJobLog(w, r)
		return
	}
	region, path, _ := strings.Cut(rest, "/")
	base := s.endpoint + mlDataPrefix + region
	if path == "discovery" {
		writeJSON(w, http.StatusOK, map[string]any{
			"api": base, "catalog": base, "experimentation": base, "gallery": base, "history": base,
			"hyperdrive": base, "labeling": base, "modelmanagement": base, "pipelines": base, "studio": "https://ml.azure.com",
		})
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common"`)
		mlError(w, http.StatusUnauthorized, "AuthenticationFailed", "The request needs a bearer token for https://management.azure.com/.")
		return
	}
	segs := splitPath(path)
	// history v1.0 subscriptions {s} resourceGroups {g} providers Microsoft.MachineLearningServices workspaces {w} runs {job} details
	if len(segs) != 13 || segs[0] != "history" || segs[1] != "v1.0" || !strings.EqualFold(segs[2], "subscriptions") ||
		!strings.EqualFold(segs[4], "resourceGroups") || !strings.EqualFold(segs[6], "providers") ||
		!strings.EqualFold(segs[7], "Microsoft.MachineLearningServices") || !strings.EqualFold(segs[8], "workspaces") ||
		segs[10] != "runs" || segs[12] != "details" {
		mlError(w, http.StatusNotFound, "NotFound", "The sandbox serves the run history's runs/{id}/details only.")
		return
	}
	s.jobs.mu.Lock()
	s.jobs.init()
	j := s.jobs.byKey[key(segs[3], segs[5], segs[9])+"/"+segs[11]]
	var body map[string]any
	if j != nil {
		body = s.runDetailsJSON(j)
	}
	s.jobs.mu.Unlock()
	if j == nil {
		mlError(w, http.StatusNotFound, "UserError", fmt.Sprintf("Run %s was not found in workspace %s.", segs[11], segs[9]))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// mlError is the data plane's error envelope (an ErrorResponse).
func mlError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// runDetailsJSON is a job's RunDetails. The caller holds s.jobs.mu.
func (s *Server) runDetailsJSON(j *jobState) map[string]any {
	out := map[string]any{
		"runId":        j.name,
		"runUuid":      stableUUID("run" + j.wsID + "/" + j.name),
		"status":       j.status,
		"target":       j.computeName,
		"runType":      "azureml.scriptrun",
		"experimentId": stableUUID("experiment" + j.wsID + "/" + j.experiment),
		"warnings":     []any{},
		"logFiles":     map[string]any{},
		"properties":   map[string]any{"azureml.runsource": "azureml.scriptrun", "ContentSnapshotId": ""},
		"error":        nil,
	}
	if !j.start.IsZero() {
		out["startTimeUtc"] = j.start.UTC().Format(time.RFC3339Nano)
		out["logFiles"] = map[string]any{"user_logs/std_log.txt": s.logURL(j, "user_logs/std_log.txt")}
	}
	if !j.end.IsZero() {
		out["endTimeUtc"] = j.end.UTC().Format(time.RFC3339Nano)
	}
	if j.errMsg != "" {
		out["error"] = map[string]any{"error": map[string]any{"code": j.errCode, "message": j.errMsg}}
	}
	return out
}

func (s *Server) logPath(j *jobState, name string) string {
	return mlDataPrefix + "blob/" + storageName(j.wsKey[strings.LastIndex(j.wsKey, "/")+1:]) + "/ExperimentRun/dcid." + j.name + "/" + name
}

func (s *Server) logSig(path, expiry string) string {
	m := hmac.New(sha256.New, s.jobs.secret)
	m.Write([]byte(path + "\n" + expiry))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// logURL is a signed URL that reads a log of j. The caller holds s.jobs.mu.
func (s *Server) logURL(j *jobState, name string) string {
	path := s.logPath(j, name)
	se := s.now().Add(logTTL).UTC().Format(time.RFC3339)
	q := url.Values{"sv": {"2021-08-06"}, "sr": {"b"}, "sp": {"r"}, "se": {se}, "sig": {s.logSig(path, se)}}
	return s.endpoint + path + "?" + q.Encode()
}

// serveJobLog serves a log to whoever holds its signed URL.
func (s *Server) serveJobLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	se := q.Get("se")
	s.jobs.mu.Lock()
	s.jobs.init()
	ok := hmac.Equal([]byte(q.Get("sig")), []byte(s.logSig(r.URL.Path, se)))
	s.jobs.mu.Unlock()
	exp, err := time.Parse(time.RFC3339, se)
	if !ok || err != nil || s.now().After(exp) {
		mlError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of the signature is right and that it has not expired.")
		return
	}
	rest := r.URL.Path[strings.Index(r.URL.Path, "/ExperimentRun/dcid.")+len("/ExperimentRun/dcid."):]
	name, file, _ := strings.Cut(rest, "/")
	var text string
	found := false
	s.jobs.mu.Lock()
	for _, j := range s.jobs.byKey {
		if j.name == name && s.logPath(j, file) == r.URL.Path {
			text, found = j.log.String(), true
			break
		}
	}
	s.jobs.mu.Unlock()
	if !found {
		mlError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(text))
}
