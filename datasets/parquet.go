package datasets

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet files are read column by column and page by page: the selected
// columns advance in lockstep through each row group, a few thousand
// values at a time, so memory is bounded by the pages in flight whatever
// the size of the file or of its row groups. Columns are named by their
// path in the schema (a top-level column by its name, a nested one as
// "group.leaf"), in the file's order, and selected with the rules of
// CSVOptions. A selected column must be flat (not inside a list) and hold
// FLOAT, DOUBLE, INT32 or INT64 values, plain or with an integer logical
// type (dates, times, timestamps and decimals are refused rather than
// silently read as their storage integers); integers become float64. A null
// is an empty cell. Errors name the file, the row (1-based over the whole
// file) and the column.

// parquetFile is an open Parquet file with its leaf columns as a header.
type parquetFile struct {
	name   string
	file   *parquet.File
	h      *header
	leaves []*parquet.Column // by header index
}

// recovered turns a panic of the Parquet decoder, fed bytes from a file,
// into an error: a damaged file must be reported, never crash the process.
func recovered(err *error, wrap func(p any) error) {
	if p := recover(); p != nil {
		*err = wrap(p)
	}
}

func openParquet(r io.ReaderAt, size int64, name string) (pf *parquetFile, err error) {
	defer recovered(&err, func(p any) error {
		return &FormatError{File: name, Reason: fmt.Sprintf("not a readable Parquet file (%v)", p)}
	})
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("not a readable Parquet file: %v", err)}
	}
	pf = &parquetFile{name: name, file: f}
	var names []string
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			pf.leaves = append(pf.leaves, c)
			names = append(names, strings.Join(c.Path(), "."))
			return
		}
		for _, child := range c.Columns() {
			walk(child)
		}
	}
	walk(f.Root())
	if len(names) == 0 {
		return nil, &FormatError{File: name, Reason: "the Parquet schema has no columns"}
	}
	pf.h = &header{file: name, names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		if j, dup := pf.h.index[n]; dup {
			return nil, &FormatError{File: name, Column: i + 1, Name: n, Reason: fmt.Sprintf("duplicate column name (also column %d)", j+1)}
		}
		pf.h.index[n] = i
		if pf.leaves[i].Index() != i {
			return nil, &FormatError{File: name, Column: i + 1, Name: n, Reason: "the schema's leaf columns are out of order"}
		}
	}
	for g, rg := range f.RowGroups() {
		if rg.NumRows() < 0 || len(rg.ColumnChunks()) != len(names) {
			return nil, &FormatError{File: name, Reason: fmt.Sprintf("row group %d is damaged (%d rows, %d column chunks for %d columns)", g+1, rg.NumRows(), len(rg.ColumnChunks()), len(names))}
		}
	}
	return pf, nil
}

func (pf *parquetFile) colErr(c int, reason string) error {
	return &FormatError{File: pf.name, Column: c + 1, Name: pf.h.names[c], Reason: reason}
}

// conversion says how a column's values become a float64 or text.
type conversion int

const (
	convDouble conversion = iota
	convFloat
	convInt32
	convUint32
	convInt64
	convUint64
	convBool  // labels only
	convBytes // labels only
)

// numericConversion checks that column c can be read as numbers.
func (pf *parquetFile) numericConversion(c int) (conversion, error) {
	col := pf.leaves[c]
	if col.MaxRepetitionLevel() > 0 {
		return 0, pf.colErr(c, "a repeated (list) column cannot be read as numbers")
	}
	t := col.Type()
	conv, ok := numberConversion(t)
	if !ok {
		return 0, pf.colErr(c, fmt.Sprintf("column of type %s is not numeric (numbers must be FLOAT, DOUBLE, INT32 or INT64 without a date, time or decimal type)", typeName(t)))
	}
	return conv, nil
}

// numberConversion is the conversion of a numeric type, false for others.
func numberConversion(t parquet.Type) (conversion, bool) {
	unsigned := false
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		it, ok := lt.Value.(*format.IntType)
		if !ok {
			return 0, false
		}
		unsigned = !it.IsSigned
	} else if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			unsigned = true
		default:
			return 0, false
		}
	}
	switch t.Kind() {
	case parquet.Double:
		return convDouble, true
	case parquet.Float:
		return convFloat, true
	case parquet.Int32:
		if unsigned {
			return convUint32, true
		}
		return convInt32, true
	case parquet.Int64:
		if unsigned {
			return convUint64, true
		}
		return convInt64, true
	}
	return 0, false
}

// textConversion checks that column c can be read as text (class labels,
// row ids): strings, integers, booleans or numbers.
func (pf *parquetFile) textConversion(c int) (conversion, error) {
	col := pf.leaves[c]
	if col.MaxRepetitionLevel() > 0 {
		return 0, pf.colErr(c, "a repeated (list) column cannot be read as text")
	}
	t := col.Type()
	switch t.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return convBytes, nil
	case parquet.Boolean:
		return convBool, nil
	}
	if conv, ok := numberConversion(t); ok {
		return conv, nil
	}
	return 0, pf.colErr(c, fmt.Sprintf("column of type %s cannot be read as text labels", typeName(t)))
}

func typeName(t parquet.Type) string {
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		return fmt.Sprintf("%s (%s)", t.Kind(), lt)
	}
	return t.Kind().String()
}

func (conv conversion) number(v parquet.Value) float64 {
	switch conv {
	case convDouble:
		return v.Double()
	case convFloat:
		return float64(v.Float())
	case convInt32:
		return float64(v.Int32())
	case convUint32:
		return float64(v.Uint32())
	case convInt64:
		return float64(v.Int64())
	case convUint64:
		return float64(v.Uint64())
	}
	return math.NaN()
}

func (conv conversion) text(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	switch conv {
	case convBytes:
		return strings.TrimSpace(string(v.ByteArray()))
	case convBool:
		return strconv.FormatBool(v.Boolean())
	case convInt32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case convUint32:
		return strconv.FormatUint(uint64(v.Uint32()), 10)
	case convInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case convUint64:
		return strconv.FormatUint(v.Uint64(), 10)
	}
	x := conv.number(v)
	if math.IsNaN(x) {
		return "" // pandas writes a missing float label as NaN
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// pqColumn reads the values of one leaf column, row group by row group
// and page by page.
type pqColumn struct {
	pf    *parquetFile
	c     int // header index
	conv  conversion
	pages parquet.Pages
	page  parquet.Page
	vr    parquet.ValueReader
}

// begin starts reading row group g.
func (col *pqColumn) begin(g int) (err error) {
	defer recovered(&err, func(p any) error {
		return col.pf.colErr(col.c, fmt.Sprintf("row group %d: damaged column chunk (%v)", g+1, p))
	})
	col.close()
	if err := col.pf.checkPages(g, col.c); err != nil {
		return err
	}
	col.pages = col.pf.file.RowGroups()[g].ColumnChunks()[col.c].Pages()
	return nil
}

func (col *pqColumn) close() {
	col.release()
	if col.pages != nil {
		col.pages.Close()
		col.pages = nil
	}
}

func (col *pqColumn) release() {
	if col.page != nil {
		parquet.Release(col.page)
		col.page, col.vr = nil, nil
	}
}

// fill reads exactly len(dst) values of the current row group; a page
// running out of values early is a damaged file. first is the file's row
// of dst[0], for errors.
func (col *pqColumn) fill(dst []parquet.Value, first int64) (err error) {
	damaged := func(reason string) error {
		return &FormatError{File: col.pf.name, Row: int(first) + 1, Column: col.c + 1, Name: col.pf.h.names[col.c], Reason: reason}
	}
	defer recovered(&err, func(p any) error { return damaged(fmt.Sprintf("damaged column data (%v)", p)) })
	for n := 0; n < len(dst); {
		if col.vr == nil {
			page, err := col.pages.ReadPage()
			if err == io.EOF {
				return damaged(fmt.Sprintf("truncated column: its row group ends %d values early", len(dst)-n))
			}
			if err != nil {
				return damaged(fmt.Sprintf("damaged column data: %v", err))
			}
			col.page, col.vr = page, page.Values()
		}
		k, err := col.vr.ReadValues(dst[n:])
		n += k
		switch {
		case err == io.EOF || (err == nil && k == 0):
			col.release()
		case err != nil:
			return damaged(fmt.Sprintf("damaged column data: %v", err))
		}
	}
	// Strings alias the page's buffers, which Release may recycle.
	if col.conv == convBytes {
		for i, v := range dst {
			if !v.IsNull() {
				dst[i] = v.Clone()
			}
		}
	}
	return nil
}

// finish checks that the row group holds no more values than its rows.
func (col *pqColumn) finish(g int) (err error) {
	extra := col.pf.colErr(col.c, fmt.Sprintf("row group %d holds more values than rows", g+1))
	defer recovered(&err, func(any) error { return extra })
	var one [1]parquet.Value
	for {
		if col.vr == nil {
			page, err := col.pages.ReadPage()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return col.pf.colErr(col.c, fmt.Sprintf("row group %d: damaged column data: %v", g+1, err))
			}
			col.page, col.vr = page, page.Values()
		}
		if k, _ := col.vr.ReadValues(one[:]); k > 0 {
			return extra
		}
		col.release()
	}
}

// pqCursor reads selected columns in lockstep, a block of rows at a time.
type pqCursor struct {
	pf   *parquetFile
	cols []*pqColumn
	g    int   // current row group, −1 before the first
	left int64 // rows left in it
	row  int64 // rows of the file consumed
	done bool  // past the last row group
	vals [][]parquet.Value
}

func newCursor(pf *parquetFile, cols []int, convs []conversion) *pqCursor {
	cur := &pqCursor{pf: pf, g: -1, vals: make([][]parquet.Value, len(cols))}
	for k, c := range cols {
		cur.cols = append(cur.cols, &pqColumn{pf: pf, c: c, conv: convs[k]})
	}
	return cur
}

// next reads the values of the next at most n rows (never across a row
// group) into cur.vals, valid until the next call, and returns how many
// rows they are; 0 at the end of the file.
func (cur *pqCursor) next(n int) (int, error) {
	groups := cur.pf.file.RowGroups()
	for cur.left == 0 {
		if cur.done {
			return 0, nil
		}
		if cur.g >= 0 {
			for _, col := range cur.cols {
				if err := col.finish(cur.g); err != nil {
					return 0, err
				}
			}
		}
		if cur.g+1 >= len(groups) {
			cur.close()
			cur.done = true
			return 0, nil
		}
		cur.g++
		for _, col := range cur.cols {
			if err := col.begin(cur.g); err != nil {
				return 0, err
			}
		}
		cur.left = groups[cur.g].NumRows()
	}
	k := int(min(int64(n), cur.left))
	for j, col := range cur.cols {
		if cap(cur.vals[j]) < k {
			cur.vals[j] = make([]parquet.Value, k)
		}
		cur.vals[j] = cur.vals[j][:k]
		if err := col.fill(cur.vals[j], cur.row); err != nil {
			return 0, err
		}
	}
	cur.left -= int64(k)
	cur.row += int64(k)
	return k, nil
}

func (cur *pqCursor) close() {
	for _, col := range cur.cols {
		col.close()
	}
}

// pqBlock is the number of rows a whole-file read decodes at a time.
const pqBlock = 4096

// loadParquet is loadTable for a Parquet file: it reads the rows of the
// kinds mode allows, with the columns choose selects, and the text of the
// column labelCol ("" for none).
func loadParquet(r io.ReaderAt, size int64, name string, mode rowMode, choose func(*header) (x, y []int, err error), labelCol string, res *reservoir) (*table, error) {
	pf, err := openParquet(r, size, name)
	if err != nil {
		return nil, err
	}
	xIdx, yIdx, err := choose(pf.h)
	if err != nil {
		return nil, err
	}
	sel := append(append([]int(nil), xIdx...), yIdx...)
	convs := make([]conversion, len(sel), len(sel)+1)
	for k, c := range sel {
		if convs[k], err = pf.numericConversion(c); err != nil {
			return nil, err
		}
	}
	label := -1
	if labelCol != "" {
		i, ok := pf.h.index[labelCol]
		if !ok {
			return nil, pf.h.errorf("unknown column %q (the file has %s)", labelCol, pf.h.describe())
		}
		conv, err := pf.textConversion(i)
		if err != nil {
			return nil, err
		}
		label = len(sel)
		sel, convs = append(sel, i), append(convs, conv)
	}
	dx, dy := len(xIdx), len(yIdx)
	t := &table{xNames: pick(pf.h.names, xIdx), yNames: pick(pf.h.names, yIdx)}
	t.pairX, t.pairY, t.srcX, t.tgtY = NewMatrix(0, dx), NewMatrix(0, dy), NewMatrix(0, dx), NewMatrix(0, dy)
	// A file of one kind of row has its size in the metadata.
	switch rows := int(pf.file.NumRows()); {
	case rows < 0 || rows > 1<<40:
	case mode == modePair:
		t.pairX.Data, t.pairY.Data = make([]float64, 0, rows*dx), make([]float64, 0, rows*dy)
	case mode == modeSource:
		t.srcX.Data = make([]float64, 0, rows*dx)
	case mode == modeTarget:
		t.tgtY.Data = make([]float64, 0, rows*dy)
	}
	cur := newCursor(pf, sel, convs)
	defer cur.close()
	for {
		n, err := cur.next(pqBlock)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		for i := range n {
			row := cur.row - int64(n) + int64(i)
			fail := func(k int, reason string) error {
				c := sel[k]
				return &FormatError{File: name, Row: int(row) + 1, Column: c + 1, Name: pf.h.names[c], Reason: reason}
			}
			xNull, xFirst := nulls(cur.vals[:dx], i)
			yNull, yFirst := nulls(cur.vals[dx:dx+dy], i)
			kind := kindPair
			switch {
			case mode != modeMixed:
				if xNull+yNull > 0 {
					first := xFirst
					if first < 0 {
						first = dx + yFirst
					}
					return nil, fail(first, "null value (every selected value of this file needs one)")
				}
				kind = map[rowMode]rowKind{modePair: kindPair, modeSource: kindSource, modeTarget: kindTarget}[mode]
			case xNull == 0 && yNull == 0:
			case xNull == 0 && yNull == dy:
				kind = kindSource
			case xNull == dx && yNull == 0:
				kind = kindTarget
			case xNull == dx && yNull == dy:
				return nil, fail(0, "row has no x or y value")
			default:
				k, side := xFirst, "x"
				if xNull == 0 || xNull == dx {
					k, side = dx+yFirst, "y"
				}
				return nil, fail(k, fmt.Sprintf(
					"null in a row with other %s values (a row is a pair with every value, a source with every y null, or a target with every x null)", side))
			}
			put := func(dst []float64, from int) error {
				for j := range dst {
					v := convs[from+j].number(cur.vals[from+j][i])
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return fail(from+j, fmt.Sprintf("NaN and infinite values are not allowed: %v", v))
					}
					dst[j] = v
				}
				return nil
			}
			rx, ry := t.dest(res, kind)
			if rx != nil {
				err = put(rx, 0)
			}
			if err == nil && ry != nil {
				err = put(ry, dx)
			}
			if err != nil {
				return nil, err
			}
			if label >= 0 {
				t.labels = append(t.labels, convs[label].text(cur.vals[label][i]))
			}
		}
	}
	if t.pairX.Rows+t.srcX.Rows+t.tgtY.Rows == 0 {
		return nil, &FormatError{File: name, Reason: "no data rows"}
	}
	return t, nil
}

// nulls counts the nulls of row i among cols and returns the first one's
// position in cols, or −1.
func nulls(cols [][]parquet.Value, i int) (n, first int) {
	first = -1
	for k, col := range cols {
		if col[i].IsNull() {
			if n == 0 {
				first = k
			}
			n++
		}
	}
	return n, first
}

// ReadStreamsParquet reads the three streams from a Parquet file of size
// bytes with the rules of ReadCSV: columns selected by opt as in
// CSVOptions; a row with every selected x and y value is a pair, a row
// whose y values are all null an unpaired source, a row whose x values are
// all null an unpaired target, and any other row is an error. name
// identifies the file in errors.
func ReadStreamsParquet(r io.ReaderAt, size int64, name string, opt CSVOptions) (*Streams, error) {
	t, err := loadParquet(r, size, name, modeMixed, func(h *header) ([]int, []int, error) {
		return h.splitXY(opt.XCols, opt.YCols)
	}, "", opt.sample)
	if err != nil {
		return nil, err
	}
	s := &Streams{XNames: t.xNames, YNames: t.yNames, PairX: t.pairX, PairY: t.pairY, SourceX: t.srcX, TargetY: t.tgtY}
	if opt.RequirePairs && s.PairX.Rows == 0 {
		return nil, &FormatError{File: name, Reason: "no pairs (rows with every x and y value); fitting needs at least one"}
	}
	return s, nil
}

// ReadMatrixParquet reads a numeric table from a Parquet file: the columns
// selected by cols (names or globs as in CSVOptions), or all columns if
// cols is empty. Every selected value must be present and finite. It
// returns the values and the selected column names, and with a labelCol
// (exact name, "" for none) that column's text for every row.
func ReadMatrixParquet(r io.ReaderAt, size int64, name string, cols []string, labelCol string) (Matrix, []string, []string, error) {
	t, err := loadParquet(r, size, name, modeSource, func(h *header) ([]int, []int, error) {
		x, err := h.selectSide(nil, cols, "")
		return x, nil, err
	}, labelCol, nil)
	if err != nil {
		return Matrix{}, nil, nil, err
	}
	return t.srcX, t.xNames, t.labels, nil
}

// ReadLabelledParquet is ReadLabelled for a Parquet file: xCols select the
// x columns (every column but the label when empty) and label names the
// class column, which may hold strings, integers or booleans. A row with
// every x value and a label is labelled, one with every x value and a null
// (or blank) label unlabelled, one with every x null and a label an extra
// label; anything else is an error naming the row and column.
func ReadLabelledParquet(r io.ReaderAt, size int64, name string, xCols []string, label string) (*Labelled, error) {
	pf, err := openParquet(r, size, name)
	if err != nil {
		return nil, err
	}
	li, ok := pf.h.index[label]
	if !ok {
		return nil, pf.h.errorf("no label column %q (the file has %s)", label, pf.h.describe())
	}
	var xi []int
	if len(xCols) == 0 {
		xi = pf.h.rest([]int{li})
	} else if xi, err = pf.h.selectPatterns(xCols); err != nil {
		return nil, err
	}
	for _, c := range xi {
		if c == li {
			return nil, pf.colErr(li, "the label column is also selected as an x column")
		}
	}
	if len(xi) == 0 {
		return nil, pf.h.errorf("no x columns besides the label column %q", label)
	}
	dx := len(xi)
	convs := make([]conversion, dx+1)
	for k, c := range xi {
		if convs[k], err = pf.numericConversion(c); err != nil {
			return nil, err
		}
	}
	if convs[dx], err = pf.textConversion(li); err != nil {
		return nil, err
	}
	cur := newCursor(pf, append(append([]int(nil), xi...), li), convs)
	defer cur.close()
	l := &Labelled{XNames: pick(pf.h.names, xi), Label: label, X: NewMatrix(0, dx), Unlabeled: NewMatrix(0, dx)}
	var labels, extra []string
	for {
		n, err := cur.next(pqBlock)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		for i := range n {
			row := int(cur.row) - n + i + 1
			lab := convs[dx].text(cur.vals[dx][i])
			empty, first := nulls(cur.vals[:dx], i)
			var dst []float64
			switch {
			case empty == dx && lab == "":
				return nil, &FormatError{File: name, Row: row, Reason: "row has neither x values nor a label"}
			case empty == dx:
				extra = append(extra, lab)
				continue
			case empty > 0:
				return nil, &FormatError{File: name, Row: row, Column: xi[first] + 1, Name: pf.h.names[xi[first]],
					Reason: "null in a row with other x values (every x of a row needs a value, or none for a label-only row)"}
			case lab == "":
				dst = l.Unlabeled.AppendRow()
			default:
				dst = l.X.AppendRow()
				labels = append(labels, lab)
			}
			for j := range dst {
				v := convs[j].number(cur.vals[j][i])
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, &FormatError{File: name, Row: row, Column: xi[j] + 1, Name: pf.h.names[xi[j]],
						Reason: fmt.Sprintf("NaN and infinite values are not allowed: %v", v)}
				}
				dst[j] = v
			}
		}
	}
	return finishLabelled(l, name, labels, extra)
}

// finishLabelled numbers the classes of the labels read, as ReadLabelled
// does.
func finishLabelled(l *Labelled, name string, labels, extra []string) (*Labelled, error) {
	l.Classes = classNames(append(append([]string(nil), labels...), extra...))
	if len(l.Classes) < 2 {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("%d class(es) in column %q (%s); a classifier needs at least two", len(l.Classes), l.Label, strings.Join(l.Classes, ", "))}
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
