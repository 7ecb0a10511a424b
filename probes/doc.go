// Package probes holds amlattach's preflight checks, one check per file. Each
// takes a context first (where it does I/O) and returns a typed Result that
// says what was checked, what was found and, when it did not pass, the fix.
//
// Probes know nothing of the order they run in (flows builds the dependency
// graph) and nothing of how results are shown: they must not import ui, flows,
// cobra, Bubble Tea or Lip Gloss, must not print, and must never put a secret
// (password, private key, token) into a Result.
package probes
