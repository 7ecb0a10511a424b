package sandbox

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// The simulated host runs each command line the way a login shell would:
// mvdan.cc/sh parses it and its expand package does quoting, variables,
// tildes, braces and $(…); the statements (; && || newlines, ! and if,
// { } and ( ), redirections, VAR=value before a command, exit, set -e)
// run here. No program of this computer runs and none of its files is
// read: commands are emulations answering what the machine the world
// describes would answer (shell_commands.go), files live on the host's
// in-memory disk (shell_fs.go), and globbing is off. Pipes, background
// jobs, loops and functions are refused with a message.

// shellCommandBudget bounds the commands one exec request runs (sh -c can
// nest and repeat), and shellMaxDepth how deep sh -c and $(…) nest.
const (
	shellCommandBudget = 10000
	shellMaxDepth      = 16
	shellMaxValue      = 1 << 20
)

// shell is the state of one shell process on the host.
type shell struct {
	h       *simHost
	login   string // who signed in over SSH
	user    string // who runs the commands: login, or root under sudo
	vars    map[string]shellVar
	arg0    string
	params  []string
	cwd     string
	status  int
	exited  bool // exit ran, or set -e or an expansion error stopped the script
	errexit bool // set -e
	nounset bool // set -u
	quiet   int  // >0 where set -e does not apply: conditions, left of && and ||, after !
	line    uint // the line of the statement running, for messages
	depth   int
	budget  *int
	// substStatus is the status of the last $(…) expanded, which is the
	// status of a command that only assigns.
	substStatus int
}

type shellVar struct {
	val      string
	exported bool
}

// stdio is where a command reads and writes.
type stdio struct {
	in       string
	out, err io.Writer
}

// run interprets a command line as user, as the login shell of an SSH
// exec request would.
func (h *simHost) run(user, line string) (string, string, int) {
	var out, errOut strings.Builder
	budget := shellCommandBudget
	s := h.newShell(user, user, h.loginEnv(user), &budget)
	s.arg0 = "sh"
	code := s.script(line, stdio{out: &out, err: &errOut})
	return out.String(), errOut.String(), code
}

// loginEnv is the environment sshd gives user's commands.
func (h *simHost) loginEnv(user string) map[string]string {
	return map[string]string{
		"HOME": h.home(user), "LANG": "C.UTF-8", "LOGNAME": user, "USER": user, "SHELL": "/bin/bash", "SHLVL": "1",
		"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin",
		"PWD":  h.home(user),
	}
}

// newShell starts a shell for user with env as its exported variables.
func (h *simHost) newShell(login, user string, env map[string]string, budget *int) *shell {
	s := &shell{h: h, login: login, user: user, vars: map[string]shellVar{}, cwd: h.home(user), budget: budget, line: 1}
	for k, v := range env {
		s.vars[k] = shellVar{v, true}
	}
	if pwd := env["PWD"]; strings.HasPrefix(pwd, "/") && h.isDir(pwd) {
		s.cwd = pwd
	}
	s.vars["PWD"] = shellVar{s.cwd, true}
	return s
}

// subshell is a copy of s for ( … ) and $(…): what it changes stays in it.
func (s *shell) subshell() *shell {
	c := *s
	c.vars = make(map[string]shellVar, len(s.vars))
	for k, v := range s.vars {
		c.vars[k] = v
	}
	c.exited = false
	c.depth++
	return &c
}

// environ is what a command started from s receives.
func (s *shell) environ() map[string]string {
	env := map[string]string{}
	for k, v := range s.vars {
		if v.exported {
			env[k] = v.val
		}
	}
	return env
}

// script parses src and runs it.
func (s *shell) script(src string, std stdio) int {
	if s.depth > shellMaxDepth {
		fmt.Fprintf(std.err, "sh: %d: shells nest more than %d deep: this simulated host stops here\n", s.line, shellMaxDepth)
		return 2
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		fmt.Fprintf(std.err, "sh: %s\n", syntaxMessage(err))
		return 2
	}
	if line, what := unsupported(f); what != "" {
		fmt.Fprintf(std.err, "sh: %d: %s are not supported by this simulated host\n", line, what)
		return 2
	}
	s.stmts(f.Stmts, std)
	return s.status
}

// syntaxMessage words a parse error the way sh does: line, then what.
func syntaxMessage(err error) string {
	line := uint(1)
	var pe syntax.ParseError
	var le syntax.LangError
	switch {
	case errors.As(err, &pe):
		line = pe.Pos.Line()
	case errors.As(err, &le):
		line = le.Pos.Line()
	}
	return fmt.Sprintf("%d: Syntax error: %s", line, withoutPos(err.Error()))
}

// withoutPos drops the "line:column: " an error of mvdan.cc/sh starts with.
func withoutPos(msg string) string {
	rest := msg
	for range 2 {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || rest[i] != ':' {
			return msg
		}
		rest = rest[i+1:]
	}
	return strings.TrimPrefix(rest, " ")
}

// unsupported finds the first construct this shell does not run.
func unsupported(f *syntax.File) (uint, string) {
	var line uint
	what := ""
	syntax.Walk(f, func(n syntax.Node) bool {
		if what != "" || n == nil {
			return false
		}
		switch n := n.(type) {
		case *syntax.Stmt:
			if n.Background || n.Coprocess || n.Disown {
				what = "background jobs"
			}
		case *syntax.BinaryCmd:
			if n.Op == syntax.Pipe || n.Op == syntax.PipeAll {
				what = "pipes"
			}
		case *syntax.ProcSubst:
			what = "process substitutions"
		case *syntax.FuncDecl:
			what = "functions"
		case *syntax.WhileClause, *syntax.ForClause:
			what = "loops"
		case *syntax.CaseClause:
			what = "case statements"
		case *syntax.ArithmCmd, *syntax.LetClause:
			what = "arithmetic commands"
		case *syntax.TestClause, *syntax.TestDecl:
			what = "[[ tests ]]"
		case *syntax.TimeClause:
			what = "time commands"
		case *syntax.CoprocClause:
			what = "coprocesses"
		case *syntax.DeclClause:
			if v := n.Variant.Value; v != "export" && v != "readonly" {
				what = v + " declarations"
			}
		case *syntax.Assign:
			if n.Array != nil || n.Index != nil {
				what = "arrays"
			}
		}
		if what != "" {
			line = n.Pos().Line()
		}
		return what == ""
	})
	return line, what
}

// stmts runs a list of statements until one ends the shell.
func (s *shell) stmts(list []*syntax.Stmt, std stdio) {
	for _, st := range list {
		if s.exited {
			return
		}
		s.stmt(st, std)
	}
}

// stmt runs one statement: its redirections, its command, then ! and set -e.
func (s *shell) stmt(st *syntax.Stmt, std stdio) {
	s.line = st.Pos().Line()
	std, ok := s.redirect(st.Redirs, std)
	if !ok {
		s.status = 2
		return
	}
	if st.Negated {
		s.quiet++
	}
	s.command(st.Cmd, std)
	if st.Negated {
		s.quiet--
		s.status = boolStatus(s.status != 0)
		return
	}
	if _, list := st.Cmd.(*syntax.BinaryCmd); s.errexit && s.status != 0 && s.quiet == 0 && !list {
		s.exited = true
	}
}

func boolStatus(ok bool) int {
	if ok {
		return 0
	}
	return 1
}

// command runs one command node.
func (s *shell) command(cmd syntax.Command, std stdio) {
	switch c := cmd.(type) {
	case nil: // only redirections
		s.status = 0
	case *syntax.CallExpr:
		s.call(c, std)
	case *syntax.BinaryCmd:
		s.quiet++
		s.stmt(c.X, std)
		s.quiet--
		if s.exited || (c.Op == syntax.AndStmt) != (s.status == 0) {
			return
		}
		s.stmt(c.Y, std)
	case *syntax.Block:
		s.stmts(c.Stmts, std)
	case *syntax.Subshell:
		sub := s.subshell()
		sub.stmts(c.Stmts, std)
		s.status = sub.status
	case *syntax.IfClause:
		for clause := c; clause != nil; clause = clause.Else {
			if len(clause.Cond) > 0 {
				s.quiet++
				s.stmts(clause.Cond, std)
				s.quiet--
				if s.exited {
					return
				}
				if s.status != 0 {
					s.status = 0
					continue
				}
			}
			s.stmts(clause.Then, std)
			return
		}
	case *syntax.DeclClause:
		s.declare(c, std)
	default: // refused by unsupported before anything ran
		fmt.Fprintf(std.err, "sh: %d: this command is not supported by this simulated host\n", s.line)
		s.status = 2
	}
}

// call expands and runs a simple command; assignments before it go to its
// environment only, alone they set shell variables.
func (s *shell) call(c *syntax.CallExpr, std stdio) {
	s.substStatus = 0
	args, err := expand.Fields(s.expandConfig(std), c.Args...)
	if err != nil {
		s.expandFailed(err, std)
		return
	}
	assigned := map[string]string{}
	for _, a := range c.Assigns {
		v, err := expand.Literal(s.expandConfig(std), a.Value)
		if err != nil {
			s.expandFailed(err, std)
			return
		}
		if a.Append {
			v = s.vars[a.Name.Value].val + v
		}
		if len(args) == 0 {
			if !s.setVar(a.Name.Value, v, false, std) {
				return
			}
			continue
		}
		assigned[a.Name.Value] = v
	}
	if len(args) == 0 {
		s.status = s.substStatus
		return
	}
	if *s.budget <= 0 {
		fmt.Fprintf(std.err, "sh: %d: more than %d commands in one request: this simulated host stops here\n", s.line, shellCommandBudget)
		s.status, s.exited = 2, true
		return
	}
	*s.budget--
	env := s.environ()
	for k, v := range assigned {
		env[k] = v
	}
	s.status = s.exec(&proc{args: args, env: env, stdio: std})
}

// setVar sets a shell variable; false when the value is refused.
func (s *shell) setVar(name, val string, export bool, std stdio) bool {
	if len(val) > shellMaxValue {
		fmt.Fprintf(std.err, "sh: %d: %s: value longer than %d bytes: this simulated host refuses it\n", s.line, name, shellMaxValue)
		s.status, s.exited = 2, true
		return false
	}
	v := s.vars[name]
	s.vars[name] = shellVar{val, v.exported || export}
	return true
}

// declare runs export and readonly (the only declarations allowed).
func (s *shell) declare(c *syntax.DeclClause, std stdio) {
	s.status = 0
	for _, a := range c.Args {
		if a.Name == nil { // export "$x": a word to expand into NAME=value
			w, err := expand.Literal(s.expandConfig(std), a.Value)
			if err != nil {
				s.expandFailed(err, std)
				return
			}
			name, val, ok := strings.Cut(w, "=")
			if !validName(name) {
				fmt.Fprintf(std.err, "sh: %d: %s: bad variable name\n", s.line, c.Variant.Value)
				s.status = 2
				return
			}
			if ok {
				s.setVar(name, val, true, std)
			} else if v, set := s.vars[name]; set {
				s.vars[name] = shellVar{v.val, true}
			}
			continue
		}
		name := a.Name.Value
		if a.Naked {
			if v, ok := s.vars[name]; ok {
				s.vars[name] = shellVar{v.val, v.exported || c.Variant.Value == "export"}
			} else if c.Variant.Value == "export" {
				s.vars[name] = shellVar{"", true}
			}
			continue
		}
		v, err := expand.Literal(s.expandConfig(std), a.Value)
		if err != nil {
			s.expandFailed(err, std)
			return
		}
		if !s.setVar(name, v, c.Variant.Value == "export", std) {
			return
		}
	}
}

func validName(n string) bool {
	for i, r := range n {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return n != ""
}

// expandFailed reports an expansion error; like sh, the script stops.
func (s *shell) expandFailed(err error, std stdio) {
	var ue expand.UnsetParameterError
	if errors.As(err, &ue) {
		msg := ue.Message
		if msg == "unbound variable" {
			msg = "parameter not set"
		}
		fmt.Fprintf(std.err, "sh: %d: %s: %s\n", s.line, ue.Node.Param.Value, msg)
	} else {
		fmt.Fprintf(std.err, "sh: %d: %s\n", s.line, withoutPos(err.Error()))
	}
	s.status, s.exited = 2, true
}

// expandConfig lets expand see this shell's variables and run $(…) here.
// ReadDir2 stays nil, so there is no globbing, and "HOME user" answers for
// every name, so expand never looks up this computer's users.
func (s *shell) expandConfig(std stdio) *expand.Config {
	return &expand.Config{
		Env: shellEnv{s},
		CmdSubst: func(w io.Writer, cs *syntax.CmdSubst) error {
			sub := s.subshell()
			if sub.depth > shellMaxDepth {
				return fmt.Errorf("command substitutions nest more than %d deep: this simulated host stops here", shellMaxDepth)
			}
			if f, ok := readSubst(cs); ok { // $(<file): the file, as bash gives it
				std, ok := sub.redirect(f.Redirs, stdio{out: w, err: std.err})
				if ok {
					_, _ = io.WriteString(w, std.in)
				}
				s.substStatus = boolStatus(ok)
				return nil
			}
			sub.stmts(cs.Stmts, stdio{out: w, err: std.err})
			s.substStatus = sub.status
			return nil
		},
		ProcSubst: func(*syntax.ProcSubst) (string, error) {
			return "", errors.New("process substitutions are not supported by this simulated host")
		},
		NoUnset: s.nounset,
	}
}

// readSubst is the statement of a $(<file) substitution.
func readSubst(cs *syntax.CmdSubst) (*syntax.Stmt, bool) {
	if len(cs.Stmts) != 1 || cs.Stmts[0].Cmd != nil || len(cs.Stmts[0].Redirs) != 1 || cs.Stmts[0].Redirs[0].Op != syntax.RdrIn {
		return nil, false
	}
	return cs.Stmts[0], true
}

// shellEnv is a shell's variables and special parameters as expand sees them.
type shellEnv struct{ s *shell }

func str(v string) expand.Variable { return expand.Variable{Set: true, Kind: expand.String, Str: v} }

func (e shellEnv) Get(name string) expand.Variable {
	s := e.s
	switch name {
	case "?":
		return str(strconv.Itoa(s.status))
	case "$":
		return str("4242")
	case "PPID":
		return str("4241")
	case "#":
		return str(strconv.Itoa(len(s.params)))
	case "0":
		return str(s.arg0)
	case "-":
		flags := ""
		if s.errexit {
			flags += "e"
		}
		if s.nounset {
			flags += "u"
		}
		return str(flags)
	case "@", "*":
		return expand.Variable{Set: true, Kind: expand.Indexed, List: s.params}
	}
	if n, err := strconv.Atoi(name); err == nil && n > 0 {
		if n <= len(s.params) {
			return str(s.params[n-1])
		}
		return expand.Variable{}
	}
	if user, ok := strings.CutPrefix(name, "HOME "); ok {
		if s.h.knownUser(user) {
			return str(s.h.home(user))
		}
		return str("~" + user) // no such user: ~name stays as written
	}
	if v, ok := s.vars[name]; ok {
		return expand.Variable{Set: true, Exported: v.exported, Kind: expand.String, Str: v.val}
	}
	return expand.Variable{}
}

func (e shellEnv) Each(fn func(string, expand.Variable) bool) {
	names := make([]string, 0, len(e.s.vars))
	for k := range e.s.vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !fn(k, e.Get(k)) {
			return
		}
	}
}

// Set is how ${x:=word} assigns.
func (e shellEnv) Set(name string, vr expand.Variable) error {
	switch {
	case !vr.IsSet():
		delete(e.s.vars, name)
	case vr.Kind == expand.KeepValue:
		v := e.s.vars[name]
		e.s.vars[name] = shellVar{v.val, v.exported || vr.Exported}
	case vr.Kind == expand.String:
		if len(vr.Str) > shellMaxValue {
			return fmt.Errorf("%s: value longer than %d bytes: this simulated host refuses it", name, shellMaxValue)
		}
		v := e.s.vars[name]
		e.s.vars[name] = shellVar{vr.Str, v.exported || vr.Exported}
	default:
		return errors.New("arrays are not supported by this simulated host")
	}
	return nil
}

// redirect applies a statement's redirections in order; false when one
// failed (the message is written, the command does not run).
func (s *shell) redirect(rs []*syntax.Redirect, std stdio) (stdio, bool) {
	if len(rs) == 0 {
		return std, true
	}
	fds := [10]io.Writer{nil, std.out, std.err}
	in := std.in
	fail := func(format string, a ...any) (stdio, bool) {
		fmt.Fprintf(std.err, "sh: %d: "+format+"\n", append([]any{s.line}, a...)...)
		return std, false
	}
	for _, r := range rs {
		n := 1
		switch r.Op {
		case syntax.RdrIn, syntax.RdrInOut, syntax.DplIn, syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			n = 0
		}
		if r.N != nil {
			v, err := strconv.Atoi(r.N.Value)
			if err != nil || v > 9 {
				return fail("%s: bad file descriptor", r.N.Value)
			}
			n = v
		}
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			body, err := s.heredoc(r, std)
			if err != nil {
				s.expandFailed(err, std)
				return std, false
			}
			in = body
			continue
		}
		word, err := expand.Literal(s.expandConfig(std), r.Word)
		if err != nil {
			s.expandFailed(err, std)
			return std, false
		}
		switch r.Op {
		case syntax.WordHdoc:
			in = word + "\n"
		case syntax.DplIn:
			if word != "-" && word != "0" {
				return fail("%s: bad file descriptor", word)
			}
		case syntax.RdrIn, syntax.RdrInOut:
			p := absPath(s.cwd, word)
			if p == "/dev/null" {
				in = ""
				continue
			}
			body, err := s.h.readFile(p)
			if err != nil {
				return fail("cannot open %s: %v", word, err)
			}
			in = body
		case syntax.DplOut:
			if m, err := strconv.Atoi(word); err == nil && m >= 0 && m <= 9 {
				if fds[m] == nil {
					return fail("%d: bad file descriptor", m)
				}
				fds[n] = fds[m]
				continue
			}
			if word == "-" {
				fds[n] = io.Discard
				continue
			}
			if r.N != nil {
				return fail("%s: bad file descriptor", word)
			}
			w, err := s.openOut(word, false, fds)
			if err != nil {
				return fail("cannot create %s: %v", word, err)
			}
			fds[1], fds[2] = w, w
		default: // > >| >> &> &>>
			appending := r.Op == syntax.AppOut || r.Op == syntax.AppAll
			w, err := s.openOut(word, appending, fds)
			if err != nil {
				return fail("cannot create %s: %v", word, err)
			}
			fds[n] = w
			if r.Op == syntax.RdrAll || r.Op == syntax.AppAll {
				fds[1], fds[2] = w, w
			}
		}
	}
	for i := 1; i <= 2; i++ {
		if fds[i] == nil {
			fds[i] = io.Discard
		}
	}
	return stdio{in: in, out: fds[1], err: fds[2]}, true
}

// openOut is where output redirected to name goes.
func (s *shell) openOut(name string, appending bool, fds [10]io.Writer) (io.Writer, error) {
	switch p := absPath(s.cwd, name); p {
	case "/dev/null":
		return io.Discard, nil
	case "/dev/stdout":
		return fds[1], nil
	case "/dev/stderr":
		return fds[2], nil
	default:
		if err := s.h.openFile(s.user, p, appending); err != nil {
			return nil, err
		}
		return fileWriter{s.h, p}, nil
	}
}

// heredoc is a here-document's body, expanded unless its delimiter was
// quoted.
func (s *shell) heredoc(r *syntax.Redirect, std stdio) (string, error) {
	if r.Hdoc == nil {
		return "", nil
	}
	quoted := false
	for _, p := range r.Word.Parts {
		if _, lit := p.(*syntax.Lit); !lit {
			quoted = true
		} else if strings.Contains(p.(*syntax.Lit).Value, `\`) {
			quoted = true
		}
	}
	if quoted {
		var b strings.Builder
		for _, p := range r.Hdoc.Parts {
			if l, ok := p.(*syntax.Lit); ok {
				b.WriteString(l.Value)
			}
		}
		return b.String(), nil
	}
	return expand.Document(s.expandConfig(std), r.Hdoc)
}
