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
