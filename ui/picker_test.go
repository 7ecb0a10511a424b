package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// fewestOffset is the first row on screen that keeps the highlighted row
// whole on screen while scrolling as little as possible from offset,
// worked out the long way: each candidate first row in turn, summing the
// heights down to the highlight.
func fewestOffset(p *picker, offset int) int {
	if p.cursor < offset {
		return p.cursor
	}
	for o := offset; o < p.cursor; o++ {
		used := 0
		for i := o; i <= p.cursor; i++ {
			used += p.itemHeight(p.shown[i])
		}
		if used <= p.listHeight() {
			return o
		}
	}
	return p.cursor
}

// Rows of different heights (a description under some), a filter, and
// every move: the highlighted row is always on screen, and the list
// scrolls no further than it must.
func TestPickerScrollsAsLittleAsItMust(t *testing.T) {
	for _, descOnCursor := range []bool{false, true} {
		t.Run(fmt.Sprintf("descOnCursor=%v", descOnCursor), func(t *testing.T) {
			c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap()}
			p := newPicker(c, "rows")
			p.descOnCursor = descOnCursor
			var items []pickItem
			for i := range 200 {
				it := pickItem{Title: fmt.Sprintf("row-%03d", i)}
				for range i % 4 {
					it.Desc = append(it.Desc, fmt.Sprintf("about row %d", i))
				}
				items = append(items, it)
			}
			p.SetItems(items)
			p.SetSize(40, 9)
			keys := []string{"j", "j", "j", "pgdown", "pgdown", "k", "end", "pgup", "k", "k", "home", "pgdown", "j",
				"/", "1", "pgdown", "down", "down", "esc", "G", "up", "pgup", "g"}
			for _, k := range keys {
				before := p.offset
				if k == "1" || k == "esc" {
					before = 0 // a new filter shows its rows from the first
				}
				p.HandleKey(scrollKey(k))
				if want := fewestOffset(p, before); p.offset != want {
					t.Fatalf("after %s: first row %d, want %d (highlight %d, first row before %d)", k, p.offset, want, p.cursor, before)
				}
				title := p.items[p.shown[p.cursor]].Title
				if v := ansi.Strip(p.View()); !strings.Contains(v, "› "+title) {
					t.Fatalf("after %s: the highlighted %s is not on screen:\n%s", k, title, v)
				}
			}
		})
	}
}

// End on a long list walks up from the last row over one screenful: it
// once walked down from the top, summing every row's height at each step,
// which took minutes at this length.
func TestPickerEndOnALongListIsImmediate(t *testing.T) {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap()}
	p := newPicker(c, "rows")
	items := make([]pickItem, 200_000)
	for i := range items {
		items[i].Title = "vm-" + fmt.Sprint(i)
	}
	p.SetItems(items)
	p.SetSize(80, 20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.HandleKey(tea.KeyMsg{Type: tea.KeyEnd})
		p.HandleKey(tea.KeyMsg{Type: tea.KeyPgUp})
		p.HandleKey(tea.KeyMsg{Type: tea.KeyEnd})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // it takes well under a millisecond
		t.Fatal("End on 200,000 rows did not return within 5 s")
	}
	if v := ansi.Strip(p.View()); !strings.Contains(v, "› vm-199999") || !strings.Contains(v, "vm-199980") {
		t.Fatalf("End:\n%s", v)
	}
}
