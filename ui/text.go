package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// wrap breaks s into lines of at most width cells, at spaces where it can
// (hard-breaking longer words such as resource IDs); it keeps styling.
func wrap(s string, width int) []string {
	if width < 8 {
		width = 8
	}
	return strings.Split(ansi.Wrap(s, width, "/"), "\n")
}

// wrapIndent wraps s to width, indenting every line by indent spaces.
func wrapIndent(s string, width, indent int) []string {
	pad := strings.Repeat(" ", indent)
	lines := wrap(s, width-indent)
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return lines
}

// trunc cuts s to width cells with an ellipsis.
func trunc(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// fit pads or cuts lines so that exactly height lines of at most width cells remain.
func fit(lines []string, width, height int) string {
	out := make([]string, 0, height)
	for _, l := range lines {
		if len(out) == height {
			break
		}
		for _, part := range strings.Split(l, "\n") {
			if len(out) == height {
				break
			}
			out = append(out, strings.TrimRight(trunc(part, width), " "))
		}
	}
	for len(out) < height {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

// window returns the lines from offset that fit in height, with a marker
// line where more lies above or below; offset is clamped.
func window(lines []string, offset, height int) ([]string, int) {
	if height <= 0 {
		return nil, 0
	}
	if len(lines) <= height {
		return lines, 0
	}
	maxOff := len(lines) - height + 1
	offset = max(0, min(offset, maxOff))
	var out []string
	room := height
	if offset > 0 {
		out = append(out, "  ↑ more above (pgup)")
		room--
	}
	end := offset + room
	if end < len(lines) {
		end--
		out = append(out, lines[offset:end]...)
		return append(out, "  ↓ more below (pgdn)"), offset
	}
	return append(out, lines[offset:min(end, len(lines))]...), offset
}

// orDash shows "-" for an empty value.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// newInput is a text field with a steady cursor (a blinking one would keep
// redrawing settled screens).
func newInput() textinput.Model {
	ti := textinput.New()
	ti.Cursor.SetMode(cursor.CursorStatic)
	return ti
}

// labelled lays out "label  value" with the value wrapped under itself.
func labelled(label, value string, labelWidth, width int, labelStyle lipgloss.Style) []string {
	vals := wrap(value, width-labelWidth-2)
	out := make([]string, len(vals))
	for i, v := range vals {
		if i == 0 {
			out[i] = "  " + labelStyle.Render(label+strings.Repeat(" ", max(0, labelWidth-lipgloss.Width(label)))) + v
			continue
		}
		out[i] = strings.Repeat(" ", labelWidth+2) + v
	}
	return out
}

// wrapKeepIndent wraps a line whose leading spaces are an indent, indenting
// its continuation lines two more.
func wrapKeepIndent(l string, width int) []string {
	n := len(l) - len(strings.TrimLeft(l, " "))
	first := wrap(l[n:], width-n)
	out := []string{strings.Repeat(" ", n) + first[0]}
	if len(first) > 1 {
		rest := strings.Join(first[1:], " ")
		out = append(out, wrapIndent(rest, width, n+2)...)
	}
	return out
}

// hang wraps s to width with a hanging indent: the first line keeps s's
// own leading spaces, the lines after it start indent cells in.
func hang(s string, width, indent int) []string {
	body := strings.TrimLeft(s, " ")
	lead := len(s) - len(body)
	lines := wrap(body, width-max(lead, indent))
	for i := range lines {
		pad := indent
		if i == 0 {
			pad = lead
		}
		lines[i] = strings.Repeat(" ", pad) + lines[i]
	}
	return lines
}
