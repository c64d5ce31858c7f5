package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// TableWriter writes a numeric table chunk by chunk, in input order. For a
// file nothing is visible at the destination before Commit, which
// completes it and renames it into place (a previous file of that name
// stays until then); Abort, after an error or instead of Commit, removes
// what was written. On standard output ("-") the rows go out as they are
// written and Abort can only stop further writing. Values must be finite.
// A TableWriter is for one goroutine.
type TableWriter struct {
	path   string
	cols   int
	rows   int64
	enc    tableEncoder
	tmp    *os.File // nil for standard output
	bw     *bufio.Writer
	err    error // sticky: the first failure, or that the writer is closed
	closed bool
	inf    bool // ±Inf may be written (AllowInfinite)
}

// AllowInfinite lets Write accept ±Inf (NaN stays an error), for results
// where an infinity is the answer rather than a failure: the log-density
// of a point outside a model's support is −Inf. CSV spells them +Inf and
// -Inf, which numpy, pandas and R read back; the readers of this package
// refuse them as data.
func (t *TableWriter) AllowInfinite() { t.inf = true }

// tableEncoder turns chunks into one format's bytes.
type tableEncoder interface {
	write(m Matrix) error
	// finish completes the encoding once every chunk is written; bw is
	// flushed and the file may be rewritten in place.
	finish(f *os.File, bw *bufio.Writer, rows int64) error
}

// CreateTable starts writing a table with the given column names to path,
// in the format its extension names: CSV ("-" writes standard output),
// Parquet (optional DOUBLE columns) or .npy (float64, no column names; the
// shape is written by Commit). Numbers are written exactly in the binary
// formats and in the shortest text that parses back to the same float64 in
// CSV, as WriteTableCSV does.
func CreateTable(path string, names []string) (*TableWriter, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("write %s: a table needs at least one column", path)
	}
	format := FormatOf(path)
	if format == FormatNPZ {
		return nil, fmt.Errorf("write %s: a table is written as CSV, Parquet or .npy, not .npz", path)
	}
	t := &TableWriter{path: path, cols: len(names)}
	if path == Stdio {
		t.bw = bufio.NewWriterSize(os.Stdout, 1<<16)
	} else {
		dir, base := filepath.Split(path)
		if dir == "" {
			dir = "."
		}
		tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		t.tmp, t.bw = tmp, bufio.NewWriterSize(tmp, 1<<16)
	}
	var err error
	switch format {
	case FormatParquet:
		var ps *parquetSink
		if ps, err = newParquetSink(t.bw, names); err == nil {
			t.enc = &parquetEncoder{ps: ps}
		}
	case FormatNPY:
		enc := &npyEncoder{bw: t.bw, cols: len(names)}
		_, err = t.bw.Write(npyHeader(0, len(names)))
		t.enc = enc
	default:
		_, err = t.bw.Write(appendHeader(nil, names))
		t.enc = &csvEncoder{bw: t.bw}
	}
	if err != nil {
		t.Abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return t, nil
}

// Rows is the number of rows written so far.
func (t *TableWriter) Rows() int64 { return t.rows }

// Write appends the rows of m, whose columns must match the names.
func (t *TableWriter) Write(m Matrix) error {
	if t.err != nil {
		return t.err
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write %s: %w", t.path, err)
	}
	if m.Rows > 0 && m.Cols != t.cols {
		return fmt.Errorf("write %s: rows of %d columns for a table of %d", t.path, m.Cols, t.cols)
	}
	for k, v := range m.Data {
		if math.IsNaN(v) || (math.IsInf(v, 0) && !t.inf) {
			// Checked before anything of the chunk is written, so that a
			// caller may skip the chunk and go on.
			return fmt.Errorf("write %s: row %d column %d is %v; only finite values can be written", t.path, t.rows+int64(k/m.Cols)+1, k%m.Cols+1, v)
		}
	}
	if err := t.enc.write(m); err != nil {
		t.err = fmt.Errorf("write %s: %w", t.path, err)
		return t.err
	}
	t.rows += int64(m.Rows)
	return nil
}

var errClosed = errors.New("the table writer is closed")

// Commit completes the table: for a file, it is synced and renamed into
// place; for standard output, flushed. After a failed Write, Commit
// removes the temporary file and returns that failure.
func (t *TableWriter) Commit() error {
	if t.err != nil {
		t.Abort()
		return t.err
	}
	err := t.enc.finish(t.tmp, t.bw, t.rows)
	if err == nil {
		err = t.bw.Flush()
	}
	if t.tmp != nil {
		if err == nil {
			err = t.tmp.Sync()
		}
		if cerr := t.tmp.Close(); err == nil {
			err = cerr
		}
		t.closed = true
		if err == nil {
			err = os.Chmod(t.tmp.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(t.tmp.Name(), t.path)
		}
	}
	if err != nil {
		t.err = fmt.Errorf("write %s: %w", t.path, err)
		t.Abort()
		return t.err
	}
	t.err = fmt.Errorf("write %s: %w", t.path, errClosed)
	return nil
}

// Abort discards the table: the temporary file is removed and the
// destination left as it was. It may be called after Commit (doing
// nothing) and more than once.
func (t *TableWriter) Abort() {
	if t.tmp != nil {
		if !t.closed {
			t.tmp.Close()
			t.closed = true
		}
		os.Remove(t.tmp.Name()) // fails harmlessly once renamed
	}
	if t.err == nil {
		t.err = fmt.Errorf("write %s: %w", t.path, errClosed)
	}
}

type csvEncoder struct {
	bw  *bufio.Writer
	buf []byte
}

func (e *csvEncoder) write(m Matrix) error {
	for i := range m.Rows {
		e.buf = appendCells(e.buf[:0], m.Row(i), m.Cols)
		e.buf = append(e.buf, '\n')
		if _, err := e.bw.Write(e.buf); err != nil {
			return err
		}
	}
	return nil
}

func (e *csvEncoder) finish(*os.File, *bufio.Writer, int64) error { return nil }

type parquetEncoder struct{ ps *parquetSink }

func (e *parquetEncoder) write(m Matrix) error {
	for i := range m.Rows {
		if err := e.ps.add(partRow{m.Row(i), m.Cols}); err != nil {
			return err
		}
	}
	return nil
}

func (e *parquetEncoder) finish(*os.File, *bufio.Writer, int64) error { return e.ps.close() }

// npyEncoder writes a header of npyHeaderSize bytes first and its final
// shape over it once the rows are counted, so that a table of unknown
// length streams to disk.
type npyEncoder struct {
	bw   *bufio.Writer
	cols int
	buf  []byte
}

func (e *npyEncoder) write(m Matrix) error {
	for lo := 0; lo < len(m.Data); lo += 4096 {
		e.buf = appendNPYValues(e.buf[:0], m.Data[lo:min(len(m.Data), lo+4096)])
		if _, err := e.bw.Write(e.buf); err != nil {
			return err
		}
	}
	return nil
}

func (e *npyEncoder) finish(f *os.File, bw *bufio.Writer, rows int64) error {
	if f == nil {
		// Standard output cannot be rewound: the header went out with a
		// shape of zero rows, which no reader can use.
		return errors.New("a .npy table cannot stream to standard output")
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := f.WriteAt(npyHeader(int(rows), e.cols), 0)
	return err
}

// NewCSVTableWriter returns a TableWriter of CSV onto w, for writers
// that are not files (a pipe, a network stream, a Beam shard): the
// header, then the rows; Commit flushes, Abort only stops writing.
func NewCSVTableWriter(w io.Writer, names []string) *TableWriter {
	bw := bufio.NewWriterSize(w, 1<<16)
	t := &TableWriter{path: "-", cols: len(names), bw: bw, enc: &csvEncoder{bw: bw}}
	if _, err := bw.Write(appendHeader(nil, names)); err != nil {
		t.err = err
	}
	return t
}
