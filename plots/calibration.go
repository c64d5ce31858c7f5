package plots

import (
	"fmt"
	"math"
)

// Coverage is one model's observed coverage of its central prediction
// regions: the fraction Observed[i] of held-out rows inside the region of
// nominal level Levels[i].
type Coverage struct {
	Name             string
	Levels, Observed []float64
	Color            int
}

// CalibrationPanel plots observed coverage against nominal level, with the
// diagonal a calibrated model follows and, when rows > 0, the band where a
// calibrated model's coverage of that many independent held-out rows falls
// with 95% probability (±1.96 binomial standard errors). Points above the
// diagonal mean predictions wider than needed, below too narrow.
func CalibrationPanel(cov []Coverage, rows int) (Panel, error) {
	p := Panel{Title: "coverage of central regions", XLabel: "nominal level", YLabel: "observed coverage"}
	if rows < 0 {
		return p, fmt.Errorf("%w: %d held-out rows", ErrInput, rows)
	}
	// The axes start a little below the lowest level or coverage, so that
	// the usual levels (0.5 … 0.95) fill the panel, and end at 1.
	lo := 1.0
	for _, c := range cov {
		if len(c.Levels) != len(c.Observed) || len(c.Levels) == 0 {
			return p, fmt.Errorf("%w: coverage %q has %d levels and %d observed values", ErrInput, c.Name, len(c.Levels), len(c.Observed))
		}
		for i, l := range c.Levels {
			if !(l >= 0 && l <= 1) || !(c.Observed[i] >= 0 && c.Observed[i] <= 1) {
				return p, fmt.Errorf("%w: coverage %q: level %g observed %g (want both in [0, 1])", ErrInput, c.Name, l, c.Observed[i])
			}
			lo = math.Min(lo, math.Min(l, c.Observed[i]))
		}
	}
	lo = math.Max(0, math.Floor((lo-0.05)*10)/10)
	if lo > 0.9 {
		lo = 0.9
	}
	p.X, p.Y = Range{lo, 1}, Range{lo, 1}
	if rows > 0 {
		b := Band{Name: fmt.Sprintf("95%% range of a calibrated model (%d rows)", rows)}
		for k := 0; k <= 100; k++ {
			a := lo + (1-lo)*float64(k)/100
			se := 1.96 * math.Sqrt(a*(1-a)/float64(rows))
			b.X, b.Lo, b.Hi = append(b.X, a), append(b.Lo, math.Max(0, a-se)), append(b.Hi, math.Min(1, a+se))
		}
		p.Bands = []Band{b}
	}
	p.Curves = []Curve{{Name: "calibrated", X: []float64{lo, 1}, Y: []float64{lo, 1}, Color: Gray, Dashed: true}}
	for _, c := range cov {
		p.Curves = append(p.Curves, Curve{Name: c.Name, X: c.Levels, Y: c.Observed, Color: c.Color, Dots: true})
	}
	if len(cov) > 1 {
		// The first model again, drawn over the others (the legend lists it
		// once, first).
		p.Curves = append(p.Curves, p.Curves[1])
	}
	return p, nil
}

// PITPanel draws a histogram of PIT values (see PIT) on [0, 1] against the
// uniform density a calibrated model gives (bins 0: 10).
func PITPanel(title, name string, pit []float64, bins int, color int) (Panel, error) {
	for _, u := range pit {
		if !(u >= 0 && u <= 1) {
			return Panel{}, fmt.Errorf("%w: PIT value %g outside [0, 1]", ErrInput, u)
		}
	}
	if len(pit) == 0 {
		return Panel{}, fmt.Errorf("%w: no PIT values", ErrInput)
	}
	if bins == 0 {
		bins = 10
	}
	return Panel{
		Title: title, XLabel: "PIT: rank of the held-out value among the model's draws", YLabel: "density",
		X: Range{0, 1}, Bins: bins,
		Hists:  []Hist{{Name: name, Values: pit, Color: color}},
		Curves: []Curve{{Name: "calibrated", X: []float64{0, 1}, Y: []float64{1, 1}, Color: Gray, Dashed: true}},
	}, nil
}

// Calibration writes the coverage panel and, when pit is not empty, a PIT
// histogram beside it (see CalibrationPanel and PITPanel). The PIT values
// are those of the first model of cov, and take its name and colour.
func Calibration(path, title, subtitle string, cov []Coverage, rows int, pit []float64) error {
	p, err := CalibrationPanel(cov, rows)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	panels := []Panel{p}
	if len(pit) > 0 {
		name, color := "model", Auto
		if len(cov) > 0 {
			name, color = cov[0].Name, cov[0].Color
		}
		q, err := PITPanel("PIT of every held-out coordinate", name, pit, 0, color)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		panels = append(panels, q)
	}
	return Grid(path, Layout{Title: title, Subtitle: subtitle, PanelWidth: 4, PanelHeight: 3.6}, panels)
}
