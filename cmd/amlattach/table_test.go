package main

import (
	"fmt"
	"strings"
	"testing"
)

type countingWriter struct {
	writes int
	b      strings.Builder
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.b.Write(p)
}

// A long table goes out in a few large writes, not a write per cell and per
// pad (a system call each on a terminal or a file), and aligned as before.
func TestTableWritesInBulk(t *testing.T) {
	var w countingWriter
	tw := newTable(&w)
	fmt.Fprintln(tw, "NAME\tRESOURCE GROUP\tLOCATION")
	for i := range 10000 {
		fmt.Fprintf(tw, "vm-%05d\trg\teastus\n", i)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(w.b.String(), "\n"), "\n")
	if len(lines) != 10001 || lines[0] != "NAME      RESOURCE GROUP  LOCATION" || lines[10000] != "vm-09999  rg              eastus" {
		t.Fatalf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if w.writes > 20 {
		t.Fatalf("%d writes for 10,001 lines", w.writes)
	}
}
