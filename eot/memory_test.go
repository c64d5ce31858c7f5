package eot

import (
	"errors"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/energy/neural"
)

// TestParamCountMatchesTheModels: the estimate's parameter counts are the
// models' own.
func TestParamCountMatchesTheModels(t *testing.T) {
	for _, spec := range []energy.Spec{
		{Kind: energy.KindGMM, XDim: 3, YDim: 4, Eps: 1, Potentials: 5, CostComponents: 2},
		{Kind: energy.KindGMM, XDim: 3, YDim: 4, Eps: 1, Potentials: 5, CostComponents: 2, FullCov: true, CostHidden: []int{7}, WeightHidden: []int{}},
		{Kind: energy.KindGMM, XDim: 3, YDim: 3, Eps: 1, Potentials: 5, CostComponents: 1, Cost: energy.CostQuadratic},
	} {
		g, err := gmm.FromParams(spec, make([]float64, paramCount(spec)))
		if err != nil {
			t.Errorf("%+v: %v", spec, err)
			continue
		}
		_ = g
	}
	spec := energy.Spec{Kind: energy.KindNeural, XDim: 2, YDim: 3, Eps: 1, CostHidden: []int{8}, PotentialHidden: []int{4, 4}}
	if _, err := neural.FromParams(spec, make([]float64, paramCount(spec))); err != nil {
		t.Errorf("neural: %v", err)
	}
}

func TestHugeFitsAreRefusedBeforeAllocating(t *testing.T) {
	if availableMemory() == 0 {
		t.Skip("no /proc/meminfo")
	}
	wide := energy.Spec{Kind: energy.KindGMM, XDim: 10000, YDim: 10000, Eps: 1, Potentials: 50, CostComponents: 25}
	err := checkMemory(wide, 128, 1)
	if !errors.Is(err, ErrTooBig) || !strings.Contains(err.Error(), "--cost-components") {
		t.Errorf("10 000 columns: %v", err)
	}
	small := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 5, CostComponents: 2}
	if err := checkMemory(small, 100_000_000, 1); !errors.Is(err, ErrTooBig) || !strings.Contains(err.Error(), "--batch") {
		t.Errorf("batch 10⁸: %v", err)
	}
	if err := checkMemory(small, 128, 2); err != nil {
		t.Errorf("a small fit: %v", err)
	}
}
