package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
)

// streamFlags select the training data: one CSV with named x and y columns,
// or separate files per stream.
func streamFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Usage: "one table holding pairs, unpaired sources (empty y cells) and unpaired targets (empty x cells): .csv, .parquet (nulls are empty cells) or .npz (arrays pairs_x, pairs_y, sources, targets); - is CSV on standard input"},
		&cli.StringFlag{Name: "x-cols", Usage: "x columns: names or glob patterns, comma-separated (e.g. 'x*' or a,b,c); if omitted, every column that is not a y column"},
		&cli.StringFlag{Name: "y-cols", Usage: "y columns: names or glob patterns, comma-separated; if omitted, every column that is not an x column"},
		&cli.StringFlag{Name: "paired", Usage: "table of pairs (x and y columns): .csv or .parquet"},
		&cli.StringFlag{Name: "sources", Usage: "table of unpaired sources (x columns): .csv or .parquet"},
		&cli.StringFlag{Name: "targets", Usage: "table of unpaired targets (y columns): .csv or .parquet"},
	}
}

// sampledFlags are fit's flags for data larger than memory.
func sampledFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "stream", Usage: "train on a uniform random sample of at most --stream-rows rows of each stream, drawn while reading --data (CSV or Parquet) in one pass, so memory is bounded whatever the file's size"},
		&cli.IntFlag{Name: "stream-rows", Value: 200000, Usage: "with --stream: rows kept per stream (pairs, sources, targets); a stream with fewer is kept whole"},
	}
}

// readStreams reads the data named by streamFlags (and, for fit, by
// sampledFlags).
func readStreams(c *cli.Context) (*datasets.Streams, error) {
	opt := datasets.CSVOptions{XCols: splitList(c.String("x-cols")), YCols: splitList(c.String("y-cols"))}
	data := c.String("data")
	separate := c.String("paired") != "" || c.String("sources") != "" || c.String("targets") != ""
	sampled := c.Bool("stream")
	switch {
	case data != "" && separate:
		return nil, usagef("give either --data or --paired/--sources/--targets, not both")
	case sampled && data == "":
		return nil, usagef("--stream samples one --data file (CSV or Parquet)")
	case c.IsSet("stream-rows") && !sampled:
		return nil, usagef("--stream-rows needs --stream")
	case data != "":
		if len(opt.XCols) == 0 && len(opt.YCols) == 0 {
			return nil, usagef("--data needs --x-cols, --y-cols or both (one alone means the other is every remaining column)")
		}
		if sampled {
			return sampleStreams(c, data, opt)
		}
		return datasets.ReadStreamsFile(data, opt)
	case separate:
		if len(opt.XCols) == 0 && len(opt.YCols) == 0 {
			var err error
			if opt.XCols, opt.YCols, err = columnsFromFiles(c.String("sources"), c.String("targets")); err != nil {
				return nil, err
			}
		}
		return datasets.ReadSeparateFiles(c.String("paired"), c.String("sources"), c.String("targets"), opt)
	}
	return nil, usagef("no data: give --data FILE with --x-cols and --y-cols, or --paired/--sources/--targets")
}

// sampleStreams reads --data with --stream: a bounded uniform sample of
// each stream, and says how much of the file it kept.
func sampleStreams(c *cli.Context, path string, opt datasets.CSVOptions) (*datasets.Streams, error) {
	rows := c.Int("stream-rows")
	if rows < 1 {
		return nil, usagef("--stream-rows %d must be positive", rows)
	}
	s, n, err := datasets.SampleStreamsFile(path, opt, rows, c.Uint64("seed"))
	if err != nil {
		return nil, err
	}
	if !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "--stream: kept %d of %d pairs, %d of %d sources, %d of %d targets (uniform samples of at most %d rows per stream)\n",
			s.PairX.Rows, n.Pairs, s.SourceX.Rows, n.Sources, s.TargetY.Rows, n.Targets, rows)
	}
	return s, nil
}

// columnsFromFiles names the x columns after the sources file's header and
// the y columns after the targets file's, for the separate-files form
// without --x-cols and --y-cols.
func columnsFromFiles(sources, targets string) (x, y []string, err error) {
	if sources == "" && targets == "" {
		return nil, nil, usagef("--paired alone needs --x-cols, --y-cols or both: without a sources or targets file nothing says which columns are x and which y")
	}
	for _, f := range []struct {
		path string
		dst  *[]string
	}{{sources, &x}, {targets, &y}} {
		if f.path == "" {
			continue
		}
		if *f.dst, err = readHeader(f.path); err != nil {
			return nil, nil, err
		}
	}
	return x, y, nil
}

// readHeader returns the column names of a table file (the header of a
// CSV file, the columns of a Parquet file).
func readHeader(path string) ([]string, error) {
	rr, err := datasets.OpenRows(path, nil, "")
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	return rr.Names(), nil
}

// splitList splits a comma list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
