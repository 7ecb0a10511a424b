package flows

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// ShellQuote writes s as one word of a command line the user can paste into
// their shell: unchanged when nothing in it is special, else quoted by
// mvdan.cc/sh's syntax.Quote (single quotes for POSIX sh). Quote refuses two
// kinds of strings, handled here:
//   - control characters or invalid UTF-8, which POSIX quotes cannot show
//     on one line: written $'…', which bash, zsh, ksh and POSIX.1-2024 sh read;
//   - NUL bytes, which no program argument can hold: dropped.
//
// The empty string is a pair of single quotes. A word with ! is single-quoted too, as an
// interactive bash would expand !… from its history.
func ShellQuote(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		if q, err = syntax.Quote(s, syntax.LangBash); err != nil {
			// Not reached without NUL bytes; single quotes still keep s
			// whole, if not on one line.
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	if strings.Contains(s, "!") && !strings.HasPrefix(q, "'") && !strings.HasPrefix(q, "$'") {
		// Left bare, or in double quotes (which Quote chooses for a word
		// with a single quote): both let an interactive shell expand !.
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return q
}
