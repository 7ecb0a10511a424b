package ui

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
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

// bigList is a list of n VMs in a 100x24 window, no filter.
func bigList(n int) *picker {
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
	return p
}

// bigPicker is bigList with the filter field open.
func bigPicker(n int) *picker {
	p := bigList(n)
	p.HandleKey(keyMsg("/"))
	return p
}

// benchMove is one key moving the highlight in a list of n rows, and the
// frame after it. The highlight goes back to the first row (which costs
// nothing) before each End, and once PgDn has reached the last row.
func benchMove(b *testing.B, n int, k tea.KeyType) {
	p := bigList(n)
	msg := tea.KeyMsg{Type: k}
	for b.Loop() {
		if k == tea.KeyEnd || p.cursor == n-1 {
			p.cursor, p.offset = 0, 0
		}
		p.HandleKey(msg)
		_ = p.View()
	}
	if k == tea.KeyEnd && p.cursor != n-1 {
		b.Fatalf("End: row %d of %d", p.cursor, n)
	}
}

// BenchmarkScrollEnd10k and 100k: End at the top of 10,000 and 100,000
// rows, and the frame after it; BenchmarkScrollPgDn10k and 100k: PgDn
// through them. Goal: under 2 ms each.
func BenchmarkScrollEnd10k(b *testing.B)   { benchMove(b, 10_000, tea.KeyEnd) }
func BenchmarkScrollEnd100k(b *testing.B)  { benchMove(b, 100_000, tea.KeyEnd) }
func BenchmarkScrollPgDn10k(b *testing.B)  { benchMove(b, 10_000, tea.KeyPgDown) }
func BenchmarkScrollPgDn100k(b *testing.B) { benchMove(b, 100_000, tea.KeyPgDown) }

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

// benchPageArriving is one page of 100 VMs arriving at the wizard's
// resource step while a filter is typed, the list already holding held
// rows from two subscriptions (so the SUBSCRIPTION column is on), and the
// frame after it. Between pages the list is cut back to held rows (a
// binary search, no copy), so every page meets a list of the same length.
func benchPageArriving(b *testing.B, held int) {
	c := &Common{Styles: NewStyles(), Keys: DefaultKeyMap(), Now: time.Now}
	s := newResourceScreen(c, context.Background(), nil)
	s.SetSize(100, 30)
	st := newBrowseStream(context.Background())
	s.stream, s.loading = st, true
	subs := []string{testSub, testSub2}
	locs := []string{"eastus", "westeurope", "southeastasia", "uksouth"}
	cands := make([]flows.Candidate, held+100)
	for i := range cands {
		rg := fmt.Sprintf("team-%02d-rg", i%37)
		name := fmt.Sprintf("dsvm-%06d", i)
		cands[i] = flows.Candidate{Name: name, ResourceGroup: rg, Location: locs[i%len(locs)],
			ID: "/subscriptions/" + subs[i%2] + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/" + name}
	}
	s.Update(browseSubsMsg{st: st, subs: []flows.Subscription{{ID: testSub, Name: "Contoso ML"}, {ID: testSub2, Name: "Research"}}})
	for i := 0; i < held; i += 1000 {
		s.Update(browsePageMsg{st: st, cands: cands[i:min(held, i+1000)]})
	}
	s.Update(keyMsg("/"))
	for _, r := range "team-1 west" {
		s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	page := cands[held:]
	shown := len(s.pick.shown)
	for b.Loop() {
		s.Update(browsePageMsg{st: st, cands: page})
		if len(s.cands) != held+len(page) {
			b.Fatalf("%d rows", len(s.cands))
		}
		_ = s.View()
		s.cands, s.pick.items, s.pick.shown = s.cands[:held], s.pick.items[:held], s.pick.shown[:shown]
	}
}

// BenchmarkStreamPage40k and 160k: a page of 100 arriving into a list
// already holding 40,000 and 160,000 rows. The cost is the page's: the
// same at both lengths (and as BenchmarkStreamPage10k's).
func BenchmarkStreamPage40k(b *testing.B)  { benchPageArriving(b, 40_000) }
func BenchmarkStreamPage160k(b *testing.B) { benchPageArriving(b, 160_000) }
