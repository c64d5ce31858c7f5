package plots

import (
	"image/color"
	"slices"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

type seriesKind int

const (
	kindBand seriesKind = iota
	kindHist
	kindCloud
	kindLine
	kindMark
)

// seriesKey identifies a colour: a series' name and its Color field (after
// the defaults of marks and bands), so that one name keeps one colour.
type seriesKey struct {
	name  string
	color int
}

// series is what the colours and the legend need to know of one series.
type series struct {
	kind   seriesKind
	key    seriesKey
	dashed bool
	dots   bool
}

// eachSeries lists the panel's series in drawing order.
func (p *Panel) eachSeries() []series {
	var s []series
	for _, b := range p.Bands {
		s = append(s, series{kind: kindBand, key: seriesKey{b.Name, bandColor(b.Color)}})
	}
	for _, h := range p.Hists {
		s = append(s, series{kind: kindHist, key: seriesKey{h.Name, h.Color}})
	}
	for _, c := range p.Clouds {
		s = append(s, series{kind: kindCloud, key: seriesKey{c.Name, c.Color}})
	}
	for _, d := range p.Densities {
		s = append(s, series{kind: kindLine, key: seriesKey{d.Name, d.Color}, dashed: d.Dashed})
	}
	for _, c := range p.Curves {
		s = append(s, series{kind: kindLine, key: seriesKey{c.Name, c.Color}, dashed: c.Dashed, dots: c.Dots})
	}
	for _, v := range p.VLines {
		s = append(s, series{kind: kindLine, key: seriesKey{v.Name, markColor(v.Color)}, dashed: v.Dashed})
	}
	for _, m := range p.Marks {
		s = append(s, series{kind: kindMark, key: seriesKey{m.Name, markColor(m.Color)}})
	}
	return s
}

// autoOrder is the order in which Auto series take palette colours: yellow,
// hard to see on white, comes last.
var autoOrder = []int{Blue, Orange, Green, Purple, SkyBlue, Vermillion, Black, Yellow}

// assignColors resolves every series' colour (see Grid). The panels are
// validated, so every explicit colour exists.
func assignColors(panels []Panel) map[seriesKey]color.RGBA {
	colors := map[seriesKey]color.RGBA{}
	used := map[int]bool{}
	for i := range panels {
		for _, s := range panels[i].eachSeries() {
			if s.key.color != Auto {
				c, _ := colorOf(s.key.color)
				colors[s.key] = c
				used[s.key.color] = true
			}
		}
	}
	next := 0
	for i := range panels {
		for _, s := range panels[i].eachSeries() {
			if s.key.color != Auto {
				continue
			}
			if _, ok := colors[s.key]; ok {
				continue
			}
			// The next palette colour no explicit series uses; once all are
			// taken, they repeat.
			pick := autoOrder[next%len(autoOrder)]
			for tries := 0; tries < len(autoOrder) && used[pick]; tries++ {
				next++
				pick = autoOrder[next%len(autoOrder)]
			}
			next++
			colors[s.key] = palette[pick-1]
		}
	}
	return colors
}

type legendEntry struct {
	series
	color color.RGBA
}

// legendEntries lists the named series once each, by kind in drawing order
// (areas, clouds, lines, marks) and within a kind in order of first
// appearance.
func legendEntries(panels []Panel, colors map[seriesKey]color.RGBA) []legendEntry {
	var out []legendEntry
	seen := map[seriesKey]bool{}
	for i := range panels {
		for _, s := range panels[i].eachSeries() {
			if s.key.name == "" || seen[s.key] {
				continue
			}
			seen[s.key] = true
			out = append(out, legendEntry{series: s, color: colors[s.key]})
		}
	}
	slices.SortStableFunc(out, func(a, b legendEntry) int { return int(a.kind) - int(b.kind) })
	return out
}

const (
	thumbWidth = 20 // points
	entryGap   = 16
	thumbGap   = 5
)

// legendRows flows the entries into rows no wider than width.
func (f *figure) legendRows(width vg.Length) [][]legendEntry {
	sty := textStyle(legendSize, color.Black)
	var rows [][]legendEntry
	var x vg.Length
	for _, e := range f.legend {
		w := thumbWidth + thumbGap + sty.Rectangle(e.key.name).Size().X
		if len(rows) == 0 || x > 0 && x+w > width {
			rows = append(rows, nil)
			x = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], e)
		x += w + entryGap
	}
	return rows
}

func (f *figure) legendRowHeight() vg.Length {
	return textStyle(legendSize, color.Black).Rectangle("Ag").Size().Y * 1.5
}

func (f *figure) legendHeight(width vg.Length) vg.Length {
	rows := f.legendRows(width)
	if len(rows) == 0 {
		return 0
	}
	return vg.Length(len(rows))*f.legendRowHeight() + 6
}

// drawLegend draws the rows centred in c.
func (f *figure) drawLegend(c draw.Canvas) {
	sty := textStyle(legendSize, color.Black)
	sty.YAlign = draw.YCenter
	rowH := f.legendRowHeight()
	rows := f.legendRows(c.Max.X - c.Min.X)
	for r, row := range rows {
		var w vg.Length
		for k, e := range row {
			if k > 0 {
				w += entryGap
			}
			w += thumbWidth + thumbGap + sty.Rectangle(e.key.name).Size().X
		}
		x := c.Min.X + (c.Max.X-c.Min.X-w)/2
		y := c.Max.Y - 3 - (vg.Length(r)+0.5)*rowH
		for _, e := range row {
			drawThumb(&c, e, vg.Rectangle{Min: vg.Point{X: x, Y: y - rowH*0.3}, Max: vg.Point{X: x + thumbWidth, Y: y + rowH*0.3}})
			x += thumbWidth + thumbGap
			c.FillText(sty, vg.Point{X: x, Y: y}, e.key.name)
			x += sty.Rectangle(e.key.name).Size().X + entryGap
		}
	}
}

func drawThumb(c *draw.Canvas, e legendEntry, r vg.Rectangle) {
	mid := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	switch e.kind {
	case kindBand:
		c.SetColor(withAlpha(e.color, 0.22))
		c.Fill(r.Path())
	case kindHist:
		c.SetColor(withAlpha(e.color, 0.28))
		c.Fill(r.Path())
		c.SetLineStyle(draw.LineStyle{Color: e.color, Width: vg.Points(1.1)})
		c.Stroke(r.Path())
	case kindCloud:
		for k, dx := range []vg.Length{-6, 0, 6} {
			dy := vg.Length([]float64{-1.5, 1.5, -0.5}[k])
			c.DrawGlyph(draw.GlyphStyle{Color: e.color, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}, vg.Point{X: mid.X + dx, Y: mid.Y + dy})
		}
	case kindLine:
		c.StrokeLine2(lineStyle(e.color, e.dashed), r.Min.X, mid.Y, r.Max.X, mid.Y)
		if e.dots {
			c.DrawGlyph(draw.GlyphStyle{Color: e.color, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}, mid)
		}
	case kindMark:
		drawMark(c, mid, e.color, 0.75)
	}
}
