// Package plots draws the toolkit's standard pictures as PNG files with
// gonum/plot: small multiples of point clouds (model samples against data,
// conditional samples at chosen x's), 1-D densities and histograms,
// calibration plots and training curves. Files are written atomically.
//
// Every figure is a Grid of panels with one legend below the panels, so that
// no legend covers data and a series keeps its colour in every panel. Series
// are coloured from the Okabe–Ito palette, which stays distinguishable under
// the common colour-vision deficiencies.
//
// It is a public package so that notebooks, which live in their own module,
// can draw the same pictures as the CLI.
package plots

import (
	"fmt"
	"image/color"
)

// palette is colour-blind-safe (Okabe–Ito): blue, orange, bluish green,
// reddish purple, sky blue, vermillion, yellow, black.
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{86, 180, 233, 255}, {213, 94, 0, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

// Named colours for the Color fields of series. 0 chooses a palette colour by
// the series' name (see Grid); 1…8 are the palette's colours in order.
const (
	Auto       = 0
	Blue       = 1
	Orange     = 2
	Green      = 3
	Purple     = 4
	SkyBlue    = 5
	Vermillion = 6
	Yellow     = 7
	Black      = 8
	// Gray is for references: diagonals, expected levels, bands.
	Gray = -1
	// LightGray is for context behind the data, such as a whole data set
	// behind one conditional.
	LightGray = -2
)

var (
	gray      = color.RGBA{110, 110, 110, 255}
	lightGray = color.RGBA{200, 200, 200, 255}
)

// Color returns the i-th colour of the palette (i counts from 0 and wraps).
func Color(i int) color.Color { return palette[i%len(palette)] }

// colorOf resolves a Color field that is not Auto.
func colorOf(c int) (color.RGBA, error) {
	switch {
	case c == Gray:
		return gray, nil
	case c == LightGray:
		return lightGray, nil
	case c >= 1 && c <= len(palette):
		return palette[c-1], nil
	}
	return color.RGBA{}, fmt.Errorf("colour %d is not Auto, Gray, LightGray or a palette index 1…%d", c, len(palette))
}

// Cloud is a named set of points, row-major with Dim coordinates per point
// (default 2); the first two coordinates are drawn.
type Cloud struct {
	Name   string
	Points []float64
	Dim    int     // coordinates per point (default 2)
	Size   float64 // glyph radius in points (default 1.5)
	Color  int     // Auto, a palette index, Gray or LightGray
	// Opacity in (0, 1]; 0 chooses one from the number of points, so that
	// dense clouds show their density instead of a solid blot.
	Opacity float64
}

// Curve is a named line through (X[i], Y[i]); non-finite points are left out.
type Curve struct {
	Name   string
	X, Y   []float64
	Color  int
	Dashed bool
	// Dots draws a dot at every point, for curves of a few measured values.
	Dots bool
}

// Band is a shaded region between Lo and Hi over X, such as the range a
// calibrated model's coverage falls in by chance.
type Band struct {
	Name      string
	X, Lo, Hi []float64
	Color     int // default Gray
}

// Hist is a 1-D sample drawn as a histogram normalised to unit area, so
// that it compares with densities and with other histograms of any size:
// a filled outline. Every histogram of a panel shares its bins.
type Hist struct {
	Name   string
	Values []float64
	Color  int
}

// Density is a 1-D sample drawn as a Gaussian kernel density estimate.
type Density struct {
	Name   string
	Values []float64
	// Bandwidth of the kernel; 0 chooses Silverman's rule of thumb.
	Bandwidth float64
	Color     int
	Dashed    bool
}

// Mark is one highlighted point, drawn over everything else with a white
// halo so that it stays visible on top of a dense cloud: a probe, an
// observed value.
type Mark struct {
	Name  string
	X, Y  float64
	Color int // default Black
}

// VLine is a vertical line across the panel at X: a chosen step, an
// observed value on a density plot.
type VLine struct {
	Name   string
	X      float64
	Color  int // default Black
	Dashed bool
}

// Scatter draws the clouds on one set of axes and writes a PNG of the
// given size in inches, with the legend below the axes.
func Scatter(path, title, xLabel, yLabel string, clouds []Cloud, width, height float64) error {
	return Grid(path, Layout{Title: title, PanelWidth: width, PanelHeight: height},
		[]Panel{{XLabel: xLabel, YLabel: yLabel, Clouds: clouds}})
}

// Lines draws the curves on one set of axes; logY uses a log scale for the
// y axis (non-positive values are dropped).
func Lines(path, title, xLabel, yLabel string, curves []Curve, logY bool, width, height float64) error {
	return Grid(path, Layout{Title: title, PanelWidth: width, PanelHeight: height},
		[]Panel{{XLabel: xLabel, YLabel: yLabel, Curves: curves, LogY: logY}})
}
