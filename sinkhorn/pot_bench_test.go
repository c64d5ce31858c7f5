package sinkhorn

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/internal/cputime"
)

// The benchmarks in this file solve exactly the inputs that
// bench/pot/sinkhorn_bench.py writes (default directory /tmp/sinkhorn-bench,
// or $SINKHORN_BENCH_DATA), and compare the plans with POT's. They are
// skipped when the files are absent.

func potDataDir() string {
	if d := os.Getenv("SINKHORN_BENCH_DATA"); d != "" {
		return d
	}
	return "/tmp/sinkhorn-bench"
}

func readPoints(tb testing.TB, path string) ([]float64, int) {
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("benchmark input missing (run bench/pot/sinkhorn_bench.py first): %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	var pts []float64
	for sc.Scan() {
		for _, s := range strings.Split(sc.Text(), ",") {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				tb.Fatal(err)
			}
			pts = append(pts, v)
		}
	}
	return pts, len(pts) / 2
}

// benchCost is C = ‖x − y‖² / max C, as the POT script builds it.
func benchCost(x, y []float64, n, m int) []float64 {
	c := make([]float64, n*m)
	var mx float64
	for i := range n {
		for j := range m {
			a, b := x[2*i]-y[2*j], x[2*i+1]-y[2*j+1]
			v := a*a + b*b
			c[i*m+j] = v
			mx = math.Max(mx, v)
		}
	}
	for k := range c {
		c[k] /= mx
	}
	return c
}

func readPlan(path string, size int) ([]float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) != 8*size {
		return nil, fmt.Errorf("%s: %d bytes, want %d", path, len(raw), 8*size)
	}
	p := make([]float64, size)
	for k := range p {
		p[k] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*k:]))
	}
	return p, nil
}

func maxRelDiff(got, want []float64) float64 {
	var worst float64
	for k, w := range want {
		if w == 0 && got[k] == 0 {
			continue
		}
		worst = math.Max(worst, math.Abs(got[k]-w)/math.Abs(w))
	}
	return worst
}

func benchmarkPOT(b *testing.B, n int, eps float64, method Method, potName string) {
	x, nx := readPoints(b, filepath.Join(potDataDir(), fmt.Sprintf("x%d.csv", n)))
	y, _ := readPoints(b, filepath.Join(potDataDir(), fmt.Sprintf("y%d.csv", n)))
	if nx != n {
		b.Fatalf("have %d points, want %d", nx, n)
	}
	opt := Options{Eps: eps, Tol: -1, MaxIter: 100, Method: method, Annealing: AnnealOff}
	var res *Result
	b.ResetTimer()
	cpu0 := cputime.Process()
	for b.Loop() {
		c := benchCost(x, y, n, n)
		var err error
		res, err = Solve(context.Background(), &Problem{N: n, M: n, Cost: CostMatrix, C: c}, opt)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	if res.Method != method || res.Iterations != 100 {
		b.Fatalf("ran %v for %d iterations", res.Method, res.Iterations)
	}
	want, err := readPlan(filepath.Join(potDataDir(), fmt.Sprintf("plan_%s_%d_%g.bin", potName, n, eps)), n*n)
	if err != nil {
		b.Logf("no POT plan to compare with: %v", err)
		return
	}
	d := maxRelDiff(res.Plan(), want)
	b.Logf("n=%d eps=%g %v: max relative plan difference to POT %.3g", n, eps, method, d)
}

func BenchmarkPOTLog2000Eps0_01(b *testing.B) {
	benchmarkPOT(b, 2000, 0.01, LogDomain, "sinkhorn_log")
}
func BenchmarkPOTLog2000Eps0_1(b *testing.B) { benchmarkPOT(b, 2000, 0.1, LogDomain, "sinkhorn_log") }
func BenchmarkPOTLog5000Eps0_01(b *testing.B) {
	benchmarkPOT(b, 5000, 0.01, LogDomain, "sinkhorn_log")
}
func BenchmarkPOTLog5000Eps0_1(b *testing.B) { benchmarkPOT(b, 5000, 0.1, LogDomain, "sinkhorn_log") }
func BenchmarkPOTKernel2000Eps0_01(b *testing.B) {
	benchmarkPOT(b, 2000, 0.01, Kernel, "sinkhorn")
}
func BenchmarkPOTKernel2000Eps0_1(b *testing.B) { benchmarkPOT(b, 2000, 0.1, Kernel, "sinkhorn") }
func BenchmarkPOTKernel5000Eps0_01(b *testing.B) {
	benchmarkPOT(b, 5000, 0.01, Kernel, "sinkhorn")
}
func BenchmarkPOTKernel5000Eps0_1(b *testing.B) { benchmarkPOT(b, 5000, 0.1, Kernel, "sinkhorn") }

// BenchmarkBatch64 solves the 1000 problems of 64×64 that
// bench/pot/batch_bench.py writes, with the same cost normalisation, ε =
// 0.05 and exactly 100 iterations each, as one batch.
func BenchmarkBatch64(b *testing.B) {
	for _, method := range []Method{Kernel, LogDomain} {
		b.Run(method.String(), func(b *testing.B) {
			x, nx := readPoints(b, filepath.Join(potDataDir(), "batch_x.csv"))
			y, _ := readPoints(b, filepath.Join(potDataDir(), "batch_y.csv"))
			const size = 64
			count := nx / size
			opt := Options{Eps: 0.05, Tol: -1, MaxIter: 100, Method: method, Annealing: AnnealOff}
			cpu0 := cputime.Process()
			for b.Loop() {
				problems := make([]*Problem, count)
				for k := range problems {
					c := benchCost(x[2*size*k:2*size*(k+1)], y[2*size*k:2*size*(k+1)], size, size)
					problems[k] = &Problem{N: size, M: size, Cost: CostMatrix, C: c}
				}
				res, err := SolveBatch(context.Background(), problems, opt)
				if err != nil || res[count-1].Iterations != 100 || res[0].Method != method {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkOnline20000 runs the matrix-free mode at n = m = 20 000, d = 2
// (the stored cost would take 3.2 GB) for 10 iterations; run it alone under
// /usr/bin/time -v to read the peak RSS.
func BenchmarkOnline20000(b *testing.B) {
	const n, iters = 20000, 10
	x, y := make([]float64, 2*n), make([]float64, 2*n)
	for i := range n {
		// A deterministic, well-spread pair of clouds.
		t := float64(i) / n
		x[2*i], x[2*i+1] = math.Cos(40*t)*t, math.Sin(40*t)*t
		y[2*i], y[2*i+1] = 1+math.Cos(31*t)*(1-t), math.Sin(31*t)*(1-t)
	}
	p := &Problem{X: x, Y: y, N: n, M: n, D: 2}
	opt := Options{Eps: 0.1, Tol: -1, MaxIter: iters, Online: true}
	cpu0 := cputime.Process()
	for b.Loop() {
		if _, err := Solve(context.Background(), p, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N*iters), "s/iter")
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N*iters), "cpu-s/iter")
}
