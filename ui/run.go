package ui

import (
	"context"
	"errors"
	"io"

	tea "github.com/charmbracelet/bubbletea"
)

// Run shows the wizard full screen on out, reading keys from in, until the
// user leaves; the Outcome says how it ended.
func Run(ctx context.Context, o Options, in io.Reader, out io.Writer) (Outcome, error) {
	m := New(ctx, o)
	defer m.Close()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	_, err := p.Run()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return m.Outcome(), err
	}
	return m.Outcome(), nil
}
