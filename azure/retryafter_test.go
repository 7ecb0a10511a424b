package azure

import (
	"net/http"
	"testing"
	"time"
)

// A poll's Retry-After is read in every form azcore reads it in.
func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"milliseconds", map[string]string{"retry-after-ms": "250"}, 250 * time.Millisecond},
		{"Azure's milliseconds", map[string]string{"x-ms-retry-after-ms": "400"}, 400 * time.Millisecond},
		{"milliseconds first", map[string]string{"retry-after-ms": "250", "Retry-After": "3"}, 250 * time.Millisecond},
		{"HTTP date", map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second},
		{"HTTP date gone by", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"zero", map[string]string{"Retry-After": "0"}, 0},
		{"garbage", map[string]string{"Retry-After": "soon", "x-ms-retry-after-ms": "-5"}, 0},
	} {
		resp := &http.Response{Header: http.Header{}}
		for k, v := range c.headers {
			resp.Header.Set(k, v)
		}
		if got := retryAfter(resp, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if retryAfter(nil, now) != 0 {
		t.Error("no answer: want no wait")
	}
}
