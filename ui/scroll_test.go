package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"amlattach/flows"
)

const (
	moreAbove = "  ↑ more above (pgup)"
	moreBelow = "  ↓ more below (pgdn)"
)

// scrollKey is a key by name, with the page and end keys that keyMsg
// does not name.
func scrollKey(k string) tea.KeyMsg {
	if t, ok := map[string]tea.KeyType{"pgup": tea.KeyPgUp, "home": tea.KeyHome, "end": tea.KeyEnd}[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return keyMsg(k)
}

// plainLines are lines as a screen width cells wide shows them, unstyled.
func plainLines(lines []string, width int) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(ansi.Strip(trunc(l, width)), " ")
	}
	return out
}

// wantWindow is what the body's rows must show scrolled to offset: the
// lines from offset with a marker on the first row when lines lie above and
// on the last when lines lie below.
func wantWindow(body []string, offset, h int) []string {
	last := len(body) - h + 1
	switch {
	case offset == 0:
		return append(slices.Clone(body[:h-1]), moreBelow)
	case offset >= last:
		return append([]string{moreAbove}, body[last:]...)
	}
	return append(append([]string{moreAbove}, body[offset:offset+h-2]...), moreBelow)
}

// checkScrolls drives the scroll keys through the wizard on the screen on
// show, and checks that each moves as every scrolling screen moves: ↓/j and
// ↑/k a line (one new line in view), pgdn/pgup the rows between the
// markers, g/home and G/end to the ends; and that its help lists them.
func checkScrolls(t *testing.T, d *driver, size tea.WindowSizeMsg, view func() string, pg func() scrollPage, help func() [][]string) {
	t.Helper()
	d.send(size)
	p := pg()
	rows := func() []string { return strings.Split(ansi.Strip(view()), "\n") }
	width, height := d.m.bodySize()
	if n := len(rows()); n != height {
		t.Fatalf("the screen has %d rows, the wizard gives it %d", n, height)
	}
	h := p.bodyHeight(height)
	body := plainLines(p.body, width)
	if len(body) < h+4 {
		t.Fatalf("a body of %d lines in %d rows is too short for this test:\n%s", len(body), h, ansi.Strip(view()))
	}
	last := len(body) - h + 1
	page := h - 2
	step := func(keys string, offset int) {
		t.Helper()
		d.send(scrollKey(keys))
		got, want := rows()[len(p.head):len(p.head)+h], wantWindow(body, offset, h)
		if !slices.Equal(got, want) {
			t.Fatalf("after %s: rows\n%s\nwant (offset %d)\n%s", keys, strings.Join(got, "\n"), offset, strings.Join(want, "\n"))
		}
	}
	var keys []string
	for _, g := range help() {
		keys = append(keys, g...)
	}
	// j runs a test job where one is offered (the help says so); ↓ scrolls there
	down1, downKey := "j", "↓/j"
	if slices.Contains(keys, "j") {
		down1, downKey = "down", "↓"
	}
	step("g", 0)
	step(down1, 2) // offset 1 would show no new line: the marker takes line 0's row
	step("down", 3)
	step("k", 2)
	step("up", 0)
	// where a move down or up to o ends: within the body, and past offset
	// 1, which would show no new line (the marker takes line 0's row)
	down := func(o int) int { return max(2, min(o, last)) }
	up := func(o int) int {
		if o <= 1 {
			return 0
		}
		return o
	}
	step("pgdown", down(page))
	step("pgdown", down(down(page)+page))
	step("pgup", up(down(down(page)+page)-page))
	step("G", last)
	step("k", last-1)
	step("end", last)
	step("pgup", up(last-page))
	step("home", 0)

	for _, k := range []string{"↑/k", downKey, "pgup", "pgdn", "g/home", "G/end"} {
		if !slices.Contains(keys, k) {
			t.Errorf("the full help lists %v, not %s", keys, k)
		}
	}
}

// helpKeys are the keys a screen's full help shows.
func helpKeys(groups [][]key.Binding) [][]string {
	out := make([][]string, len(groups))
	for i, g := range groups {
		for _, b := range g {
			out[i] = append(out[i], b.Help().Key)
		}
	}
	return out
}

func TestEveryScreenScrollsWithTheSameKeys(t *testing.T) {
	small := tea.WindowSizeMsg{Width: 50, Height: 18}
	t.Run("host key", func(t *testing.T) {
		f := newFake()
		f.askHostKey = true
		d := toPreflight(t, f)
		d.wantStep(stepHostKey)
		s := d.m.hostkey
		checkScrolls(t, d, tea.WindowSizeMsg{Width: 40, Height: 16}, s.View, s.page, func() [][]string { return helpKeys(s.FullHelp()) })
	})
	t.Run("preflight", func(t *testing.T) {
		d := toPreflight(t, newFake())
		d.want("Ready to attach")
		s := d.m.preflight
		checkScrolls(t, d, small, s.View, s.page, func() [][]string { return helpKeys(s.FullHelp()) })
	})
	t.Run("confirm", func(t *testing.T) {
		d := toPreflight(t, newFake())
		d.keys("enter")
		d.wantStep(stepConfirm)
		s := d.m.confirm
		checkScrolls(t, d, tea.WindowSizeMsg{Width: 36, Height: 24}, s.View, s.page, func() [][]string { return helpKeys(s.FullHelp()) })
	})
	t.Run("attach", func(t *testing.T) {
		d := toPreflight(t, newFake())
		d.keys("enter", "enter")
		d.wantStep(stepAttach)
		d.want("create_or_update")
		s := d.m.attach
		checkScrolls(t, d, small, s.View, s.page, func() [][]string { return helpKeys(s.FullHelp()) })
	})
	t.Run("doctor", func(t *testing.T) {
		d := newDriver(t, testOptions(troubleFake()), 99, 30)
		d.toDoctor("dbx-legacy")
		d.want("The compute has problems")
		s := d.m.doctor
		checkScrolls(t, d, small, s.View, s.page, func() [][]string { return helpKeys(s.FullHelp()) })
	})
	t.Run("explain", func(t *testing.T) {
		d := newDriver(t, testOptions(newFake()), 99, 30)
		d.keys("enter", "/")
		d.typeText("local")
		d.keys("enter")
		d.want("never attached")
		s := d.m.explain
		page := func() scrollPage { return scrollPage{body: s.lines()} }
		checkScrolls(t, d, tea.WindowSizeMsg{Width: 40, Height: 16}, s.View, page, func() [][]string { return helpKeys(s.FullHelp()) })
	})
}

// A body that grows while scrolled to its bottom stays followed (the
// attach log); scrolled up, it stays where the user left it.
func TestScrollerFollowsTheBottom(t *testing.T) {
	k := DefaultKeyMap()
	body := func(n int) scrollPage {
		p := scrollPage{}
		for i := range n {
			p.body = append(p.body, fmt.Sprintf("line %d", i))
		}
		return p
	}
	var v scroller
	v.Bottom()
	if got := v.Render(body(20), 40, 5); !strings.HasSuffix(got, "line 19") {
		t.Fatalf("at the bottom:\n%s", got)
	}
	if got := v.Render(body(30), 40, 5); !strings.HasSuffix(got, "line 29") || !strings.HasPrefix(got, moreAbove) {
		t.Fatalf("grown at the bottom:\n%s", got)
	}
	v.HandleKey(k, scrollKey("k"), body(30), 5)
	if got := v.Render(body(40), 40, 5); !strings.Contains(got, "line 25") || strings.Contains(got, "line 39") {
		t.Fatalf("scrolled up, then grown:\n%s", got)
	}
	v.HandleKey(k, keyMsg("j"), body(30), 5) // down to the bottom again: followed
	if got := v.Render(body(50), 40, 5); !strings.HasSuffix(got, "line 49") {
		t.Fatalf("back at the bottom, then grown:\n%s", got)
	}
	// A body that fits does not follow: the first key leaves it at the top.
	v.Top()
	v.HandleKey(k, keyMsg("j"), body(3), 5)
	if got := v.Render(body(10), 40, 5); !strings.HasPrefix(got, "line 0") {
		t.Fatalf("grown after a key on a body that fit:\n%s", got)
	}
}

// While Azure is watched the attach screen shows the log's end (with the
// marker that more lies above); scrolled up, the log stays put.
func TestAttachFollowsItsLog(t *testing.T) {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap(), Now: newClock().Now}
	s := newAttachScreen(c, t.Context(), newFake())
	s.SetSize(60, 8)
	s.begin(testOptions(newFake()).Workspace, &flows.Plan{Type: "vm", Name: "gpu-dsvm"}, nil)
	for i := range 12 {
		s.add(c.now(), fmt.Sprintf("event %d", i))
	}
	v := ansi.Strip(s.View())
	if !strings.HasPrefix(v, moreAbove) || !strings.Contains(v, "event 11") {
		t.Fatalf("running, long log:\n%s", v)
	}
	s.Update(scrollKey("pgup"))
	s.add(c.now(), "event 12")
	if v := ansi.Strip(s.View()); strings.Contains(v, "event 12") || !strings.Contains(v, moreBelow) {
		t.Fatalf("scrolled up, one more event:\n%s", v)
	}
	s.Update(keyMsg("G"))
	s.add(c.now(), "event 13")
	if v := ansi.Strip(s.View()); !strings.Contains(v, "event 13") {
		t.Fatalf("back at the end, one more event:\n%s", v)
	}
}
