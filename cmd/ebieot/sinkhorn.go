package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/internal/atomicfile"
	"github.com/ebieot/ebieot/sinkhorn"
)

func sinkhornCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "sinkhorn",
		Usage: "entropic optimal transport between two point clouds (plan, potentials, barycentric map, Sinkhorn divergence)",
		Description: `Reads two CSV point clouds (header row; the coordinates are all columns, or those
named by --cols, minus an optional --weights-col) and solves
  min_P <P, C> + eps KL(P | a x b)  with P 1 = a, P^T 1 = b
for the chosen cost. --eps is in the cost's units unless --relative-eps (then it
is multiplied by the median cost). The stopping test is on the L1 marginal error
sum_j |(P^T 1)_j - b_j| of the reported plan (its rows are exact); --tol 0 runs
exactly --max-iter iterations. A run that misses its tolerance still prints and
writes its results, then exits with status 1.

Output files: --plan (n rows, columns t1..tm), --potentials (columns f, g; the
shorter one ends with empty cells), --map (the barycentric map, one row per
source, named like the target columns), --map-out (the out-of-sample entropic map
T(x) = Σ_j b_j exp((g_j − c(x,y_j))/ε) y_j / Σ_j b_j exp((g_j − c(x,y_j))/ε) of Pooladian and
Niles-Weed, as JSON). --apply F maps the points of F (same coordinate columns) with the
fitted map into --applied; with --map-in M (a saved --map-out file) it maps them without
solving. Outputs are written only when the solve met its tolerance.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "source", Usage: "CSV file of source points (required unless --map-in)"},
			&cli.StringFlag{Name: "target", Usage: "CSV file of target points (required unless --map-in)"},
			&cli.StringFlag{Name: "cols", Usage: "comma list of coordinate columns (names or globs) in both files; default all"},
			&cli.StringFlag{Name: "weights-col", Usage: "column holding point weights (not a coordinate); default uniform"},
			&cli.Float64Flag{Name: "eps", Usage: "entropic regularisation, in cost units (required unless --map-in)"},
			&cli.BoolFlag{Name: "relative-eps", Usage: "multiply --eps by the median cost"},
			&cli.StringFlag{Name: "cost", Value: "sqeuclidean", Usage: "sqeuclidean, half-sqeuclidean, euclidean or rotation (2-D)"},
			&cli.Float64Flag{Name: "tol", Value: sinkhorn.DefaultTol, Usage: "tolerance on the L1 marginal error; 0 runs exactly --max-iter iterations"},
			&cli.IntFlag{Name: "max-iter", Value: sinkhorn.DefaultMaxIter, Usage: "maximum number of iterations"},
			&cli.StringFlag{Name: "method", Value: "auto", Usage: "auto, log or kernel"},
			&cli.BoolFlag{Name: "online", Usage: "never store the n×m cost matrix (recompute rows from the points)"},
			&cli.StringFlag{Name: "plan", Usage: "write the dense plan to this CSV file"},
			&cli.StringFlag{Name: "potentials", Usage: "write the dual potentials f, g to this CSV file"},
			&cli.StringFlag{Name: "map", Usage: "write the barycentric map to this CSV file"},
			&cli.StringFlag{Name: "map-out", Usage: "write the out-of-sample entropic map to this JSON file"},
			&cli.StringFlag{Name: "map-in", Usage: "apply this saved entropic map (with --apply) instead of solving"},
			&cli.StringFlag{Name: "apply", Usage: "CSV of new source points to map (needs --applied)"},
			&cli.StringFlag{Name: "applied", Usage: "CSV to write the mapped --apply points to"},
			&cli.BoolFlag{Name: "divergence", Usage: "also compute the debiased Sinkhorn divergence"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
		},
		Action: runSinkhorn,
	})
}

func runSinkhorn(c *cli.Context) error {
	if err := checkOutputs(paths(c, "plan", "potentials", "map", "map-out", "applied"), paths(c, "source", "target", "apply", "map-in")); err != nil {
		return err
	}
	var cols []string
	if s := c.String("cols"); s != "" {
		cols = strings.Split(s, ",")
	}
	if (c.String("apply") == "") != (c.String("applied") == "") {
		return usagef("--apply and --applied go together: the points to map and the file to write them to")
	}
	if path := c.String("map-in"); path != "" {
		return applySavedMap(c, path, cols)
	}
	for _, name := range []string{"source", "target", "eps"} {
		if !c.IsSet(name) {
			return fmt.Errorf("sinkhorn: required flag --%s not set (see 'ebieot sinkhorn --help')", name)
		}
	}
	wcol := c.String("weights-col")
	x, xNames, a, err := readCloud(c.String("source"), cols, wcol)
	if err != nil {
		return fmt.Errorf("--source: %w", err)
	}
	y, yNames, b, err := readCloud(c.String("target"), cols, wcol)
	if err != nil {
		return fmt.Errorf("--target: %w", err)
	}
	if x.Cols != y.Cols {
		return fmt.Errorf("source points have %d coordinates (%s), target points %d (%s)",
			x.Cols, strings.Join(xNames, ","), y.Cols, strings.Join(yNames, ","))
	}
	if !slices.Equal(xNames, yNames) && !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "warning: the two files' columns have different names, paired by position: %s\n", pairing(xNames, yNames))
	}
	cost, err := sinkhorn.ParseCost(c.String("cost"))
	if err != nil {
		return fmt.Errorf("--cost: %w", err)
	}
	method, err := parseMethod(c.String("method"))
	if err != nil {
		return err
	}
	tol := c.Float64("tol")
	if tol < 0 {
		return usagef("--tol %v: must be zero or positive", tol)
	}
	if tol == 0 {
		tol = -1 // the library's "no test": run exactly MaxIter iterations
	}
	if c.Int("max-iter") <= 0 {
		return usagef("--max-iter %d: must be positive", c.Int("max-iter"))
	}
	p := &sinkhorn.Problem{X: x.Data, Y: y.Data, N: x.Rows, M: y.Rows, D: x.Cols, A: a, B: b, Cost: cost}
	opt := sinkhorn.Options{
		Eps: c.Float64("eps"), EpsRelativeToMedianCost: c.Bool("relative-eps"),
		Tol: tol, MaxIter: c.Int("max-iter"), Method: method, Online: c.Bool("online"),
		Threads: workers(c),
	}
	res, solveErr := sinkhorn.Solve(c.Context, p, opt)
	if solveErr != nil && !errors.Is(solveErr, sinkhorn.ErrNotConverged) {
		return fmt.Errorf("sinkhorn: %w", solveErr)
	}
	var div *float64
	if c.Bool("divergence") {
		o := opt
		o.Eps, o.EpsRelativeToMedianCost = res.Eps, false
		v, err := sinkhorn.DivergenceOf(c.Context, p, o)
		if err != nil && !errors.Is(err, sinkhorn.ErrNotConverged) {
			return fmt.Errorf("divergence: %w", err)
		}
		if err != nil && solveErr == nil {
			solveErr = err
		}
		div = &v
	}
	// A run that missed its tolerance prints its numbers but writes no
	// file: a half-converged plan must not replace a good one.
	if solveErr == nil {
		if err := writeSinkhornFiles(c, res, xNames, yNames, cols); err != nil {
			return err
		}
	} else if !quiet(c) {
		fmt.Fprintln(c.App.ErrWriter, "sinkhorn: not converged; no output file written")
	}
	if c.Bool("json") {
		err = printSinkhornJSON(c.App.Writer, res, div)
	} else {
		err = printSinkhornText(c.App.Writer, res, div, tol > 0)
	}
	if err != nil {
		return err
	}
	return solveErr
}

// pairing lists the source and target columns that differ, as a=b.
func pairing(x, y []string) string {
	var parts []string
	for i := range x {
		if x[i] != y[i] {
			parts = append(parts, x[i]+"="+y[i])
		}
	}
	return strings.Join(parts, ", ")
}

// readCloud reads a point cloud and, if wcol is set, its weight column.
func readCloud(path string, cols []string, wcol string) (pts datasets.Matrix, names []string, w []float64, err error) {
	sel := cols
	if wcol != "" && len(cols) > 0 {
		sel = append(slices.Clone(cols), wcol)
	}
	m, names, err := datasets.ReadMatrixCSV(path, sel)
	if err != nil {
		return datasets.Matrix{}, nil, nil, err
	}
	if wcol == "" {
		return m, names, nil, nil
	}
	k := slices.Index(names, wcol)
	if k < 0 {
		return datasets.Matrix{}, nil, nil, fmt.Errorf("%s: no weights column %q (columns: %s)", path, wcol, strings.Join(names, ","))
	}
	keep := slices.Delete(slices.Clone(names), k, k+1)
	if len(keep) == 0 {
		return datasets.Matrix{}, nil, nil, fmt.Errorf("%s: no coordinate columns besides the weights", path)
	}
	pts = datasets.NewMatrix(m.Rows, len(keep))
	w = make([]float64, m.Rows)
	for i := range m.Rows {
		row := m.Row(i)
		w[i] = row[k]
		copy(pts.Row(i), row[:k])
		copy(pts.Row(i)[k:], row[k+1:])
	}
	return pts, keep, w, nil
}

func parseMethod(s string) (sinkhorn.Method, error) {
	for _, m := range []sinkhorn.Method{sinkhorn.Auto, sinkhorn.LogDomain, sinkhorn.Kernel} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, usagef("--method %q: want auto, log or kernel", s)
}

func writeSinkhornFiles(c *cli.Context, res *sinkhorn.Result, xNames, yNames, cols []string) error {
	if path := c.String("plan"); path != "" {
		err := atomicfile.Write(path, func(w io.Writer) error {
			m := len(res.G)
			var buf []byte
			for j := range m {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, 't')
				buf = strconv.AppendInt(buf, int64(j+1), 10)
			}
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				return err
			}
			return res.PlanRows(c.Context, func(_ int, row []float64) error {
				buf = appendFloats(buf[:0], row)
				_, err := w.Write(buf)
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("--plan: %w", err)
		}
	}
	if path := c.String("potentials"); path != "" {
		err := atomicfile.Write(path, func(w io.Writer) error {
			buf := []byte("f,g\n")
			for k := range max(len(res.F), len(res.G)) {
				if k < len(res.F) {
					buf = strconv.AppendFloat(buf, res.F[k], 'g', -1, 64)
				}
				buf = append(buf, ',')
				if k < len(res.G) {
					buf = strconv.AppendFloat(buf, res.G[k], 'g', -1, 64)
				}
				buf = append(buf, '\n')
			}
			_, err := w.Write(buf)
			return err
		})
		if err != nil {
			return fmt.Errorf("--potentials: %w", err)
		}
	}
	if path := c.String("map"); path != "" {
		t, err := res.BarycentricMap()
		if err != nil {
			return fmt.Errorf("--map: %w", err)
		}
		m := datasets.Matrix{Rows: len(res.F), Cols: len(yNames), Data: t}
		if err := datasets.WriteTableCSV(path, yNames, m); err != nil {
			return fmt.Errorf("--map: %w", err)
		}
	}
	if c.String("map-out") == "" && c.String("apply") == "" {
		return nil
	}
	em, err := res.Map()
	if err != nil {
		return fmt.Errorf("--map-out/--apply: %w", err)
	}
	if path := c.String("map-out"); path != "" {
		if err := writeJSON(path, em); err != nil {
			return fmt.Errorf("--map-out: %w", err)
		}
	}
	path := c.String("apply")
	if path == "" {
		return nil
	}
	sel := cols
	if sel == nil {
		sel = xNames
	}
	pts, _, err := datasets.ReadMatrixCSV(path, sel)
	if err != nil {
		return fmt.Errorf("--apply: %w", err)
	}
	return applyMap(c, em, pts, yNames)
}

// applyMap maps pts into --applied, with the target's column names.
func applyMap(c *cli.Context, em *sinkhorn.EntropicMap, pts datasets.Matrix, yNames []string) error {
	out, err := em.Apply(c.Context, pts, threads(c))
	if err != nil {
		return fmt.Errorf("--apply: %w", err)
	}
	if err := datasets.WriteTableCSV(c.String("applied"), yNames, out); err != nil {
		return fmt.Errorf("--applied: %w", err)
	}
	return nil
}

// applySavedMap maps --apply with a map saved by --map-out.
func applySavedMap(c *cli.Context, path string, cols []string) error {
	if c.String("apply") == "" {
		return usagef("--map-in needs --apply and --applied")
	}
	blob, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--map-in: %w", err)
	}
	var em sinkhorn.EntropicMap
	if err := json.Unmarshal(blob, &em); err != nil {
		return fmt.Errorf("--map-in %s: %w", path, err)
	}
	pts, names, err := datasets.ReadMatrixCSV(c.String("apply"), cols)
	if err != nil {
		return fmt.Errorf("--apply: %w", err)
	}
	if len(names) != em.Dim {
		return usagef("--apply: %d coordinate columns (%s) for a %d-dimensional map; select them with --cols", len(names), strings.Join(names, ","), em.Dim)
	}
	return applyMap(c, &em, pts, names)
}

func appendFloats(buf []byte, row []float64) []byte {
	for j, v := range row {
		if j > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
	}
	return append(buf, '\n')
}

func printSinkhornJSON(w io.Writer, res *sinkhorn.Result, div *float64) error {
	out := map[string]any{
		"cost":           res.Cost,
		"objective":      res.Objective,
		"eps":            res.Eps,
		"iterations":     res.Iterations,
		"marginal_error": res.MarginalError(),
		"converged":      res.Converged,
		"method":         res.Method.String(),
		"fell_back":      res.FellBack,
	}
	if div != nil {
		out["divergence"] = *div
	}
	return json.NewEncoder(w).Encode(out)
}

func printSinkhornText(w io.Writer, res *sinkhorn.Result, div *float64, withTol bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("cost", res.Cost)
	row("objective", res.Objective)
	if div != nil {
		row("divergence", *div)
	}
	row("eps", res.Eps)
	row("iterations", res.Iterations)
	row("marginal error", res.MarginalError())
	conv := strconv.FormatBool(res.Converged)
	if !withTol {
		conv += " (no tolerance: --tol 0)"
	}
	row("converged", conv)
	method := res.Method.String()
	if res.FellBack {
		method += " (kernel under/overflowed)"
	}
	row("method", method)
	return tw.Flush()
}
