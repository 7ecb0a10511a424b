package ui

import (
	"math"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// scrollPage is what a scrolling screen draws: a head and a foot that stay
// on screen, and a body between them that scrolls under "more above" and
// "more below" markers. The screens that show text longer than the
// terminal (host key, confirm, preflight, attach, doctor, a type's
// explanation) all draw through it, so they scroll alike.
type scrollPage struct {
	head, body, foot []string
	// pinFoot keeps the foot on the screen's last rows; without it the
	// foot follows a body shorter than its room.
	pinFoot bool
}

// bodyHeight is the room the body has on a screen height rows high.
func (p scrollPage) bodyHeight(height int) int {
	return max(3, height-len(p.head)-len(p.foot))
}

// scroller is the one scroll position of such a screen, moved by the same
// keys everywhere: ↑/k and ↓/j by a line, pgup and pgdn by a page, g/home
// to the top, G/end to the bottom. Reaching the bottom sticks there, so a
// body that grows (a log, probes filling in) stays followed until the user
// scrolls up. bubbles' viewport was not used: its default keys (f, d, b,
// space) are the force, detach and other keys of these screens, and it
// draws no markers.
type scroller struct {
	// offset is the first body line on screen after the "more above"
	// marker; atBottom (past any end) follows the bottom.
	offset int
}

const atBottom = math.MaxInt

// Top scrolls to the first line.
func (v *scroller) Top() { v.offset = 0 }

// Bottom scrolls to the last line and stays there as the body grows.
func (v *scroller) Bottom() { v.offset = atBottom }

// maxOffset is the offset that shows the body's last line: with the "more
// above" marker on the first row, the last height-1 lines.
func maxOffset(total, height int) int {
	if total <= height {
		return 0
	}
	return total - height + 1
}

// ShowLine scrolls so that body line i is the first on screen (as near as
// the body's end allows).
func (v *scroller) ShowLine(i int, p scrollPage, height int) {
	h := p.bodyHeight(height)
	v.offset = max(0, min(i, maxOffset(len(p.body), h)))
	if v.offset == 1 {
		// the marker would stand where line 0 was: line 0 and i both fit from the top
		v.offset = 0
	}
}

// HandleKey moves for a scroll key and reports whether msg was one.
func (v *scroller) HandleKey(k *KeyMap, msg tea.KeyMsg, p scrollPage, height int) bool {
	h := p.bodyHeight(height)
	last := maxOffset(len(p.body), h)
	from := min(v.offset, last)
	page := max(1, h-2) // the rows between the two markers
	to := from
	switch {
	case key.Matches(msg, k.Up):
		to--
	case key.Matches(msg, k.Down):
		to++
	case key.Matches(msg, k.PageUp):
		to -= page
	case key.Matches(msg, k.PageDown):
		to += page
	case key.Matches(msg, k.Home):
		to = 0
	case key.Matches(msg, k.End):
		to = last
	default:
		return false
	}
	if to == 1 {
		// Offset 1 would put the "more above" marker over line 0 and show
		// nothing new: go on in the direction of the move.
		to = 0
		if from < 1 {
			to = 2
		}
	}
	to = max(0, min(to, last))
	v.offset = to
	if to == last && last > 0 {
		v.offset = atBottom
	}
	return true
}

// More says whether lines lie above and below what is on screen.
func (v scroller) More(p scrollPage, height int) (above, below bool) {
	h := p.bodyHeight(height)
	last := maxOffset(len(p.body), h)
	off := min(v.offset, last)
	return off > 0, off < last
}

// Render draws the page: the head, the body's lines on screen with their
// markers, the foot; exactly height rows of at most width cells.
func (v scroller) Render(p scrollPage, width, height int) string {
	h := p.bodyHeight(height)
	vis, _ := window(p.body, v.offset, h)
	lines := make([]string, 0, height)
	lines = append(append(lines, p.head...), vis...)
	if p.pinFoot {
		for range h - len(vis) {
			lines = append(lines, "")
		}
	}
	return fit(append(lines, p.foot...), width, height)
}

// scrollView is what a scrolling screen embeds: its scroll position and
// its size.
type scrollView struct {
	scroll        scroller
	width, height int
}

func (v *scrollView) SetSize(w, h int) { v.width, v.height = w, h }

// scrollKey moves for a scroll key and reports whether msg was one.
func (v *scrollView) scrollKey(k *KeyMap, msg tea.KeyMsg, p scrollPage) bool {
	return v.scroll.HandleKey(k, msg, p, v.height)
}

// render draws the page at the screen's size.
func (v *scrollView) render(p scrollPage) string { return v.scroll.Render(p, v.width, v.height) }

// scrollKeys are the scroll keys as the help lists them.
func scrollKeys(k *KeyMap) []key.Binding {
	b := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
	for i, desc := range []string{"scroll up", "scroll down", "page up", "page down", "top", "bottom"} {
		b[i].SetHelp(b[i].Help().Key, desc)
	}
	return b
}
