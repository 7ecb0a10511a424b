package azure

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// IsNotFound reports whether Azure answered 404 for the resource.
func IsNotFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}

// AzureError is Azure's answer to a refused request, kept word for word.
type AzureError struct {
	Status  int
	Code    string
	Message string
}

// AsAzureError extracts Azure's status, code and message from err.
func AsAzureError(err error) (AzureError, bool) {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return AzureError{}, false
	}
	return AzureError{Status: re.StatusCode, Code: re.ErrorCode, Message: responseMessage(re)}, true
}

// responseMessage digs the service's own message out of the ARM error envelope.
func responseMessage(re *azcore.ResponseError) string {
	if re.RawResponse != nil {
		var env struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		// The SDK has already buffered the body; reading it again is safe.
		if data, err := readAllBody(re.RawResponse); err == nil && json.Unmarshal(data, &env) == nil && env.Error.Message != "" {
			return env.Error.Message
		}
	}
	msg := re.Error()
	if i := strings.LastIndex(msg, "ERROR CODE:"); i >= 0 {
		return strings.TrimSpace(msg[i:])
	}
	return msg
}
