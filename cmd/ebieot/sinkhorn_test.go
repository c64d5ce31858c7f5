package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/sinkhorn"
)

// writeCloud writes points (and weights, if any) as CSV with the given
// header and returns the path.
func writeCloud(t *testing.T, dir, name, header string, rows [][]float64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, r := range rows {
		for k, v := range r {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func testClouds() (src, tgt [][]float64) {
	for i := range 12 {
		a := float64(i)
		src = append(src, []float64{math.Sin(a), math.Cos(1.3 * a), 0.5 + 0.1*a})
	}
	for j := range 9 {
		b := float64(j)
		tgt = append(tgt, []float64{1 + 0.3*math.Cos(b), 0.5 * math.Sin(2*b), 1})
	}
	return src, tgt
}

func decodeJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	return m
}

// TestCLISinkhornRoundTrip solves through the binary, reads every output file
// back and checks it against the library and the plan's marginals.
func TestCLISinkhornRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src, tgt := testClouds()
	// The third column is a weight column; one source has weight zero.
	src[4][2] = 0
	sp := writeCloud(t, dir, "src.csv", "u,v,w", src)
	tp := writeCloud(t, dir, "tgt.csv", "u,v,w", tgt)
	plan, pots, bmap := filepath.Join(dir, "plan.csv"), filepath.Join(dir, "pot.csv"), filepath.Join(dir, "map.csv")
	out, errOut, code := runCLI(t, "sinkhorn", "--source", sp, "--target", tp, "--weights-col", "w",
		"--eps", "0.2", "--tol", "1e-10", "--plan", plan, "--potentials", pots, "--map", bmap,
		"--divergence", "--json", "--threads", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := decodeJSON(t, out)
	for _, k := range []string{"cost", "objective", "iterations", "marginal_error", "converged", "divergence"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}

	// Same problem in process, single-threaded: the same bits.
	x, y := datasets.NewMatrix(12, 2), datasets.NewMatrix(9, 2)
	a, b := make([]float64, 12), make([]float64, 9)
	for i, r := range src {
		copy(x.Row(i), r[:2])
		a[i] = r[2]
	}
	for j, r := range tgt {
		copy(y.Row(j), r[:2])
		b[j] = r[2]
	}
	p := &sinkhorn.Problem{X: x.Data, Y: y.Data, N: 12, M: 9, D: 2, A: a, B: b}
	opt := sinkhorn.Options{Eps: 0.2, Tol: 1e-10, Threads: 1}
	res, err := sinkhorn.Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got["cost"] != res.Cost || got["objective"] != res.Objective || got["iterations"] != float64(res.Iterations) || got["converged"] != true {
		t.Errorf("CLI %v, library cost %v objective %v iterations %d", got, res.Cost, res.Objective, res.Iterations)
	}
	div, err := sinkhorn.DivergenceOf(context.Background(), p, opt)
	if err != nil || got["divergence"] != div {
		t.Errorf("divergence %v, library %v (%v)", got["divergence"], div, err)
	}

	// The plan file: rows sum to the normalised weights (zero for the
	// zero-weight source), columns within the tolerance.
	pm, names, err := datasets.ReadMatrixCSV(plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pm.Rows != 12 || pm.Cols != 9 || names[0] != "t1" {
		t.Fatalf("plan file %d×%d, columns %v", pm.Rows, pm.Cols, names)
	}
	want := res.Plan()
	cols := make([]float64, 9)
	for i := range 12 {
		var s float64
		for j, v := range pm.Row(i) {
			if v != want[i*9+j] {
				t.Fatalf("plan[%d][%d] = %v, library %v", i, j, v, want[i*9+j])
			}
			s += v
			cols[j] += v
		}
		if math.Abs(s-res.A[i]) > 1e-14 || (i == 4 && s != 0) {
			t.Errorf("plan row %d sums to %v, want %v", i, s, res.A[i])
		}
	}
	var e float64
	for j, v := range cols {
		e += math.Abs(v - res.B[j])
	}
	if e > 1e-10 {
		t.Errorf("plan column error %v", e)
	}

	// Potentials and map.
	pot, names, err := datasets.ReadMatrixCSV(pots, []string{"f"})
	if err != nil {
		t.Fatal(err)
	}
	if names[0] != "f" || pot.Rows != 12 || pot.Data[0] != res.F[0] {
		t.Errorf("potentials file: %v rows, f[0] = %v want %v", pot.Rows, pot.Data[0], res.F[0])
	}
	mm, names, err := datasets.ReadMatrixCSV(bmap, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantMap, _ := res.BarycentricMap()
	if strings.Join(names, ",") != "u,v" || mm.Rows != 12 || mm.Data[5] != wantMap[5] {
		t.Errorf("map file columns %v, %d rows", names, mm.Rows)
	}
}

func TestCLISinkhornFixedIterationsAndText(t *testing.T) {
	dir := t.TempDir()
	src, tgt := testClouds()
	sp := writeCloud(t, dir, "src.csv", "a,b,c", src)
	tp := writeCloud(t, dir, "tgt.csv", "a,b,c", tgt)
	out, errOut, code := runCLI(t, "sinkhorn", "--source", sp, "--target", tp, "--cols", "a,b",
		"--eps", "0.05", "--relative-eps", "--cost", "euclidean", "--tol", "0", "--max-iter", "7", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := decodeJSON(t, out)
	if got["iterations"] != 7.0 || got["converged"] != false {
		t.Errorf("--tol 0 --max-iter 7: %v", got)
	}
	out, errOut, code = runCLI(t, "sinkhorn", "--source", sp, "--target", tp, "--eps", "1", "--method", "kernel")
	if code != 0 || !strings.Contains(out, "converged") || !strings.Contains(out, "iterations") || !strings.Contains(out, "kernel") {
		t.Errorf("text output (exit %d): %s %s", code, out, errOut)
	}
}

func TestCLISinkhornErrors(t *testing.T) {
	dir := t.TempDir()
	src, tgt := testClouds()
	sp := writeCloud(t, dir, "src.csv", "a,b,c", src)
	tp := writeCloud(t, dir, "tgt.csv", "a,b,c", tgt)
	t2 := writeCloud(t, dir, "tgt2.csv", "a,b", [][]float64{{1, 2}})
	// A tolerance that cannot be met: results are printed, exit status 1.
	out, errOut, code := runCLI(t, "sinkhorn", "--source", sp, "--target", tp, "--eps", "0.01", "--tol", "1e-14", "--max-iter", "3", "--json")
	if code != 1 || !strings.Contains(errOut, "not converged") || decodeJSON(t, out)["converged"] != false {
		t.Errorf("unmet tolerance: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for name, args := range map[string][]string{
		"bad cost":        {"--cost", "manhattan"},
		"bad method":      {"--method", "fast"},
		"negative tol":    {"--tol", "-1"},
		"zero eps":        {"--eps", "0"},
		"rotation in 3-D": {"--cost", "rotation"},
		"missing weights": {"--weights-col", "nope"},
		"dimensions":      {"--target", t2},
		"stray argument":  {"extra"},
	} {
		full := []string{"sinkhorn", "--source", sp, "--target", tp, "--eps", "1"}
		full = append(full, args...)
		if _, errOut, code := runCLI(t, full...); code == 0 || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut)
		}
	}
	if _, errOut, code := runCLI(t, "sinkhorn", "--source", filepath.Join(dir, "none.csv"), "--target", tp, "--eps", "1"); code == 0 || !strings.Contains(errOut, "--source") {
		t.Errorf("missing file: exit %d, %s", code, errOut)
	}
}

// TestCLISinkhornEntropicMap saves the out-of-sample map, applies it to new
// points with and without solving again, and checks that a run that misses
// its tolerance leaves an existing output file alone.
func TestCLISinkhornEntropicMap(t *testing.T) {
	dir := t.TempDir()
	src, tgt := testClouds()
	sp := writeCloud(t, dir, "src.csv", "a,b,c", src)
	tp := writeCloud(t, dir, "tgt.csv", "a,b,c", tgt)
	newp := writeCloud(t, dir, "new.csv", "a,b,c", [][]float64{src[0], {0.1, 0.2, 0.3}})
	mapFile, bary, a1, a2 := filepath.Join(dir, "m.json"), filepath.Join(dir, "bary.csv"), filepath.Join(dir, "a1.csv"), filepath.Join(dir, "a2.csv")
	if _, errOut, code := runCLI(t, "sinkhorn", "--source", sp, "--target", tp, "--eps", "0.5", "--tol", "1e-10",
		"--map", bary, "--map-out", mapFile, "--apply", newp, "--applied", a1); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := runCLI(t, "sinkhorn", "--map-in", mapFile, "--apply", newp, "--applied", a2); code != 0 {
		t.Fatal(errOut)
	}
	_, b := readCSVFloats(t, bary)
	h1, m1 := readCSVFloats(t, a1)
	_, m2 := readCSVFloats(t, a2)
	if strings.Join(h1, ",") != "a,b,c" || len(m1) != 2 {
		t.Fatalf("applied %v %v", h1, m1)
	}
	for k := range 3 {
		// The first new point is the first source: its image is the
		// barycentric map's first row; the saved map gives the same.
		if math.Abs(m1[0][k]-b[0][k]) > 1e-8 || m1[1][k] != m2[1][k] || m1[0][k] != m2[0][k] {
			t.Errorf("coordinate %d: applied %v / %v, barycentric %v", k, m1[0][k], m2[0][k], b[0][k])
		}
	}
	// A failed solve must not overwrite the good map.
	before, _ := os.ReadFile(bary)
	if _, _, code := runCLI(t, "sinkhorn", "--source", sp, "--target", tp, "--eps", "0.01", "--tol", "1e-14", "--max-iter", "3", "--map", bary); code != 1 {
		t.Fatalf("unmet tolerance: exit %d", code)
	}
	if after, _ := os.ReadFile(bary); string(after) != string(before) {
		t.Error("a run that did not converge overwrote --map")
	}
	if _, errOut, code := runCLI(t, "sinkhorn", "--map-in", mapFile, "--apply", newp); code == 0 || !strings.Contains(errOut, "--applied") {
		t.Errorf("--apply without --applied: exit %d, %s", code, errOut)
	}
}
