package datasets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebieot/ebieot/internal/atomicfile"
)

// File formats are chosen by the file name's extension, case-insensitive:
//
//	.parquet  Parquet: named columns, nulls as empty cells (see ReadStreamsParquet)
//	.npz      NumPy archive of the three streams (see ReadStreamsNPZ); input only for streams
//	.npy      one NumPy matrix without column names (see ReadNPY, WriteNPY)
//	anything else: CSV; the path "-" is CSV on standard input or output
//
// The *File functions below and OpenRows and CreateTable dispatch on it;
// files are written atomically (a temporary file renamed when complete).

// Format names a file format.
type Format int

const (
	FormatCSV Format = iota
	FormatParquet
	FormatNPY
	FormatNPZ
)

func (f Format) String() string {
	switch f {
	case FormatParquet:
		return "Parquet"
	case FormatNPY:
		return ".npy"
	case FormatNPZ:
		return ".npz"
	}
	return "CSV"
}

// Stdio is the path that stands for standard input or output, in CSV.
const Stdio = "-"

// FormatOf returns the format of a path by its extension; "-" is CSV.
func FormatOf(path string) Format {
	if path == Stdio {
		return FormatCSV
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet":
		return FormatParquet
	case ".npy":
		return FormatNPY
	case ".npz":
		return FormatNPZ
	}
	return FormatCSV
}

// openSized opens path for random access (Parquet and .npz keep their
// index at the end of the file) and returns its size.
func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err // already names the path
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: a %s file must be a regular file, which can be read out of order (not a pipe)", path, FormatOf(path))
	}
	return f, st.Size(), nil
}

// ReadStreamsFile reads the three streams from one file in the format its
// extension names: CSV (ReadCSV; "-" reads standard input), Parquet
// (ReadStreamsParquet) or .npz (ReadStreamsNPZ). A .npy file holds one
// matrix and cannot hold the streams.
func ReadStreamsFile(path string, opt CSVOptions) (*Streams, error) {
	switch FormatOf(path) {
	case FormatParquet:
		f, size, err := openSized(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadStreamsParquet(f, size, path, opt)
	case FormatNPZ:
		f, size, err := openSized(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadStreamsNPZ(f, size, path, opt)
	case FormatNPY:
		return nil, &FormatError{File: path, Reason: "a .npy file holds one matrix, not pairs, sources and targets; use .npz (arrays pairs_x, pairs_y, sources, targets), Parquet or CSV"}
	}
	if path == Stdio {
		return ReadStreams(os.Stdin, Stdio, opt)
	}
	return ReadCSV(path, opt)
}

// ReadSeparateFiles is ReadSeparate for files in any mix of CSV and
// Parquet ("-" is CSV on standard input; "" is no file), with its rules:
// the paired file's columns are selected by opt, and the sources and
// targets files must then have columns of the same names.
func ReadSeparateFiles(pairedPath, sourcesPath, targetsPath string, opt CSVOptions) (*Streams, error) {
	paths := []string{pairedPath, sourcesPath, targetsPath}
	csvOnly, stdin := true, 0
	for _, p := range paths {
		switch FormatOf(p) {
		case FormatNPY, FormatNPZ:
			return nil, &FormatError{File: p, Reason: "separate stream files are CSV or Parquet; NumPy streams go together in one .npz (arrays pairs_x, pairs_y, sources, targets)"}
		case FormatParquet:
			csvOnly = false
		}
		if p == Stdio {
			csvOnly = false
			stdin++
		}
	}
	if stdin > 1 {
		return nil, errors.New(`standard input ("-") can hold only one of the paired, sources and targets files`)
	}
	if csvOnly {
		return ReadSeparate(pairedPath, sourcesPath, targetsPath, opt)
	}
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
		t, err := loadFile(pairedPath, modePair, func(h *header) ([]int, []int, error) {
			return h.splitXY(opt.XCols, opt.YCols)
		}, "")
		if err != nil {
			return nil, err
		}
		s.XNames, s.YNames, s.PairX, s.PairY = t.xNames, t.yNames, t.pairX, t.pairY
	}
	if sourcesPath != "" {
		t, err := loadFile(sourcesPath, modeSource, func(h *header) ([]int, []int, error) {
			x, err := h.selectSide(s.XNames, opt.XCols, "paired file's x column")
			return x, nil, err
		}, "")
		if err != nil {
			return nil, err
		}
		s.XNames, s.SourceX = t.xNames, t.srcX
	} else {
		s.SourceX = NewMatrix(0, len(s.XNames))
	}
	if targetsPath != "" {
		t, err := loadFile(targetsPath, modeTarget, func(h *header) ([]int, []int, error) {
			y, err := h.selectSide(s.YNames, opt.YCols, "paired file's y column")
			return nil, y, err
		}, "")
		if err != nil {
			return nil, err
		}
		s.YNames, s.TargetY = t.yNames, t.tgtY
	} else {
		s.TargetY = NewMatrix(0, len(s.YNames))
	}
	if pairedPath == "" {
		s.PairX, s.PairY = NewMatrix(0, len(s.XNames)), NewMatrix(0, len(s.YNames))
	}
	return s, nil
}

// loadFile reads a CSV or Parquet table with the rules of loadTable.
func loadFile(path string, mode rowMode, choose func(*header) (x, y []int, err error), labelCol string) (*table, error) {
	if FormatOf(path) == FormatParquet {
		f, size, err := openSized(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return loadParquet(f, size, path, mode, choose, labelCol, nil)
	}
	if path == Stdio {
		return loadTable(os.Stdin, Stdio, mode, choose, labelCol, nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return loadTable(f, path, mode, choose, labelCol, nil)
}

// ReadMatrixFile reads a numeric table in the format its extension names:
// CSV (ReadMatrixCSV; "-" reads standard input), Parquet
// (ReadMatrixParquet) or .npy (ReadNPY). It returns the values and the
// column names. A .npy file has no names: cols, if given, name its
// columns in order, one name each; they are c1, c2, … otherwise.
func ReadMatrixFile(path string, cols []string) (Matrix, []string, error) {
	m, names, _, err := ReadMatrixLabelsFile(path, cols, "")
	return m, names, err
}

// ReadMatrixLabelsFile is ReadMatrixFile that also returns the text of the
// column labelCol (exact name; "" for none) for every row, as
// ReadMatrixLabels does: group ids, say. A .npy file has no such column.
func ReadMatrixLabelsFile(path string, cols []string, labelCol string) (Matrix, []string, []string, error) {
	switch FormatOf(path) {
	case FormatParquet:
		f, size, err := openSized(path)
		if err != nil {
			return Matrix{}, nil, nil, err
		}
		defer f.Close()
		return ReadMatrixParquet(f, size, path, cols, labelCol)
	case FormatNPY:
		if labelCol != "" {
			return Matrix{}, nil, nil, &FormatError{File: path, Reason: fmt.Sprintf("a .npy file has no column %q (it holds numbers only)", labelCol)}
		}
		f, err := os.Open(path)
		if err != nil {
			return Matrix{}, nil, nil, err
		}
		defer f.Close()
		m, err := ReadNPY(f, path)
		if err != nil {
			return Matrix{}, nil, nil, err
		}
		names, err := npyNames(path, m.Cols, cols)
		if err != nil {
			return Matrix{}, nil, nil, err
		}
		if m.Rows == 0 {
			return Matrix{}, nil, nil, &FormatError{File: path, Reason: "no data rows"}
		}
		return m, names, nil, nil
	case FormatNPZ:
		return Matrix{}, nil, nil, &FormatError{File: path, Reason: "a .npz archive holds the streams of a data set; a table is read from .npy, Parquet or CSV"}
	}
	if path == Stdio {
		return ReadMatrixLabels(os.Stdin, Stdio, cols, labelCol)
	}
	f, err := os.Open(path)
	if err != nil {
		return Matrix{}, nil, nil, err
	}
	defer f.Close()
	return ReadMatrixLabels(f, path, cols, labelCol)
}

// npyNames returns the column names of a .npy matrix of cols columns:
// the given names, which must be one per column, or c1 … cN.
func npyNames(path string, cols int, given []string) ([]string, error) {
	if len(given) == 0 {
		return columnNames("c", cols), nil
	}
	if len(given) != cols {
		return nil, &FormatError{File: path, Reason: fmt.Sprintf(
			"a .npy file has no column names, so the %d columns asked for (%s) must be all of its %d columns, in order", len(given), strings.Join(given, ", "), cols)}
	}
	for _, g := range given {
		if strings.ContainsAny(g, "*?[") {
			return nil, &FormatError{File: path, Reason: fmt.Sprintf("a .npy file has no column names to match the pattern %q against", g)}
		}
	}
	return append([]string(nil), given...), nil
}

// ReadLabelledFile reads a classification file in the format its
// extension names: CSV (ReadLabelledCSV; "-" reads standard input) or
// Parquet (ReadLabelledParquet).
func ReadLabelledFile(path string, xCols []string, label string) (*Labelled, error) {
	switch FormatOf(path) {
	case FormatParquet:
		f, size, err := openSized(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadLabelledParquet(f, size, path, xCols, label)
	case FormatNPY, FormatNPZ:
		return nil, &FormatError{File: path, Reason: "a classification file (x columns and a label column) is read from CSV or Parquet"}
	}
	if path == Stdio {
		return ReadLabelled(os.Stdin, Stdio, xCols, label)
	}
	return ReadLabelledCSV(path, xCols, label)
}

// WriteTableFile writes a numeric table in the format its extension names:
// CSV (WriteTableCSV; "-" writes standard output), Parquet
// (WriteTableParquet) or .npy (WriteNPY, which keeps no column names).
// Files are replaced atomically; values must be finite.
func WriteTableFile(path string, header []string, m Matrix) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if len(header) != m.Cols {
		return fmt.Errorf("write %s: %d column names for %d columns", path, len(header), m.Cols)
	}
	w, err := CreateTable(path, header)
	if err != nil {
		return err
	}
	if err := w.Write(m); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// WriteStreamsFile writes s in the format its extension names, in the
// layout ReadStreamsFile reads back: CSV (WriteStreamsCSV; "-" writes
// standard output), Parquet (WriteStreamsParquet) or .npz
// (WriteStreamsNPZ). Files are replaced atomically; values must be finite.
func WriteStreamsFile(path string, s *Streams) error {
	switch FormatOf(path) {
	case FormatParquet:
		return atomicfile.Write(path, func(w io.Writer) error { return WriteStreamsParquet(w, s) })
	case FormatNPZ:
		return atomicfile.Write(path, func(w io.Writer) error { return WriteStreamsNPZ(w, s) })
	case FormatNPY:
		return fmt.Errorf("write %s: a .npy file holds one matrix; write the streams as .npz, Parquet or CSV", path)
	}
	if path == Stdio {
		return writeStreamsCSV(os.Stdout, s)
	}
	return WriteStreamsCSV(path, s)
}

// writeStreamsCSV writes the single-file CSV layout of WriteStreamsCSV to
// w, which (being standard output) cannot be replaced atomically: values
// are checked before anything is written.
func writeStreamsCSV(w io.Writer, s *Streams) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write -: %w", err)
	}
	for _, m := range []struct {
		name string
		m    Matrix
	}{{"paired x", s.PairX}, {"paired y", s.PairY}, {"sources", s.SourceX}, {"targets", s.TargetY}} {
		if err := checkFinite(m.name, m.m); err != nil {
			return fmt.Errorf("write -: %w", err)
		}
	}
	dx, dy := s.XDim(), s.YDim()
	buf := appendHeader(nil, append(append([]string(nil), s.XNames...), s.YNames...))
	emit := func(x, y []float64) error {
		buf = appendCells(buf, x, dx)
		buf = append(buf, ',')
		buf = appendCells(buf, y, dy)
		buf = append(buf, '\n')
		if len(buf) > 1<<15 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("write -: %w", err)
			}
			buf = buf[:0]
		}
		return nil
	}
	for i := range s.PairX.Rows {
		if err := emit(s.PairX.Row(i), s.PairY.Row(i)); err != nil {
			return err
		}
	}
	for i := range s.SourceX.Rows {
		if err := emit(s.SourceX.Row(i), nil); err != nil {
			return err
		}
	}
	for i := range s.TargetY.Rows {
		if err := emit(nil, s.TargetY.Row(i)); err != nil {
			return err
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write -: %w", err)
	}
	return nil
}
