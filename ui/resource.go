package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"amlattach/flows"
)

type resMode int

const (
	resBrowse resMode = iota
	resPaste
	resBuild
)

// A listing of resources streams: browseStream carries what the backend's
// BrowseAll sends (the subscriptions' names, each page as it arrives, the
// end) as messages, read one at a time by the Cmd its last message
// returns. Its context ends when the user leaves the step, quits, or lists
// again, and with it the listing.
type browseStream struct {
	ctx context.Context
	ch  chan tea.Msg
}

type (
	// browseSubsMsg names the subscriptions (for the SUBSCRIPTION column).
	browseSubsMsg struct {
		st   *browseStream
		subs []flows.Subscription
	}
	// browsePageMsg is one page of resources, a copy of what BrowseAll gave.
	browsePageMsg struct {
		st    *browseStream
		cands []flows.Candidate
	}
	// browseDoneMsg ends a listing; err is a *flows.Error, wrapping a
	// *flows.BrowseAllError when some subscriptions could not be listed.
	browseDoneMsg struct {
		st  *browseStream
		err error
	}
)

func newBrowseStream(ctx context.Context) *browseStream {
	return &browseStream{ctx: ctx, ch: make(chan tea.Msg, 64)}
}

// browseCmd starts listing the resources of typ in every subscription and
// returns the first message.
func browseCmd(st *browseStream, be Backend, ws flows.Workspace, typ string) tea.Cmd {
	ctx := st.ctx
	return func() tea.Msg {
		go func() {
			subsDone := make(chan struct{})
			go func() {
				defer close(subsDone)
				if subs, err := be.Subscriptions(ctx); err == nil {
					st.put(browseSubsMsg{st: st, subs: subs})
				}
			}()
			err := be.BrowseAll(ctx, ws, typ, func(page []flows.Candidate) {
				st.put(browsePageMsg{st: st, cands: slices.Clone(page)})
			})
			<-subsDone
			st.put(browseDoneMsg{st: st, err: err})
		}()
		return st.next()()
	}
}

// put hands a message to the reader, unless the listing was abandoned.
func (st *browseStream) put(msg tea.Msg) {
	select {
	case st.ch <- msg:
	case <-st.ctx.Done():
	}
}

// next reads the stream's next message.
func (st *browseStream) next() tea.Cmd {
	return func() tea.Msg {
		select {
		case msg := <-st.ch:
			return msg
		case <-st.ctx.Done():
			return nil
		}
	}
}

// resourceScreen chooses the resource of the chosen type: browse the
// resources of that type in every subscription (rows appear as the pages
// arrive, and the filter works over what has arrived), paste a resource ID
// (checked as it is typed, naming the wrong part), or build the ID from
// subscription, resource group and name.
type resourceScreen struct {
	c   *Common
	ctx context.Context
	be  Backend
	ws  flows.Workspace
	typ string

	mode    resMode
	loading bool // a listing runs
	// stopped: the listing was cancelled before its end (the user left).
	stopped bool
	loadErr error
	// failed names the subscriptions the last listing could not list.
	failed *flows.BrowseAllError
	cands  []flows.Candidate
	stream *browseStream
	cancel context.CancelFunc
	// subNames are the subscriptions' names by lower-case ID; subs are
	// the subscriptions the rows are in, in the order first seen.
	subNames map[string]string
	subs     []string
	pick     *picker
	spin     spin

	paste      textinput.Model
	build      [3]textinput.Model
	buildFocus int
	width      int
	height     int
}

func (s *resourceScreen) buildLabel(i int) string {
	switch i {
	case 0:
		return "Subscription"
	case 1:
		return "Resource group"
	}
	if s.typ == "vm" {
		return "VM name"
	}
	return "Name"
}

func newResourceScreen(c *Common, ctx context.Context, be Backend) *resourceScreen {
	s := &resourceScreen{c: c, ctx: ctx, be: be, typ: "vm", pick: newPicker(c, "VMs"), spin: newSpin(c)}
	s.paste = newInput()
	s.paste.Prompt = "> "
	s.paste.Placeholder = "/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/virtualMachines/…"
	s.paste.CharLimit = 1000
	for i := range s.build {
		s.build[i] = newInput()
		s.build[i].Prompt = ""
		s.build[i].CharLimit = 200
	}
	s.build[2].Placeholder = "the VM's name"
	return s
}

// SetType chooses what to browse; a new type lists its resources.
func (s *resourceScreen) SetType(typ string) tea.Cmd {
	if typ == s.typ {
		return nil
	}
	s.typ = typ
	s.mode = resBrowse
	s.pick = newPicker(s.c, resourceNouns(typ))
	s.SetSize(s.width, s.height)
	s.paste.SetValue("")
	s.paste.Placeholder = "/subscriptions/…/resourceGroups/…/providers/" + browseKinds(typ)[0] + "/…"
	s.build[2].Placeholder = "the " + resourceNoun(typ) + "'s name"
	if s.ws.Name == "" {
		return nil
	}
	return s.load()
}

// kinds are the ARM kinds the chosen type's resource ID may have.
func (s *resourceScreen) kinds() []string { return browseKinds(s.typ) }

// buildable says whether the ID can be built from subscription, group and
// name (not for a type of two kinds, nor for a Synapse pool in its workspace).
func (s *resourceScreen) buildable() bool {
	ks := s.kinds()
	return len(ks) == 1 && strings.Count(ks[0], "/") == 1
}

// SetWorkspace lists the workspace's subscription's resources of the type,
// unless already listed.
func (s *resourceScreen) SetWorkspace(ws flows.Workspace) tea.Cmd {
	if wsKey(ws) == wsKey(s.ws) && !s.stopped && (s.loading || s.cands != nil) {
		return nil
	}
	s.ws = ws
	s.build[0].SetValue(ws.SubscriptionID)
	s.build[1].SetValue(ws.ResourceGroup)
	return s.load()
}

// load starts listing, abandoning a listing still running.
func (s *resourceScreen) load() tea.Cmd {
	s.Stop()
	s.loading, s.stopped, s.loadErr, s.failed, s.cands, s.subs = true, false, nil, nil, nil, nil
	s.pick.SetItems(nil)
	s.pick.SetHeader(nil)
	s.layout()
	ctx, cancel := context.WithCancel(s.ctx)
	s.cancel = cancel
	s.stream = newBrowseStream(ctx)
	return tea.Batch(browseCmd(s.stream, s.be, s.ws, s.typ), s.spin.start())
}

// Stop cancels a listing still running (the user left the step or quits);
// the rows that arrived stay, and coming back lists again.
func (s *resourceScreen) Stop() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.stream = nil
	if s.loading {
		s.loading, s.stopped = false, true
		s.spin.stop()
	}
}

// Enter is the user arriving at the step: a listing they cut short by
// leaving starts again.
func (s *resourceScreen) Enter() tea.Cmd {
	if s.stopped && s.ws.Name != "" {
		return s.load()
	}
	return nil
}

// addPage appends a page's rows; the first row of a second subscription
// brings the SUBSCRIPTION column.
func (s *resourceScreen) addPage(cands []flows.Candidate) {
	multi := len(s.subs) > 1
	for _, c := range cands {
		if sub := subOf(c.ID); !slices.Contains(s.subs, sub) {
			s.subs = append(s.subs, sub)
		}
	}
	s.cands = append(s.cands, cands...)
	if !multi && len(s.subs) > 1 {
		s.rebuild()
		return
	}
	items := make([]pickItem, len(cands))
	for i, c := range cands {
		items[i] = s.item(c)
	}
	s.pick.AppendItems(items)
}

// finish ends a listing: the rows are sorted once (by subscription, group
// and name), the highlighted one staying highlighted.
func (s *resourceScreen) finish(err error) {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.stream = nil
	s.loading = false
	s.spin.stop()
	s.loadErr = err
	if !errors.As(err, &s.failed) {
		s.failed = nil
	}
	if s.cands == nil {
		s.cands = []flows.Candidate{}
	}
	var selID string
	if i, ok := s.pick.Selected(); ok {
		selID = s.cands[i].ID
	}
	flows.SortAllCandidates(s.cands)
	s.rebuildSelecting(selID)
	s.layout()
}

// rebuild draws every row again (the columns changed), keeping the
// highlighted one.
func (s *resourceScreen) rebuild() {
	var selID string
	if i, ok := s.pick.Selected(); ok {
		selID = s.cands[i].ID
	}
	s.rebuildSelecting(selID)
}

func (s *resourceScreen) rebuildSelecting(selID string) {
	if len(s.subs) > 1 {
		s.pick.SetHeader([]string{"NAME", "SUBSCRIPTION", "RESOURCE GROUP", "LOCATION"})
	} else {
		s.pick.SetHeader(nil)
	}
	items := make([]pickItem, len(s.cands))
	to := -1
	for i, c := range s.cands {
		items[i] = s.item(c)
		if c.ID == selID {
			to = i
		}
	}
	if to < 0 {
		s.pick.SetItems(items)
		return
	}
	s.pick.ReplaceItems(items, to)
}

// item is a candidate's row: with the subscription's name when the rows
// are in more than one.
func (s *resourceScreen) item(c flows.Candidate) pickItem {
	it := pickItem{Title: c.Name, Cols: []string{c.ResourceGroup, c.Location}}
	if len(s.subs) > 1 {
		it.Cols = []string{s.subName(subOf(c.ID)), c.ResourceGroup, c.Location}
	}
	if len(c.AttachedAs) > 0 {
		it.Note = s.c.Styles.Warn.Render("! already attached as " + strings.Join(c.AttachedAs, ", "))
	}
	return it
}

// subName is a subscription's name, or its ID while the name is unknown.
func (s *resourceScreen) subName(id string) string {
	if n := s.subNames[id]; n != "" {
		return n
	}
	return id
}

// subOf is the lower-case subscription ID of a resource ID.
func subOf(id string) string {
	const p = "/subscriptions/"
	if len(id) < len(p) || !strings.EqualFold(id[:len(p)], p) {
		return ""
	}
	sub, _, _ := strings.Cut(id[len(p):], "/")
	return strings.ToLower(sub)
}

// noteLines say, above a list that did arrive, what could not be listed.
func (s *resourceScreen) noteLines() []string {
	st := s.c.Styles
	if len(s.cands) == 0 || s.loadErr == nil {
		return nil
	}
	if s.failed == nil {
		return []string{st.Warn.Render(trunc("! "+s.loadErr.Error(), s.width)), st.Subtle.Render("r tries again")}
	}
	n := len(s.failed.Failed)
	lines := []string{st.Warn.Render(trunc(fmt.Sprintf("! %d %s could not be listed; r tries again:", n, plural(n, "subscription", "subscriptions")), s.width))}
	for i, f := range s.failed.Failed {
		if i == 3 && n > 4 {
			lines = append(lines, st.Subtle.Render(fmt.Sprintf("  … and %d more", n-3)))
			break
		}
		name := f.Subscription.ID
		if f.Subscription.Name != "" && f.Subscription.Name != name {
			name = f.Subscription.Name + " (" + f.Subscription.ID + ")"
		}
		why, _, _ := strings.Cut(flows.FromAzure("list", f.Err).Error(), "\n")
		lines = append(lines, trunc("  "+name+": "+why, s.width))
	}
	return lines
}

// layout gives the list the room the lines above it leave.
func (s *resourceScreen) layout() {
	s.pick.SetSize(s.width, s.height-4-len(s.noteLines()))
}

func (s *resourceScreen) Init() tea.Cmd { return nil }

func (s *resourceScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.layout()
	s.paste.Width = max(10, w-4)
	for i := range s.build {
		s.build[i].Width = max(10, w-20)
	}
}

func (s *resourceScreen) Typing() bool {
	return s.mode != resBrowse || s.pick.Typing()
}

// attachedAs says which computes already use the resource with that ID.
func (s *resourceScreen) attachedAs(id string) []string {
	for _, c := range s.cands {
		if strings.EqualFold(c.ID, id) {
			return c.AttachedAs
		}
	}
	return nil
}

func (s *resourceScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case browseSubsMsg:
		if msg.st != s.stream {
			break
		}
		if s.subNames == nil {
			s.subNames = map[string]string{}
		}
		for _, sub := range msg.subs {
			s.subNames[strings.ToLower(sub.ID)] = sub.Name
		}
		if len(s.subs) > 1 {
			s.rebuild()
		}
		cmd = msg.st.next()
	case browsePageMsg:
		if msg.st != s.stream {
			break
		}
		s.addPage(msg.cands)
		cmd = msg.st.next()
	case browseDoneMsg:
		if msg.st != s.stream {
			break
		}
		s.finish(msg.err)
	case tea.KeyMsg:
		cmd = s.handleKey(msg)
	default:
		if s.mode == resPaste {
			s.paste, cmd = s.paste.Update(msg)
		} else if s.mode == resBuild {
			s.build[s.buildFocus], cmd = s.build[s.buildFocus].Update(msg)
		}
	}
	return s, tea.Batch(cmd, s.spin.update(msg))
}

func (s *resourceScreen) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch s.mode {
	case resBrowse:
		if handled, cmd := s.pick.HandleKey(msg); handled {
			return cmd
		}
		switch {
		case key.Matches(msg, k.Select):
			if i, ok := s.pick.Selected(); ok {
				s.pick.StopFiltering()
				c := s.cands[i]
				return s.c.post(resourceChosenMsg{id: c.ID, name: c.Name, attachedAs: c.AttachedAs})
			}
		case key.Matches(msg, k.PasteID):
			s.mode = resPaste
			return s.paste.Focus()
		case key.Matches(msg, k.BuildID) && s.buildable():
			s.mode = resBuild
			return s.focusBuild(s.buildFocus)
		case key.Matches(msg, k.Retry) && (s.loadErr != nil || s.stopped):
			return s.load()
		case key.Matches(msg, k.Back):
			return s.c.post(backMsg{})
		}
	case resPaste:
		switch {
		case key.Matches(msg, k.Back):
			s.mode = resBrowse
			s.paste.Blur()
			return nil
		case key.Matches(msg, k.UseID):
			if chk := flows.CheckResourceID(s.paste.Value(), s.kinds()...); chk.OK {
				s.paste.Blur()
				s.mode = resBrowse
				return s.c.post(resourceChosenMsg{id: chk.Canonical, name: chk.Name, attachedAs: s.attachedAs(chk.Canonical)})
			}
			return nil
		}
		var cmd tea.Cmd
		s.paste, cmd = s.paste.Update(msg)
		return cmd
	case resBuild:
		switch {
		case key.Matches(msg, k.Back):
			s.mode = resBrowse
			s.build[s.buildFocus].Blur()
			return nil
		case key.Matches(msg, k.NextField):
			return s.focusBuild((s.buildFocus + 1) % 3)
		case key.Matches(msg, k.PrevField):
			return s.focusBuild((s.buildFocus + 2) % 3)
		case key.Matches(msg, k.UseID):
			chk := flows.CheckResourceID(s.builtID(), s.kinds()...)
			if chk.OK {
				s.build[s.buildFocus].Blur()
				s.mode = resBrowse
				return s.c.post(resourceChosenMsg{id: chk.Canonical, name: chk.Name, attachedAs: s.attachedAs(chk.Canonical)})
			}
			return s.focusBuild(buildFieldOf(chk.Part, s.build))
		}
		var cmd tea.Cmd
		s.build[s.buildFocus], cmd = s.build[s.buildFocus].Update(msg)
		return cmd
	}
	return nil
}

func (s *resourceScreen) focusBuild(i int) tea.Cmd {
	s.build[s.buildFocus].Blur()
	s.buildFocus = i
	return s.build[i].Focus()
}

func (s *resourceScreen) builtID() string {
	return flows.BuildResourceID(s.build[0].Value(), s.build[1].Value(), s.kinds()[0], s.build[2].Value())
}

// buildFieldOf is the build field a wrong ID part belongs to.
func buildFieldOf(part string, f [3]textinput.Model) int {
	switch part {
	case "subscription":
		return 0
	case "resource group":
		return 1
	case "name":
		return 2
	}
	for i := range f {
		if strings.TrimSpace(f[i].Value()) == "" {
			return i
		}
	}
	return 2
}

func (s *resourceScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.mode {
	case resPaste:
		return []key.Binding{k.UseID, k.Back}
	case resBuild:
		return []key.Binding{k.NextField, k.UseID, k.Back}
	}
	if s.pick.Typing() || s.pick.FilterApplied() {
		return s.pick.ShortHelp()
	}
	var b []key.Binding
	if len(s.cands) > 0 {
		b = s.pick.ShortHelp()
	}
	if s.loadErr != nil || s.stopped {
		b = append(b, k.Retry)
	}
	if s.buildable() {
		b = append(b, k.PasteID, k.BuildID)
	} else {
		b = append(b, k.PasteID)
	}
	return append(b, k.Back)
}

func (s *resourceScreen) FullHelp() [][]key.Binding {
	k := s.c.Keys
	return append(s.pick.FullHelp(), []key.Binding{k.PasteID, k.BuildID, k.UseID, k.NextField, k.Back})
}

func (s *resourceScreen) View() string {
	st := s.c.Styles
	noun, nouns := resourceNoun(s.typ), resourceNouns(s.typ)
	howTo := "p pastes a resource ID instead; b builds one from its parts."
	keys := " · p paste an ID · b build one"
	if !s.buildable() {
		howTo = "p pastes a resource ID instead."
		keys = " · p paste an ID"
	}
	var lines []string
	switch s.mode {
	case resBrowse:
		lines = append(lines, st.Title.Render("Which "+noun+"?"))
		n := len(s.cands)
		switch {
		case s.loading && n == 0:
			lines = append(lines, "", s.spin.view()+" Listing the "+nouns+" of every subscription you can see…")
			if l := s.pick.FilterLine(); l != "" {
				// typed before the first rows: it applies to them as they come
				lines = append(lines, "", l)
			}
		case s.loadErr != nil && n == 0:
			lines = append(lines, "")
			lines = append(lines, errorLines(s.c, s.loadErr, s.width)...)
			lines = append(append(lines, ""), wrap("r tries again; "+howTo, s.width)...)
		case n == 0 && s.stopped:
			lines = append(append(lines, ""), wrap("The listing stopped before any "+noun+" arrived; r lists again. "+howTo, s.width)...)
		case n == 0:
			lines = append(append(lines, ""), wrap("No "+nouns+" in the subscriptions you can see. "+howTo, s.width)...)
		default:
			var count string
			switch {
			case s.loading:
				count = s.spin.view() + " " + st.Subtle.Render(trunc(thousands(n)+" "+nouns+" so far…"+keys, s.width-2))
			case s.stopped:
				count = st.Subtle.Render(trunc(thousands(n)+" "+nouns+" listed before the listing stopped · r lists again", s.width))
			default:
				count = st.Subtle.Render(trunc(thousands(n)+" "+nouns+" "+s.where()+keys, s.width))
			}
			lines = append(lines, count)
			lines = append(lines, s.noteLines()...)
			lines = append(lines, "", s.pick.View())
		}
	case resPaste:
		lines = append(lines, st.Title.Render("Paste the "+noun+"'s resource ID"), "")
		lines = append(lines, wrap(st.Subtle.Render(pasteHint(s.typ)), s.width)...)
		lines = append(lines, "", s.paste.View(), "")
		lines = append(lines, s.checkLines(s.paste.Value())...)
	case resBuild:
		lines = append(lines, st.Title.Render("Build the "+noun+"'s resource ID"), "")
		chk := flows.CheckResourceID(s.builtID(), s.kinds()...)
		wrong := -1
		if !chk.OK {
			wrong = buildFieldOf(chk.Part, s.build)
		}
		for i := range s.build {
			label := fmt.Sprintf("%-16s", s.buildLabel(i))
			if i == s.buildFocus {
				label = st.FieldFocused.Render(label)
			} else {
				label = st.Subtle.Render(label)
			}
			lines = append(lines, label+s.build[i].View())
			if i == wrong && strings.TrimSpace(s.build[i].Value()) != "" {
				lines = append(lines, wrapIndent(st.Bad(chk.Part+": "+chk.Msg), s.width, 16)...)
			}
		}
		lines = append(lines, "")
		lines = append(lines, wrap(st.Subtle.Render("ID: ")+s.builtID(), s.width)...)
		if chk.OK {
			lines = append(lines, st.Good("a "+noun+" ID: enter uses it"))
		}
	}
	return fit(lines, s.width, s.height)
}

// where says which subscriptions the listed rows are in.
func (s *resourceScreen) where() string {
	switch {
	case len(s.subs) > 1:
		return fmt.Sprintf("in %d subscriptions", len(s.subs))
	case len(s.subs) == 1 && s.subs[0] != strings.ToLower(s.ws.SubscriptionID):
		return "in subscription " + s.subName(s.subs[0])
	}
	return "in the workspace's subscription"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// thousands writes n with a comma between each group of three digits.
func thousands(n int) string {
	d := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, r := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pasteHint says where to find a resource ID of the type.
func pasteHint(typ string) string {
	switch typ {
	case "vm":
		return "From the VM's Properties page in the portal, or: az vm show -g GROUP -n VM --query id -o tsv"
	case "synapse":
		return "From the Spark pool's Properties page in the portal, or: az synapse spark pool show -g GROUP --workspace-name WS -n POOL --query id -o tsv"
	}
	return "From the resource's Properties page in the portal (Resource ID), or: az resource show -g GROUP -n NAME --resource-type " + browseKinds(typ)[0] + " --query id -o tsv"
}

// checkLines is the live verdict on a typed ID.
func (s *resourceScreen) checkLines(v string) []string {
	st := s.c.Styles
	if strings.TrimSpace(v) == "" {
		return []string{st.Subtle.Render("waiting for an ID…")}
	}
	chk := flows.CheckResourceID(v, s.kinds()...)
	if !chk.OK {
		return wrap(st.Bad(chk.Part+": "+chk.Msg), s.width)
	}
	lines := wrap(st.Good(fmt.Sprintf("%s %s in resource group %s, subscription %s", resourceNoun(s.typ), chk.Name, chk.ResourceGroup, chk.SubscriptionID)), s.width)
	if as := s.attachedAs(chk.Canonical); len(as) > 0 {
		lines = append(lines, st.Note("already attached as "+strings.Join(as, ", ")))
	}
	return append(lines, st.Subtle.Render("enter uses it"))
}
