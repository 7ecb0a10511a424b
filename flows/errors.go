package flows

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"amlattach/azure"
)

// Kind sorts failures by what the user must do; each maps to an exit code.
type Kind int

const (
	KindProbeFailed Kind = 1   // a probe failed; nothing was sent
	KindInput       Kind = 2   // bad input or usage
	KindAzure       Kind = 3   // Azure refused, or the attach ended Failed/Canceled
	KindCredential  Kind = 4   // no usable Azure credential
	KindInterrupted Kind = 130 // Ctrl-C
)

// Error is a failure with what happened, the flag or field it concerns, and the fix.
type Error struct {
	Kind  Kind
	Field string // the flag or field at fault, e.g. "--ssh-key"
	Msg   string
	Fix   string
	Err   error
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode is the process exit code for err (0 for nil).
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var fe *Error
	if errors.As(err, &fe) {
		return int(fe.Kind)
	}
	if errors.Is(err, context.Canceled) {
		return int(KindInterrupted)
	}
	if azure.IsCredentialError(err) || azure.IsSignInRefused(err) {
		return int(KindCredential)
	}
	if _, ok := azure.AsAzureError(err); ok {
		return int(KindAzure)
	}
	return int(KindInput)
}

func inputErr(field, fix, format string, a ...any) *Error {
	return &Error{Kind: KindInput, Field: field, Msg: fmt.Sprintf(format, a...), Fix: fix}
}

// signInAgain is the fix when Azure refuses the token.
const signInAgain = "sign in again: az login (on a machine without a browser: amlattach --auth device-code)"

// reason says in a few words why a request to Azure failed.
func reason(err error) string {
	if ae, ok := azure.AsAzureError(err); ok {
		return fmt.Sprintf("Azure answered HTTP %d %s: %s", ae.Status, ae.Code, ae.Message)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer from Azure in time"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The request's URL adds nothing; what happened to the connection does.
		return "no answer from Azure: " + ue.Err.Error()
	}
	return err.Error()
}

// FromAzure classifies an error from the facade: a credential failure (4),
// an interruption (130), or Azure's refusal (3) with its code and message.
func FromAzure(what string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	var follow *azure.FollowError
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindInterrupted, Msg: what + ": interrupted", Err: err}
	case errors.As(err, &follow):
		// Azure took the request; only the wait for its end failed.
		kind, fix := KindAzure, "check it with: amlattach list"
		if azure.IsSignInRefused(err) || azure.IsCredentialError(err) {
			kind, fix = KindCredential, signInAgain+", then check it with: amlattach list"
		}
		msg := fmt.Sprintf("the %s of %q was sent and goes on in Azure (last seen %s), but following it failed: %s", follow.Op, follow.Name, follow.State, reason(follow.Err))
		if s := follow.State; s == "Succeeded" || s == "Failed" || s == "Canceled" {
			msg = fmt.Sprintf("the %s of %q ended %s in Azure, but reading its result failed: %s", follow.Op, follow.Name, s, reason(follow.Err))
		}
		return &Error{Kind: kind, Msg: msg, Fix: fix, Err: err}
	case azure.IsSignInRefused(err):
		return &Error{Kind: KindCredential, Msg: what + ": Azure no longer accepts your sign-in: " + reason(err), Fix: signInAgain, Err: err}
	case azure.IsCredentialError(err):
		reason := err.Error()
		var ce *azure.CredentialError
		if errors.As(err, &ce) {
			reason = ce.Err.Error()
		}
		reason, _, _ = strings.Cut(strings.TrimSpace(reason), "\n")
		return &Error{Kind: KindCredential, Msg: "no usable Azure credential: " + reason, Err: err,
			Fix: "sign in with: az login (on a machine without a browser: amlattach --auth device-code)"}
	}
	if ae, ok := azure.AsAzureError(err); ok {
		fix := ""
		switch {
		case ae.Status == 403:
			fix = "ask for a role that allows this (Contributor or AzureML Data Scientist on the workspace)"
		case ae.Status == 429:
			fix = "Azure is throttling requests: wait a minute and try again"
		case ae.Status >= 500:
			fix = "Azure had an internal error: try again; if it persists, check the Azure status page"
		}
		return &Error{Kind: KindAzure, Msg: fmt.Sprintf("%s: Azure answered HTTP %d %s: %s", what, ae.Status, ae.Code, ae.Message), Fix: fix, Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindAzure, Msg: what + ": no answer from Azure in time", Fix: "check your network connection and try again", Err: err}
	}
	return &Error{Kind: KindAzure, Msg: fmt.Sprintf("%s: %s", what, reason(err)), Fix: "check your network connection and try again", Err: err}
}
