package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

func generateCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "generate",
		Usage: "write a benchmark data set (gaussian or swissroll) in the single-file CSV format",
		Description: `The output has columns x1..xD, y1..yD: first the pairs, then the unpaired sources
(empty y cells), then the unpaired targets (empty x cells). Read it back with
--data FILE --x-cols 'x*' --y-cols 'y*'.`,
		Subcommands: []*cli.Command{generateGaussianCommand(), generateSwissRollCommand()},
		Action: func(c *cli.Context) error {
			return usagef("generate: name a data set: 'ebieot generate gaussian …' or 'ebieot generate swissroll …'")
		},
	})
}

// generateSizeFlags are the stream sizes, seed and output every generator
// takes.
func generateSizeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "paired", Required: true, Usage: "number of pairs"},
		&cli.IntFlag{Name: "sources", Required: true, Usage: "number of unpaired sources"},
		&cli.IntFlag{Name: "targets", Required: true, Usage: "number of unpaired targets"},
		&cli.Uint64Flag{Name: "seed", Required: true, Usage: "random seed (the same seed gives the same file)"},
		&cli.StringFlag{Name: "out", Required: true, Usage: "CSV file to write"},
	}
}

// generateSizes reads and checks the stream sizes.
func generateSizes(c *cli.Context) (paired, sources, targets int, err error) {
	paired, sources, targets = c.Int("paired"), c.Int("sources"), c.Int("targets")
	for _, f := range []struct {
		name string
		n    int
	}{{"paired", paired}, {"sources", sources}, {"targets", targets}} {
		if f.n < 0 {
			return 0, 0, 0, usagef("--%s %d: must be zero or positive", f.name, f.n)
		}
	}
	if paired+sources+targets == 0 {
		return 0, 0, 0, usagef("--paired, --sources and --targets are all zero: nothing to generate")
	}
	if err := checkOutputs(paths(c, "out"), nil); err != nil {
		return 0, 0, 0, err
	}
	return paired, sources, targets, nil
}

// generateRNG is the random stream of a generator; the second PCG word only
// separates it from the streams other commands derive from the same seed.
func generateRNG(c *cli.Context) *rand.Rand {
	return rand.New(rand.NewPCG(c.Uint64("seed"), 0x67656e))
}

func generateGaussianCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "gaussian",
		Usage: "Gaussian marginals with a closed-form entropic OT plan",
		Description: `x ~ N(μx, diag(a²)) and, in every dimension d,
y_d | x ~ N(μy_d + k_d (x_d − μx_d), ε k_d),  k_d = (−ε + sqrt(ε² + 4 a_d² b_d²)) / (2 a_d²):
the entropic OT plan for the cost ½‖x−y‖² between N(μx, diag(a²)) and N(μy, diag(b²)).
Parameters (dimension d = 1, 2, …, patterns repeating): μx_d = 0; a_d = 1, 1.5, 2;
μy_d = −1, 1, 2; b_d = 0.5, 1, 1.5, 2.`,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "dim", Value: 2, Usage: "dimension D of x and of y"},
			&cli.Float64Flag{Name: "eps", Value: 1, Usage: "entropic temperature ε"},
		}, generateSizeFlags()...),
		Action: func(c *cli.Context) error {
			paired, sources, targets, err := generateSizes(c)
			if err != nil {
				return err
			}
			dim, eps := c.Int("dim"), c.Float64("eps")
			if dim < 1 {
				return usagef("--dim %d: must be positive", dim)
			}
			if !(eps > 0) || math.IsInf(eps, 0) {
				return usagef("--eps %v: must be finite and positive", eps)
			}
			g := datasets.DefaultGaussianEOT(dim, eps)
			if err := g.Validate(); err != nil {
				return err
			}
			return writeGenerated(c, g.Streams(generateRNG(c), paired, sources, targets))
		},
	})
}

func generateSwissRollCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "swissroll",
		Usage: "Gaussian → Swiss roll (2-D) with pairs from an entropic OT plan",
		Description: `x ~ N(0, I₂); y on the Swiss roll (t ~ U[1.5π, 4.5π], y = (t cos t, t sin t) + 0.8ξ,
divided by 7.5). Each pair is drawn from the plan of a 64 × 64 log-domain Sinkhorn problem
with the rotation cost of the paper (docs/method.md §7.1). The paper's benchmark uses
--paired 128 --sources 1024 --targets 1024.`,
		Flags: generateSizeFlags(),
		Action: func(c *cli.Context) error {
			paired, sources, targets, err := generateSizes(c)
			if err != nil {
				return err
			}
			s, err := eot.SwissRollBenchmark(c.Context, generateRNG(c), paired, sources, targets)
			if err != nil {
				return err
			}
			return writeGenerated(c, s)
		},
	})
}

func writeGenerated(c *cli.Context, s *datasets.Streams) error {
	out := c.String("out")
	if err := datasets.WriteStreamsFile(out, s); err != nil {
		return err
	}
	if !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "%d pairs, %d sources, %d targets; x %d-D, y %d-D\n",
			s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows, s.XDim(), s.YDim())
	}
	return wrote(c, "out")
}
