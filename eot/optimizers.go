package eot

import (
	"fmt"
	"strings"

	"github.com/ebieot/ebieot/optim"
)

// Optimizer names the learner offers.
var OptimizerNames = []string{"adam", "adamw", "signum", "softsignum", "muon", "softmuon"}

// OptimizerConfig selects and configures the learner's optimizer. Every
// method keeps the learner's two learning rates (cost, potential); the
// Muon-type methods update weight matrices (blocks with a shape) with their
// own learning rate MatrixLR and everything else with AdamW at the group's
// rate, as the Muon reference does.
type OptimizerConfig struct {
	Name        string     `json:"name"`                   // one of OptimizerNames; "" is adam
	AdamBetas   [2]float64 `json:"adam_betas"`             // adam, adamw and the Muon-type methods' AdamW; zero = (0.9, 0.999)
	WeightDecay float64    `json:"weight_decay,omitempty"` // decoupled for adamw and the sign/Muon methods, L2 for adam
	Momentum    float64    `json:"momentum,omitempty"`     // sign methods (default 0.9) and Muon-type (default 0.95)
	AlphaSign   float64    `json:"alpha_sign,omitempty"`   // soft methods: fraction of the run in the sign phase (default 0.9)
	TMax        float64    `json:"tmax,omitempty"`         // soft methods: temperature clamp (0 = the method's default)
	MatrixLR    float64    `json:"matrix_lr,omitempty"`    // Muon-type: learning rate of weight matrices (default 0.02)
}

// Factory returns the OptimizerFactory for a run of steps steps.
func (c OptimizerConfig) Factory(steps int) (OptimizerFactory, error) {
	name := strings.ToLower(c.Name)
	if name == "" {
		name = "adam"
	}
	adam := optim.DefaultAdam()
	if c.AdamBetas != [2]float64{} {
		adam.Beta1, adam.Beta2 = c.AdamBetas[0], c.AdamBetas[1]
	}
	alpha := c.AlphaSign
	if alpha == 0 {
		alpha = 0.9
	}
	if alpha < 0 || alpha > 1 {
		return nil, fmt.Errorf("optimizer: α_sign %v must lie in [0, 1]", alpha)
	}
	signSteps, transition := optim.SplitSteps(steps, alpha)
	withDecay := func(groups []optim.Group) []optim.Group {
		out := make([]optim.Group, len(groups))
		for i, g := range groups {
			g.WeightDecay = c.WeightDecay
			out[i] = g
		}
		return out
	}
	switch name {
	case "adam", "adamw":
		adam.Decoupled = name == "adamw"
		return func(groups []optim.Group, n int) (optim.Optimizer, error) {
			return optim.NewAdam(withDecay(groups), adam, n)
		}, nil
	case "signum", "softsignum":
		sc := optim.DefaultSignum()
		if c.Momentum != 0 {
			sc.Momentum = c.Momentum
		}
		if name == "signum" {
			return func(groups []optim.Group, n int) (optim.Optimizer, error) {
				return optim.NewSignum(withDecay(groups), sc, n)
			}, nil
		}
		cfg := optim.DefaultSoftSignum()
		cfg.SignumConfig, cfg.SignSteps, cfg.TransitionSteps = sc, signSteps, transition
		if c.TMax != 0 {
			cfg.TMax = c.TMax
		}
		return func(groups []optim.Group, n int) (optim.Optimizer, error) {
			return optim.NewSoftSignum(withDecay(groups), cfg, n)
		}, nil
	case "muon", "softmuon":
		mc := optim.DefaultMuon()
		if c.Momentum != 0 {
			mc.Momentum = c.Momentum
		}
		matrixLR := c.MatrixLR
		if matrixLR == 0 {
			matrixLR = 0.02
		}
		aux := optim.DefaultMuonAux()
		if c.AdamBetas != [2]float64{} {
			aux.Beta1, aux.Beta2 = c.AdamBetas[0], c.AdamBetas[1]
		}
		if name == "muon" {
			return func(groups []optim.Group, n int) (optim.Optimizer, error) {
				return optim.NewMuon(splitMatrices(withDecay(groups), matrixLR), mc, aux, n)
			}, nil
		}
		cfg := optim.DefaultSoftMuon()
		cfg.MuonConfig, cfg.SignSteps, cfg.TransitionSteps = mc, signSteps, transition
		if c.TMax != 0 {
			cfg.TMax = c.TMax
		}
		return func(groups []optim.Group, n int) (optim.Optimizer, error) {
			return optim.NewSoftMuon(splitMatrices(withDecay(groups), matrixLR), cfg, aux, n)
		}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want one of %s)", c.Name, strings.Join(OptimizerNames, ", "))
}

// splitMatrices gives the weight matrices of each group a group of their
// own at matrixLR, so that Muon updates them at its rate while the rest of
// each group keeps the group's (AdamW) rate. Groups keep their order, each
// followed by its matrix group if it has one.
func splitMatrices(groups []optim.Group, matrixLR float64) []optim.Group {
	var out []optim.Group
	for _, g := range groups {
		rest, mats := g, g
		rest.Segments, mats.Segments = nil, nil
		mats.Name, mats.LR = g.Name+".matrices", matrixLR
		for _, s := range g.Segments {
			if s.Rows > 0 && s.Cols > 0 {
				mats.Segments = append(mats.Segments, s)
			} else {
				rest.Segments = append(rest.Segments, s)
			}
		}
		if len(rest.Segments) > 0 {
			out = append(out, rest)
		}
		if len(mats.Segments) > 0 {
			out = append(out, mats)
		}
	}
	return out
}
