// Package datasets holds the three-stream data model of semi-supervised
// conditional learning (pairs, unpaired sources, unpaired targets), reads and
// writes it as CSV, standardises columns, summarises them, makes seeded
// splits and generates the benchmark data sets (the Gaussian case with a
// closed-form entropic OT plan and the OT-paired Gaussian → Swiss-roll
// benchmark).
//
// Matrices are row-major []float64 with explicit dimensions (see Matrix); a
// stream may have zero rows, which gonum's mat.Dense cannot represent.
//
// The CSV readers parse each file in two passes over a fixed buffer (count
// the rows of each stream, then parse into matrices of the final size), so
// loading costs 8 bytes per value and no allocation per row. Problems with a
// file's content are *FormatError values naming the file, line, column and
// reason, and match ErrFormat under errors.Is.
package datasets
