// Package plots draws the toolkit's standard pictures as PNG files with
// gonum/plot: point clouds (model samples against data, conditional samples
// at chosen x's) and training curves. Files are written atomically.
//
// It is a public package so that notebooks, which live in their own module,
// can draw the same pictures as the CLI.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ebieot/ebieot/internal/atomicfile"
)

// Cloud is a named set of 2-D points (row-major x, y pairs). Points of
// higher dimension are drawn by their first two coordinates: set Dim.
type Cloud struct {
	Name   string
	Points []float64
	Dim    int     // coordinates per point (default 2)
	Size   float64 // glyph radius in points (default 1.5)
}

// Curve is a named line.
type Curve struct {
	Name string
	X, Y []float64
}

// palette is colour-blind-safe (Okabe–Ito).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{86, 180, 233, 255}, {213, 94, 0, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

// Color returns the i-th colour of the palette used for series i.
func Color(i int) color.Color { return palette[i%len(palette)] }

// Scatter draws the clouds on one set of axes and writes a PNG of the
// given size in inches.
func Scatter(path, title, xLabel, yLabel string, clouds []Cloud, width, height float64) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Add(plotter.NewGrid())
	for i, c := range clouds {
		dim := c.Dim
		if dim == 0 {
			dim = 2
		}
		if dim < 2 || len(c.Points)%dim != 0 {
			return fmt.Errorf("plot %s: cloud %q: %d values are not rows of %d ≥ 2 coordinates", path, c.Name, len(c.Points), dim)
		}
		xy := make(plotter.XYs, 0, len(c.Points)/dim)
		for r := 0; r+dim <= len(c.Points); r += dim {
			x, y := c.Points[r], c.Points[r+1]
			if !math.IsNaN(x) && !math.IsNaN(y) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
				xy = append(xy, plotter.XY{X: x, Y: y})
			}
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		size := c.Size
		if size == 0 {
			size = 1.5
		}
		s.GlyphStyle = draw.GlyphStyle{Color: Color(i), Radius: vg.Points(size), Shape: draw.CircleGlyph{}}
		p.Add(s)
		if c.Name != "" {
			p.Legend.Add(c.Name, s)
		}
	}
	p.Legend.Top = true
	return save(p, path, width, height)
}

// Lines draws the curves on one set of axes; logY uses a log scale for the
// y axis (non-positive values are dropped).
func Lines(path, title, xLabel, yLabel string, curves []Curve, logY bool, width, height float64) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Add(plotter.NewGrid())
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	for i, c := range curves {
		if len(c.X) != len(c.Y) {
			return fmt.Errorf("plot %s: curve %q has %d x and %d y values", path, c.Name, len(c.X), len(c.Y))
		}
		xy := make(plotter.XYs, 0, len(c.X))
		for k := range c.X {
			if math.IsNaN(c.Y[k]) || math.IsInf(c.Y[k], 0) || (logY && c.Y[k] <= 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: c.X[k], Y: c.Y[k]})
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.LineStyle.Color, l.LineStyle.Width = Color(i), vg.Points(1.5)
		p.Add(l)
		if c.Name != "" {
			p.Legend.Add(c.Name, l)
		}
	}
	p.Legend.Top = true
	return save(p, path, width, height)
}

func save(p *plot.Plot, path string, width, height float64) error {
	wt, err := p.WriterTo(vg.Length(width)*vg.Inch, vg.Length(height)*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}
