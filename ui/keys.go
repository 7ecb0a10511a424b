package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key the wizard answers, built in one place. Screens pick
// the bindings that work in their current state for the help bar, so the
// help always shows the keys that work now. The "Typing" variants are the
// ones that still work while a text field has the keyboard (letters then
// go into the field).
type KeyMap struct {
	Quit, QuitTyping, Help, HelpTyping, Info, InfoTyping, Back key.Binding

	Up, Down, LineUp, LineDown, PageUp, PageDown, Home, End key.Binding
	Select, Filter, ClearFilter                             key.Binding

	Continue, ChangeWorkspace, Retry key.Binding
	PasteID, BuildID, UseID          key.Binding

	NextField, PrevField, Submit, Complete, Switch key.Binding

	Rerun, Edit, Proceed                    key.Binding
	Fix, FixAll, Toggle, Apply              key.Binding
	Accept, Refuse                          key.Binding
	Attach, Force, Yes, No                  key.Binding
	KeepWaiting, StopWatching, CancelDetach key.Binding
	Done                                    key.Binding
	TestJob, CancelJob                      key.Binding

	Troubleshoot, Reattach, Detach, WriteReport, Credentials, DoctorAgain key.Binding
}

// DefaultKeyMap builds the wizard's keys.
func DefaultKeyMap() *KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &KeyMap{
		Quit:       b([]string{"q", "ctrl+c"}, "q", "quit"),
		QuitTyping: b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:       b([]string{"?", "f1"}, "?", "help"),
		HelpTyping: b([]string{"f1"}, "f1", "help"),
		Info:       b([]string{"i", "f2"}, "i", "about this step"),
		InfoTyping: b([]string{"f2"}, "f2", "about this step"),
		Back:       b([]string{"esc"}, "esc", "back"),

		Up:          b([]string{"up", "k"}, "↑/k", "up"),
		Down:        b([]string{"down", "j"}, "↓/j", "down"),
		LineUp:      b([]string{"up"}, "↑", "up"),
		LineDown:    b([]string{"down"}, "↓", "down"),
		PageUp:      b([]string{"pgup"}, "pgup", "page up"),
		PageDown:    b([]string{"pgdown"}, "pgdn", "page down"),
		Home:        b([]string{"home", "g"}, "g/home", "first"),
		End:         b([]string{"end", "G"}, "G/end", "last"),
		Select:      b([]string{"enter"}, "enter", "choose"),
		Filter:      b([]string{"/"}, "/", "filter"),
		ClearFilter: b([]string{"esc"}, "esc", "clear filter"),

		Continue:        b([]string{"enter"}, "enter", "continue"),
		ChangeWorkspace: b([]string{"c"}, "c", "change workspace"),
		Retry:           b([]string{"r"}, "r", "retry"),
		PasteID:         b([]string{"p"}, "p", "paste an ID"),
		BuildID:         b([]string{"b"}, "b", "build an ID"),
		UseID:           b([]string{"enter"}, "enter", "use this ID"),

		NextField: b([]string{"tab", "down"}, "tab/↓", "next field"),
		PrevField: b([]string{"shift+tab", "up"}, "shift+tab/↑", "previous field"),
		Submit:    b([]string{"enter"}, "enter", "next"),
		Complete:  b([]string{"tab"}, "tab", "complete path"),
		Switch:    b([]string{"left", "right", " "}, "←/→", "change"),

		Rerun:   b([]string{"r"}, "r", "run again"),
		Edit:    b([]string{"e"}, "e", "edit the field at fault"),
		Proceed: b([]string{"enter"}, "enter", "continue"),

		Fix:    b([]string{"f"}, "f", "fix"),
		FixAll: b([]string{"F"}, "F", "fix all"),
		Toggle: b([]string{" "}, "space", "tick/untick"),
		Apply:  b([]string{"enter"}, "enter", "apply"),

		Accept: b([]string{"y"}, "y", "accept and save the key"),
		Refuse: b([]string{"n", "esc"}, "n/esc", "refuse"),

		Attach: b([]string{"enter"}, "enter", "attach"),
		Force:  b([]string{"f"}, "f", "attach anyway"),
		Yes:    b([]string{"y"}, "y", "yes"),
		No:     b([]string{"n", "esc"}, "n/esc", "no"),

		KeepWaiting:  b([]string{"esc", "w"}, "esc/w", "keep waiting"),
		StopWatching: b([]string{"s"}, "s", "stop watching"),
		CancelDetach: b([]string{"d"}, "d", "cancel and detach"),

		Done: b([]string{"enter", "q"}, "enter/q", "quit"),

		TestJob:   b([]string{"j"}, "j", "run a test job"),
		CancelJob: b([]string{"c"}, "c", "cancel the job"),

		Troubleshoot: b([]string{"t"}, "t", "troubleshoot an attachment"),
		Reattach:     b([]string{"r"}, "r", "reattach"),
		Detach:       b([]string{"d"}, "d", "detach"),
		WriteReport:  b([]string{"w"}, "w", "report"),
		Credentials:  b([]string{"c"}, "c", "try other credentials"),
		DoctorAgain:  b([]string{"a"}, "a", "run doctor again"),
	}
}
