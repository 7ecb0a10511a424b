package azure

import (
	"bytes"
	"io"
	"net/http"
)

func readAllBody(resp *http.Response) ([]byte, error) {
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
