package datasets

import (
	"fmt"
	"io"
	"math"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// Files written here have one optional DOUBLE column per name, in the
// given order, row groups of at most parquetRowsPerGroup rows and Snappy
// compression: the layout pandas and pyarrow read without options.

// orderedGroup is a Parquet group node whose fields keep the order they are
// given in; parquet.Group sorts them by name, which would reorder the
// columns of every table written.
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return "group" }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }

// namedLeaf is a leaf node with its field name.
type namedLeaf struct {
	parquet.Node
	name string
}

func (f namedLeaf) Name() string                      { return f.name }
func (f namedLeaf) Value(reflect.Value) reflect.Value { return reflect.Value{} }

// parquetSchema is a schema of optional DOUBLE columns named names.
func parquetSchema(names []string) (*parquet.Schema, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("a Parquet file needs at least one column")
	}
	g := make(orderedGroup, len(names))
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if n == "" || seen[n] {
			return nil, fmt.Errorf("Parquet column names must be unique and not empty (column %d is %q)", i+1, n)
		}
		seen[n] = true
		g[i] = namedLeaf{Node: parquet.Optional(parquet.Leaf(parquet.DoubleType)), name: n}
	}
	return parquet.NewSchema("ebieot", g), nil
}

// parquetRowsPerGroup bounds the rows of the row groups written here: a
// row group is the unit a reader can skip to, and a writer buffers one.
const parquetRowsPerGroup = 1 << 17

// parquetSink writes rows of optional doubles.
type parquetSink struct {
	w    *parquet.Writer
	cols int
	rows []parquet.Row
	vals []parquet.Value
}

func newParquetSink(w io.Writer, names []string) (*parquetSink, error) {
	schema, err := parquetSchema(names)
	if err != nil {
		return nil, err
	}
	pw := parquet.NewWriter(w, schema, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(parquetRowsPerGroup))
	return &parquetSink{w: pw, cols: len(names)}, nil
}

// add queues one row made of parts; a part with nil vals stands for n
// nulls.
func (ps *parquetSink) add(parts ...partRow) error {
	start := len(ps.vals)
	col := 0
	for _, p := range parts {
		for j := range p.n {
			if p.vals == nil {
				ps.vals = append(ps.vals, parquet.NullValue().Level(0, 0, col))
			} else {
				v := p.vals[j]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					ps.vals = ps.vals[:start]
					return fmt.Errorf("column %d is %v; only finite values can be written", col+1, v)
				}
				ps.vals = append(ps.vals, parquet.DoubleValue(v).Level(0, 1, col))
			}
			col++
		}
	}
	ps.rows = append(ps.rows, ps.vals[start:len(ps.vals):len(ps.vals)])
	if len(ps.rows) == 4096 {
		return ps.flush()
	}
	return nil
}

type partRow struct {
	vals []float64
	n    int
}

func (ps *parquetSink) flush() error {
	if len(ps.rows) == 0 {
		return nil
	}
	_, err := ps.w.WriteRows(ps.rows)
	ps.rows, ps.vals = ps.rows[:0], ps.vals[:0]
	return err
}

func (ps *parquetSink) close() error {
	if err := ps.flush(); err != nil {
		return err
	}
	return ps.w.Close()
}

// WriteTableParquet writes a numeric table as Parquet: one DOUBLE column
// per header name, in order. Values must be finite.
func WriteTableParquet(w io.Writer, header []string, m Matrix) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if len(header) != m.Cols {
		return fmt.Errorf("%d column names for %d columns", len(header), m.Cols)
	}
	ps, err := newParquetSink(w, header)
	if err != nil {
		return err
	}
	for i := range m.Rows {
		if err := ps.add(partRow{m.Row(i), m.Cols}); err != nil {
			return fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	return ps.close()
}

// WriteStreamsParquet writes s as Parquet in the layout ReadStreamsParquet
// reads: the x columns then the y columns; the pairs, the sources (y
// null), then the targets (x null).
func WriteStreamsParquet(w io.Writer, s *Streams) error {
	if err := s.Validate(); err != nil {
		return err
	}
	ps, err := newParquetSink(w, append(append([]string(nil), s.XNames...), s.YNames...))
	if err != nil {
		return err
	}
	dx, dy := s.XDim(), s.YDim()
	for i := range s.PairX.Rows {
		if err := ps.add(partRow{s.PairX.Row(i), dx}, partRow{s.PairY.Row(i), dy}); err != nil {
			return fmt.Errorf("pair %d: %w", i+1, err)
		}
	}
	for i := range s.SourceX.Rows {
		if err := ps.add(partRow{s.SourceX.Row(i), dx}, partRow{nil, dy}); err != nil {
			return fmt.Errorf("source %d: %w", i+1, err)
		}
	}
	for i := range s.TargetY.Rows {
		if err := ps.add(partRow{nil, dx}, partRow{s.TargetY.Row(i), dy}); err != nil {
			return fmt.Errorf("target %d: %w", i+1, err)
		}
	}
	return ps.close()
}
