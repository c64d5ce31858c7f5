package datasets

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Labelled is the data of a semi-supervised classification problem: x rows
// with a class label, x rows without one, and optionally labels without x
// (extra samples of the class marginal). Class names are the label cells'
// text; classes are numbered in Classes' order.
type Labelled struct {
	XNames    []string
	Label     string   // the label column's name
	Classes   []string // sorted: numerically when every name is a number, else as text
	X         Matrix   // labelled rows
	Y         []int    // their class indices
	Unlabeled Matrix   // rows whose label cell is empty
	Extra     []int    // class indices of rows whose x cells are all empty
}

// Counts returns the number of labelled rows of each class, plus the extra
// labels.
func (l *Labelled) Counts() []int {
	c := make([]int, len(l.Classes))
	for _, k := range l.Y {
		c[k]++
	}
	for _, k := range l.Extra {
		c[k]++
	}
	return c
}

// Streams returns the problem in the three-stream form the learner takes:
// pairs (x, class index), the unlabelled x's as sources and the extra labels
// as targets, with one y column named after the label column.
func (l *Labelled) Streams() *Streams {
	s := &Streams{XNames: slices.Clone(l.XNames), YNames: []string{l.Label},
		PairX: l.X, PairY: NewMatrix(len(l.Y), 1), SourceX: l.Unlabeled, TargetY: NewMatrix(len(l.Extra), 1)}
	for i, k := range l.Y {
		s.PairY.Data[i] = float64(k)
	}
	for i, k := range l.Extra {
		s.TargetY.Data[i] = float64(k)
	}
	return s
}

// ReadLabelledCSV reads a classification file: the x columns selected by
// xCols (names or globs; empty = every column but the label) and the label
// column by exact name. A row with every x value and a label is labelled, a
// row with every x value and an empty label cell is unlabelled, a row with
// every x cell empty and a label is an extra label; anything else is an
// error naming the line and column. Errors wrap ErrFormat.
func ReadLabelledCSV(path string, xCols []string, label string) (*Labelled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadLabelled(f, path, xCols, label)
}

// ReadLabelled is ReadLabelledCSV for any reader; name identifies it in
// errors.
func ReadLabelled(r io.Reader, name string, xCols []string, label string) (*Labelled, error) {
	rr := newRecordReader(r, name)
	h, err := readHeader(rr)
	if err != nil {
		return nil, err
	}
	li, ok := h.index[label]
	if !ok {
		return nil, h.errorf("no label column %q (the header has %s)", label, h.describe())
	}
	var xi []int
	if len(xCols) == 0 {
		xi = h.rest([]int{li})
	} else if xi, err = h.selectPatterns(xCols); err != nil {
		return nil, err
	}
	if slices.Contains(xi, li) {
		return nil, &FormatError{File: name, Line: h.line, Column: li + 1, Name: label, Reason: "the label column is also selected as an x column"}
	}
	if len(xi) == 0 {
		return nil, h.errorf("no x columns besides the label column %q", label)
	}
	sc := rowScanner{rr: rr, h: h, mode: modeSource, x: xi, label: -1}
	l := &Labelled{XNames: pick(h.names, xi), Label: label, X: NewMatrix(0, len(xi)), Unlabeled: NewMatrix(0, len(xi))}
	var labels, extra []string
	for {
		ok, err := rr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if n, want := len(rr.fields), len(h.names); n != want {
			return nil, &FormatError{File: name, Line: rr.line, Column: min(n, want) + 1,
				Reason: fmt.Sprintf("row has %d fields but the header has %d columns", n, want)}
		}
		lab := string(trimBlank(rr.fields[li]))
		empty, first := sc.empties(xi)
		switch {
		case empty == len(xi) && lab == "":
			return nil, &FormatError{File: name, Line: rr.line, Reason: "row has neither x values nor a label"}
		case empty == len(xi):
			extra = append(extra, lab)
		case empty > 0:
			return nil, sc.errorAt(first, "empty cell in a row with other x values (every x cell of a row needs a value, or none for a label-only row)")
		case lab == "":
			if err := sc.parse(xi, l.Unlabeled.AppendRow()); err != nil {
				return nil, err
			}
		default:
			if err := sc.parse(xi, l.X.AppendRow()); err != nil {
				return nil, err
			}
			labels = append(labels, lab)
		}
	}
	l.Classes = classNames(append(slices.Clone(labels), extra...))
	if len(l.Classes) < 2 {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("%d class(es) in column %q (%s); a classifier needs at least two", len(l.Classes), label, strings.Join(l.Classes, ", "))}
	}
	index := make(map[string]int, len(l.Classes))
	for k, c := range l.Classes {
		index[c] = k
	}
	for _, lab := range labels {
		l.Y = append(l.Y, index[lab])
	}
	for _, lab := range extra {
		l.Extra = append(l.Extra, index[lab])
	}
	return l, nil
}

// classNames returns the distinct labels, sorted numerically when every one
// is a number (so that 2 comes before 10), else as text.
func classNames(labels []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range labels {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	numeric := true
	vals := make(map[string]float64, len(out))
	for _, c := range out {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || math.IsNaN(v) {
			numeric = false
			break
		}
		vals[c] = v
	}
	sort.Slice(out, func(a, b int) bool {
		if numeric && vals[out[a]] != vals[out[b]] {
			return vals[out[a]] < vals[out[b]]
		}
		return out[a] < out[b]
	})
	return out
}

// ReadClassPrior reads a class marginal from a CSV of class,weight rows
// (with a header row). Every class of classes must appear with a positive
// finite weight; a class that is not one of classes is an error naming its
// line (a prior cannot introduce a class no row has). The weights are
// normalised to sum 1.
func ReadClassPrior(path string, classes []string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rr := newRecordReader(f, path)
	h, err := readHeader(rr)
	if err != nil {
		return nil, err
	}
	if len(h.names) != 2 {
		return nil, h.errorf("a class prior has two columns, class and weight (the header has %s)", h.describe())
	}
	index := make(map[string]int, len(classes))
	for k, c := range classes {
		index[c] = k
	}
	prior := make([]float64, len(classes))
	seen := make([]bool, len(classes))
	for {
		ok, err := rr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(rr.fields) != 2 {
			return nil, &FormatError{File: path, Line: rr.line, Reason: fmt.Sprintf("row has %d fields, want class,weight", len(rr.fields))}
		}
		c := string(trimBlank(rr.fields[0]))
		k, ok := index[c]
		if !ok {
			return nil, &FormatError{File: path, Line: rr.line, Column: 1, Name: h.names[0],
				Reason: fmt.Sprintf("class %q is in the prior but in no row of the data (classes: %s)", c, strings.Join(classes, ", "))}
		}
		if seen[k] {
			return nil, &FormatError{File: path, Line: rr.line, Column: 1, Name: h.names[0], Reason: fmt.Sprintf("class %q given twice", c)}
		}
		cell := string(trimBlank(rr.fields[1]))
		w, err := strconv.ParseFloat(cell, 64)
		if err != nil || !(w > 0) || math.IsInf(w, 0) {
			return nil, &FormatError{File: path, Line: rr.line, Column: 2, Name: h.names[1], Reason: fmt.Sprintf("weight %q must be a positive finite number", cell)}
		}
		prior[k], seen[k] = w, true
	}
	total := 0.0
	for k, ok := range seen {
		if !ok {
			return nil, &FormatError{File: path, Reason: fmt.Sprintf("class %q has no weight", classes[k])}
		}
		total += prior[k]
	}
	for k := range prior {
		prior[k] /= total
	}
	return prior, nil
}
