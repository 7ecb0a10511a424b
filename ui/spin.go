package ui

import (
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
)

// spin is a spinner that ticks only while something runs, so that a
// settled screen stops redrawing (and its goldens are stable).
type spin struct {
	m  spinner.Model
	on bool
}

func newSpin(c *Common) spin {
	return spin{m: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Running))}
}

// start begins ticking; the returned Cmd is nil when it already ticks.
func (s *spin) start() tea.Cmd {
	if s.on {
		return nil
	}
	s.on = true
	return s.m.Tick
}

func (s *spin) stop() { s.on = false }

// update advances the frame on this spinner's own ticks while it runs.
func (s *spin) update(msg tea.Msg) tea.Cmd {
	t, ok := msg.(spinner.TickMsg)
	if !ok || t.ID != s.m.ID() || !s.on {
		return nil
	}
	var cmd tea.Cmd
	s.m, cmd = s.m.Update(msg)
	return cmd
}

func (s spin) view() string { return s.m.View() }
