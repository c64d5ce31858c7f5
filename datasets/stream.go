package datasets

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// RowChunk is a block of consecutive data rows of a file read by a
// RowReader.
type RowChunk struct {
	// Start is the index (from 0) of the chunk's first row among the file's
	// data rows: the row's global index for seeding, whatever the chunk
	// size.
	Start int64
	X     Matrix // the selected columns, in the order asked for
	// Lines holds, for a CSV file, the line each row starts on (blank lines
	// and quoted line breaks make it differ from Start+i+2); nil for the
	// binary formats, whose row i is row Start+i+1 of the file.
	Lines []int
	// IDs holds the id column's text for each row when one was asked for:
	// a CSV cell trimmed of spaces, a Parquet string or number ("" for a
	// null).
	IDs []string
}

// Len is the number of rows.
func (c RowChunk) Len() int { return c.X.Rows }

// RowReader reads the selected columns of a table in chunks, for scoring
// files larger than memory: memory is bounded by the chunk size (plus, for
// Parquet, the pages being decoded), whatever the file's size. Every chunk
// is newly allocated, so chunks may be kept and worked on concurrently
// while the next ones are read; the reader itself is for one goroutine.
type RowReader struct {
	names  []string
	src    rowSource
	closer io.Closer
	next   int64
	done   bool
	err    error
}

// rowSource fills chunks for a RowReader.
type rowSource interface {
	// read appends at most n rows to c (X, and Lines or IDs when kept),
	// returning how many; 0 at the end.
	read(n int, c *RowChunk) (int, error)
}

// OpenRows opens path to read the columns cols (names or globs as in
// CSVOptions; every column when empty) chunk by chunk, in the format its
// extension names: CSV ("-" reads standard input), Parquet (page by page
// through each row group) or .npy (C order; cols, if given, name every
// column in order). idCol, if not "", names a column whose text is kept
// per row (RowChunk.IDs), such as a row id to key random streams by; a
// .npy file has none. Every selected cell must hold a finite number;
// errors name the file, the line or row, and the column. The caller closes
// the reader.
func OpenRows(path string, cols []string, idCol string) (*RowReader, error) {
	switch FormatOf(path) {
	case FormatParquet:
		f, size, err := openSized(path)
		if err != nil {
			return nil, err
		}
		r, err := NewParquetRows(f, size, path, cols, idCol)
		if err != nil {
			f.Close()
			return nil, err
		}
		r.closer = f
		return r, nil
	case FormatNPY:
		if idCol != "" {
			return nil, &FormatError{File: path, Reason: fmt.Sprintf("a .npy file has no column %q (it holds numbers only)", idCol)}
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r, err := NewNPYRows(f, path, cols)
		if err != nil {
			f.Close()
			return nil, err
		}
		r.closer = f
		return r, nil
	case FormatNPZ:
		return nil, &FormatError{File: path, Reason: "a .npz archive holds the streams of a data set (read it with ReadStreamsFile); rows are read from CSV, Parquet or .npy"}
	}
	if path == Stdio {
		return NewCSVRows(os.Stdin, Stdio, cols, idCol)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewCSVRows(f, path, cols, idCol)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Names returns the selected column names, in order.
func (r *RowReader) Names() []string { return r.names }

// Next returns the next at most n rows (n ≥ 1), or io.EOF with an empty
// chunk after the last. After an error, every call returns it again.
func (r *RowReader) Next(n int) (RowChunk, error) {
	if n < 1 {
		return RowChunk{}, fmt.Errorf("read rows: a chunk of %d rows; need at least 1", n)
	}
	if r.err != nil {
		return RowChunk{}, r.err
	}
	c := RowChunk{Start: r.next, X: Matrix{Cols: len(r.names), Data: make([]float64, 0, min(n, 1<<14)*len(r.names))}}
	if r.done {
		return c, io.EOF
	}
	k, err := r.src.read(n, &c)
	if err != nil {
		r.err = err
		return RowChunk{}, err
	}
	if k == 0 {
		r.done = true
		return c, io.EOF
	}
	r.next += int64(k)
	return c, nil
}

// Close releases the file (not standard input).
func (r *RowReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// csvRowSource reads a CSV stream with the header and cell rules of
// ReadMatrix.
type csvRowSource struct {
	sc rowScanner
	id int // header index of the id column, or −1
}

// NewCSVRows reads CSV from r in chunks (see OpenRows); name identifies r
// in errors. Close does not close r.
func NewCSVRows(r io.Reader, name string, cols []string, idCol string) (*RowReader, error) {
	rr := newRecordReader(r, name)
	h, err := readHeader(rr)
	if err != nil {
		return nil, err
	}
	idx, err := h.selectSide(nil, cols, "")
	if err != nil {
		return nil, err
	}
	src := &csvRowSource{sc: rowScanner{rr: rr, h: h, mode: modeSource, x: idx, label: -1}, id: -1}
	if idCol != "" {
		i, ok := h.index[idCol]
		if !ok {
			return nil, h.errorf("unknown id column %q (the header has %s)", idCol, h.describe())
		}
		src.id = i
	}
	return &RowReader{names: pick(h.names, idx), src: src}, nil
}

func (s *csvRowSource) read(n int, c *RowChunk) (int, error) {
	for c.X.Rows < n {
		_, ok, err := s.sc.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		if err := s.sc.parse(s.sc.x, c.X.AppendRow()); err != nil {
			return 0, err
		}
		c.Lines = append(c.Lines, s.sc.rr.line)
		if s.id >= 0 {
			c.IDs = append(c.IDs, string(trimBlank(s.sc.rr.fields[s.id])))
		}
	}
	return c.X.Rows, nil
}

// parquetRowSource reads a Parquet file through a cursor.
type parquetRowSource struct {
	cur   *pqCursor
	convs []conversion
	id    int // position of the id column in the cursor, or −1
	dx    int
}

// NewParquetRows reads a Parquet file of size bytes in chunks (see
// OpenRows); name identifies it in errors. Close does not close r.
func NewParquetRows(r io.ReaderAt, size int64, name string, cols []string, idCol string) (*RowReader, error) {
	pf, err := openParquet(r, size, name)
	if err != nil {
		return nil, err
	}
	idx, err := pf.h.selectSide(nil, cols, "")
	if err != nil {
		return nil, err
	}
	sel := append([]int(nil), idx...)
	convs := make([]conversion, len(idx), len(idx)+1)
	for k, c := range idx {
		if convs[k], err = pf.numericConversion(c); err != nil {
			return nil, err
		}
	}
	src := &parquetRowSource{id: -1, dx: len(idx)}
	if idCol != "" {
		i, ok := pf.h.index[idCol]
		if !ok {
			return nil, pf.h.errorf("unknown id column %q (the file has %s)", idCol, pf.h.describe())
		}
		conv, err := pf.textConversion(i)
		if err != nil {
			return nil, err
		}
		src.id = len(sel)
		sel, convs = append(sel, i), append(convs, conv)
	}
	src.cur, src.convs = newCursor(pf, sel, convs), convs
	return &RowReader{names: pick(pf.h.names, idx), src: src}, nil
}

func (s *parquetRowSource) read(n int, c *RowChunk) (int, error) {
	cur := s.cur
	for c.X.Rows < n {
		k, err := cur.next(n - c.X.Rows)
		if err != nil {
			return 0, err
		}
		if k == 0 {
			break
		}
		first := cur.row - int64(k)
		for i := range k {
			row := c.X.AppendRow()
			for j := range s.dx {
				v := cur.vals[j][i]
				if v.IsNull() {
					return 0, s.cellErr(first+int64(i), j, "null value (every selected value needs one)")
				}
				x := s.convs[j].number(v)
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return 0, s.cellErr(first+int64(i), j, fmt.Sprintf("NaN and infinite values are not allowed: %v", x))
				}
				row[j] = x
			}
			if s.id >= 0 {
				c.IDs = append(c.IDs, s.convs[s.id].text(cur.vals[s.id][i]))
			}
		}
	}
	return c.X.Rows, nil
}

func (s *parquetRowSource) cellErr(row int64, k int, reason string) error {
	col := s.cur.cols[k].c
	return &FormatError{File: s.cur.pf.name, Row: int(row) + 1, Column: col + 1, Name: s.cur.pf.h.names[col], Reason: reason}
}

// npyRowSource reads a C-order .npy matrix.
type npyRowSource struct{ nr *npyRows }

// NewNPYRows reads a .npy matrix (C order) from r in chunks (see OpenRows);
// cols, if given, name every column in order, else they are c1 … cN.
// Close does not close r.
func NewNPYRows(r io.Reader, name string, cols []string) (*RowReader, error) {
	a, err := readNPYHeader(r, name)
	if err != nil {
		return nil, err
	}
	if !a.numeric() {
		return nil, &FormatError{File: name, Reason: fmt.Sprintf("dtype %q holds strings, not numbers", a.descr)}
	}
	rows, c, err := a.matrixShape(name)
	if err != nil {
		return nil, err
	}
	if a.fortran && rows > 1 && c > 1 {
		return nil, &FormatError{File: name, Reason: "a Fortran-ordered array cannot be read row by row; save it in C order (numpy.ascontiguousarray)"}
	}
	names, err := npyNames(name, c, cols)
	if err != nil {
		return nil, err
	}
	return &RowReader{names: names, src: &npyRowSource{nr: &npyRows{r: r, name: name, a: a, rows: rows, cols: c}}}, nil
}

func (s *npyRowSource) read(n int, c *RowChunk) (int, error) {
	m, err := s.nr.next(n)
	if errors.Is(err, io.EOF) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.X = m
	return m.Rows, nil
}
