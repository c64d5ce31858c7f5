package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

// rowFlags are the flags of the commands that stream an input file row by
// row (sample, logprob, predict): where each row's random stream comes
// from, and how many rows are held per worker.
func rowFlags() []cli.Flag {
	return []cli.Flag{
		&cli.Int64Flag{Name: "row-offset", Usage: "global index of the input's first row, for shards of a larger file: row i of this file draws from the stream (seed, offset+i), so shards with the right offsets reproduce one run over the whole file"},
		&cli.StringFlag{Name: "id-col", Usage: "key each row's random stream by this column's text (a row id) instead of its position; rows with the same id get the same draws"},
		&cli.IntFlag{Name: "chunk-rows", Usage: "input rows per chunk and worker (default: 8192 for scoring, 65536/n for sampling); memory is a few chunks whatever the input's length"},
	}
}

// rowChunks reads an input file chunk by chunk for the eot streaming
// methods: the first dx selected columns are x, the rest y.
type rowChunks struct {
	rr     *datasets.RowReader
	path   string
	idCol  string
	dx     int
	offset int64
}

// openRowChunks opens the --input file of c with the given x and y
// columns (y empty for sampling and prediction).
func openRowChunks(c *cli.Context, xNames, yNames []string) (*rowChunks, error) {
	path, idCol := c.String("input"), c.String("id-col")
	if idCol != "" && c.IsSet("row-offset") {
		return nil, usagef("give --row-offset or --id-col, not both: with an id column the row's position does not matter")
	}
	if off := c.Int64("row-offset"); off < 0 {
		return nil, usagef("--row-offset %d must be 0 or more", off)
	}
	if n := c.Int("chunk-rows"); c.IsSet("chunk-rows") && n < 1 {
		return nil, usagef("--chunk-rows %d must be positive", n)
	}
	if idCol != "" && datasets.FormatOf(path) == datasets.FormatNPY {
		return nil, usagef("--id-col %s: a .npy file has no named columns", idCol)
	}
	cols := append(append([]string(nil), xNames...), yNames...)
	rr, err := datasets.OpenRows(path, cols, idCol)
	if err != nil {
		return nil, err
	}
	return &rowChunks{rr: rr, path: path, idCol: idCol, dx: len(xNames), offset: c.Int64("row-offset")}, nil
}

func (r *rowChunks) Close() error { return r.rr.Close() }

// ReadChunk implements eot.ChunkReader.
func (r *rowChunks) ReadChunk(maxRows int) (eot.Chunk, error) {
	rc, err := r.rr.Next(maxRows)
	if err != nil {
		return eot.Chunk{}, err
	}
	ch := eot.Chunk{Start: r.offset + rc.Start}
	if dy := rc.X.Cols - r.dx; dy == 0 {
		ch.X = rc.X
	} else {
		ch.X, ch.Y = datasets.NewMatrix(rc.X.Rows, r.dx), datasets.NewMatrix(rc.X.Rows, dy)
		for i := range rc.X.Rows {
			row := rc.X.Row(i)
			copy(ch.X.Row(i), row[:r.dx])
			copy(ch.Y.Row(i), row[r.dx:])
		}
	}
	if r.idCol != "" {
		ch.Keys = make([]uint64, len(rc.IDs))
		for i, id := range rc.IDs {
			if id == "" {
				return eot.Chunk{}, fmt.Errorf("%s %s, column %s: empty id: every row needs one to key its random stream", r.path, rowPlace(rc, i), r.idCol)
			}
			ch.Keys[i] = eot.KeyOf(id)
		}
	}
	return ch, nil
}

// rowPlace names row i of a chunk as the user sees it in the file.
func rowPlace(rc datasets.RowChunk, i int) string {
	if rc.Lines != nil {
		return fmt.Sprintf("line %d", rc.Lines[i])
	}
	return fmt.Sprintf("row %d", rc.Start+int64(i)+1)
}

// tableOut is an output table that is created when its first rows are
// ready (so that its columns may depend on the results) and committed
// only when the whole run succeeded.
type tableOut struct {
	path string
	tw   *datasets.TableWriter
	inf  bool
}

func (o *tableOut) write(names []string, m datasets.Matrix) error {
	if o.tw == nil {
		tw, err := datasets.CreateTable(o.path, names)
		if err != nil {
			return err
		}
		if o.inf {
			tw.AllowInfinite()
		}
		o.tw = tw
	}
	return o.tw.Write(m)
}

// finish commits the table after a successful run (creating it, empty, if
// no row came) and removes it otherwise, so that a failed or interrupted
// run leaves any previous file of that name as it was.
func (o *tableOut) finish(names []string, runErr error) error {
	if runErr != nil {
		if o.tw != nil {
			o.tw.Abort()
		}
		return runErr
	}
	if o.tw == nil {
		if err := o.write(names, datasets.Matrix{}); err != nil {
			return err
		}
	}
	return o.tw.Commit()
}

// streamOptions are the eot streaming options of c, reporting progress
// as "what".
func streamOptions(c *cli.Context, what string) (eot.StreamOptions, func()) {
	update, finish := newRowProgress(c, what, -1)
	return eot.StreamOptions{Threads: threads(c), ChunkRows: c.Int("chunk-rows"), Progress: update}, finish
}
