package plots

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/ebieot/ebieot/internal/atomicfile"
)

// ErrInput is wrapped by every error about the arguments of a plot (as
// opposed to failures writing the file).
var ErrInput = errors.New("plots: invalid input")

// Range is a fixed axis range; the zero value lets the data choose.
type Range struct{ Min, Max float64 }

func (r Range) fixed() bool { return r != Range{} }

// Panel is one set of axes of a Grid. Its series are drawn in this order,
// each kind over the previous: bands, histograms, clouds, densities,
// curves, vertical lines, marks.
type Panel struct {
	Title, XLabel, YLabel string

	Bands     []Band
	Hists     []Hist
	Clouds    []Cloud
	Densities []Density
	Curves    []Curve
	VLines    []VLine
	Marks     []Mark

	// X and Y fix the axis ranges; unset, they cover the panel's data (the
	// central 99% of each cloud, all of everything else) with a margin, or
	// every panel's data when the layout shares the axis.
	X, Y Range
	// Bins is the number of histogram bins (0: from the sample size).
	Bins int
	// LogY draws the y axis on a log scale (non-positive values are left
	// out).
	LogY bool
}

// Layout arranges the panels of a Grid.
type Layout struct {
	// Title is drawn above the panels, and Subtitle, smaller, below it.
	Title, Subtitle string
	// Cols is the number of panels per row (0: all panels in one row, up to
	// three).
	Cols int
	// PanelWidth and PanelHeight are each panel's size in inches (0: 3.2 ×
	// 3).
	PanelWidth, PanelHeight float64
	// ShareX and ShareY give every panel the same x (y) range, for panels
	// that show the same quantity; panels with a fixed range keep it.
	ShareX, ShareY bool
}

// Fonts and spacing, in points.
const (
	figureTitleSize = 13
	panelTitleSize  = 11
	labelSize       = 10.5
	tickSize        = 9
	legendSize      = 10
	dpi             = 150
	margin          = 6 // around the figure
	padPanels       = 10
)

// Grid draws the panels as small multiples, Cols to a row, with one legend
// below them for every named series, and writes a PNG. A series' colour is
// its Color field, or, for Auto, a palette colour chosen by its name: the
// same name has the same colour in every panel, and the names take the
// palette's colours in order of first appearance, skipping those set
// explicitly anywhere in the figure. Unnamed series appear in no legend.
func Grid(path string, l Layout, panels []Panel) (err error) {
	fig, err := newFigure(l, panels)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	c := vgimg.NewWith(vgimg.UseWH(fig.width, fig.height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	// gonum/plot panics on some inputs the checks above may not foresee;
	// that is an error here, before any file is written.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot %s: %w: gonum/plot: %v", path, ErrInput, r)
		}
	}()
	fig.draw(draw.New(c))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// figure is a validated Grid, ready to draw.
type figure struct {
	layout        Layout
	rows, cols    int
	plots         []*plot.Plot
	legend        []legendEntry
	width, height vg.Length
	titleLines    []string
}

func newFigure(l Layout, panels []Panel) (*figure, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("%w: no panels", ErrInput)
	}
	if l.Cols < 0 {
		return nil, fmt.Errorf("%w: %d columns", ErrInput, l.Cols)
	}
	if l.Cols == 0 {
		l.Cols = min(len(panels), 3)
	}
	for _, v := range []*float64{&l.PanelWidth, &l.PanelHeight} {
		if *v == 0 {
			*v = 3
			if v == &l.PanelWidth {
				*v = 3.2
			}
		}
		if !(*v >= 1 && *v <= 40) {
			return nil, fmt.Errorf("%w: panel size %g × %g inches (want 1 to 40)", ErrInput, l.PanelWidth, l.PanelHeight)
		}
	}
	cols := min(l.Cols, len(panels))
	rows := (len(panels) + cols - 1) / cols
	if rows*cols > 400 {
		return nil, fmt.Errorf("%w: %d panels (at most 400)", ErrInput, rows*cols)
	}
	for i := range panels {
		if err := panels[i].validate(); err != nil {
			if panels[i].Title != "" {
				return nil, fmt.Errorf("panel %d (%q): %w", i+1, panels[i].Title, err)
			}
			return nil, fmt.Errorf("panel %d: %w", i+1, err)
		}
	}
	colors := assignColors(panels)

	// The x ranges first: histogram bins and density grids depend on them,
	// and the y ranges on those.
	xs := make([]span, len(panels))
	for i := range panels {
		xs[i] = panels[i].xSpan()
	}
	share(xs, panels, l.ShareX, func(p *Panel) Range { return p.X }, func(*Panel) bool { return false })
	for i := range panels {
		xs[i] = xs[i].final(panels[i].X, false, false)
	}
	built := make([]builtPanel, len(panels))
	ys := make([]span, len(panels))
	for i := range panels {
		built[i] = panels[i].build(xs[i])
		ys[i] = built[i].ySpan(&panels[i])
	}
	share(ys, panels, l.ShareY, func(p *Panel) Range { return p.Y }, func(p *Panel) bool { return p.LogY })
	fig := &figure{layout: l, rows: rows, cols: cols}
	for i := range panels {
		floor := built[i].zeroFloor && !panels[i].LogY
		ys[i] = ys[i].final(panels[i].Y, floor, panels[i].LogY)
		p, err := built[i].plot(&panels[i], xs[i], ys[i], colors)
		if err != nil {
			return nil, fmt.Errorf("panel %d: %w", i+1, err)
		}
		fig.plots = append(fig.plots, p)
	}
	fig.legend = legendEntries(panels, colors)
	for _, t := range []string{l.Title, l.Subtitle} {
		if t != "" {
			fig.titleLines = append(fig.titleLines, t)
		}
	}
	fig.width = vg.Length(float64(cols)*l.PanelWidth)*vg.Inch + 2*margin
	fig.height = vg.Length(float64(rows)*l.PanelHeight)*vg.Inch + 2*margin + fig.titleHeight() + fig.legendHeight(fig.width-2*margin)
	return fig, nil
}

func textStyle(size float64, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(plot.DefaultFont, font.Length(size)),
		Handler: plot.DefaultTextHandler,
	}
}

func (f *figure) titleHeight() vg.Length {
	if len(f.titleLines) == 0 {
		return 0
	}
	sty := textStyle(figureTitleSize, color.Black)
	h := sty.Rectangle("Ag").Size().Y
	return vg.Length(len(f.titleLines))*h*1.15 + 6
}

func (f *figure) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	area := draw.Crop(dc, margin, -margin, margin, -margin)
	if len(f.titleLines) > 0 {
		sty := textStyle(figureTitleSize, color.Black)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		h := sty.Rectangle("Ag").Size().Y * 1.15
		for i, line := range f.titleLines {
			size := sty
			if i > 0 || f.layout.Title == "" { // the subtitle
				size = textStyle(labelSize, color.Gray{Y: 60})
				size.XAlign, size.YAlign = draw.XCenter, draw.YTop
			}
			area.FillText(size, vg.Point{X: area.Center().X, Y: area.Max.Y - vg.Length(i)*h}, line)
		}
		area.Max.Y -= f.titleHeight()
	}
	lh := f.legendHeight(area.Max.X - area.Min.X)
	if lh > 0 {
		f.drawLegend(draw.Canvas{Canvas: area.Canvas, Rectangle: vg.Rectangle{Min: area.Min, Max: vg.Point{X: area.Max.X, Y: area.Min.Y + lh}}})
		area.Min.Y += lh
	}
	grid := make([][]*plot.Plot, f.rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, f.cols)
		for c := range grid[r] {
			if k := r*f.cols + c; k < len(f.plots) {
				grid[r][c] = f.plots[k]
			}
		}
	}
	tiles := draw.Tiles{Rows: f.rows, Cols: f.cols, PadX: padPanels, PadY: padPanels}
	canvases := plot.Align(grid, tiles, area)
	for r := range grid {
		for c, p := range grid[r] {
			if p != nil {
				p.Draw(canvases[r][c])
			}
		}
	}
}

// span is a data range under construction; empty while lo > hi.
type span struct{ lo, hi float64 }

func emptySpan() span { return span{math.Inf(1), math.Inf(-1)} }

func (s *span) add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
}

func (s *span) union(o span) { s.add(o.lo); s.add(o.hi) }

func (s span) empty() bool { return s.lo > s.hi }

// final applies a fixed range, or pads the data range by 4% on each side
// (on a log axis, by a factor; with floor, not below zero when the data
// start at zero, as densities do).
func (s span) final(fixed Range, floor, logScale bool) span {
	if fixed.fixed() {
		return span{fixed.Min, fixed.Max}
	}
	if s.empty() {
		if logScale {
			return span{1, 10}
		}
		return span{0, 1}
	}
	if logScale {
		if s.lo == s.hi {
			return span{s.lo / 2, s.hi * 2}
		}
		f := math.Pow(s.hi/s.lo, 0.04)
		return span{s.lo / f, s.hi * f}
	}
	if s.lo == s.hi {
		d := math.Max(math.Abs(s.lo)*0.1, 0.5)
		return span{s.lo - d, s.hi + d}
	}
	d := 0.04 * (s.hi - s.lo)
	lo := s.lo - d
	if floor && s.lo >= 0 && s.lo <= d {
		lo = 0
	}
	return span{lo, s.hi + d}
}

// share replaces every non-fixed span by the union of the non-fixed spans
// of the panels with the same kind of axis (a log axis shares only with
// log axes).
func share(s []span, panels []Panel, on bool, fixed func(*Panel) Range, logScale func(*Panel) bool) {
	if !on {
		return
	}
	for _, lg := range []bool{false, true} {
		u := emptySpan()
		for i := range s {
			if !fixed(&panels[i]).fixed() && logScale(&panels[i]) == lg {
				u.union(s[i])
			}
		}
		for i := range s {
			if !fixed(&panels[i]).fixed() && logScale(&panels[i]) == lg {
				s[i] = u
			}
		}
	}
}

// robust adds the central 99% of the values (all of them for small
// samples), so that a few far draws do not shrink the rest to a dot.
func (s *span) robust(v []float64) {
	finite := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			finite = append(finite, x)
		}
	}
	if len(finite) == 0 {
		return
	}
	if len(finite) < 200 {
		for _, x := range finite {
			s.add(x)
		}
		return
	}
	slices.Sort(finite)
	s.add(quantileSorted(finite, 0.005))
	s.add(quantileSorted(finite, 0.995))
}

func quantileSorted(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	return v[i] + (pos-float64(i))*(v[i+1]-v[i])
}

func (c Cloud) dim() int {
	if c.Dim == 0 {
		return 2
	}
	return c.Dim
}

// coords returns the cloud's first two coordinates.
func (c Cloud) coords() (xs, ys []float64) {
	d := c.dim()
	n := len(c.Points) / d
	xs, ys = make([]float64, n), make([]float64, n)
	for i := range n {
		xs[i], ys[i] = c.Points[i*d], c.Points[i*d+1]
	}
	return xs, ys
}

func finiteCount(v []float64) int {
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			n++
		}
	}
	return n
}

func checkColor(c int) error {
	if c == Auto {
		return nil
	}
	_, err := colorOf(c)
	return err
}

func (p *Panel) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInput}, args...)...)
	}
	for _, r := range []Range{p.X, p.Y} {
		if r.fixed() && !(r.Min < r.Max) || math.IsInf(r.Min, 0) || math.IsInf(r.Max, 0) {
			return bad("axis range [%g, %g] is not increasing and finite", r.Min, r.Max)
		}
	}
	if p.LogY && p.Y.fixed() && p.Y.Min <= 0 {
		return bad("log axis range [%g, %g] starts at or below zero", p.Y.Min, p.Y.Max)
	}
	if p.Bins < 0 || p.Bins > 1000 {
		return bad("%d histogram bins (want 0 to 1000)", p.Bins)
	}
	for _, c := range p.Clouds {
		d := c.dim()
		if d < 2 || len(c.Points)%d != 0 {
			return bad("cloud %q: %d values are not rows of %d ≥ 2 coordinates", c.Name, len(c.Points), d)
		}
		if c.Size < 0 || c.Size > 20 || c.Opacity < 0 || c.Opacity > 1 {
			return bad("cloud %q: glyph size %g (0 to 20) or opacity %g (0 to 1)", c.Name, c.Size, c.Opacity)
		}
		if err := checkColor(c.Color); err != nil {
			return bad("cloud %q: %v", c.Name, err)
		}
	}
	for _, c := range p.Curves {
		if len(c.X) != len(c.Y) {
			return bad("curve %q has %d x and %d y values", c.Name, len(c.X), len(c.Y))
		}
		if err := checkColor(c.Color); err != nil {
			return bad("curve %q: %v", c.Name, err)
		}
	}
	for _, b := range p.Bands {
		if len(b.X) != len(b.Lo) || len(b.X) != len(b.Hi) || len(b.X) < 2 {
			return bad("band %q has %d x, %d low and %d high values (want equal, at least 2)", b.Name, len(b.X), len(b.Lo), len(b.Hi))
		}
		if err := checkColor(b.Color); err != nil {
			return bad("band %q: %v", b.Name, err)
		}
	}
	for _, h := range p.Hists {
		if finiteCount(h.Values) == 0 {
			return bad("histogram %q has no finite values", h.Name)
		}
		if err := checkColor(h.Color); err != nil {
			return bad("histogram %q: %v", h.Name, err)
		}
	}
	for _, d := range p.Densities {
		if finiteCount(d.Values) < 2 {
			return bad("density %q has %d finite values (want at least 2)", d.Name, finiteCount(d.Values))
		}
		if d.Bandwidth < 0 || math.IsNaN(d.Bandwidth) || math.IsInf(d.Bandwidth, 0) {
			return bad("density %q: bandwidth %g", d.Name, d.Bandwidth)
		}
		if err := checkColor(d.Color); err != nil {
			return bad("density %q: %v", d.Name, err)
		}
	}
	for _, m := range p.Marks {
		if math.IsNaN(m.X) || math.IsNaN(m.Y) || math.IsInf(m.X, 0) || math.IsInf(m.Y, 0) {
			return bad("mark %q at (%g, %g) is not finite", m.Name, m.X, m.Y)
		}
		if err := checkColor(m.Color); err != nil {
			return bad("mark %q: %v", m.Name, err)
		}
	}
	for _, v := range p.VLines {
		if math.IsNaN(v.X) || math.IsInf(v.X, 0) {
			return bad("vertical line %q at %g is not finite", v.Name, v.X)
		}
		if err := checkColor(v.Color); err != nil {
			return bad("vertical line %q: %v", v.Name, err)
		}
	}
	return nil
}

// xSpan is the x range of the panel's data before any sharing.
func (p *Panel) xSpan() span {
	s := emptySpan()
	for _, c := range p.Clouds {
		xs, _ := c.coords()
		s.robust(xs)
	}
	for _, c := range p.Curves {
		for k, x := range c.X {
			if !p.LogY || c.Y[k] > 0 {
				s.add(x)
			}
		}
	}
	for _, b := range p.Bands {
		for _, x := range b.X {
			s.add(x)
		}
	}
	for _, h := range p.Hists {
		s.robust(h.Values)
	}
	for _, d := range p.Densities {
		s.robust(d.Values)
	}
	for _, m := range p.Marks {
		s.add(m.X)
	}
	for _, v := range p.VLines {
		s.add(v.X)
	}
	return s
}

// builtPanel holds the panel's 1-D series evaluated on its x range.
type builtPanel struct {
	hists     []plotter.XYs // step outlines
	densities []plotter.XYs
	zeroFloor bool
}

func (p *Panel) build(x span) builtPanel {
	var b builtPanel
	if len(p.Hists) > 0 {
		// Every histogram of the panel on the same bins, over the data range
		// (not the padded one), unless the axis is fixed.
		lo, hi := x.lo, x.hi
		if !p.X.fixed() {
			s := emptySpan()
			for _, h := range p.Hists {
				s.robust(h.Values)
			}
			if !s.empty() && s.lo < s.hi {
				lo, hi = math.Max(lo, s.lo), math.Min(hi, s.hi)
			}
		}
		bins := p.Bins
		if bins == 0 {
			n := 0
			for _, h := range p.Hists {
				n = max(n, finiteCount(h.Values))
			}
			bins = autoBins(n)
		}
		for _, h := range p.Hists {
			b.hists = append(b.hists, histogramSteps(h.Values, lo, hi, bins))
		}
		b.zeroFloor = true
	}
	for _, d := range p.Densities {
		b.densities = append(b.densities, kde(d.Values, d.Bandwidth, x.lo, x.hi, 256))
		b.zeroFloor = true
	}
	return b
}

func (b *builtPanel) ySpan(p *Panel) span {
	s := emptySpan()
	add := func(v float64) {
		if !p.LogY || v > 0 {
			s.add(v)
		}
	}
	for _, c := range p.Clouds {
		_, ys := c.coords()
		s.robust(ys)
	}
	for _, c := range p.Curves {
		for _, y := range c.Y {
			add(y)
		}
	}
	for _, bd := range p.Bands {
		for k := range bd.X {
			add(bd.Lo[k])
			add(bd.Hi[k])
		}
	}
	for _, xy := range append(slices.Clone(b.hists), b.densities...) {
		for _, pt := range xy {
			add(pt.Y)
		}
	}
	if b.zeroFloor {
		add(0)
	}
	for _, m := range p.Marks {
		add(m.Y)
	}
	return s
}

// plot builds the gonum plot of the panel on its final ranges.
func (b *builtPanel) plot(p *Panel, x, y span, colors map[seriesKey]color.RGBA) (*plot.Plot, error) {
	pl := plot.New()
	pl.BackgroundColor = nil
	pl.Title.Text, pl.X.Label.Text, pl.Y.Label.Text = p.Title, p.XLabel, p.YLabel
	pl.Title.TextStyle.Font.Size = panelTitleSize
	pl.Title.Padding = 4
	for _, a := range []*plot.Axis{&pl.X, &pl.Y} {
		a.Label.TextStyle.Font.Size = labelSize
		a.Tick.Label.Font.Size = tickSize
		a.Tick.Length = 4
		a.Padding = 0
	}
	pl.X.Tick.Marker, pl.Y.Tick.Marker = ticks{}, ticks{}
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Gray{Y: 232}, color.Gray{Y: 232}
	pl.Add(g)
	col := func(name string, c int) color.RGBA { return colors[seriesKey{name, c}] }

	for _, bd := range p.Bands {
		c := col(bd.Name, bandColor(bd.Color))
		poly := make(plotter.XYs, 0, 2*len(bd.X))
		// gonum fills polygons without clipping them to the axes.
		for k := range bd.X {
			poly = append(poly, plotter.XY{X: clamp(bd.X[k], x), Y: clamp(bd.Lo[k], y)})
		}
		for k := len(bd.X) - 1; k >= 0; k-- {
			poly = append(poly, plotter.XY{X: clamp(bd.X[k], x), Y: clamp(bd.Hi[k], y)})
		}
		pg, err := plotter.NewPolygon(finiteXYs(poly, p.LogY))
		if err != nil {
			return nil, err
		}
		pg.Color, pg.LineStyle.Width = withAlpha(c, 0.22), 0
		pl.Add(pg)
	}
	for k, h := range p.Hists {
		c := col(h.Name, h.Color)
		steps := b.hists[k]
		// The area down to zero (or to the bottom of a log axis), clamped to
		// the axes because gonum does not clip fills, under the outline.
		base := math.Max(0, y.lo)
		if p.LogY {
			base = y.lo
		}
		outline := make(plotter.XYs, 0, len(steps)+2)
		outline = append(outline, plotter.XY{X: steps[0].X, Y: base})
		outline = append(outline, steps...)
		outline = append(outline, plotter.XY{X: steps[len(steps)-1].X, Y: base})
		outline = finiteXYs(outline, p.LogY)
		if len(outline) < 2 {
			continue
		}
		area := make(plotter.XYs, len(outline))
		for i, pt := range outline {
			area[i] = plotter.XY{X: clamp(pt.X, x), Y: clamp(math.Max(pt.Y, base), y)}
		}
		pg, err := plotter.NewPolygon(area)
		if err != nil {
			return nil, err
		}
		pg.Color, pg.LineStyle.Width = withAlpha(c, 0.28), 0
		l, err := plotter.NewLine(outline)
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.1)}
		pl.Add(pg, l)
	}
	for _, cl := range p.Clouds {
		c := col(cl.Name, cl.Color)
		xs, ys := cl.coords()
		pts := make(plotter.XYs, 0, len(xs))
		for k := range xs {
			if finite(xs[k]) && finite(ys[k]) && (!p.LogY || ys[k] > 0) {
				pts = append(pts, plotter.XY{X: xs[k], Y: ys[k]})
			}
		}
		size := cl.Size
		if size == 0 {
			size = 1.5
		}
		op := cl.Opacity
		if op == 0 {
			op = autoOpacity(len(pts))
		}
		pl.Add(&cloudPlotter{pts: pts, style: draw.GlyphStyle{Color: withAlpha(c, op), Radius: vg.Points(size), Shape: draw.CircleGlyph{}}})
	}
	for k, d := range p.Densities {
		c := col(d.Name, d.Color)
		l, err := plotter.NewLine(finiteXYs(b.densities[k], p.LogY))
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(c, d.Dashed)
		pl.Add(l)
	}
	for _, cv := range p.Curves {
		c := col(cv.Name, cv.Color)
		xy := make(plotter.XYs, 0, len(cv.X))
		for k := range cv.X {
			xy = append(xy, plotter.XY{X: cv.X[k], Y: cv.Y[k]})
		}
		xy = finiteXYs(xy, p.LogY)
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(c, cv.Dashed)
		pl.Add(l)
		if cv.Dots {
			pl.Add(&cloudPlotter{pts: xy, style: draw.GlyphStyle{Color: c, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}})
		}
	}
	for _, v := range p.VLines {
		pl.Add(&vlinePlotter{x: v.X, style: lineStyle(col(v.Name, markColor(v.Color)), v.Dashed)})
	}
	for _, m := range p.Marks {
		pl.Add(&markPlotter{x: m.X, y: m.Y, color: col(m.Name, markColor(m.Color))})
	}
	pl.X.Min, pl.X.Max = x.lo, x.hi
	pl.Y.Min, pl.Y.Max = y.lo, y.hi
	return pl, nil
}

func clamp(v float64, s span) float64 { return math.Min(s.hi, math.Max(s.lo, v)) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func finiteXYs(xy plotter.XYs, logY bool) plotter.XYs {
	out := xy[:0:0]
	for _, p := range xy {
		if finite(p.X) && finite(p.Y) && (!logY || p.Y > 0) {
			out = append(out, p)
		}
	}
	return out
}

func withAlpha(c color.RGBA, a float64) color.NRGBA {
	return color.NRGBA{R: c.R, G: c.G, B: c.B, A: uint8(math.Round(255 * a))}
}

func lineStyle(c color.RGBA, dashed bool) draw.LineStyle {
	s := draw.LineStyle{Color: c, Width: vg.Points(1.6)}
	if dashed {
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return s
}

// autoOpacity lets a dense cloud show where it is densest.
func autoOpacity(n int) float64 {
	if n <= 150 {
		return 1
	}
	return math.Max(0.3, math.Sqrt(150/float64(n)))
}

func markColor(c int) int {
	if c == Auto {
		return Black
	}
	return c
}

func bandColor(c int) int {
	if c == Auto {
		return Gray
	}
	return c
}

// cloudPlotter draws glyphs without the padding gonum adds for glyphs at
// the edges (the ranges here are already padded, and points outside them
// are clipped on purpose).
type cloudPlotter struct {
	pts   plotter.XYs
	style draw.GlyphStyle
}

func (c *cloudPlotter) Plot(dc draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&dc)
	for _, p := range c.pts {
		dc.DrawGlyph(c.style, vg.Point{X: trX(p.X), Y: trY(p.Y)})
	}
}

type vlinePlotter struct {
	x     float64
	style draw.LineStyle
}

func (v *vlinePlotter) Plot(dc draw.Canvas, plt *plot.Plot) {
	if v.x < plt.X.Min || v.x > plt.X.Max {
		return
	}
	trX, _ := plt.Transforms(&dc)
	x := trX(v.x)
	dc.StrokeLine2(v.style, x, dc.Min.Y, x, dc.Max.Y)
}

type markPlotter struct {
	x, y  float64
	color color.RGBA
}

func (m *markPlotter) Plot(dc draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&dc)
	drawMark(&dc, vg.Point{X: trX(m.x), Y: trY(m.y)}, m.color, 1)
}

// drawMark draws a cross in a white disc, readable on any cloud.
func drawMark(dc *draw.Canvas, pt vg.Point, c color.RGBA, scale float64) {
	if !dc.Contains(pt) {
		return
	}
	r := vg.Points(5.5 * scale)
	dc.DrawGlyph(draw.GlyphStyle{Color: color.White, Radius: r + vg.Points(2.2*scale), Shape: draw.CircleGlyph{}}, pt)
	dc.DrawGlyph(draw.GlyphStyle{Color: c, Radius: r + vg.Points(2.2*scale), Shape: draw.RingGlyph{}}, pt)
	dc.SetLineWidth(vg.Points(2.2 * scale))
	dc.DrawGlyph(draw.GlyphStyle{Color: c, Radius: r * 0.75, Shape: thickCross{width: vg.Points(2.2 * scale)}}, pt)
}

// thickCross is draw.CrossGlyph with a chosen line width.
type thickCross struct{ width vg.Length }

func (t thickCross) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: t.width})
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r})
	c.Stroke(p)
	p = vg.Path{}
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y - r})
	c.Stroke(p)
}

// ticks puts about five labelled ticks at round steps (1, 2, 2.5 or 5 ×
// 10^k) with unlabelled ones between, and labels them with as many
// decimals as the step needs, so that neighbouring labels always differ
// (gonum's default rounds −93.65 and −93.60 both to −94).
type ticks struct{}

func (ticks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return nil
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, minor := 10*mag, 5
	for _, c := range []struct {
		m     float64
		minor int
	}{{1, 5}, {2, 4}, {2.5, 5}, {5, 5}} {
		if c.m*mag >= raw*0.999 {
			step, minor = c.m*mag, c.minor
			break
		}
	}
	// As many decimals as the step has: 0.25 needs two, 25 none.
	decimals := 0
	for d := 0; d < 12; d++ {
		if v := step * math.Pow(10, float64(d)); math.Abs(v-math.Round(v)) < 1e-6*v {
			decimals = d
			break
		}
	}
	var out []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for k := 0; ; k++ {
		v := first + float64(k)*step
		if v > hi+step*1e-9 {
			break
		}
		out = append(out, plot.Tick{Value: v, Label: tickLabel(v, step, decimals)})
	}
	sub := step / float64(minor)
	for v := math.Ceil(lo/sub-1e-9) * sub; v <= hi+sub*1e-9; v += sub {
		if r := math.Mod(math.Abs(v-first), step); r > sub*1e-6 && step-r > sub*1e-6 {
			out = append(out, plot.Tick{Value: v})
		}
	}
	return out
}

func tickLabel(v, step float64, decimals int) string {
	if math.Abs(v) < step*1e-9 {
		v = 0 // not −0.0 from rounding
	}
	var s string
	if a := math.Max(math.Abs(v), step); a >= 1e6 || a < 1e-4 {
		s = strconv.FormatFloat(v, 'g', 4, 64)
	} else {
		s = strconv.FormatFloat(v, 'f', decimals, 64)
	}
	return strings.Replace(s, "-", "−", 1)
}
