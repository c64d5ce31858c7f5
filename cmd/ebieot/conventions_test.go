package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// splitStreams writes the three streams of a generated single-file CSV as
// the separate files of the --paired/--sources/--targets form.
func splitStreams(t *testing.T, dir string) (paired, sources, targets string) {
	t.Helper()
	all := filepath.Join(dir, "all.csv")
	if _, stderr, code := runCLI(t, "generate", "swissroll", "--paired", "60", "--sources", "200", "--targets", "200", "--seed", "3", "--out", all); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	b, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	p, s, g := []string{"x1,x2,y1,y2"}, []string{"x1,x2"}, []string{"y1,y2"}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		switch {
		case f[2] == "":
			s = append(s, f[0]+","+f[1])
		case f[0] == "":
			g = append(g, f[2]+","+f[3])
		default:
			p = append(p, l)
		}
	}
	write := func(name string, rows []string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return write("paired.csv", p), write("sources.csv", s), write("targets.csv", g)
}

// TestSeparateFilesNeedNoColumnFlags: the separate-files form takes the x
// columns from the sources file and the y columns from the targets file,
// as the README's walk-through pastes it; the pairs alone still need them.
func TestSeparateFilesNeedNoColumnFlags(t *testing.T) {
	dir := t.TempDir()
	paired, sources, targets := splitStreams(t, dir)
	model := filepath.Join(dir, "m.json")
	_, stderr, code := runCLI(t, "--quiet", "fit", "--paired", paired, "--sources", sources, "--targets", targets,
		"--select=false", "--steps", "20", "--out", model)
	if code != 0 {
		t.Fatalf("fit from separate files without column flags: exit %d: %s", code, stderr)
	}
	out, _, code := runCLI(t, "describe", "--model", model)
	if code != 0 || !strings.Contains(out, "x1") || !strings.Contains(out, "y2") {
		t.Fatalf("describe: exit %d: %s", code, out)
	}
	_, stderr, code = runCLI(t, "fit", "--paired", paired, "--out", filepath.Join(dir, "p.json"))
	if code != 2 || !strings.Contains(stderr, "--x-cols") {
		t.Fatalf("--paired alone: exit %d (want 2): %s", code, stderr)
	}
}

// TestInputFlagIsConsistent: every command that reads rows to score takes
// --input, and the older names still work.
func TestInputFlagIsConsistent(t *testing.T) {
	dir := t.TempDir()
	paired, sources, targets := splitStreams(t, dir)
	model := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "--quiet", "fit", "--paired", paired, "--sources", sources, "--targets", targets,
		"--select=false", "--steps", "20", "--out", model); code != 0 {
		t.Fatal(stderr)
	}
	for _, args := range [][]string{
		{"logprob", "--input", paired},
		{"logprob", "--pairs", paired},
		{"eval", "--input", paired},
		{"eval", "--holdout", paired},
		{"sample", "--input", sources, "--n", "2"},
		{"sample", "--x", sources, "--n", "2"},
		{"predict", "--input", sources},
		{"predict", "--x", sources},
	} {
		full := append([]string{"--quiet"}, args[0], "--model", model)
		full = append(full, args[1:]...)
		if args[0] != "eval" {
			full = append(full, "--out", filepath.Join(dir, args[0]+".csv"))
		}
		if _, stderr, code := runCLI(t, full...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// TestEvalOnePairNamesTheFile: too few held-out pairs is reported with the
// file's name.
func TestEvalOnePairNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	paired, sources, targets := splitStreams(t, dir)
	model := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "--quiet", "fit", "--paired", paired, "--sources", sources, "--targets", targets,
		"--select=false", "--steps", "20", "--out", model); code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(paired)
	one := filepath.Join(dir, "one.csv")
	lines := strings.SplitN(string(b), "\n", 3)
	if err := os.WriteFile(one, []byte(lines[0]+"\n"+lines[1]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "eval", "--model", model, "--input", one)
	if code != 1 || !strings.Contains(stderr, "one.csv") {
		t.Fatalf("exit %d, want 1 and the file named: %s", code, stderr)
	}
}

// TestSinkhornWarnsWhenColumnNamesDiffer: columns are paired by position,
// which the user is told when the names differ (and not when they agree).
func TestSinkhornWarnsWhenColumnNamesDiffer(t *testing.T) {
	dir := t.TempDir()
	_, sources, targets := splitStreams(t, dir)
	_, stderr, code := runCLI(t, "sinkhorn", "--source", sources, "--target", targets, "--eps", "0.5")
	if code != 0 || !strings.Contains(stderr, "x1=y1") {
		t.Fatalf("exit %d, want a warning naming x1=y1: %s", code, stderr)
	}
	_, stderr, code = runCLI(t, "sinkhorn", "--source", sources, "--target", sources, "--eps", "0.5")
	if strings.Contains(stderr, "paired by position") {
		t.Fatalf("warned although the names agree (exit %d): %s", code, stderr)
	}
}

// TestOutputsCheckedBeforeWork: an output that would destroy an input,
// another output, a special or read-only file, or that lies in a missing
// directory is refused before any work, and nothing is changed. Naming
// one file twice is a usage error (exit 2), the rest exit 1.
func TestOutputsCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	paired, sources, targets := splitStreams(t, dir)
	model := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "--quiet", "fit", "--paired", paired, "--sources", sources, "--targets", targets,
		"--select=false", "--steps", "20", "--out", model); code != 0 {
		t.Fatal(stderr)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(paired, link); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro.csv")
	if err := os.WriteFile(readOnly, []byte("keep\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, p := range []string{paired, sources, model, readOnly} {
		before[p], _ = os.ReadFile(p)
	}
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"fit", "--paired", paired, "--sources", sources, "--targets", targets, "--out", sources}, "destroy the input", 2},
		{[]string{"fit", "--paired", paired, "--sources", sources, "--targets", targets, "--out", filepath.Join(dir, "no", "m.json")}, "does not exist", 1},
		{[]string{"logprob", "--model", model, "--input", link, "--out", paired}, "destroy the input", 2},
		{[]string{"sample", "--model", model, "--input", sources, "--out", model}, "destroy the input", 2},
		{[]string{"sample", "--model", model, "--input", sources, "--out", readOnly}, "read-only", 1},
		{[]string{"sample", "--model", model, "--input", sources, "--out", dir}, "a directory", 1},
		{[]string{"sinkhorn", "--source", sources, "--target", sources, "--eps", "0.5", "--plan", filepath.Join(dir, "p.csv"), "--map", filepath.Join(dir, ".", "p.csv")}, "both", 2},
		{[]string{"generate", "gaussian", "--paired", "5", "--sources", "5", "--targets", "5", "--seed", "1", "--out", filepath.Join(dir, "missing", "g.csv")}, "does not exist", 1},
	} {
		_, stderr, code := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q: %s", tc.args, code, tc.code, tc.want, stderr)
		}
	}
	for p, b := range before {
		if now, _ := os.ReadFile(p); string(now) != string(b) {
			t.Errorf("%s changed", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "p.csv")); err == nil {
		t.Error("the refused sinkhorn run wrote its plan")
	}
}
