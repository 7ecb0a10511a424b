// Package azure is amlattach's typed facade over the Azure SDK for Go: the
// Azure ML workspace and its computes (list, get, attach, detach, listKeys)
// and the resources behind an attach target (virtual machines, their network
// interfaces, public IPs and network security groups).
//
// It talks to Azure Resource Manager only through the SDK's arm clients, so the
// same code runs against real Azure and against the sandbox (a custom Resource
// Manager endpoint whose certificate the client trusts). It must not import
// ui, flows, Bubble Tea or Lip Gloss, must not print, and must never put a
// secret into an error message.
package azure
