// Command gridsearch is the oracle of the real-data benchmark: it trains
// EBiEOT-GMM over a grid of settings on a case's training file and scores
// every 50 steps on the held-out pairs, reporting the best setting and step
// by held-out NLL. It measures how close the default fit, which never sees
// the held-out pairs, comes to the best the method can do on them.
//
//	go run ./bench/realdata/gridsearch -case bench/realdata/out/ames3
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/eot"
	"github.com/ebieot/ebieot/internal/parallel"
)

func main() {
	dir := flag.String("case", "", "directory with train.csv and holdout.csv")
	steps := flag.Int("steps", 6000, "steps per setting")
	threads := flag.Int("threads", 0, "settings trained at once (0 = one per CPU)")
	flag.Parse()
	opt := datasets.CSVOptions{XCols: []string{"x_*"}, YCols: []string{"y_*"}}
	tr, err := datasets.ReadCSV(filepath.Join(*dir, "train.csv"), opt)
	if err != nil {
		log.Fatal(err)
	}
	ho, err := datasets.ReadCSV(filepath.Join(*dir, "holdout.csv"), opt)
	if err != nil {
		log.Fatal(err)
	}
	sc := datasets.FitScaler(tr)
	s, h := sc.Apply(tr), sc.Apply(ho)
	jac := sc.Y.LogDetJacobian()
	type setting struct {
		n, m     int
		full     bool
		lrc, lrp float64
	}
	var grid []setting
	for _, n := range []int{3, 8, 20, 30, 50} {
		for _, full := range []bool{false, true} {
			for _, m := range []int{1, 2, 4} {
				for _, lr := range []float64{1e-2, 3e-3, 1e-3, 3e-4} {
					grid = append(grid, setting{n, m, full, lr, lr / 3})
				}
			}
		}
	}
	type result struct {
		s    setting
		nll  float64
		step int
	}
	res := make([]result, len(grid))
	ys := s.AllTargets()
	marg := map[[2]int]*gmm.Marginal{}
	for _, g := range grid {
		k := [2]int{g.n, map[bool]int{false: 0, true: 1}[g.full]}
		if _, ok := marg[k]; ok {
			continue
		}
		m, err := gmm.FitMarginal(context.Background(), ys, g.n, g.full, gmm.EMOptions{Restarts: 4}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			marg[k] = nil
			continue
		}
		marg[k] = m
	}
	err = parallel.For(context.Background(), *threads, len(grid), func(_, i int) error {
		g := grid[i]
		res[i] = result{s: g, nll: math.Inf(1)}
		mg := marg[[2]int{g.n, map[bool]int{false: 0, true: 1}[g.full]}]
		if mg == nil {
			return nil
		}
		spec := energy.Spec{Kind: energy.KindGMM, XDim: s.XDim(), YDim: s.YDim(), Eps: 1, EpsFree: true, Potentials: g.n, CostComponents: g.m, FullCov: g.full}
		model, err := gmm.NewFromMarginal(spec, mg, 0.01, rand.New(rand.NewPCG(1, uint64(i))))
		if err != nil {
			return nil
		}
		model.SetThreads(1)
		o := eot.DefaultOptions(energy.KindGMM)
		o.Steps, o.LRCost, o.LRPotential, o.ValidEvery, o.Seed, o.Threads = *steps, g.lrc, g.lrp, 50, 1, 1
		r, err := eot.Fit(context.Background(), model, s, h, o)
		if err != nil || r == nil {
			return nil
		}
		for _, e := range r.History {
			if v := e.ValidNLL + jac; !math.IsNaN(e.ValidNLL) && v < res[i].nll {
				res[i].nll, res[i].step = v, e.Step
			}
		}
		// Step 0 is the marginal itself.
		m0 := 0.0
		for _, lp := range mg.LogProbs(h.PairY) {
			m0 -= lp / float64(h.PairY.Rows)
		}
		if m0+jac < res[i].nll {
			res[i].nll, res[i].step = m0+jac, 0
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	sort.Slice(res, func(a, b int) bool { return res[a].nll < res[b].nll })
	for _, r := range res[:min(5, len(res))] {
		cov := map[bool]string{false: "diag", true: "full"}[r.s.full]
		fmt.Printf("%s: held-out NLL %.4f with N=%d M=%d %s lr=%g/%g at step %d\n", filepath.Base(*dir), r.nll, r.s.n, r.s.m, cov, r.s.lrc, r.s.lrp, r.step)
	}
}
