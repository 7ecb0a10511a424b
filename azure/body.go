package azure

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// bodyMu serialises readAllBody: one error (and its response) can be read
// by several probes at once, as when a memoised read failed.
var bodyMu sync.Mutex

// readAllBody reads a buffered response body and puts it back for the next reader.
func readAllBody(resp *http.Response) ([]byte, error) {
	bodyMu.Lock()
	defer bodyMu.Unlock()
	if resp.Body == nil {
		return nil, io.EOF
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return data, err
}

// str dereferences an optional string from the SDK.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
