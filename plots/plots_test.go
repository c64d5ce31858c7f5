package plots

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodePNG checks that path is a PNG of at least minW × minH pixels.
func decodePNG(t *testing.T, path string, minW, minH int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if img.Bounds().Dx() < minW || img.Bounds().Dy() < minH {
		t.Fatalf("%s is %v pixels, want at least %d × %d", path, img.Bounds(), minW, minH)
	}
}

// noFile checks that a failed plot left nothing behind, not even a
// temporary file.
func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a failed plot left %s", path)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(left) > 0 {
		t.Fatalf("a failed plot left %v", left)
	}
}

func gaussians(rng *rand.Rand, n int, mean, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mean + sd*rng.NormFloat64()
	}
	return v
}

func TestScatterAndLinesWritePNGs(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.png")
	if err := Scatter(sc, "clouds", "y1", "y2", []Cloud{
		{Name: "model", Points: []float64{0, 0, 1, 1, 2, 0.5}},
		{Name: "data", Points: []float64{0, 1, 2, 3, 9, 9, 1, 0, 0, 1, 2}, Dim: 3},
	}, 4, 4); err == nil || !errors.Is(err, ErrInput) {
		t.Fatalf("a cloud whose length is not a multiple of its dimension: %v", err)
	}
	noFile(t, sc)
	if err := Scatter(sc, "clouds", "y1", "y2", []Cloud{
		{Name: "model", Points: []float64{0, 0, 1, 1, 2, 0.5}},
		{Name: "data", Points: []float64{0, 1, 2, 3, 9, 9}, Dim: 3},
	}, 4, 4); err != nil {
		t.Fatal(err)
	}
	ln := filepath.Join(dir, "l.png")
	if err := Lines(ln, "loss", "step", "value", []Curve{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{3, 2, 1}}}, true, 5, 3); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, sc, 4*dpi, 4*dpi)
	decodePNG(t, ln, 5*dpi, 3*dpi)
}

func TestGridWritesEveryKindOfSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var panels []Panel
	for k := range 5 {
		cloud := make([]float64, 0, 2000)
		for range 1000 {
			cloud = append(cloud, float64(k)+rng.NormFloat64(), rng.NormFloat64())
		}
		panels = append(panels, Panel{
			Title: "panel", XLabel: "y1", YLabel: "y2",
			Clouds: []Cloud{{Name: "background", Points: cloud, Color: LightGray}, {Name: "model", Points: cloud[:400]}},
			Marks:  []Mark{{Name: "probe", X: 0, Y: 0}},
		})
	}
	panels = append(panels,
		Panel{Title: "densities", Hists: []Hist{{Name: "data", Values: gaussians(rng, 500, 0, 1), Color: Vermillion}},
			Densities: []Density{{Name: "model", Values: gaussians(rng, 5000, 0.2, 1.1)}},
			VLines:    []VLine{{Name: "observed", X: 0.5, Dashed: true}}},
		Panel{Title: "log curve", LogY: true, Curves: []Curve{{Name: "loss", X: []float64{1, 2, 3}, Y: []float64{10, 1, -1}, Dots: true}},
			Bands: []Band{{Name: "band", X: []float64{1, 3}, Lo: []float64{0.5, 0.5}, Hi: []float64{5, 5}}}},
	)
	path := filepath.Join(t.TempDir(), "grid.png")
	l := Layout{Title: "small multiples", Subtitle: "a subtitle", Cols: 3, PanelWidth: 2.5, PanelHeight: 2, ShareX: true, ShareY: true}
	if err := Grid(path, l, panels); err != nil {
		t.Fatal(err)
	}
	// Three rows of 2-inch panels, a title and a legend.
	decodePNG(t, path, int(7.5*dpi), 6*dpi)
}

func TestGridRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	ok := Panel{Curves: []Curve{{X: []float64{0, 1}, Y: []float64{0, 1}}}}
	for name, c := range map[string]struct {
		l      Layout
		panels []Panel
	}{
		"no panels":        {Layout{}, nil},
		"negative columns": {Layout{Cols: -1}, []Panel{ok}},
		"tiny panels":      {Layout{PanelWidth: 0.1}, []Panel{ok}},
		"huge panels":      {Layout{PanelHeight: 1e6}, []Panel{ok}},
		"NaN panels":       {Layout{PanelHeight: math.NaN()}, []Panel{ok}},
		"curve lengths":    {Layout{}, []Panel{{Curves: []Curve{{X: []float64{1, 2}, Y: []float64{1}}}}}},
		"unknown colour":   {Layout{}, []Panel{{Curves: []Curve{{X: []float64{1}, Y: []float64{1}, Color: 42}}}}},
		"opacity":          {Layout{}, []Panel{{Clouds: []Cloud{{Points: []float64{1, 2}, Opacity: 2}}}}},
		"1-D cloud":        {Layout{}, []Panel{{Clouds: []Cloud{{Points: []float64{1, 2}, Dim: 1}}}}},
		"empty histogram":  {Layout{}, []Panel{{Hists: []Hist{{Values: []float64{math.NaN()}}}}}},
		"one-value kde":    {Layout{}, []Panel{{Densities: []Density{{Values: []float64{1}}}}}},
		"NaN mark":         {Layout{}, []Panel{{Marks: []Mark{{X: math.NaN()}}}}},
		"infinite line":    {Layout{}, []Panel{{VLines: []VLine{{X: math.Inf(1)}}}}},
		"reversed range":   {Layout{}, []Panel{{X: Range{2, 1}, Curves: ok.Curves}}},
		"log range":        {Layout{}, []Panel{{LogY: true, Y: Range{0, 1}, Curves: ok.Curves}}},
		"short band":       {Layout{}, []Panel{{Bands: []Band{{X: []float64{1}, Lo: []float64{0}, Hi: []float64{1}}}}}},
		"too many bins":    {Layout{}, []Panel{{Bins: 5000, Hists: []Hist{{Values: []float64{1}}}}}},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".png")
		err := Grid(path, c.l, c.panels)
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
		noFile(t, path)
	}
}

func TestAutoColoursFollowNamesAndSkipExplicitOnes(t *testing.T) {
	panels := []Panel{
		{Clouds: []Cloud{{Name: "truth", Color: Blue}, {Name: "model"}}},
		{Clouds: []Cloud{{Name: "model"}, {Name: "other"}}, Marks: []Mark{{Name: "probe"}}},
	}
	c := assignColors(panels)
	if got := c[seriesKey{"model", Auto}]; got == palette[Blue-1] {
		t.Fatal("an Auto series took a colour set explicitly elsewhere")
	}
	if c[seriesKey{"model", Auto}] != palette[Orange-1] || c[seriesKey{"other", Auto}] != palette[Green-1] {
		t.Fatalf("Auto colours %v, want orange then green", c)
	}
	if c[seriesKey{"probe", Black}] != palette[Black-1] {
		t.Fatal("a mark without a colour is not black")
	}
	legend := legendEntries(panels, c)
	var names []string
	for _, e := range legend {
		names = append(names, e.key.name)
	}
	if strings.Join(names, ",") != "truth,model,other,probe" {
		t.Fatalf("legend %v: want each name once, clouds before marks", names)
	}
}

func TestTicksLabelCloseValuesApart(t *testing.T) {
	ts := ticks{}.Ticks(-93.70, -93.60)
	var labels []string
	for _, tk := range ts {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if len(labels) < 3 {
		t.Fatalf("labels %v", labels)
	}
	for i := 1; i < len(labels); i++ {
		if labels[i] == labels[i-1] {
			t.Fatalf("neighbouring labels equal: %v", labels)
		}
	}
	if labels[0] != "−93.700" && labels[0] != "−93.70" {
		t.Fatalf("first label %q", labels[0])
	}
	for _, tk := range (ticks{}).Ticks(0, 150) {
		if strings.Contains(tk.Label, ".") {
			t.Fatalf("labels of whole steps have decimals: %q", tk.Label)
		}
	}
}

func TestKDEIntegratesToOneAndMatchesTheNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := gaussians(rng, 20000, 1, 2)
	xy := kde(v, 0, -9, 11, 501)
	area := 0.0
	for i := 1; i < len(xy); i++ {
		area += 0.5 * (xy[i].Y + xy[i-1].Y) * (xy[i].X - xy[i-1].X)
	}
	if math.Abs(area-1) > 0.01 {
		t.Fatalf("area %.4f, want 1", area)
	}
	peak := xy[250] // x = 1, the mean
	want := 1 / (2 * math.Sqrt(2*math.Pi))
	if math.Abs(peak.X-1) > 1e-9 || math.Abs(peak.Y-want)/want > 0.05 {
		t.Fatalf("density at %g is %.4f, want %.4f", peak.X, peak.Y, want)
	}
}

func TestHistogramIsADensity(t *testing.T) {
	steps := histogramSteps([]float64{0, 0.1, 0.2, 0.9, 5, math.NaN()}, 0, 1, 2)
	// Four of five finite values inside: area 0.8.
	area := 0.0
	for i := 0; i < len(steps); i += 2 {
		area += steps[i].Y * (steps[i+1].X - steps[i].X)
	}
	if math.Abs(area-0.8) > 1e-12 {
		t.Fatalf("area %g, want 0.8", area)
	}
}

func TestPIT(t *testing.T) {
	// Two rows of two coordinates, three draws each.
	draws := []float64{
		0, 10, 1, 20, 2, 30, // row 0
		5, 5, 5, 5, 5, 5, // row 1: every draw ties
	}
	pit, err := PIT(draws, 3, []float64{1.5, 100, 5, -1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{2.5 / 4, 3.5 / 4, 2 / 4.0, 0.5 / 4}
	for i := range want {
		if math.Abs(pit[i]-want[i]) > 1e-12 {
			t.Fatalf("PIT %v, want %v", pit, want)
		}
	}
	if _, err := PIT(draws, 4, []float64{1, 2, 3, 4}, 2); !errors.Is(err, ErrInput) {
		t.Fatalf("mismatched draws: %v", err)
	}
	// A calibrated model: the observation is one more draw.
	rng := rand.New(rand.NewPCG(5, 6))
	rows, per := 2000, 99
	obs := gaussians(rng, rows, 0, 1)
	pit, err = PIT(gaussians(rng, rows*per, 0, 1), per, obs, 1)
	if err != nil {
		t.Fatal(err)
	}
	below := 0
	for _, u := range pit {
		if u < 0.5 {
			below++
		}
	}
	if f := float64(below) / float64(rows); math.Abs(f-0.5) > 0.05 {
		t.Fatalf("%.3f of calibrated PIT values below ½", f)
	}
}

func TestCalibrationWritesAPNGAndRejectsBadCoverage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.png")
	cov := []Coverage{
		{Name: "model", Levels: []float64{0.5, 0.8, 0.9, 0.95}, Observed: []float64{0.52, 0.79, 0.91, 0.94}, Color: Blue},
		{Name: "baseline", Levels: []float64{0.5, 0.8, 0.9, 0.95}, Observed: []float64{0.3, 0.6, 0.7, 0.8}, Color: Orange},
	}
	pit := make([]float64, 1000)
	for i := range pit {
		pit[i] = (float64(i) + 0.5) / 1000
	}
	if err := Calibration(path, "calibration", "sub", cov, 500, pit); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, path, 8*dpi, 3*dpi)
	p, err := CalibrationPanel(cov, 500)
	if err != nil {
		t.Fatal(err)
	}
	// The axes start below the lowest coverage (0.3) and end at 1.
	if p.X.Max != 1 || p.Y.Min > 0.3 || p.Y.Min < 0 {
		t.Fatalf("ranges %v %v", p.X, p.Y)
	}
	for name, bad := range map[string][]Coverage{
		"lengths":  {{Levels: []float64{0.5}, Observed: []float64{0.5, 0.6}}},
		"empty":    {{}},
		"range":    {{Levels: []float64{0.5}, Observed: []float64{1.5}}},
		"NaN":      {{Levels: []float64{math.NaN()}, Observed: []float64{0.5}}},
		"negative": {{Levels: []float64{-0.5}, Observed: []float64{0.5}}},
	} {
		bp := filepath.Join(dir, name+".png")
		if err := Calibration(bp, "", "", bad, 10, nil); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v", name, err)
		}
		noFile(t, bp)
	}
	if err := Calibration(path, "", "", cov, -1, nil); !errors.Is(err, ErrInput) {
		t.Errorf("negative rows: %v", err)
	}
	if err := Calibration(path, "", "", cov, 10, []float64{0.5, 1.5}); !errors.Is(err, ErrInput) {
		t.Errorf("PIT outside [0, 1]: %v", err)
	}
}
