package datasets

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ebieot/ebieot/internal/atomicfile"
)

// WriteStreamsCSV writes s in the single-file format that ReadCSV reads back:
// the header (x names, then y names), the pairs, the sources (y cells empty),
// then the targets (x cells empty). Numbers use the shortest representation
// that parses back to the same float64. The file is replaced atomically, and
// left untouched on any error.
func WriteStreamsCSV(path string, s *Streams) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := checkFinite("paired x", s.PairX); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for _, m := range []struct {
		name string
		m    Matrix
	}{{"paired y", s.PairY}, {"sources", s.SourceX}, {"targets", s.TargetY}} {
		if err := checkFinite(m.name, m.m); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	dx, dy := s.XDim(), s.YDim()
	return atomicfile.Write(path, func(w io.Writer) error {
		var buf []byte
		buf = appendHeader(buf, append(append([]string(nil), s.XNames...), s.YNames...))
		empty := make([]float64, 0)
		rows := []struct {
			x, y   Matrix
			n      int
			xs, ys bool // whether the x (y) cells hold values
		}{
			{s.PairX, s.PairY, s.PairX.Rows, true, true},
			{s.SourceX, Matrix{}, s.SourceX.Rows, true, false},
			{Matrix{}, s.TargetY, s.TargetY.Rows, false, true},
		}
		for _, part := range rows {
			for i := range part.n {
				x, y := empty, empty
				if part.xs {
					x = part.x.Row(i)
				}
				if part.ys {
					y = part.y.Row(i)
				}
				buf = appendCells(buf, x, dx)
				buf = append(buf, ',')
				buf = appendCells(buf, y, dy)
				buf = append(buf, '\n')
				if len(buf) > 1<<15 {
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
		}
		_, err := w.Write(buf)
		return err
	})
}

// WriteTableCSV writes a plain numeric table (header, then the rows of m),
// replacing path atomically. Values must be finite, because the readers
// reject anything else.
func WriteTableCSV(path string, header []string, m Matrix) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if len(header) != m.Cols {
		return fmt.Errorf("write %s: %d column names for %d columns", path, len(header), m.Cols)
	}
	if err := checkFinite("table", m); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		buf := appendHeader(nil, header)
		for i := range m.Rows {
			buf = appendCells(buf, m.Row(i), m.Cols)
			buf = append(buf, '\n')
			if len(buf) > 1<<15 {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		_, err := w.Write(buf)
		return err
	})
}

func checkFinite(name string, m Matrix) error {
	for k, v := range m.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s row %d column %d is %v; only finite values can be written", name, k/m.Cols+1, k%m.Cols+1, v)
		}
	}
	return nil
}

// appendCells appends the values of row separated by commas, or n empty
// cells if row is empty.
func appendCells(buf []byte, row []float64, n int) []byte {
	for j := range n {
		if j > 0 {
			buf = append(buf, ',')
		}
		if len(row) > 0 {
			buf = strconv.AppendFloat(buf, row[j], 'g', -1, 64)
		}
	}
	return buf
}

func appendHeader(buf []byte, names []string) []byte {
	for j, name := range names {
		if j > 0 {
			buf = append(buf, ',')
		}
		buf = appendName(buf, name)
	}
	return append(buf, '\n')
}

// appendName quotes a column name when the reader would otherwise split it
// (an empty name is quoted so that a one-column header is not a blank line).
func appendName(buf []byte, name string) []byte {
	if name != "" && !strings.ContainsAny(name, ",\"\r\n") {
		return append(buf, name...)
	}
	buf = append(buf, '"')
	for i := range len(name) {
		if name[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, name[i])
	}
	return append(buf, '"')
}
