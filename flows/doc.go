// Package flows is the wizard's logic without its face: the attach targets,
// their fields and validation, the probe plan as a dependency graph, running
// the preflight and the attach, and the events both faces consume (the TUI
// turns them into messages, the headless commands into lines or JSON).
//
// It must not import ui, cobra, Bubble Tea or Lip Gloss, must not print, and
// holds no package-level mutable state: everything it needs arrives in Deps.
package flows
