package ui

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// BenchmarkFirstFrame is the time from building the wizard to its first
// frame: New, Init (its Cmds are built, not run, as Bubble Tea draws before
// they return), the first window size, and View. The backend is a fake that
// would answer at once. Goal: under 100 ms.
func BenchmarkFirstFrame(b *testing.B) {
	o := testOptions(newFake())
	for b.Loop() {
		m := New(context.Background(), o)
		_ = m.Init()
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		if m.View() == "" {
			b.Fatal("no frame")
		}
		m.Close()
	}
}

func bigPicker(n int) *picker {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap()}
	p := newPicker(c, "VMs")
	locs := []string{"eastus", "westeurope", "southeastasia", "uksouth"}
	items := make([]pickItem, n)
	for i := range items {
		it := pickItem{Title: fmt.Sprintf("dsvm-%05d", i), Cols: []string{fmt.Sprintf("team-%02d-rg", i%37), locs[i%len(locs)]}}
		if i%50 == 0 {
			it.Note = "! already attached as old-" + fmt.Sprint(i)
		}
		items[i] = it
	}
	p.SetItems(items)
	p.SetSize(100, 24)
	p.HandleKey(keyMsg("/"))
	return p
}

// BenchmarkFilter10kKeystroke is one keystroke in the filter of a list of
// 10,000 VMs, and the frame after it. The keystrokes cycle through typing
// "team-1 west" and clearing it, so both narrowing and full passes count.
// Goal: under 2 ms.
func BenchmarkFilter10kKeystroke(b *testing.B) {
	p := bigPicker(10000)
	var seq []tea.KeyMsg
	for _, r := range "team-1 west" {
		seq = append(seq, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	seq = append(seq, keyMsg("ctrl+u"))
	i := 0
	for b.Loop() {
		p.HandleKey(seq[i%len(seq)])
		_ = p.View()
		i++
	}
}

// BenchmarkFilter10kFullPass is the worst keystroke: a query that is not a
// narrowing of the last one, so every one of the 10,000 rows is matched.
func BenchmarkFilter10kFullPass(b *testing.B) {
	p := bigPicker(10000)
	qs := []string{"dsvm-0", "team-2", "uksouth 9"}
	i := 0
	for b.Loop() {
		p.applyFilter(qs[i%len(qs)])
		_ = p.View()
		i++
	}
}

// BenchmarkList10kHeap is the heap the wizard's VM list holds with 10,000
// VMs listed and filtered: the wizard's own share of the resident set (the
// sandbox, which --world runs in the same process, is not counted).
func BenchmarkList10kHeap(b *testing.B) {
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		p := bigPicker(10000)
		p.applyFilter("team-1")
		_ = p.View()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(p)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heapMB")
}

// BenchmarkStreamPage10k is one page of 100 VMs arriving while a filter is
// typed, up to 10,000 rows (then the list starts again), and the frame
// after it: what each of the wizard's streamed pages costs.
func BenchmarkStreamPage10k(b *testing.B) {
	all := bigPicker(10000).items
	pages := make([][]pickItem, 0, 100)
	for i := 0; i < len(all); i += 100 {
		pages = append(pages, all[i:i+100])
	}
	newList := func() *picker {
		p := bigPicker(0)
		for _, r := range "team-1 west" {
			p.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
		return p
	}
	p := newList()
	i := 0
	for b.Loop() {
		if i%len(pages) == 0 {
			b.StopTimer()
			p = newList()
			b.StartTimer()
		}
		p.AppendItems(slices.Clone(pages[i%len(pages)]))
		_ = p.View()
		i++
	}
}
