package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
)

// streamFlags select the training data: one CSV with named x and y columns,
// or separate files per stream.
func streamFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data", Usage: "one CSV holding pairs, unpaired sources (empty y cells) and unpaired targets (empty x cells)"},
		&cli.StringFlag{Name: "x-cols", Usage: "x columns: names or glob patterns, comma-separated (e.g. 'x*' or a,b,c); if omitted, every column that is not a y column"},
		&cli.StringFlag{Name: "y-cols", Usage: "y columns: names or glob patterns, comma-separated; if omitted, every column that is not an x column"},
		&cli.StringFlag{Name: "paired", Usage: "CSV of pairs (x and y columns)"},
		&cli.StringFlag{Name: "sources", Usage: "CSV of unpaired sources (x columns)"},
		&cli.StringFlag{Name: "targets", Usage: "CSV of unpaired targets (y columns)"},
	}
}

// readStreams reads the data named by streamFlags.
func readStreams(c *cli.Context) (*datasets.Streams, error) {
	opt := datasets.CSVOptions{XCols: splitList(c.String("x-cols")), YCols: splitList(c.String("y-cols"))}
	data := c.String("data")
	separate := c.String("paired") != "" || c.String("sources") != "" || c.String("targets") != ""
	switch {
	case data != "" && separate:
		return nil, usagef("give either --data or --paired/--sources/--targets, not both")
	case data != "":
		if len(opt.XCols) == 0 && len(opt.YCols) == 0 {
			return nil, usagef("--data needs --x-cols, --y-cols or both (one alone means the other is every remaining column)")
		}
		return datasets.ReadCSV(data, opt)
	case separate:
		return datasets.ReadSeparate(c.String("paired"), c.String("sources"), c.String("targets"), opt)
	}
	return nil, usagef("no data: give --data FILE with --x-cols and --y-cols, or --paired/--sources/--targets")
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
