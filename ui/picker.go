package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// pickItem is one row of a picker.
type pickItem struct {
	Title string
	Cols  []string // further columns, aligned (resource group, location)
	Note  string   // after the columns, e.g. "! attached as old-dsvm"
	Desc  []string // lines under the title
	Dim   bool     // shown faint (e.g. not available)
	hay   string   // what the filter matches, lower case
}

// picker is a filterable list: `/` filters by words (every word must occur
// in the row, in any case), the arrows move, the parent reads Selected.
// Filtering a list that only narrows (each keystroke adds to the query)
// searches the previous matches only, so it stays fast on long lists.
// shown is kept in the items' order (rows that arrive are appended after
// the others), so a row is found in it by binary search, and every move
// costs what the rows on screen cost, whatever the list's length.
type picker struct {
	c          *Common
	noun       string // what the rows are, plural: "VMs"
	items      []pickItem
	shown      []int // indexes into items that pass the filter
	cursor     int   // index into shown
	offset     int   // first item of shown on screen
	colWidths  []int
	titleWidth int
	// header names the columns (the title's first) on a line above the
	// rows; nil draws none.
	header    []string
	filter    textinput.Model
	filtering bool
	query     string
	// descOnCursor shows the Desc lines of the highlighted row only.
	descOnCursor bool
	width        int
	height       int
}

func newPicker(c *Common, noun string) *picker {
	ti := newInput()
	ti.Prompt = "/ "
	ti.Placeholder = "type to filter"
	ti.CharLimit = 200
	return &picker{c: c, noun: noun, filter: ti}
}

// SetItems replaces the rows, keeping the filter.
func (p *picker) SetItems(items []pickItem) {
	p.items = items
	p.colWidths = nil
	p.titleWidth = 0
	for i := range p.items {
		p.index(&p.items[i])
	}
	q := p.query
	p.query = "\x00" // force a full pass
	p.applyFilter(q)
}

// index prepares a new row: what the filter matches, and the column widths.
func (p *picker) index(it *pickItem) {
	it.hay = strings.ToLower(it.Title + " " + strings.Join(it.Cols, " ") + " " + it.Note)
	p.titleWidth = max(p.titleWidth, lipgloss.Width(it.Title))
	for j, c := range it.Cols {
		if j >= len(p.colWidths) {
			p.colWidths = append(p.colWidths, 0)
		}
		p.colWidths[j] = max(p.colWidths[j], lipgloss.Width(c))
	}
}

// AppendItems adds rows at the end, as a list that is still loading
// receives them: only the new rows are matched against the filter, and the
// highlighted row stays where it is.
func (p *picker) AppendItems(items []pickItem) {
	start := len(p.items)
	p.items = append(p.items, items...)
	words := strings.Fields(p.query)
	for i := start; i < len(p.items); i++ {
		p.index(&p.items[i])
		if matchAll(p.items[i].hay, words) {
			p.shown = append(p.shown, i)
		}
	}
	p.ensureVisible()
}

// ReplaceItems replaces the rows with the same rows in another order (or
// drawn otherwise), keeping the filter and highlighting the item that now
// has index to on the screen row where the highlight was.
func (p *picker) ReplaceItems(items []pickItem, to int) {
	row := p.cursor - p.offset
	p.SetItems(items)
	p.Select(to)
	p.offset = max(0, min(p.cursor-row, p.lastOffset()))
	p.ensureVisible()
}

// lastOffset is the first row on screen when the list is scrolled to its
// end: scrolling further would leave room empty under the last row.
func (p *picker) lastOffset() int {
	h, used := p.listHeight(), 0
	for i := len(p.shown) - 1; i >= 0; i-- {
		used += p.itemHeight(p.shown[i])
		if used > h {
			return i + 1
		}
	}
	return 0
}

// SetHeader names the columns on a line above the rows (nil: no line).
func (p *picker) SetHeader(h []string) {
	p.header = h
	p.ensureVisible()
}

func (p *picker) SetSize(w, h int) {
	p.width, p.height = w, h
	p.filter.Width = max(10, w-20)
	p.ensureVisible()
}

// Selected returns the index (into the items given) of the highlighted row.
func (p *picker) Selected() (int, bool) {
	if len(p.shown) == 0 {
		return 0, false
	}
	return p.shown[p.cursor], true
}

// Select highlights the item with that index when the filter shows it.
func (p *picker) Select(index int) {
	if i, ok := slices.BinarySearch(p.shown, index); ok {
		p.cursor = i
		p.ensureVisible()
	}
}

func (p *picker) Typing() bool        { return p.filtering }
func (p *picker) FilterApplied() bool { return p.query != "" }

// applyFilter shows the items whose text holds every word of q.
func (p *picker) applyFilter(raw string) {
	q := strings.ToLower(strings.TrimSpace(raw))
	if q == p.query {
		return
	}
	var sel = -1
	if len(p.shown) > 0 && p.cursor < len(p.shown) {
		sel = p.shown[p.cursor]
	}
	words := strings.Fields(q)
	narrowing := p.query != "" && p.query != "\x00" && strings.HasPrefix(q, p.query)
	var next []int
	if narrowing {
		next = p.shown[:0]
		for _, i := range p.shown {
			if matchAll(p.items[i].hay, words) {
				next = append(next, i)
			}
		}
	} else {
		next = make([]int, 0, len(p.items))
		for i := range p.items {
			if matchAll(p.items[i].hay, words) {
				next = append(next, i)
			}
		}
	}
	p.shown = next
	p.query = q
	p.cursor, p.offset = 0, 0
	if i, ok := slices.BinarySearch(p.shown, sel); ok {
		p.cursor = i
	}
	p.ensureVisible()
}

func matchAll(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// HandleKey moves, filters, or clears the filter; it reports whether the
// key was its to handle (enter never is: the parent chooses).
func (p *picker) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	k := p.c.Keys
	if p.filtering {
		switch {
		case key.Matches(msg, k.Select):
			return false, nil
		case key.Matches(msg, k.ClearFilter):
			p.filtering = false
			p.filter.Blur()
			p.filter.SetValue("")
			p.applyFilter("")
			return true, nil
		case key.Matches(msg, k.LineUp):
			p.move(-1)
			return true, nil
		case key.Matches(msg, k.LineDown):
			p.move(1)
			return true, nil
		case key.Matches(msg, k.PageUp):
			p.move(-p.pageItems())
			return true, nil
		case key.Matches(msg, k.PageDown):
			p.move(p.pageItems())
			return true, nil
		}
		var cmd tea.Cmd
		p.filter, cmd = p.filter.Update(msg)
		p.applyFilter(p.filter.Value())
		return true, cmd
	}
	switch {
	case key.Matches(msg, k.Filter):
		p.filtering = true
		p.ensureVisible() // the filter line takes a row
		return true, p.filter.Focus()
	case key.Matches(msg, k.ClearFilter) && p.query != "":
		p.filter.SetValue("")
		p.applyFilter("")
		return true, nil
	case key.Matches(msg, k.Up):
		p.move(-1)
	case key.Matches(msg, k.Down):
		p.move(1)
	case key.Matches(msg, k.PageUp):
		p.move(-p.pageItems())
	case key.Matches(msg, k.PageDown):
		p.move(p.pageItems())
	case key.Matches(msg, k.Home):
		p.move(-len(p.shown))
	case key.Matches(msg, k.End):
		p.move(len(p.shown))
	default:
		return false, nil
	}
	return true, nil
}

// StopFiltering leaves the filter field, keeping the filter.
func (p *picker) StopFiltering() {
	p.filtering = false
	p.filter.Blur()
}

func (p *picker) move(d int) {
	if len(p.shown) == 0 {
		return
	}
	p.cursor = max(0, min(len(p.shown)-1, p.cursor+d))
	p.ensureVisible()
}

func (p *picker) itemHeight(i int) int {
	if p.descOnCursor && (len(p.shown) == 0 || p.shown[p.cursor] != i) {
		return 1
	}
	return 1 + len(p.descLines(i))
}

// descLines are an item's Desc lines as drawn: wrapped under the
// highlighted row of a descOnCursor list, cut short otherwise.
func (p *picker) descLines(i int) []string {
	if !p.descOnCursor {
		return p.items[i].Desc
	}
	var out []string
	for _, d := range p.items[i].Desc {
		out = append(out, wrap(d, p.width-4)...)
	}
	return out
}

// listHeight is the rows left for items under the filter line.
func (p *picker) listHeight() int {
	h := p.height
	if p.filtering || p.query != "" {
		h--
	}
	if p.header != nil {
		h--
	}
	return max(1, h)
}

func (p *picker) pageItems() int {
	if len(p.shown) == 0 {
		return 1
	}
	return max(1, p.listHeight()/p.itemHeight(p.shown[p.cursor]))
}

// ensureVisible scrolls as little as it takes to put the highlighted item
// on screen. It walks up from the highlight over the rows that fit above
// it, never over the whole list, so a jump to the end of 100,000 rows costs
// what a screenful costs.
func (p *picker) ensureVisible() {
	if len(p.shown) == 0 {
		p.cursor, p.offset = 0, 0
		return
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
		return
	}
	h := p.listHeight()
	top, used := p.cursor, p.itemHeight(p.shown[p.cursor])
	for top > p.offset {
		next := used + p.itemHeight(p.shown[top-1])
		if next > h {
			break
		}
		top, used = top-1, next
	}
	p.offset = top
}

func (p *picker) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.filtering {
		return []key.Binding{k.Select, k.ClearFilter}
	}
	b := []key.Binding{k.Select, k.Filter}
	if p.query != "" {
		b = append(b, k.ClearFilter)
	}
	return b
}

func (p *picker) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.Select, k.Filter, k.ClearFilter}}
}

// FilterLine is the filter field (or the filter kept) with how many rows
// pass it; "" when there is no filter.
func (p *picker) FilterLine() string {
	if !p.filtering && p.query == "" {
		return ""
	}
	s := p.c.Styles
	count := s.Subtle.Render("  " + thousands(len(p.shown)) + " of " + thousands(len(p.items)))
	if p.filtering {
		return p.filter.View() + count
	}
	return s.Subtle.Render("filter: ") + p.query + count
}

// View draws the filter line (when there is a filter) and the visible rows.
func (p *picker) View() string {
	s := p.c.Styles
	var lines []string
	if l := p.FilterLine(); l != "" {
		lines = append(lines, l)
	}
	if len(p.items) == 0 {
		lines = append(lines, s.Subtle.Render("  (no "+p.noun+")"))
		return strings.Join(lines, "\n")
	}
	if len(p.shown) == 0 {
		lines = append(lines, s.Subtle.Render(fmt.Sprintf("  no %s match %q: esc clears the filter", p.noun, p.query)))
		return strings.Join(lines, "\n")
	}
	if p.header != nil {
		lines = append(lines, s.Subtle.Render("  "+p.columns(p.header[0], p.header[1:], "")))
	}
	h := p.listHeight()
	used := 0
	for i := p.offset; i < len(p.shown) && used < h; i++ {
		it := p.items[p.shown[i]]
		cur := i == p.cursor
		lines = append(lines, p.row(it, cur))
		used++
		if p.descOnCursor && !cur {
			continue
		}
		for _, d := range p.descLines(p.shown[i]) {
			if used >= h {
				break
			}
			lines = append(lines, s.Subtle.Render(trunc("    "+d, p.width)))
			used++
		}
	}
	return strings.Join(lines, "\n")
}

func (p *picker) row(it pickItem, cur bool) string {
	s := p.c.Styles
	var b strings.Builder
	title := p.columns(it.Title, it.Cols, it.Note)
	switch {
	case cur:
		b.WriteString(s.Cursor.Render("› "))
		b.WriteString(s.Selected.Render(title))
	case it.Dim:
		b.WriteString("  " + s.Subtle.Render(title))
	default:
		b.WriteString("  " + title)
	}
	return b.String()
}

// columns lays out a row's title, columns and note (or the header's names)
// under one another, cut to the width.
func (p *picker) columns(title string, cols []string, note string) string {
	tw := p.titleWidth
	if p.header != nil {
		tw = max(tw, lipgloss.Width(p.header[0]))
	}
	if len(cols) > 0 {
		title += strings.Repeat(" ", max(0, tw-lipgloss.Width(title)))
	}
	for j, c := range cols {
		w := 0
		if j < len(p.colWidths) {
			w = p.colWidths[j]
		}
		if p.header != nil && j+1 < len(p.header) {
			w = max(w, lipgloss.Width(p.header[j+1]))
		}
		title += "  " + c + strings.Repeat(" ", max(0, w-lipgloss.Width(c)))
	}
	if note != "" {
		title += "  " + note
	}
	return trunc(title, p.width-2)
}
