package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// inspectRow finds the statistics line of one column.
func inspectRow(t *testing.T, out, side, column string) []string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*` + side + `\s+` + regexp.QuoteMeta(column) + `\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no statistics for %s column %s in\n%s", side, column, out)
	}
	return m[1:]
}

func TestInspectSingleFile(t *testing.T) {
	dir := t.TempDir()
	// x over pairs and sources: a = {1, 3, 5}; b = {2, 2, 2}. y over pairs
	// and targets: c = {10, 20, 40, 50}.
	data := writeFile(t, dir, "d.csv", "id,a,b,c\n"+
		"p,1,2,10\n"+
		"q,3,2,20\n"+
		"s,5,2,\n"+
		"t,,,40\n"+
		"u,,,50\n")
	stdout, stderr, code := runCLI(t, "inspect", "--data", data, "--x-cols", "a,b", "--y-cols", "c")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"pairs 2, sources 1, targets 2", "x: 2 columns, 3 values each", "y: 1 columns, 4 values each"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// mean, population std, min, max
	if got, want := inspectRow(t, stdout, "x", "a"), []string{"3", "1.63299", "1", "5"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("column a: %v, want %v", got, want)
	}
	if got, want := inspectRow(t, stdout, "x", "b"), []string{"2", "0", "2", "2"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("constant column b: %v, want %v", got, want)
	}
	if got, want := inspectRow(t, stdout, "y", "c"), []string{"30", "15.8114", "10", "50"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("column c: %v, want %v", got, want)
	}
}

func TestInspectSeparateFiles(t *testing.T) {
	dir := t.TempDir()
	paired := writeFile(t, dir, "p.csv", "x,y\n1,2\n3,4\n")
	sources := writeFile(t, dir, "s.csv", "x\n5\n")
	targets := writeFile(t, dir, "t.csv", "y\r\n6\r\n")
	stdout, stderr, code := runCLI(t, "inspect", "--paired", paired, "--sources", sources, "--targets", targets, "--x-cols", "x", "--y-cols", "y")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "pairs 2, sources 1, targets 1") {
		t.Fatalf("output:\n%s", stdout)
	}
	if got := inspectRow(t, stdout, "y", "y"); strings.Join(got, " ") != "4 1.63299 2 6" {
		t.Errorf("column y: %v", got)
	}
}

// A malformed file fails with exit code 1 and a message naming the line
// and the column, prints no report and leaves no file behind.
func TestInspectReportsBadFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		content string
		want    string
	}{
		{"x1,x2,y1\n1,2,3\n4,oops,6\n", "line 3 column 2 (x2): not a number"},
		{"x1,x2,y1\n1,2,3\n4,,6\n", "line 3 column 2 (x2): empty cell"},
		{"x1,x2,y1\n1,2,3\n4,5\n", "line 3 column 3 (y1): row has 2 fields"},
		{"x1,x2,y1\n1,2,inf\n", "line 2 column 3 (y1): NaN and infinite"},
		{"x1,x1,y1\n1,2,3\n", "line 1 column 2 (x1): duplicate column name"},
	}
	for i, c := range cases {
		sub := filepath.Join(dir, string(rune('a'+i)))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		data := writeFile(t, sub, "bad.csv", c.content)
		stdout, stderr, code := runCLI(t, "inspect", "--data", data, "--x-cols", "x*", "--y-cols", "y1")
		if code != 1 || !strings.Contains(stderr, data+" "+c.want) {
			t.Errorf("case %d: exit %d, stderr %q; want exit 1 and %q", i, code, stderr, c.want)
		}
		if stdout != "" {
			t.Errorf("case %d: printed a report for a bad file: %q", i, stdout)
		}
		if entries, _ := os.ReadDir(sub); len(entries) != 1 {
			t.Errorf("case %d: directory now holds %v", i, entries)
		}
	}
	_, stderr, code := runCLI(t, "inspect", "--data", filepath.Join(dir, "missing.csv"), "--x-cols", "x", "--y-cols", "y")
	if code != 1 || !strings.Contains(stderr, "missing.csv") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	_, stderr, code = runCLI(t, "inspect")
	if code != 2 || !strings.Contains(stderr, "no data") {
		t.Errorf("no data flags: exit %d, %q", code, stderr)
	}
}

// The file generate writes is what inspect reads.
func TestGenerateThenInspect(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.csv")
	if _, stderr, code := runCLI(t, "generate", "gaussian", "--paired", "30", "--sources", "20", "--targets", "10", "--dim", "4", "--seed", "5", "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	stdout, stderr, code := runCLI(t, "inspect", "--data", out, "--x-cols", "x*", "--y-cols", "y*", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "pairs 30, sources 20, targets 10") || !strings.Contains(stdout, "x: 4 columns, 50 values each") {
		t.Fatalf("output:\n%s", stdout)
	}
	inspectRow(t, stdout, "y", "y4")
}
