package eot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ebieot/ebieot/energy"
)

// ErrTooBig is returned, before anything large is allocated, when a fit
// would need more memory than the machine has available.
var ErrTooBig = errors.New("eot: the fit would not fit in memory")

// paramCount is the length of the parameter vector of spec, computed from
// the layouts of the model packages without allocating it.
func paramCount(spec energy.Spec) int {
	mlp := func(in int, hidden []int, out int) int {
		n, prev := 0, in
		for _, h := range append(append([]int(nil), hidden...), out) {
			n += prev*h + h
			prev = h
		}
		return n
	}
	dx, dy := spec.XDim, spec.YDim
	switch spec.Kind {
	case energy.KindGMM:
		N, M := max(spec.Potentials, 1), max(spec.CostComponents, 1)
		cov := dy
		if spec.FullCov {
			cov = dy * (dy + 1) / 2
		}
		n := N + N*dy + N*cov
		if !spec.FixedCost() {
			wh := spec.WeightHidden
			if wh == nil {
				wh = spec.CostHidden
			}
			n += mlp(dx, spec.CostHidden, M*dy) + mlp(dx, wh, M)
		}
		return n
	case energy.KindNeural:
		ch, ph := spec.CostHidden, spec.PotentialHidden
		if len(ch) == 0 {
			ch = []int{256}
		}
		if len(ph) == 0 {
			ph = []int{256, 256}
		}
		return mlp(dx+dy, ch, 1) + mlp(dy, ph, 1)
	}
	return dx*dy + dy
}

// fitBytes estimates the memory of one training run of spec with the
// given batch size: the parameters with their gradient and two optimizer
// moments, the three minibatches, and the per-step work of the widest
// layer or mixture block.
func fitBytes(spec energy.Spec, batch int) float64 {
	p := float64(paramCount(spec))
	rows := float64(batch)
	dx, dy := float64(spec.XDim), float64(spec.YDim)
	work := rows * (dx + dy) * 4
	switch spec.Kind {
	case energy.KindGMM:
		N, M := float64(max(spec.Potentials, 1)), float64(max(spec.CostComponents, 1))
		work += rows * M * (dy + 1) * 4      // heads, their gradients
		work += rows * N * M * (1 + 4*dy/16) // log-partition blocks
		for _, h := range spec.CostHidden {
			work += rows * float64(h) * 4
		}
	case energy.KindNeural:
		for _, h := range append(append([]int(nil), spec.CostHidden...), spec.PotentialHidden...) {
			work += rows * float64(h) * 8
		}
	}
	return 8 * (4*p + work)
}

// checkMemory refuses runs that would need more than the available memory:
// runs concurrent training runs (a model selection's candidates and folds)
// of spec with the given batch.
func checkMemory(spec energy.Spec, batch, runs int) error {
	avail := availableMemory()
	if avail <= 0 {
		return nil
	}
	need := float64(runs) * fitBytes(spec, batch)
	if need <= 0.8*avail {
		return nil
	}
	// The parameters, or the per-row work of the batch: name the flag that
	// shrinks the larger part.
	hint := "a smaller --batch"
	if params := 8 * 4 * float64(paramCount(spec)) * float64(runs); params > 0.5*need {
		hint = "fewer columns, or smaller --potentials, --cost-components or --cost-hidden"
	}
	return fmt.Errorf("%w: about %.3g GB for %d parameters per model (%d at a time, batch %d), with %.3g GB available; use %s",
		ErrTooBig, need/1e9, paramCount(spec), runs, batch, avail/1e9, hint)
}

// availableMemory is MemAvailable from /proc/meminfo in bytes, or 0 when it
// cannot be read (other systems: no check).
func availableMemory() float64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseFloat(fields[1], 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
