package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
)

func inspectCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "inspect",
		Usage: "check a data set and print its streams, dimensions and column statistics",
		Description: `Reads the data exactly as fit does (--data with --x-cols/--y-cols, or
--paired/--sources/--targets) and prints the number of pairs, unpaired sources and
unpaired targets, then the mean, standard deviation (population), minimum and maximum of
every x column over all x values (pairs and sources) and of every y column over all y
values (pairs and targets) — the values the scaler is fitted on. A malformed file is
reported with its line and column.`,
		Flags:  streamFlags(),
		Action: runInspect,
	})
}

func runInspect(c *cli.Context) error {
	s, err := readStreams(c)
	if err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	printInspection(c.App.Writer, inspectSource(c), s)
	return nil
}

// inspectSource names the files the data came from.
func inspectSource(c *cli.Context) string {
	if d := c.String("data"); d != "" {
		return d
	}
	var parts []string
	for _, name := range []string{"paired", "sources", "targets"} {
		if f := c.String(name); f != "" {
			parts = append(parts, name+" "+f)
		}
	}
	return strings.Join(parts, ", ")
}

func printInspection(w io.Writer, source string, s *datasets.Streams) {
	fmt.Fprintf(w, "%s\n", source)
	fmt.Fprintf(w, "pairs %d, sources %d, targets %d\n", s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows)
	fmt.Fprintf(w, "x: %d columns, %d values each (pairs and sources)\n", s.XDim(), s.PairX.Rows+s.SourceX.Rows)
	fmt.Fprintf(w, "y: %d columns, %d values each (pairs and targets)\n\n", s.YDim(), s.PairY.Rows+s.TargetY.Rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "side\tcolumn\tmean\tstd\tmin\tmax\t")
	for _, side := range []struct {
		label string
		names []string
		parts []datasets.Matrix
	}{{"x", s.XNames, []datasets.Matrix{s.PairX, s.SourceX}}, {"y", s.YNames, []datasets.Matrix{s.PairY, s.TargetY}}} {
		for _, col := range datasets.Summarize(side.names, side.parts...) {
			fmt.Fprintf(tw, "%s\t%s\t%.6g\t%.6g\t%.6g\t%.6g\t\n", side.label, col.Name, col.Mean, col.Std, col.Min, col.Max)
		}
	}
	tw.Flush()
}
