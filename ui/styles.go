package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"

	"amlattach/probes"
)

// Styles is every style the wizard draws with, built in one place. Colour
// only ever repeats what a glyph and a word already say: with NO_COLOR or
// TERM=dumb the screens read the same.
type Styles struct {
	Header, HeaderStep, Badge, Title, Subtle, Text, Bold lipgloss.Style
	Selected, Cursor, Key                                lipgloss.Style
	Pass, Warn, Fail, Skip, Running, Waiting             lipgloss.Style
	ErrorText, OKText, Danger, DangerBox, WarnBox        lipgloss.Style
	Panel, PanelTitle, Code, Field, FieldFocused         lipgloss.Style
	Dialog                                               lipgloss.Style
	Help                                                 help.Styles
}

// NewStyles builds the styles from the theme's colours.
func NewStyles() *Styles {
	accent := lipgloss.AdaptiveColor{Light: "#1f5fbf", Dark: "#6fa8ff"}
	subtle := lipgloss.AdaptiveColor{Light: "#6b6b6b", Dark: "#9a9a9a"}
	green := lipgloss.AdaptiveColor{Light: "#1a7f37", Dark: "#56d364"}
	yellow := lipgloss.AdaptiveColor{Light: "#9a6700", Dark: "#e3b341"}
	red := lipgloss.AdaptiveColor{Light: "#cf222e", Dark: "#ff7b72"}
	magenta := lipgloss.AdaptiveColor{Light: "#8250df", Dark: "#d2a8ff"}

	s := &Styles{}
	s.Header = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.HeaderStep = lipgloss.NewStyle().Foreground(subtle)
	s.Badge = lipgloss.NewStyle().Bold(true).Foreground(magenta)
	s.Title = lipgloss.NewStyle().Bold(true)
	s.Subtle = lipgloss.NewStyle().Foreground(subtle)
	s.Text = lipgloss.NewStyle()
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.Selected = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Cursor = lipgloss.NewStyle().Foreground(accent)
	s.Key = lipgloss.NewStyle().Bold(true)
	s.Pass = lipgloss.NewStyle().Foreground(green)
	s.Warn = lipgloss.NewStyle().Foreground(yellow)
	s.Fail = lipgloss.NewStyle().Bold(true).Foreground(red)
	s.Skip = lipgloss.NewStyle().Foreground(subtle)
	s.Running = lipgloss.NewStyle().Foreground(accent)
	s.Waiting = lipgloss.NewStyle().Foreground(subtle)
	s.ErrorText = lipgloss.NewStyle().Foreground(red)
	s.OKText = lipgloss.NewStyle().Foreground(green)
	s.Danger = lipgloss.NewStyle().Bold(true).Foreground(red)
	s.DangerBox = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(red).Padding(0, 1)
	s.WarnBox = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(yellow).Padding(0, 1)
	s.Panel = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(subtle).PaddingLeft(1)
	s.PanelTitle = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Code = lipgloss.NewStyle().Foreground(accent)
	s.Field = lipgloss.NewStyle()
	s.FieldFocused = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Dialog = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(accent).Padding(0, 1)
	s.Help = help.Styles{
		ShortKey:       lipgloss.NewStyle().Bold(true),
		ShortDesc:      lipgloss.NewStyle().Foreground(subtle),
		ShortSeparator: lipgloss.NewStyle().Foreground(subtle),
		Ellipsis:       lipgloss.NewStyle().Foreground(subtle),
		FullKey:        lipgloss.NewStyle().Bold(true),
		FullDesc:       lipgloss.NewStyle().Foreground(subtle),
		FullSeparator:  lipgloss.NewStyle().Foreground(subtle),
	}
	return s
}

// Status renders a probe status as glyph and word, coloured.
func (s *Styles) Status(st probes.Status) string {
	switch st {
	case probes.Pass:
		return s.Pass.Render("✓ pass")
	case probes.Warn:
		return s.Warn.Render("! warn")
	case probes.Fail:
		return s.Fail.Render("✗ FAIL")
	case probes.Skip:
		return s.Skip.Render("- skip")
	}
	return s.Waiting.Render("· wait")
}

// Good and Bad mark a live check of what was typed.
func (s *Styles) Good(msg string) string { return s.OKText.Render("✓ " + msg) }
func (s *Styles) Bad(msg string) string  { return s.ErrorText.Render("✗ " + msg) }
func (s *Styles) Note(msg string) string { return s.Warn.Render("! " + msg) }
