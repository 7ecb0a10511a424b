package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"amlattach/flows"
)

// hostKeyAsker asks the user about a new host key and waits for the answer.
// Each preflight run puts its own in the context its probes run with, so
// that a question reaches the run that asked it, and nothing else.
type hostKeyAsker func(ctx context.Context, q flows.HostKeyQuestion) bool

type hostKeyAskerKey struct{}

func withHostKeyAsker(ctx context.Context, ask hostKeyAsker) context.Context {
	return context.WithValue(ctx, hostKeyAskerKey{}, ask)
}

// confirmHostKey is the ConfirmHostKey of every plan the wizard builds (a
// VM's and an HDInsight cluster's): it asks through the asker in the probe's
// context, and refuses the key when there is none.
func confirmHostKey(ctx context.Context, host string, key ssh.PublicKey) bool {
	return flows.AskHostKey(func(ctx context.Context, q flows.HostKeyQuestion) bool {
		if ask, ok := ctx.Value(hostKeyAskerKey{}).(hostKeyAsker); ok && ask != nil {
			return ask(ctx, q)
		}
		return false
	})(ctx, host, key)
}

// hostKeyAskMsg is a probe goroutine asking about a new host key; it
// blocks until reply gets the answer.
type hostKeyAskMsg struct {
	gen    int
	doctor bool // asked by a doctor run, not the preflight
	q      flows.HostKeyQuestion
	reply  chan<- bool
}

// hostKeyScreen shows a new host key's fingerprint to accept or refuse.
type hostKeyScreen struct {
	c          *Common
	sandbox    bool
	knownHosts string
	what       string // what the host is: VM or cluster
	q          flows.HostKeyQuestion
	reply      chan<- bool
	scrollView
}

func newHostKeyScreen(c *Common, o Options) *hostKeyScreen {
	return &hostKeyScreen{c: c, sandbox: o.Sandbox, knownHosts: o.KnownHosts, what: "VM"}
}

// SetType says what kind of host the keys are of.
func (s *hostKeyScreen) SetType(typ string) {
	s.what = "VM"
	if typ == "hdinsight" {
		s.what = "cluster"
	}
}

// Ask shows a question; an earlier unanswered one is refused.
func (s *hostKeyScreen) Ask(m hostKeyAskMsg) {
	s.answer(false)
	s.q, s.reply = m.q, m.reply
	s.scroll.Top()
}

// answer unblocks the probe waiting for the verdict.
func (s *hostKeyScreen) answer(ok bool) {
	if s.reply != nil {
		s.reply <- ok // buffered: never blocks
		s.reply = nil
	}
}

func (s *hostKeyScreen) Init() tea.Cmd { return nil }
func (s *hostKeyScreen) Typing() bool  { return false }

func (s *hostKeyScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || s.reply == nil {
		return s, nil
	}
	k := s.c.Keys
	switch {
	case key.Matches(km, k.Accept):
		s.answer(true)
		return s, s.c.post(hostKeyAnsweredMsg{accepted: true})
	case key.Matches(km, k.Refuse):
		s.answer(false)
		return s, s.c.post(hostKeyAnsweredMsg{accepted: false})
	default:
		s.scrollKey(k, km, s.page())
	}
	return s, nil
}

func (s *hostKeyScreen) ShortHelp() []key.Binding {
	return []key.Binding{s.c.Keys.Accept, s.c.Keys.Refuse}
}

func (s *hostKeyScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.ShortHelp(), scrollKeys(s.c.Keys)}
}

// keyFileKind is the name of the host key file for a key type.
func keyFileKind(t string) string {
	switch {
	case strings.Contains(t, "ed25519"):
		return "ed25519"
	case strings.HasPrefix(t, "ecdsa"):
		return "ecdsa"
	case strings.Contains(t, "rsa"):
		return "rsa"
	}
	return "*"
}

func (s *hostKeyScreen) lines() []string {
	st := s.c.Styles
	kind := keyFileKind(s.q.KeyType)
	lines := []string{st.Title.Render("A new host key")}
	lines = append(lines, wrap("The "+s.what+" at "+s.q.Host+" presents a host key that known_hosts does not list yet:", s.width)...)
	lines = append(lines, wrap(st.Bold.Render(strings.ToUpper(kind)+" "+s.q.Fingerprint), s.width)...)
	lines = append(lines, "")
	check := "Check it on the VM first (for example with Run command in the portal): this must print the same fingerprint:"
	if s.what != "VM" {
		check = "Check it on the cluster's head node first (for example over its SSH from a network you trust): this must print the same fingerprint:"
	}
	lines = append(lines, wrap(check, s.width)...)
	lines = append(lines, "  "+st.Code.Render("ssh-keygen -lf /etc/ssh/ssh_host_"+kind+"_key.pub"), "")
	if s.sandbox {
		lines = append(lines, wrap(st.Badge.Render("SANDBOX: a simulated host; with a real "+s.what+", check as above."), s.width)...)
	}
	lines = append(lines, wrap("y saves it to "+s.knownHostsName()+"; a different key for this host is then refused. n refuses: the SSH probes are skipped.", s.width)...)
	return lines
}

func (s *hostKeyScreen) page() scrollPage { return scrollPage{body: s.lines()} }

func (s *hostKeyScreen) View() string { return s.render(s.page()) }

func (s *hostKeyScreen) knownHostsName() string {
	if s.knownHosts == "" {
		return "known_hosts"
	}
	return s.knownHosts
}
