// Package datasets holds the three-stream data model of semi-supervised
// conditional learning (pairs, unpaired sources, unpaired targets), reads and
// writes it as CSV, standardises columns, makes seeded splits and generates
// the benchmark data sets (the Gaussian case with a closed-form entropic OT
// plan and the OT-paired Gaussian → Swiss-roll benchmark).
//
// Matrices are row-major []float64 with explicit dimensions (see Matrix); a
// stream may have zero rows, which gonum's mat.Dense cannot represent.
package datasets
