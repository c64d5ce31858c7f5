package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"unsafe"
)

// CSVOptions selects the x and y columns of a data file.
//
// A pattern equal to a header name selects that column; any other pattern is
// a path.Match glob ("x*", "feat_[0-9]") selecting every matching column in
// header order. Columns are taken in the order of the patterns. A pattern that
// selects nothing, or a column selected twice (or as both x and y), is an
// error.
//
// If exactly one of XCols and YCols is empty, it stands for every column the
// other does not select. If both are empty, a single file or paired file
// cannot be split and reading it fails; a sources or targets file alone then
// contributes all of its columns. Columns selected by neither are ignored and
// may hold anything (ids, labels).
type CSVOptions struct {
	XCols, YCols []string
	// RequirePairs makes a data set without pairs an error: fitting needs
	// pairs, inspecting a file does not.
	RequirePairs bool

	// sample, when set (SampleStreamsFile), keeps a bounded random sample
	// of each stream instead of every row.
	sample *reservoir
}

// ReadCSV reads the single-file format: a header row, then one row per
// sample. A row with every selected x and y value is a pair, a row whose y
// cells are all empty is an unpaired source, a row whose x cells are all
// empty is an unpaired target; any other row is an error. Cells holding only
// spaces count as empty; values and header names are trimmed of surrounding
// spaces, and header names must be unique. A column with an empty header
// name (a trailing comma, a pandas index) is never selected: it is ignored
// when the columns are listed, and an error when the selection is implicit
// (every other column). Values are decimal numbers (sign, digits, decimal
// point, exponent): digit separators, hexadecimal, NaN, infinities, values
// beyond the float64 range and nonzero values that would round to 0 are
// errors. Blank lines (or lines of spaces) are skipped; a UTF-8 byte order
// mark and CRLF line ends are accepted. A file that is not comma-separated
// UTF-8 (a tab- or semicolon-separated file, UTF-16, a binary file) is
// rejected with a hint. Errors about the content wrap ErrFormat and are
// *FormatError values locating the problem (file, line, column, why).
//
// The file is read twice (first to count the rows of each stream, then to
// parse them into exactly sized matrices), so memory is 8 bytes per selected
// value plus a fixed buffer. ReadStreams reads from any io.Reader.
func ReadCSV(path string, opt CSVOptions) (*Streams, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // already names the path
	}
	defer f.Close()
	return ReadStreams(f, path, opt)
}

// ReadStreams is ReadCSV for any reader; name identifies it in errors (a
// path, or "-" for standard input). A reader that cannot seek is read in
// one pass (see ReadCSV for the memory this costs).
func ReadStreams(r io.Reader, name string, opt CSVOptions) (*Streams, error) {
	t, err := loadTable(r, name, modeMixed, func(h *header) ([]int, []int, error) {
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

// ReadSeparate reads the three streams from separate files, any of which may
// be "": pairedPath holds x and y columns (selected as in ReadCSV, every cell
// filled), sourcesPath x columns only and targetsPath y columns only. When a
// paired file is given, the sources and targets files must have columns with
// the same names as its x and y columns (in any order; extra columns are
// ignored). Otherwise XCols (YCols) select the columns of the sources
// (targets) file, all of them if empty. Every file given must have at least
// one data row.
func ReadSeparate(pairedPath, sourcesPath, targetsPath string, opt CSVOptions) (*Streams, error) {
	if pairedPath == "" && (sourcesPath == "" || targetsPath == "") {
		if sourcesPath == "" && targetsPath == "" {
			return nil, errors.New("no data files given")
		}
		return nil, errors.New("without a paired file, both a sources and a targets file are needed to know the x and y columns")
	}
	if opt.RequirePairs && pairedPath == "" {
		return nil, errors.New("no paired file given; fitting needs pairs")
	}
	s := &Streams{}
	if pairedPath != "" {
		t, err := openTable(pairedPath, modePair, func(h *header) ([]int, []int, error) {
			return h.splitXY(opt.XCols, opt.YCols)
		})
		if err != nil {
			return nil, err
		}
		s.XNames, s.YNames, s.PairX, s.PairY = t.xNames, t.yNames, t.pairX, t.pairY
	}
	if sourcesPath != "" {
		t, err := openTable(sourcesPath, modeSource, func(h *header) ([]int, []int, error) {
			x, err := h.selectSide(s.XNames, opt.XCols, "paired file's x column")
			return x, nil, err
		})
		if err != nil {
			return nil, err
		}
		s.XNames, s.SourceX = t.xNames, t.srcX
	} else {
		s.SourceX = Matrix{Cols: len(s.XNames), Data: []float64{}}
	}
	if targetsPath != "" {
		t, err := openTable(targetsPath, modeTarget, func(h *header) ([]int, []int, error) {
			y, err := h.selectSide(s.YNames, opt.YCols, "paired file's y column")
			return nil, y, err
		})
		if err != nil {
			return nil, err
		}
		s.YNames, s.TargetY = t.yNames, t.tgtY
	} else {
		s.TargetY = Matrix{Cols: len(s.YNames), Data: []float64{}}
	}
	if pairedPath == "" {
		s.PairX = Matrix{Cols: len(s.XNames), Data: []float64{}}
		s.PairY = Matrix{Cols: len(s.YNames), Data: []float64{}}
	}
	return s, nil
}

// ReadMatrixCSV reads a plain numeric table with a header row: the columns
// selected by cols (names or globs as in CSVOptions), or all columns if cols
// is empty. Every selected cell must hold a finite number. It returns the
// values and the selected column names.
func ReadMatrixCSV(path string, cols []string) (Matrix, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Matrix{}, nil, err
	}
	defer f.Close()
	return ReadMatrix(f, path, cols)
}

// ReadMatrix is ReadMatrixCSV for any reader; name identifies it in errors.
func ReadMatrix(r io.Reader, name string, cols []string) (Matrix, []string, error) {
	m, names, _, err := ReadMatrixLabels(r, name, cols, "")
	return m, names, err
}

// ReadMatrixLabels is ReadMatrix that also returns the text of the column
// labelCol (by exact name; "" for none) for every row, trimmed of
// surrounding spaces: labels such as a group id, which the numeric columns
// cannot hold. The file is parsed once.
func ReadMatrixLabels(r io.Reader, name string, cols []string, labelCol string) (Matrix, []string, []string, error) {
	t, err := loadTable(r, name, modeSource, func(h *header) ([]int, []int, error) {
		x, err := h.selectSide(nil, cols, "")
		return x, nil, err
	}, labelCol, nil)
	if err != nil {
		return Matrix{}, nil, nil, err
	}
	return t.srcX, t.xNames, t.labels, nil
}

// rowMode says which kinds of rows a file may hold.
type rowMode int

const (
	modeMixed  rowMode = iota // pairs, sources and targets (the single-file format)
	modePair                  // pairs only
	modeSource                // x values only
	modeTarget                // y values only
)

type rowKind int

const (
	kindPair rowKind = iota
	kindSource
	kindTarget
)

// header is the first record of a file.
type header struct {
	file  string
	line  int
	names []string
	index map[string]int
}

func readHeader(rr *recordReader) (*header, error) {
	ok, err := rr.next()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &FormatError{File: rr.file, Reason: "empty file: no header row"}
	}
	if err := checkHeaderLine(rr); err != nil {
		return nil, err
	}
	h := &header{file: rr.file, line: rr.line, names: make([]string, len(rr.fields)), index: make(map[string]int, len(rr.fields))}
	for i, f := range rr.fields {
		name := string(trimBlank(f))
		h.names[i] = name
		if name == "" {
			// An unnamed column (a trailing comma, a pandas index) can be
			// neither selected nor taken implicitly; see header.rest.
			continue
		}
		if j, dup := h.index[name]; dup {
			return nil, &FormatError{File: rr.file, Line: rr.line, Column: i + 1, Name: name,
				Reason: fmt.Sprintf("duplicate column name (also column %d)", j+1)}
		}
		h.index[name] = i
	}
	if err := h.checkNotData(); err != nil {
		return nil, err
	}
	return h, nil
}

// checkHeaderLine rejects a first record that shows the file is not
// comma-separated UTF-8 text, with a hint naming the cause: a one-column
// header holding tabs or semicolons (another separator), NUL bytes (UTF-16
// or a binary file), a UTF-16 byte order mark, or carriage returns inside
// a line (classic Mac line ends, which would make the whole file one line).
func checkHeaderLine(rr *recordReader) error {
	first := rr.fields[0]
	if bytes.HasPrefix(first, []byte{0xff, 0xfe}) || bytes.HasPrefix(first, []byte{0xfe, 0xff}) {
		return rr.formatError(1, "the file starts with a UTF-16 byte order mark: save it as UTF-8 text")
	}
	for i, f := range rr.fields {
		switch {
		case bytes.IndexByte(f, 0) >= 0:
			return rr.formatError(i+1, "the header holds NUL bytes: this is a binary file or UTF-16 text, not UTF-8 CSV (Parquet and NumPy files need the .parquet, .npy or .npz extension)")
		case bytes.IndexByte(f, '\r') >= 0:
			return rr.formatError(i+1, "carriage return inside the header line: the file has classic Mac (CR-only) line ends; convert them to LF or CRLF")
		}
	}
	if len(rr.fields) == 1 {
		for _, sep := range []struct {
			char byte
			name string
		}{{'\t', "tab"}, {';', "semicolon"}, {'|', "pipe"}} {
			if n := bytes.Count(first, []byte{sep.char}); n > 0 {
				return rr.formatError(1, fmt.Sprintf("the header is one column holding %d %s character(s): the file looks %s-separated, but fields must be separated by commas (with a decimal point, not a comma)", n, sep.name, sep.name))
			}
		}
	}
	return nil
}

// checkNotData rejects a first line that is a data row rather than a
// header: every name a number, and at least one of them with a sign, a
// decimal point or an exponent (integer names such as 0, 1, 2 are what
// pandas writes for unnamed columns, so they are accepted).
func (h *header) checkNotData() error {
	decimal := false
	for _, n := range h.names {
		if n == "" {
			continue
		}
		if _, reason := parseNumber([]byte(n)); reason != "" {
			return nil
		}
		if strings.ContainsAny(n, ".eE+-") {
			decimal = true
		}
	}
	if !decimal {
		return nil
	}
	return h.errorf("the first line (%s) looks like data, not a header: the file needs a header row naming its columns", h.describe())
}

func (h *header) errorf(format string, args ...any) error {
	return &FormatError{File: h.file, Line: h.line, Reason: fmt.Sprintf(format, args...)}
}

// selectPatterns returns the header indices selected by patterns, see
// CSVOptions.
func (h *header) selectPatterns(patterns []string) ([]int, error) {
	var idx []int
	taken := make(map[int]string)
	take := func(i int, pattern string) error {
		if prev, dup := taken[i]; dup {
			return &FormatError{File: h.file, Line: h.line, Column: i + 1, Name: h.names[i],
				Reason: fmt.Sprintf("column selected twice (by %q and %q)", prev, pattern)}
		}
		taken[i] = pattern
		idx = append(idx, i)
		return nil
	}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, h.errorf("empty column name in the column list")
		}
		if i, ok := h.index[p]; ok {
			if err := take(i, p); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, h.errorf("bad column pattern %q: %v", p, err)
		}
		found := false
		for i, name := range h.names {
			if name == "" {
				continue // an unnamed column matches no pattern
			}
			if ok, _ := path.Match(p, name); ok {
				found = true
				if err := take(i, p); err != nil {
					return nil, err
				}
			}
		}
		if !found {
			return nil, h.errorf("unknown column %q (the header has %s)", p, h.describe())
		}
	}
	return idx, nil
}

// describe lists the column names for an error message, shortened for
// wide files.
func (h *header) describe() string {
	const show = 12
	quoted := make([]string, 0, show)
	for i, n := range h.names {
		if i == show {
			return strings.Join(quoted, ", ") + fmt.Sprintf(", … (%d columns)", len(h.names))
		}
		quoted = append(quoted, strconv.Quote(n))
	}
	return strings.Join(quoted, ", ")
}

// rest returns the indices of the named columns not in idx, in header
// order. Unnamed columns are never taken.
func (h *header) rest(idx []int) []int {
	used := make([]bool, len(h.names))
	for _, i := range idx {
		used[i] = true
	}
	var out []int
	for i, n := range h.names {
		if !used[i] && n != "" {
			out = append(out, i)
		}
	}
	return out
}

// implicitRest is rest for a selection the user left implicit ("every
// other column"): an unnamed column among those would silently become
// data or silently vanish, so it is an error asking for a name or an
// explicit list (what names the list's flag is said by list).
func (h *header) implicitRest(idx []int, list string) ([]int, error) {
	used := make([]bool, len(h.names))
	for _, i := range idx {
		used[i] = true
	}
	for i, n := range h.names {
		if n == "" && !used[i] {
			reason := "column has no name in the header; name it, or list the " + list + "columns explicitly so that it is ignored"
			switch {
			case i == len(h.names)-1 && i > 0:
				reason += " (the header line ends with a comma: a trailing comma on every line makes an empty last column)"
			case i == 0:
				reason += " (an unnamed first column is often a row index, e.g. from pandas' to_csv without index=False)"
			}
			return nil, &FormatError{File: h.file, Line: h.line, Column: i + 1, Reason: reason}
		}
	}
	return h.rest(idx), nil
}

// splitXY selects the x and y columns of a file holding both.
func (h *header) splitXY(xPatterns, yPatterns []string) (x, y []int, err error) {
	if len(xPatterns) == 0 && len(yPatterns) == 0 {
		return nil, nil, h.errorf("no x or y columns given: name the x columns, the y columns or both")
	}
	if len(xPatterns) > 0 {
		if x, err = h.selectPatterns(xPatterns); err != nil {
			return nil, nil, err
		}
	}
	if len(yPatterns) > 0 {
		if y, err = h.selectPatterns(yPatterns); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case len(xPatterns) == 0:
		x, err = h.implicitRest(y, "x ")
	case len(yPatterns) == 0:
		y, err = h.implicitRest(x, "y ")
	}
	if err != nil {
		return nil, nil, err
	}
	inX := make(map[int]bool, len(x))
	for _, i := range x {
		inX[i] = true
	}
	for _, i := range y {
		if inX[i] {
			return nil, nil, &FormatError{File: h.file, Line: h.line, Column: i + 1, Name: h.names[i], Reason: "column selected as both x and y"}
		}
	}
	if len(x) == 0 {
		return nil, nil, h.errorf("no x columns left once the y columns are taken")
	}
	if len(y) == 0 {
		return nil, nil, h.errorf("no y columns left once the x columns are taken")
	}
	return x, y, nil
}

// selectSide selects the columns of a one-sided file: the exact names
// known from another file if any, else the patterns, else every column.
func (h *header) selectSide(known, patterns []string, knownFrom string) ([]int, error) {
	if known != nil {
		idx := make([]int, len(known))
		for k, name := range known {
			i, ok := h.index[name]
			if !ok {
				return nil, h.errorf("no column named %q (the %s)", name, knownFrom)
			}
			idx[k] = i
		}
		return idx, nil
	}
	if len(patterns) > 0 {
		return h.selectPatterns(patterns)
	}
	return h.implicitRest(nil, "")
}

// table is what loadTable read.
type table struct {
	xNames, yNames           []string
	pairX, pairY, srcX, tgtY Matrix
	labels                   []string // per data row, when a label column was asked for
}

// openTable opens path and reads it with loadTable.
func openTable(path string, mode rowMode, choose func(*header) (x, y []int, err error)) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // already names the path
	}
	defer f.Close()
	return loadTable(f, path, mode, choose, "", nil)
}

// loadTable reads a table from r, named name in errors. A seekable r (a
// regular file) is read in two passes: the first validates the layout and
// counts the rows of each kind, the second parses the values into matrices
// allocated at their final size. Any other reader (a pipe, standard input)
// is read once into growing matrices, which costs up to twice the memory
// while reading.
//
// labelCol, if not empty, names a column whose text is kept for every data
// row (table.labels), such as a group id.
//
// With a reservoir res, the file is read in one pass and res decides
// which rows are kept (see SampleStreamsFile); every row is still parsed
// and checked.
func loadTable(r io.Reader, name string, mode rowMode, choose func(*header) (x, y []int, err error), labelCol string, res *reservoir) (*table, error) {
	// The offset must be taken before the buffered reader reads ahead.
	var seeker io.ReadSeeker
	var start int64
	if rs, ok := r.(io.ReadSeeker); ok {
		if off, err := rs.Seek(0, io.SeekCurrent); err == nil {
			seeker, start = rs, off
		}
	}
	rr := newRecordReader(r, name)
	h, err := readHeader(rr)
	if err != nil {
		return nil, err
	}
	xIdx, yIdx, err := choose(h)
	if err != nil {
		return nil, err
	}
	sc := rowScanner{rr: rr, h: h, mode: mode, x: xIdx, y: yIdx, label: -1}
	if labelCol != "" {
		i, ok := h.index[labelCol]
		if !ok {
			return nil, h.errorf("unknown column %q (the header has %s)", labelCol, h.describe())
		}
		sc.label = i
	}
	dx, dy := len(xIdx), len(yIdx)
	t := &table{xNames: pick(h.names, xIdx), yNames: pick(h.names, yIdx)}
	if seeker != nil && res == nil {
		if err := t.readCounted(&sc, seeker, start); err != nil {
			return nil, err
		}
		return t, nil
	}
	t.pairX, t.pairY, t.srcX, t.tgtY = NewMatrix(0, dx), NewMatrix(0, dy), NewMatrix(0, dx), NewMatrix(0, dy)
	for {
		kind, ok, err := sc.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if sc.label >= 0 {
			t.labels = append(t.labels, string(trimBlank(sc.rr.fields[sc.label])))
		}
		dx, dy := t.dest(res, kind)
		if dx != nil {
			err = sc.parse(xIdx, dx)
		}
		if err == nil && dy != nil {
			err = sc.parse(yIdx, dy)
		}
		if err != nil {
			return nil, err
		}
	}
	if t.pairX.Rows+t.srcX.Rows+t.tgtY.Rows == 0 {
		return nil, &FormatError{File: name, Reason: "no data rows after the header"}
	}
	return t, nil
}

// readCounted is loadTable's two-pass read of a seekable file whose data
// rows start after the header already read; start is the reader's offset
// when reading began.
func (t *table) readCounted(sc *rowScanner, rs io.ReadSeeker, start int64) error {
	rr, name := sc.rr, sc.rr.file
	var count [3]int
	for {
		kind, ok, err := sc.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		count[kind]++
	}
	if count[kindPair]+count[kindSource]+count[kindTarget] == 0 {
		return &FormatError{File: name, Reason: "no data rows after the header"}
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("rewind %s: %w", name, err)
	}
	rr.reset(rs)
	if _, err := readHeader(rr); err != nil {
		return err
	}
	dx, dy := len(sc.x), len(sc.y)
	t.pairX, t.pairY = NewMatrix(count[kindPair], dx), NewMatrix(count[kindPair], dy)
	t.srcX, t.tgtY = NewMatrix(count[kindSource], dx), NewMatrix(count[kindTarget], dy)
	var filled [3]int
	changed := &FormatError{File: name, Reason: "the file changed while it was being read"}
	for {
		kind, ok, err := sc.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if filled[kind] == count[kind] {
			return changed
		}
		r := filled[kind]
		filled[kind]++
		if sc.label >= 0 {
			t.labels = append(t.labels, string(trimBlank(sc.rr.fields[sc.label])))
		}
		switch kind {
		case kindPair:
			err = sc.parse(sc.x, t.pairX.Row(r))
			if err == nil {
				err = sc.parse(sc.y, t.pairY.Row(r))
			}
		case kindSource:
			err = sc.parse(sc.x, t.srcX.Row(r))
		case kindTarget:
			err = sc.parse(sc.y, t.tgtY.Row(r))
		}
		if err != nil {
			return err
		}
	}
	if filled != count {
		return changed
	}
	return nil
}

func pick(names []string, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = names[i]
	}
	return out
}

// rowScanner reads data records and classifies them.
type rowScanner struct {
	rr    *recordReader
	h     *header
	mode  rowMode
	x, y  []int
	label int // column kept as text, or −1
}

func (sc *rowScanner) errorAt(col int, reason string) error {
	return &FormatError{File: sc.rr.file, Line: sc.rr.line, Column: col + 1, Name: sc.h.names[col], Reason: reason}
}

// next reads one record and says what kind of row it is.
func (sc *rowScanner) next() (rowKind, bool, error) {
	ok, err := sc.rr.next()
	if err != nil || !ok {
		var fe *FormatError
		if errors.As(err, &fe) && fe.Column > 0 && fe.Column <= len(sc.h.names) {
			fe.Name = sc.h.names[fe.Column-1]
		}
		return 0, false, err
	}
	if n, want := len(sc.rr.fields), len(sc.h.names); n != want {
		// Name the first missing column, or the first one too many.
		fe := &FormatError{File: sc.rr.file, Line: sc.rr.line, Column: min(n, want) + 1, Reason: raggedReason(sc.rr.fields, want)}
		if n < want {
			fe.Name = sc.h.names[n]
		}
		return 0, false, fe
	}
	xEmpty, xFirst := sc.empties(sc.x)
	yEmpty, yFirst := sc.empties(sc.y)
	switch sc.mode {
	case modePair, modeSource, modeTarget:
		first := xFirst
		if first < 0 {
			first = yFirst
		}
		if first >= 0 {
			return 0, false, sc.errorAt(first, "empty cell (every selected cell of this file needs a value)")
		}
		switch sc.mode {
		case modeSource:
			return kindSource, true, nil
		case modeTarget:
			return kindTarget, true, nil
		}
		return kindPair, true, nil
	}
	dx, dy := len(sc.x), len(sc.y)
	switch {
	case xEmpty == 0 && yEmpty == 0:
		return kindPair, true, nil
	case xEmpty == 0 && yEmpty == dy:
		return kindSource, true, nil
	case xEmpty == dx && yEmpty == 0:
		return kindTarget, true, nil
	case xEmpty == dx && yEmpty == dy:
		return 0, false, sc.errorAt(sc.x[0], "row has no x or y value")
	}
	col, side := xFirst, "x"
	if xEmpty == 0 || xEmpty == dx {
		col, side = yFirst, "y"
	}
	return 0, false, sc.errorAt(col, fmt.Sprintf(
		"empty cell in a row with other %s values (a row is a pair with every value, a source with every y cell empty, or a target with every x cell empty)", side))
}

// raggedReason says that a record has the wrong number of fields, with a
// hint when the record shows why: a trailing comma, or another separator.
func raggedReason(fields [][]byte, want int) string {
	n := len(fields)
	reason := fmt.Sprintf("row has %d fields but the header has %d columns", n, want)
	switch {
	case n == want+1 && len(trimBlank(fields[n-1])) == 0:
		reason += " (the line ends with a comma)"
	case n == 1 && bytes.IndexByte(fields[0], '\t') >= 0:
		reason += " (the line holds tabs: fields must be separated by commas)"
	case n == 1 && bytes.IndexByte(fields[0], ';') >= 0:
		reason += " (the line holds semicolons: fields must be separated by commas)"
	}
	return reason
}

// empties counts the empty cells among cols and returns the first one.
func (sc *rowScanner) empties(cols []int) (n, first int) {
	first = -1
	for _, c := range cols {
		if len(trimBlank(sc.rr.fields[c])) == 0 {
			if n == 0 {
				first = c
			}
			n++
		}
	}
	return n, first
}

// parse converts the cells cols of the current record into dst.
func (sc *rowScanner) parse(cols []int, dst []float64) error {
	for k, c := range cols {
		v, reason := parseNumber(trimBlank(sc.rr.fields[c]))
		if reason != "" {
			return sc.errorAt(c, reason)
		}
		dst[k] = v
	}
	return nil
}

// parseNumber reads a cell as a finite decimal number, or says why it is
// not one. The syntax is that of CSV numbers everywhere: an optional sign,
// digits with an optional decimal point, an optional exponent. Go's own
// extensions that strconv.ParseFloat accepts (digit separators as in
// 1_000, hexadecimal floats as in 0x1p4, "Inf", "NaN") are refused, and so
// is a nonzero value too small for float64 (1e-400), which ParseFloat
// silently rounds to zero; subnormal values (5e-324) are kept.
func parseNumber(cell []byte) (float64, string) {
	nonzero, ok := decimalSyntax(cell)
	if !ok {
		return 0, notANumber(cell)
	}
	// The string view is read by ParseFloat only for the duration of the
	// call (its errors keep a copy), so it need not be copied; copying
	// would cost an allocation per value.
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(cell), len(cell)), 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || math.IsInf(v, 0):
		return 0, fmt.Sprintf("%s is outside the float64 range (magnitude above 1.8e308)", quoteCell(cell))
	case err != nil:
		return 0, notANumber(cell)
	case v == 0 && nonzero:
		return 0, fmt.Sprintf("%s is too small for float64: it would be read as 0 (the smallest nonzero magnitude is 4.9e-324)", quoteCell(cell))
	}
	return v, ""
}

// decimalSyntax reports whether cell is [+-] digits [. digits] [(e|E) [+-]
// digits] (with digits on at least one side of the point), and whether its
// significand has a nonzero digit.
func decimalSyntax(cell []byte) (nonzero, ok bool) {
	i, n := 0, len(cell)
	if i < n && (cell[i] == '+' || cell[i] == '-') {
		i++
	}
	digits := 0
	for ; i < n && cell[i] >= '0' && cell[i] <= '9'; i++ {
		digits++
		nonzero = nonzero || cell[i] != '0'
	}
	if i < n && cell[i] == '.' {
		for i++; i < n && cell[i] >= '0' && cell[i] <= '9'; i++ {
			digits++
			nonzero = nonzero || cell[i] != '0'
		}
	}
	if digits == 0 {
		return false, false
	}
	if i < n && (cell[i] == 'e' || cell[i] == 'E') {
		i++
		if i < n && (cell[i] == '+' || cell[i] == '-') {
			i++
		}
		exp := 0
		for ; i < n && cell[i] >= '0' && cell[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false, false
		}
	}
	return nonzero, i == n
}

// notANumber is the reason a cell is not a number, with a hint when the
// cell shows a likely cause.
func notANumber(cell []byte) string {
	lower := strings.ToLower(strings.TrimLeft(string(cell), "+-"))
	hint := ""
	switch {
	case lower == "nan" || lower == "inf" || lower == "infinity":
		return fmt.Sprintf("NaN and infinite values are not allowed: %s", quoteCell(cell))
	case bytes.IndexByte(cell, '\t') >= 0:
		hint = " (it holds a tab: is the file tab-separated? Fields must be separated by commas)"
	case bytes.IndexByte(cell, ';') >= 0:
		hint = " (it holds a semicolon: is the file semicolon-separated? Fields must be separated by commas)"
	case bytes.IndexByte(cell, ',') >= 0:
		hint = " (a decimal comma? Write 1.5, not 1,5)"
	case bytes.IndexByte(cell, '_') >= 0:
		hint = " (digit separators such as _ are not allowed)"
	case strings.HasPrefix(lower, "0x"):
		hint = " (hexadecimal numbers are not allowed; write the value in decimal)"
	case bytes.IndexByte(cell, '\r') >= 0:
		hint = " (it holds a carriage return: the file has classic Mac line ends; convert them to LF or CRLF)"
	}
	return fmt.Sprintf("not a number: %s%s", quoteCell(cell), hint)
}

// quoteCell quotes a cell for an error message, shortening long ones (a
// misplaced text column can hold whole paragraphs).
func quoteCell(cell []byte) string {
	const limit = 40
	if len(cell) > limit {
		return strconv.Quote(string(cell[:limit])) + "…"
	}
	return strconv.Quote(string(cell))
}

// trimBlank removes surrounding ASCII spaces and tabs.
func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// ReadColumnCSV returns the text of one column (by exact name) for every
// data row of a CSV file, trimmed of surrounding spaces: labels such as a
// group id that ReadMatrixCSV, which reads numbers, cannot hold.
func ReadColumnCSV(path, name string) ([]string, error) {
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
	col, ok := h.index[name]
	if !ok {
		return nil, h.errorf("unknown column %q (the header has %s)", name, h.describe())
	}
	var out []string
	for {
		ok, err := rr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if n := len(rr.fields); n != len(h.names) {
			return nil, &FormatError{File: path, Line: rr.line, Column: min(n, len(h.names)) + 1, Reason: raggedReason(rr.fields, len(h.names))}
		}
		out = append(out, string(trimBlank(rr.fields[col])))
	}
}
