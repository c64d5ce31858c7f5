package datasets

import (
	"archive/zip"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The .npz layout of the three streams, as numpy.savez(path, pairs_x=…,
// pairs_y=…, sources=…, targets=…) writes it: arrays pairs_x (P × Dx),
// pairs_y (P × Dy), sources (Q × Dx) and targets (R × Dy) of floats or
// integers (a 1-D array is one column), and optionally x_names and y_names,
// 1-D arrays of strings. Any of the four data arrays may be absent, but
// pairs_x and pairs_y go together; an array with no rows is an empty
// stream. Dx must be known from pairs_x, sources or x_names, Dy from
// pairs_y, targets or y_names. Without names the columns are x1 … xDx and
// y1 … yDy. Any other array is an error: a misspelt name would otherwise
// silently drop a stream.
const (
	npzPairsX  = "pairs_x"
	npzPairsY  = "pairs_y"
	npzSources = "sources"
	npzTargets = "targets"
	npzXNames  = "x_names"
	npzYNames  = "y_names"
)

var npzKeys = []string{npzPairsX, npzPairsY, npzSources, npzTargets, npzXNames, npzYNames}

// npzArray is one data array of an archive.
type npzArray struct {
	key string
	m   Matrix
	has bool
}

// ReadStreamsNPZ reads the three streams from a .npz archive (see the
// layout above) of size bytes; name identifies it in errors, which name
// the array as name[key]. opt.XCols (opt.YCols) select and order x (y)
// columns by name or glob among the x (y) names, all of them when empty.
func ReadStreamsNPZ(r io.ReaderAt, size int64, name string, opt CSVOptions) (*Streams, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("not a readable .npz (zip) archive: %v", err)}
	}
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		key := strings.TrimSuffix(f.Name, ".npy")
		if !slices.Contains(npzKeys, key) {
			return nil, &FormatError{File: name, Reason: fmt.Sprintf("unexpected array %q (the arrays read are %s)", key, strings.Join(npzKeys, ", "))}
		}
		if members[key] != nil {
			return nil, &FormatError{File: name, Reason: fmt.Sprintf("array %q twice", key)}
		}
		members[key] = f
	}
	found := func() string {
		keys := make([]string, 0, len(members))
		for k := range members {
			keys = append(keys, strconv.Quote(k))
		}
		if len(keys) == 0 {
			return "no arrays"
		}
		slices.Sort(keys)
		return "arrays " + strings.Join(keys, ", ")
	}
	// open returns the member's reader positioned at its values.
	open := func(key string) (io.ReadCloser, string, *npyArray, error) {
		where := name + "[" + key + "]"
		rc, err := members[key].Open()
		if err != nil {
			return nil, where, nil, &FormatError{File: where, Reason: fmt.Sprintf("damaged archive member: %v", err)}
		}
		a, err := readNPYHeader(rc, where)
		if err != nil {
			rc.Close()
			return nil, where, nil, err
		}
		return rc, where, a, nil
	}
	matrix := func(key string) (npzArray, error) {
		if members[key] == nil {
			return npzArray{key: key}, nil
		}
		rc, where, a, err := open(key)
		if err != nil {
			return npzArray{}, err
		}
		defer rc.Close()
		m, err := readNPYMatrix(rc, where, a)
		if err != nil {
			return npzArray{}, err
		}
		return npzArray{key: key, m: m, has: true}, nil
	}
	names := func(key string) ([]string, error) {
		if members[key] == nil {
			return nil, nil
		}
		rc, where, a, err := open(key)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		if (a.kind != 'U' && a.kind != 'S') || len(a.shape) != 1 {
			return nil, &FormatError{File: where, Reason: fmt.Sprintf("want a 1-D array of strings (the column names), have dtype %q of shape %s", a.descr, shapeString(a.shape))}
		}
		n := a.shape[0]
		if n > 1<<20 || n*a.size > 1<<26 {
			return nil, &FormatError{File: where, Reason: "too many or too long column names"}
		}
		raw := make([]byte, n*a.size)
		if _, err := io.ReadFull(rc, raw); err != nil {
			return nil, &FormatError{File: where, Reason: "truncated: the names end early"}
		}
		return a.decodeStrings(raw, n), nil
	}

	var arr [4]npzArray
	for i, key := range npzKeys[:4] {
		if arr[i], err = matrix(key); err != nil {
			return nil, err
		}
	}
	px, py, src, tgt := arr[0], arr[1], arr[2], arr[3]
	xNames, err := names(npzXNames)
	if err != nil {
		return nil, err
	}
	yNames, err := names(npzYNames)
	if err != nil {
		return nil, err
	}
	if px.has != py.has {
		missing := npzPairsY
		if !px.has {
			missing = npzPairsX
		}
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("missing array %q, the other half of the pairs (the archive has %s)", missing, found())}
	}
	if px.m.Rows != py.m.Rows {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("%d rows in pairs_x but %d in pairs_y", px.m.Rows, py.m.Rows)}
	}
	dim := func(side string, names []string, arrays ...npzArray) (int, error) {
		d, from := -1, ""
		if names != nil {
			d, from = len(names), side+"_names"
		}
		for _, e := range arrays {
			// numpy keeps the columns of an empty (0, D) array, but a
			// 1-D empty array says nothing about them.
			if !e.has || (e.m.Rows == 0 && (d >= 0 || e.m.Cols == 0)) {
				continue
			}
			if d >= 0 && e.m.Cols != d {
				return 0, &FormatError{File: name, Reason: fmt.Sprintf("%s has %d columns but %s has %d", e.key, e.m.Cols, from, d)}
			}
			d, from = e.m.Cols, e.key
		}
		if d <= 0 {
			return 0, &FormatError{File: name, Reason: fmt.Sprintf(
				"the %s dimension is unknown: need a non-empty %s array or %s_names (the archive has %s)", side, side, side, found())}
		}
		return d, nil
	}
	dx, err := dim("x", xNames, px, src)
	if err != nil {
		return nil, err
	}
	dy, err := dim("y", yNames, py, tgt)
	if err != nil {
		return nil, err
	}
	if xNames == nil {
		xNames = columnNames("x", dx)
	}
	if yNames == nil {
		yNames = columnNames("y", dy)
	}
	seen := map[string]string{}
	for _, side := range []struct {
		key   string
		names []string
	}{{npzXNames, xNames}, {npzYNames, yNames}} {
		for i, n := range side.names {
			if n == "" {
				return nil, &FormatError{File: name + "[" + side.key + "]", Column: i + 1, Reason: "empty column name"}
			}
			if prev, dup := seen[n]; dup {
				return nil, &FormatError{File: name + "[" + side.key + "]", Column: i + 1, Name: n, Reason: "column name also in " + prev}
			}
			seen[n] = side.key
		}
	}
	rows := func(a npzArray, d int) Matrix {
		if a.m.Rows == 0 {
			return NewMatrix(0, d)
		}
		return a.m
	}
	s := &Streams{XNames: xNames, YNames: yNames,
		PairX: rows(px, dx), PairY: rows(py, dy), SourceX: rows(src, dx), TargetY: rows(tgt, dy)}
	if s, err = selectNPZ(s, name, opt); err != nil {
		return nil, err
	}
	if s.PairX.Rows+s.SourceX.Rows+s.TargetY.Rows == 0 {
		return nil, &FormatError{File: name, Reason: "no data rows in any array"}
	}
	if opt.RequirePairs && s.PairX.Rows == 0 {
		return nil, &FormatError{File: name, Reason: "no pairs (arrays pairs_x and pairs_y); fitting needs at least one"}
	}
	return s, nil
}

// selectNPZ applies the column selection of opt to each side.
func selectNPZ(s *Streams, name string, opt CSVOptions) (*Streams, error) {
	sel := func(names, patterns []string) ([]int, error) {
		if len(patterns) == 0 {
			return nil, nil
		}
		return newHeader(name, names).selectPatterns(patterns)
	}
	xi, err := sel(s.XNames, opt.XCols)
	if err != nil {
		return nil, err
	}
	yi, err := sel(s.YNames, opt.YCols)
	if err != nil {
		return nil, err
	}
	if xi != nil {
		s.XNames, s.PairX, s.SourceX = pick(s.XNames, xi), pickColumns(s.PairX, xi), pickColumns(s.SourceX, xi)
	}
	if yi != nil {
		s.YNames, s.PairY, s.TargetY = pick(s.YNames, yi), pickColumns(s.PairY, yi), pickColumns(s.TargetY, yi)
	}
	return s, nil
}

// newHeader makes a header (for column selection and error messages) of
// a file whose column names come from its metadata rather than a text row.
func newHeader(file string, names []string) *header {
	h := &header{file: file, names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		h.index[n] = i
	}
	return h
}

// pickColumns returns the columns idx of m, in that order.
func pickColumns(m Matrix, idx []int) Matrix {
	out := NewMatrix(m.Rows, len(idx))
	for i := range m.Rows {
		row, src := out.Row(i), m.Row(i)
		for k, j := range idx {
			row[k] = src[j]
		}
	}
	return out
}

// WriteStreamsNPZ writes s as an uncompressed .npz archive in the layout
// ReadStreamsNPZ reads (as numpy.savez does), with the column names as
// x_names and y_names; numpy.load reads it. Values must be finite.
func WriteStreamsNPZ(w io.Writer, s *Streams) error {
	if err := s.Validate(); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	member := func(key string, write func(io.Writer) error) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: key + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		return write(fw)
	}
	for _, a := range []struct {
		key string
		m   Matrix
		d   int
	}{{npzPairsX, s.PairX, s.XDim()}, {npzPairsY, s.PairY, s.YDim()}, {npzSources, s.SourceX, s.XDim()}, {npzTargets, s.TargetY, s.YDim()}} {
		m := a.m
		if m.Rows == 0 {
			m = NewMatrix(0, a.d) // keeps the width, as numpy's (0, D) arrays do
		}
		if err := member(a.key, func(w io.Writer) error {
			if err := WriteNPY(w, m); err != nil {
				return fmt.Errorf("%s: %w", a.key, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for _, n := range []struct {
		key   string
		names []string
	}{{npzXNames, s.XNames}, {npzYNames, s.YNames}} {
		if err := member(n.key, func(w io.Writer) error {
			_, err := w.Write(npyStrings(n.names))
			return err
		}); err != nil {
			return err
		}
	}
	return zw.Close()
}
